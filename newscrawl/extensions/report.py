"""Crawl reporting: a periodic progress line and, at the end, a summary table."""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals
from twisted.internet import task

from newscrawl.config import number
from newscrawl.items import REPORTED_FIELDS

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger("newscrawl.report")



class CrawlReport:
    """Logs pages, articles, errors and rate every ``NEWSCRAWL_PROGRESS_INTERVAL`` seconds,
    and at the end a table: articles by section, field fill rates, drops by reason."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.by_section: Counter[str] = Counter()
        self.items = 0
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReport:
        return cls(crawler, number(crawler.settings, "NEWSCRAWL_PROGRESS_INTERVAL"))

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if self.interval > 0:
            self.loop = task.LoopingCall(self.progress)
            self.loop.start(self.interval, now=False)

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

    def progress(self) -> None:
        pages, items, errors = self._counts()
        minutes = max(time.monotonic() - self.started, 1e-9) / 60
        log.info("progress: %d pages, %d articles, %d errors/drops, %.1f pages/min",
                 pages, items, errors, pages / minutes)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        log.info("%s", self.summary(reason))

    def summary(self, reason: str) -> str:
        stats = self.crawler.stats.get_stats()
        pages, items, errors = self._counts()
        elapsed = time.monotonic() - self.started
        lines = [f"crawl finished ({reason}): {items} articles from {pages} pages in "
                 f"{elapsed:.1f} s, {errors} errors/drops", "", "articles by section:"]
        for section, n in sorted(self.by_section.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {section:<34} {n:>7}")
        lines += ["", "field fill rate:"]
        for name in REPORTED_FIELDS:
            rate = stats.get(f"newscrawl/filled/{name}", 0) / items if items else 0.0
            lines.append(f"  {name:<34} {rate:>7.1%}")
        drops = {k.removeprefix("newscrawl/"): v for k, v in stats.items()
                 if k.startswith(("newscrawl/dropped/", "newscrawl/skipped/"))}
        lines += ["", "drops and skips by reason:"]
        lines += [f"  {k:<34} {v:>7}" for k, v in sorted(drops.items())] or ["  (none)"]
        return "\n".join(lines)
