"""Only the outlet's own hosts are ever requested: no other host, no other scheme.

A sitemap, a feed, a listing card or a redirect may point anywhere (another host, a
``file://`` URL); a crawl of one outlet requests only http(s) URLs on its ``domains`` (and
their subdomains) and on the host and port of ``--base-url``. Everything else is dropped here,
before robots.txt is even asked for, and counted by reason: ``newscrawl/skipped/offsite``,
``not_http``, and ``offsite_redirect`` for a ``Location`` that leads away. Unlike Scrapy's
``OffsiteMiddleware`` it spares no request: ``dont_filter`` (an ``--urls`` page) is no pass.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest, NotConfigured

from newscrawl.config import CrawlConfig
from newscrawl.outlets import outlet_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


class OnSiteMiddleware:
    """Ignores the requests a crawl must not make (``CrawlConfig.offsite``: not HTTP, or not
    the outlet's hosts), counting each by reason and logging it."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OnSiteMiddleware:
        outlet = outlet_of(crawler)
        if outlet is None:
            raise NotConfigured  # not a crawl of a registered outlet
        return cls(crawler, CrawlConfig.from_settings(outlet, crawler.settings))

    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        self.crawler = crawler
        self.config = config

    def process_request(self, request: Request) -> None:
        reason = self.config.offsite(request.url)
        if reason is None:
            return
        redirected = bool(request.meta.get("redirect_urls"))
        key = "offsite_redirect" if redirected else reason
        self.crawler.stats.inc_value(f"newscrawl/skipped/{key}")
        came_from = f" (redirected from {request.meta['redirect_urls'][-1]})" if redirected else ""
        log.info("not requesting %s%s: not on the outlet's hosts", request.url, came_from)
        raise IgnoreRequest(f"{request.url} is not on the outlet's hosts ({key})")
