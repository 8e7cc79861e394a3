"""Keep each host's robots.txt between runs, as RFC 9309 allows for up to a day."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.http import TextResponse
from scrapy.utils.httpobj import urlparse_cached

from newscrawl.config import flag, number
from newscrawl.layout import DataDir

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

log = logging.getLogger(__name__)


@dataclass(eq=False)  # compared and hashed by identity, as a component is
class RobotsCacheMiddleware:
    """Keep each host's robots.txt between runs, for ``NEWSCRAWL_ROBOTS_CACHE_HOURS`` (24).

    Scrapy fetches robots.txt once per crawl process; an hourly crawl would ask for it every
    hour. RFC 9309 lets a crawler use a copy for up to 24 hours. Copies live in
    ``<data-dir>/<outlet>/robots/``; only successful answers (2xx, and 4xx, which mean "no
    rules") are kept, so a server error is asked again next run.

    A ``--warc`` run (``NEWSCRAWL_WARC``) asks anyway, once per host, and keeps the copy it got:
    a web archive holds the rules each crawl obeyed, and a copy answered from this cache was
    not fetched, so the WARC writer would leave it out (``newscrawl wacz`` packages what the
    WARC files hold).
    """

    crawler: Crawler
    directory: Path
    max_age: float  # seconds
    answer_from_cache: bool = True

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsCacheMiddleware:
        hours = number(crawler.settings, "NEWSCRAWL_ROBOTS_CACHE_HOURS")
        if hours <= 0:
            raise NotConfigured  # NEWSCRAWL_ROBOTS_CACHE_HOURS is 0 (no message: not a warning)
        return cls(crawler, DataDir.of_crawl(crawler).robots, hours * 3600,
                   answer_from_cache=not flag(crawler.settings, "NEWSCRAWL_WARC"))

    def _path(self, request: Request) -> Path | None:
        parts = urlparse_cached(request)
        if parts.path != "/robots.txt":
            return None
        name = f"{parts.scheme}_{parts.hostname}_{parts.port or ''}".replace("/", "_")
        return self.directory / name

    def process_request(self, request: Request) -> Response | None:
        path = self._path(request) if self.answer_from_cache else None
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
