"""Python's cyclic garbage collector, set for a crawl: what was built before it frozen, and
fewer, larger young collections while it runs.

A crawl makes many short-lived objects per page (requests, responses, records) and few
cycles; refcounting frees nearly all of them. With Python's default threshold (a young
collection every 700 allocations) and the crawler's own objects in the old generation, a
2,000-page crawl spent ~0.6 s in ~760 collections, ~6% of its CPU; with what was built before
the crawl frozen (``gc.freeze``: never scanned again) and a young collection every
``NEWSCRAWL_GC_THRESHOLD`` allocations, ~0.13 s (bench/README.md, issue 16). The process's
settings are restored when the crawl's engine stops (a crawl run from a program leaves it
as it was); ``NEWSCRAWL_GC_THRESHOLD = 0`` leaves the collector alone.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.config import number

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class CrawlCollector:
    """Freezes the objects made before the engine starts and raises the young generation's
    threshold; puts both back when the engine stops."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._saved: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlCollector:
        threshold = int(number(crawler.settings, "NEWSCRAWL_GC_THRESHOLD", whole=True,
                               zero_means=" (Python's own)"))
        if not threshold:
            raise NotConfigured("NEWSCRAWL_GC_THRESHOLD is 0")
        collector = cls(threshold)
        crawler.signals.connect(collector.engine_started, signal=signals.engine_started)
        crawler.signals.connect(collector.engine_stopped, signal=signals.engine_stopped)
        return collector

    def engine_started(self) -> None:
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        gc.collect()  # what is garbage now is not frozen with the rest
        gc.freeze()
        young, *older = self._saved
        gc.set_threshold(max(young, self.threshold), *older)

    def engine_stopped(self) -> None:
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        gc.unfreeze()  # the crawler's objects can be collected again once it is gone
        self._saved = None
