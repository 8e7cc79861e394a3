"""What every fetch of an article page answered, kept per URL for conditional revisits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.extensions.archive import ArchiveUser
from newscrawl.extraction.dates import utc_now
from newscrawl.layout import crawl_outlet
from newscrawl.store import StoreError

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from newscrawl.extensions.archive import ArchiveExtension


class FetchStateMiddleware(ArchiveUser):
    """Record what every fetch of an article page answered: status, ETag, Last-Modified, time.

    The archive keeps it per URL (table ``fetch_state``), so later runs can ask "has it
    changed?" with conditional requests. Only requests marked ``newscrawl_page: article``.
    """

    def __init__(self, crawler: Crawler, owner: ArchiveExtension) -> None:
        super().__init__(crawler, owner)
        self.outlet = crawl_outlet(crawler)

    def process_request(self, request: Request) -> None:
        """Make a revisit conditional on the validators of the version the archive holds."""
        if not request.meta.get("newscrawl_revisit"):
            return
        try:
            etag, last_modified = self.owner.archive.validators(
                request.url, request.meta.get("newscrawl_article_id"))
        except StoreError as exc:
            self.owner.lost(exc)
            return
        if etag and b"If-None-Match" not in request.headers:
            request.headers["If-None-Match"] = etag
        if last_modified and b"If-Modified-Since" not in request.headers:
            request.headers["If-Modified-Since"] = last_modified
        if etag or last_modified:
            self.stats.inc_value("newscrawl/requests/conditional")

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("newscrawl_page") != "article":
            return response

        def header(name: str) -> str | None:
            value = response.headers.get(name)
            return value.decode("latin-1") if value else None

        try:
            self.owner.archive.record_fetch(
                response.url, status=response.status, fetched_at=utc_now(),
                etag=header("ETag"), last_modified=header("Last-Modified"),
                article_id=request.meta.get("newscrawl_article_id"), outlet=self.outlet)
        except StoreError as exc:
            self.owner.lost(exc)
        return response
