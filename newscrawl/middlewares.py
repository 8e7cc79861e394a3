"""Downloader middlewares: politeness Scrapy leaves to us."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    """Apply robots.txt's ``Crawl-delay`` to every request of that host.

    Scrapy parses the directive but never uses it. The delay becomes the floor of the host's
    download slot: AutoThrottle may slow a host down further, never below it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.delays: dict[str, float] = {}
        ua = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        self.user_agent = ua or "*"
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)
        # Connected after AutoThrottle's handler, so this runs after it lowers a delay.
        crawler.signals.connect(self._floor_delay, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def _robots_parsed(self, robotparser, request: Request) -> None:  # noqa: ANN001
        delay = robotparser.crawl_delay(self.user_agent)
        host = urlparse_cached(request).hostname or ""
        if delay is not None:
            self.delays[host] = float(delay)
            self.crawler.stats.set_value(f"newscrawl/crawl_delay/{host}", float(delay))
            log.info("robots.txt of %s asks for Crawl-delay: %s s; applying it", host, delay)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("dont_obey_robotstxt"):
            self._floor_delay(None, request)
        return None

    def _floor_delay(self, response, request: Request, **_: object) -> None:  # noqa: ANN001
        delay = self.delays.get(urlparse_cached(request).hostname or "")
        if delay is None or self.crawler.engine is None:
            return
        _, slot = self.crawler.engine.downloader._get_slot(request)  # noqa: SLF001
        if slot.delay < delay:
            slot.delay = delay
