"""Every fetched response kept in WARC files, so pages can be parsed again without refetching.

``WarcCaptureMiddleware`` is a downloader middleware, on when ``NEWSCRAWL_WARC`` is true::

    DOWNLOADER_MIDDLEWARES = {"newscrawl.downloadermiddlewares.warc.WarcCaptureMiddleware": 950}
    NEWSCRAWL_WARC = True
    NEWSCRAWL_WARC_MAX_BYTES = 1_000_000_000  # rotate to a new file past this size

It writes a request and a response record per fetch into gzipped WARC 1.0 files under
``<NEWSCRAWL_DATA_DIR>/<outlet>/warc/``, named ``<outlet>-<UTC timestamp>-<serial>.warc.gz``.

Where it sits, and what a record holds. At 950 the middleware is the closest to the network
(only the download handler is nearer), so it sees every response Scrapy fetched before any
other middleware acts on it: the redirects RedirectMiddleware (600) turns into new requests,
the errors RetryMiddleware (550) retries, and the body exactly as received, still compressed:
HttpCompressionMiddleware (590) decodes it only later. The record keeps that body with the
server's ``Content-Encoding`` and ``Content-Length``, which then describe it truthfully; this is
what other archiving crawlers store, it is a quarter of the decoded size for HTML, and any WARC
reader decodes it (``iter_warc_responses`` does). Two things differ from the bytes on the wire:
Scrapy has already removed any chunked transfer coding, so ``Transfer-Encoding`` is dropped and
``Content-Length`` set to the stored length (the original values are kept in
``WARC-Newscrawl-Original-*`` headers of the record), and header names are spelled as Scrapy
normalises them (``Etag``). Responses served from Scrapy's HTTP cache were not fetched and are
not written. Pages rendered by a browser carry the ``playwright`` flag in
``WARC-Newscrawl-Flags``: their body is the rendered DOM, not what the server sent.

What the browser fetches itself for such a page (the load-more clicks' API calls, scripts,
styles, images) never passes through Scrapy: the middleware adds a Playwright ``response``
handler to each browser request (``playwright_page_event_handlers``) and writes those
responses too, flagged ``playwright subresource``. Playwright hands their bodies over decoded,
so ``Content-Encoding`` is dropped (kept in ``WARC-Newscrawl-Original-Content-Encoding``) and
``Content-Length`` is the stored length; a redirect's body is empty.

The file format (writing and reading) is ``newscrawl.warc``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.config import flag, number
from newscrawl.layout import DataDir
from newscrawl.warc import RotatingWarcWriter

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

log = logging.getLogger(__name__)

_REPLACED_HEADERS = ("transfer-encoding", "content-length")
# Playwright gives a subresource's body decoded, so its length and encoding headers are not its.
_BROWSER_REPLACED = ("transfer-encoding", "content-length", "content-encoding")


class WarcCaptureMiddleware:
    """Write every response the downloader fetched to the outlet's WARC files."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        if not flag(crawler.settings, "NEWSCRAWL_WARC"):
            raise NotConfigured  # NEWSCRAWL_WARC is off (no message: not a warning)
        max_bytes = int(number(crawler.settings, "NEWSCRAWL_WARC_MAX_BYTES", zero_ok=False,
                               whole=True))
        return cls(crawler, data_dir=DataDir.of_crawl(crawler), max_bytes=max_bytes)

    def __init__(self, crawler: Crawler, *, data_dir: DataDir, max_bytes: int) -> None:
        self.crawler = crawler
        self.data_dir = data_dir
        self.max_bytes = max_bytes
        self.writer: RotatingWarcWriter | None = None
        self._failed = False
        self._closed = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_opened(self) -> None:
        self.writer = RotatingWarcWriter(self.data_dir.warc, self.data_dir.outlet, self.max_bytes)

    def spider_closed(self) -> None:
        if self.writer is None:
            return
        self._closed = True  # a browser page may still answer: its file is closed
        self.writer.close()
        if self.writer.paths:
            log.info("WARC: %d records, %d bytes in %d file(s) under %s", self.writer.records,
                     self.writer.bytes_written, len(self.writer.paths), self.writer.directory)

    def process_request(self, request: Request) -> None:
        if self.writer is not None and request.meta.get("playwright"):
            handlers = dict(request.meta.get("playwright_page_event_handlers") or {})
            if "response" not in handlers:  # a spider's own handler is left alone
                handlers["response"] = self._browser_response
                request.meta["playwright_page_event_handlers"] = handlers

    def process_response(self, request: Request, response: Response) -> Response:
        self._detach(request)
        if self.writer is None or "cached" in response.flags:
            return response
        self._guarded(self._write, request, response)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._detach(request)

    def _detach(self, request: Request) -> None:
        """The page's handler is attached by now; a retry's copy of the request must not
        carry it (a bound method cannot be written to the disk queue)."""
        handlers = request.meta.get("playwright_page_event_handlers")
        if handlers and handlers.get("response") == self._browser_response:
            request.meta["playwright_page_event_handlers"] = {
                k: v for k, v in handlers.items() if k != "response"}

    def _guarded(self, write: Callable[..., None], *args: Any) -> None:
        if self.writer is None or self._closed:
            return
        try:
            write(*args)
        except OSError as exc:  # a full disk must not stop the crawl, but must be loud
            self.crawler.stats.inc_value("newscrawl/warc/errors")
            if not self._failed:
                log.error("WARC: could not write %s: %s", self.writer.path, exc)
            self._failed = True
        else:
            self.crawler.stats.inc_value("newscrawl/warc/responses")
            self.crawler.stats.set_value("newscrawl/warc/bytes", self.writer.bytes_written)
            self.crawler.stats.set_value("newscrawl/warc/files", len(self.writer.paths))

    async def _browser_response(self, response: Any) -> None:
        """A Playwright response of a page the browser renders, other than the page itself
        (Scrapy hands that one to ``process_response``)."""
        request = response.request
        if request.is_navigation_request() and request.frame.parent_frame is None:
            return
        try:
            body = await response.body()
        except Exception:  # a redirect, or a response the page dropped: no body to keep
            body = b""
        headers = [(h["name"], h["value"]) for h in await response.headers_array()]
        request_headers = [(h["name"], h["value"]) for h in await request.headers_array()]
        kept = [(k, v) for k, v in headers if k.lower() not in _BROWSER_REPLACED]
        extra = {f"WARC-Newscrawl-Original-{k.title()}": v for k, v in headers
                 if k.lower() == "content-encoding"}
        extra["WARC-Newscrawl-Flags"] = "playwright subresource"
        self._guarded(self._write_exchange, dict(
            url=response.url, fetched_at=datetime.now(UTC), method=request.method,
            request_headers=request_headers, request_body=request.post_data_buffer or b"",
            protocol="HTTP/1.1", status=response.status,
            response_headers=[*kept, ("Content-Length", str(len(body)))], body=body,
            extra=extra))

    def _write_exchange(self, exchange: dict[str, Any]) -> None:
        assert self.writer is not None
        self.writer.write_exchange(**exchange)

    def _write(self, request: Request, response: Response) -> None:
        assert self.writer is not None
        body = response.body
        headers: list[tuple[str, str]] = []
        replaced: dict[str, list[str]] = {}
        for name, values in response.headers.items():
            key = name.decode("latin-1")
            for value in values:
                if key.lower() in _REPLACED_HEADERS:
                    replaced.setdefault(key, []).append(value.decode("latin-1"))
                else:
                    headers.append((key, value.decode("latin-1")))
        # Scrapy de-chunked the body: the stored message is delimited by its length.
        headers.append(("Content-Length", str(len(body))))
        extra: dict[str, str] = {}
        if replaced and replaced != {"Content-Length": [str(len(body))]}:
            extra = {f"WARC-Newscrawl-Original-{key}": ", ".join(values)
                     for key, values in replaced.items()}
        if response.flags:
            extra["WARC-Newscrawl-Flags"] = " ".join(map(str, response.flags))
        if response.ip_address is not None:
            extra["WARC-IP-Address"] = str(response.ip_address)
        request_headers = [(name.decode("latin-1"), value.decode("latin-1"))
                           for name, values in request.headers.items() for value in values]
        self.writer.write_exchange(
            url=response.url, fetched_at=datetime.now(UTC), method=request.method,
            request_headers=request_headers, request_body=request.body,
            protocol=response.protocol or "HTTP/1.1", status=response.status,
            response_headers=headers, body=body, extra=extra)
