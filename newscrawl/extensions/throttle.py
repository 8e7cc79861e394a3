"""Scrapy's AutoThrottle, made to count a ``304 Not Modified`` answer as the success it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.extensions.throttle import AutoThrottle

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.http import Response


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
