"""Apply robots.txt's ``Crawl-delay`` (or, where it names none, the outlet's own) per host."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.httpobj import urlparse_cached

from newscrawl.outlets import outlet_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

log = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    """Apply robots.txt's ``Crawl-delay`` to every request of that host.

    Scrapy parses the directive but never uses it. The delay becomes the floor of the host's
    download slot: AutoThrottle may slow a host down further, never below it. A robots.txt
    that names no delay leaves the outlet's own ``Politeness.crawl_delay`` in force.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        outlet = outlet_of(crawler)  # a spider of no outlet: robots.txt alone decides
        return cls(crawler, outlet.politeness.crawl_delay if outlet else None)

    def __init__(self, crawler: Crawler, default_delay: float | None = None) -> None:
        self.crawler = crawler
        self.default_delay = default_delay
        self.delays: dict[str, float] = {}
        ua = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        self.user_agent = ua or "*"
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)
        # Connected after AutoThrottle's handler, so this runs after it lowers a delay.
        crawler.signals.connect(self._floor_delay, signal=signals.response_downloaded)

    def _robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = robotparser.crawl_delay(self.user_agent)
        host = urlparse_cached(request).hostname or ""
        if delay is None and self.default_delay is not None:
            delay, why = self.default_delay, "robots.txt names no Crawl-delay; the outlet's own"
        else:
            why = "robots.txt asks for Crawl-delay"
        if delay is not None:
            self.delays[host] = float(delay)
            self.crawler.stats.set_value(f"newscrawl/crawl_delay/{host}", float(delay))
            log.info("%s of %s: %s s; applying it", why, host, delay)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("dont_obey_robotstxt"):
            self._floor_delay(None, request)

    def _floor_delay(self, response: Response | None, request: Request, **kwargs: object) -> None:
        delay = self.delays.get(urlparse_cached(request).hostname or "")
        if delay is None or self.crawler.engine is None:
            return
        _, slot = self.crawler.engine.downloader._get_slot(request)
        if slot.delay < delay:
            slot.delay = delay
