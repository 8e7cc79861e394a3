"""Downloader middlewares: politeness Scrapy leaves to us."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.utils.httpobj import urlparse_cached

from newscrawl.store import StoreError, archive_lost, open_archive

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

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


class FetchStateMiddleware:
    """Record what every fetch of an article page answered: status, ETag, Last-Modified, time.

    The archive keeps it per URL (table ``fetch_state``), so later runs can ask "has it
    changed?" with conditional requests. Only requests marked ``newscrawl_page: article``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchStateMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Make a revisit conditional on the validators of the version the archive holds."""
        if not request.meta.get("newscrawl_revisit"):
            return None
        try:
            etag, last_modified = open_archive(self.crawler).validators(
                request.url, request.meta.get("newscrawl_article_id"))
        except StoreError as exc:
            archive_lost(self.crawler, exc)
            return None
        if etag and b"If-None-Match" not in request.headers:
            request.headers["If-None-Match"] = etag
        if last_modified and b"If-Modified-Since" not in request.headers:
            request.headers["If-Modified-Since"] = last_modified
        if etag or last_modified:
            self.crawler.stats.inc_value("newscrawl/requests/conditional")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("newscrawl_page") == "article":
            def header(name: str) -> str | None:
                value = response.headers.get(name)
                return value.decode("latin-1") if value else None

            fetched_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            try:
                open_archive(self.crawler).record_fetch(
                    response.url, status=response.status, fetched_at=fetched_at,
                    etag=header("ETag"), last_modified=header("Last-Modified"),
                    article_id=request.meta.get("newscrawl_article_id"),
                    outlet=getattr(self.crawler.spidercls, "outlet_name", None))
            except StoreError as exc:
                archive_lost(self.crawler, exc)
        return response
