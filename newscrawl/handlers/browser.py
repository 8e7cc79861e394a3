"""What the browser needs to page a listing, and what it does not.

Paging a section in Chromium needs the page's HTML, its scripts and the "load more" API; not
its pictures, videos or fonts. ``skip_heavy_resources`` is scrapy-playwright's
``PLAYWRIGHT_ABORT_REQUEST`` predicate: the site is spared ~18 requests per listing page
(bench/browser_cost.py).

Nor does a crawl need a browser before a page asks for one: ``LazyPlaywrightDownloadHandler``
starts Playwright on the first ``meta={"playwright": True}`` request. scrapy-playwright's own
handler starts a Node driver per scheme when the engine starts (≈120 MB and ≈0.5 s of CPU
each), in every crawl, though with pagination ``auto`` most never open a page.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import signals
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

HEAVY_RESOURCES = frozenset({"image", "media", "font"})


def skip_heavy_resources(request: Any) -> bool:
    """True for a Playwright request the browser may drop (an image, a video, a font)."""
    return request.resource_type in HEAVY_RESOURCES


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler, started by the first request that asks for it.

    Requests without ``playwright`` in their meta go through Scrapy's HTTP/1.1 handler, as
    with the parent class (whose connection pool resends nothing by itself); Playwright (its driver, then Chromium) starts only when a request
    needs a browser, and is closed with the crawl if it was started.
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        # Twisted's pool resends an idempotent request by itself when a reused connection
        # drops before any answer: a retry without backoff that nothing counts. Every retry
        # goes through PoliteRetryMiddleware instead.
        self._pool.retryAutomatically = False
        crawler.signals.disconnect(self._maybe_launch_in_thread, signals.engine_started)
        self.launched = False
        self._starting = asyncio.Lock()

    async def download_request(self, request: Any) -> Any:
        if request.meta.get("playwright") and not self.launched:
            async with self._starting:
                if not self.launched:
                    await self._maybe_launch_in_thread()
                    self.launched = True
        return await super().download_request(request)
