"""Downloader middlewares: politeness Scrapy leaves to us."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import TextResponse
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


class RobotsCacheMiddleware:
    """Keep each host's robots.txt between runs, for ``NEWSCRAWL_ROBOTS_CACHE_HOURS`` (24).

    Scrapy fetches robots.txt once per crawl process; an hourly crawl would ask for it every
    hour. RFC 9309 lets a crawler use a copy for up to 24 hours. Copies live in
    ``<data-dir>/<outlet>/robots/``; only successful answers (2xx, and 4xx, which mean "no
    rules") are kept, so a server error is asked again next run.
    """

    def __init__(self, crawler: Crawler, directory: Path, max_age: float) -> None:
        self.crawler = crawler
        self.directory = directory
        self.max_age = max_age

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsCacheMiddleware:
        hours = crawler.settings.getfloat("NEWSCRAWL_ROBOTS_CACHE_HOURS", 24)
        if hours <= 0:
            raise NotConfigured("NEWSCRAWL_ROBOTS_CACHE_HOURS is 0")
        outlet = getattr(crawler.spidercls, "outlet_name", "") or crawler.spidercls.name
        directory = Path(crawler.settings.get("NEWSCRAWL_DATA_DIR") or "data") / outlet / "robots"
        return cls(crawler, directory, hours * 3600)

    def _path(self, request: Request) -> Path | None:
        parts = urlparse_cached(request)
        if parts.path != "/robots.txt":
            return None
        name = f"{parts.scheme}_{parts.hostname}_{parts.port or ''}".replace("/", "_")
        return self.directory / name

    def process_request(self, request: Request) -> Response | None:
        path = self._path(request)
        if path is None or not path.exists() or time.time() - path.stat().st_mtime > self.max_age:
            return None
        status, _, body = path.read_bytes().partition(b"\n")
        self.crawler.stats.inc_value("newscrawl/robots/cached")
        return TextResponse(request.url, status=int(status), body=body, request=request,
                            encoding="utf-8", flags=["cached"])

    def process_response(self, request: Request, response: Response) -> Response:
        path = self._path(request)
        if path is not None and response.status < 500 and "cached" not in response.flags:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(f"{response.status}\n".encode() + response.body)
                tmp.replace(path)
            except OSError as exc:
                log.warning("cannot keep robots.txt of %s: %s", request.url, exc)
        return response
