"""Extensions: crawl reporting (a periodic progress line and a final summary table), and
Scrapy's AutoThrottle made to count a 304 answer as the success it is."""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.extensions.throttle import AutoThrottle
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Response

log = logging.getLogger("newscrawl.report")

#: Fields whose fill rate the summary reports.
REPORTED_FIELDS = ("canonical_url", "article_id", "headline", "social_headline", "subheadline",
                   "summary", "authors", "published_at", "updated_at", "section", "topics",
                   "body", "images", "language")


class CrawlReport:
    """Logs pages, articles, errors and rate every ``NEWSCRAWL_PROGRESS_INTERVAL`` seconds,
    and at the end a table: articles by section, field fill rates, drops by reason."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.by_section: Counter[str] = Counter()
        self.filled: Counter[str] = Counter()
        self.items = 0
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReport:
        return cls(crawler, crawler.settings.getfloat("NEWSCRAWL_PROGRESS_INTERVAL", 30))

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
        for name in REPORTED_FIELDS:
            if adapter.get(name) not in (None, "", [], {}):
                self.filled[name] += 1

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
            rate = self.filled[name] / items if items else 0.0
            lines.append(f"  {name:<34} {rate:>7.1%}")
        drops = {k.removeprefix("newscrawl/"): v for k, v in stats.items()
                 if k.startswith(("newscrawl/dropped/", "newscrawl/skipped/"))}
        lines += ["", "drops and skips by reason:"]
        lines += [f"  {k:<34} {v:>7}" for k, v in sorted(drops.items())] or ["  (none)"]
        return "\n".join(lines)


class RevisitAwareAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle, with ``304 Not Modified`` counted like a ``200``.

    Scrapy never lets a non-200 answer lower a host's delay (error pages are small and fast,
    and would speed the crawl up against a failing server). A 304 is no error: it is what a
    revisit asks for, answered in full. Left to Scrapy's rule, an incremental run whose
    revisits all answer 304 stays at the 1 s start delay: 189 revisits took 115 s instead of
    a few. robots.txt's Crawl-delay still floors the delay (CrawlDelayMiddleware).
    """

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
