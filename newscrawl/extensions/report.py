"""Crawl reporting: progress while the crawl runs and, at the end, a summary table.

Progress goes where ``NEWSCRAWL_PROGRESS`` says: ``log`` (a log line every
``NEWSCRAWL_PROGRESS_INTERVAL`` seconds: ``scrapy crawl``, Scrapyd), ``plain`` (the same line
printed to stderr: ``newscrawl crawl`` without a terminal, under cron or a supervisor) or
``live`` (one line redrawn every second on a terminal, with rich). The line says what was
fetched, stored and is still queued, the errors, the rate and an estimate of what is left.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals
from twisted.internet import task

from newscrawl.config import number, setting
from newscrawl.extensions.archive import committed_articles
from newscrawl.items import REPORTED_FIELDS

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger("newscrawl.report")

PROGRESS_MODES = ("log", "plain", "live")
#: What a skip reason means, for the summary's reader.
SKIP_REASONS = {
    "already_scheduled": "listed again by another listing, feed or sitemap: fetched once",
    "unchanged": "archived, and nothing says it changed since",
    "before_horizon": "published before --days / --since",
    "not_article_url": "a listing's link to a page that is no article",
    "known_not_article": "a page a past run found is no article",
    "gallery": "a gallery page, not an article", "video": "a video page, not an article",
    "offsite": "on another host than the outlet's", "not_http": "not an http(s) URL",
    "offsite_redirect": "a redirect to another host",
    "sitemap_unchanged": "a monthly sitemap unchanged since it was last read",
    "duplicate_id": "the same story reached twice in this run",
}


class CrawlReport:
    """Progress while the crawl runs; at the end, a table: articles by section, field fill
    rates, drops (errors) and skips (what a run leaves alone by design), by reason."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReport:
        return cls(crawler, number(crawler.settings, "NEWSCRAWL_PROGRESS_INTERVAL"),
                   str(setting(crawler.settings, "NEWSCRAWL_PROGRESS")))

    def __init__(self, crawler: Crawler, interval: float, mode: str) -> None:
        if mode not in PROGRESS_MODES:
            from newscrawl.config import ConfigError

            raise ConfigError(f"NEWSCRAWL_PROGRESS must be one of {', '.join(PROGRESS_MODES)}, "
                              f"not {mode!r}")
        self.crawler = crawler
        self.interval = interval
        self.mode = mode
        self.by_section: Counter[str] = Counter()
        self.items = 0
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.live: Any = None  # rich.live.Live on a terminal
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if self.mode == "live":
            from rich.console import Console
            from rich.live import Live

            self.live = Live(self.progress_line(), console=Console(stderr=True),
                             auto_refresh=False, transient=False)
            self.live.start()
            every = 1.0
        elif self.interval > 0:
            every = self.interval
        else:
            return
        self.loop = task.LoopingCall(self.progress)
        self.loop.start(every, now=False)

    def item_scraped(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        self.items += 1
        section = adapter.get("section") or ["(none)"]
        self.by_section[" > ".join(section[:2])] += 1

    def _counts(self) -> tuple[int, int, int]:
        stats = self.crawler.stats.get_stats()
        pages = sum(v for k, v in stats.items() if k.startswith("newscrawl/pages/"))
        errors = (stats.get("log_count/ERROR", 0)
                  + sum(v for k, v in stats.items() if k.startswith("newscrawl/dropped/")))
        return pages, self.items, errors

    def progress_line(self) -> str:
        stats = self.crawler.stats.get_stats()
        pages, items, errors = self._counts()
        queued = max(0, stats.get("scheduler/enqueued", 0) - stats.get("scheduler/dequeued", 0))
        minutes = max(time.monotonic() - self.started, 1e-9) / 60
        rate = pages / minutes
        left = f", about {queued / rate:.0f} min left" if rate and queued else ""
        return (f"fetched {pages} pages, stored {items} articles, {queued} queued, "
                f"{errors} errors, {rate:.1f} pages/min{left}")

    def progress(self) -> None:
        line = self.progress_line()
        if self.live is not None:
            self.live.update(line, refresh=True)
        elif self.mode == "plain":
            print(f"progress: {line}", file=sys.stderr, flush=True)
        log.info("progress: %s", line)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.update(self.progress_line(), refresh=True)
            self.live.stop()
        log.info("%s", self.summary(reason))

    def summary(self, reason: str) -> str:
        stats = self.crawler.stats.get_stats()
        pages, items, errors = self._counts()
        elapsed = time.monotonic() - self.started
        lines = [f"crawl finished ({reason}): {items} articles from {pages} pages in "
                 f"{elapsed:.1f} s, {errors} errors", "", "articles by section:"]
        for section, n in sorted(self.by_section.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {section:<34} {n:>7}")
        lines += ["", "field fill rate:"]
        for name in REPORTED_FIELDS:
            rate = stats.get(f"newscrawl/filled/{name}", 0) / items if items else 0.0
            lines.append(f"  {name:<34} {rate:>7.1%}")
        kept = committed_articles(stats)
        if kept is not None and kept < items:
            lines += ["", f"only {kept} of the {items} articles were committed to the archive: "
                          "the batch that failed was rolled back, and the next run fetches "
                          "the rest"]
        lines += _by_reason(stats, "dropped", "drops (errors) by reason:")
        lines += _by_reason(stats, "failed", "stories that failed (on record; the next runs "
                                             "ask again):", quiet=True)
        lines += _by_reason(stats, "lost", "stories lost (still failing after "
                                           "NEWSCRAWL_FAILED_GIVE_UP_DAYS; no longer asked "
                                           "for):", quiet=True)
        lines += _by_reason(stats, "skipped", "skipped by reason (left alone by design):")
        if self.crawler.settings.getdict("FEEDS") and not items:
            lines += ["", "the feed holds nothing: this run stored no new or changed article "
                          "(a feed holds what a run stores; `newscrawl export` writes the "
                          "whole archive)"]
        return "\n".join(lines)


def _by_reason(stats: dict[str, Any], kind: str, title: str, *,
               quiet: bool = False) -> list[str]:
    """A section of counts by reason; ``quiet`` ones are left out when empty."""
    prefix = f"newscrawl/{kind}/"
    counts = {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)}
    lines = ["", title]
    for reason, count in sorted(counts.items()):
        meaning = SKIP_REASONS.get(reason, "") if kind == "skipped" else ""
        lines.append(f"  {reason:<34} {count:>7}" + (f"  {meaning}" if meaning else ""))
    if not counts:
        return [] if quiet else [*lines, "  (none)"]
    return lines
