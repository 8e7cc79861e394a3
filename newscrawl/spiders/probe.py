"""The start of a run of a site no module describes: find its discovery surfaces.

For an outlet with ``Outlet.discovery`` (``newscrawl.outlets.site``), the spider asks, before
anything else and through every downloader middleware (robots.txt, Crawl-delay, the
robots.txt cache, WARC): robots.txt for its ``Sitemap:`` lines (else the usual sitemap
paths), the home page for its feeds and section links (else the usual feed paths). What
answers becomes the run's outlet (``newscrawl.outlets.site.discovered``); nothing here reads
a page's content beyond those generic documents.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import scrapy

from newscrawl.discovery import DiscoveryError, parse_feed, parse_robots_sitemaps, parse_sitemap
from newscrawl.discovery.site import read_home_page
from newscrawl.outlets.site import Found, discovered

if TYPE_CHECKING:
    from scrapy.http import Response

    from newscrawl.outlets.spec import Outlet, SiteDiscovery

log = logging.getLogger(__name__)
#: Probes go before everything (they decide what else is fetched).
PROBE_PRIORITY = 2_000_000


class SiteProbe:
    """Fetches the documents that say where a site lists its stories."""

    def __init__(self, crawler: Any, outlet: Outlet, base_url: str) -> None:
        self.crawler, self.outlet, self.base_url = crawler, outlet, base_url
        self.stats = crawler.stats

    async def run(self, discovery: SiteDiscovery) -> Outlet:
        found = Found()
        robots = await self._fetch("/robots.txt")
        if robots is not None:
            for url in parse_robots_sitemaps(robots.body, robots.url):
                found.add("sitemaps", url, self.base_url)
        home = await self._fetch("/")
        if home is not None and hasattr(home, "text"):
            page = read_home_page(home.text, home.url, self.base_url, self.outlet.is_article_url)
            found.feeds.extend(f for f in page.feeds if f not in found.feeds)
            found.sections.extend(page.sections)
        if not found.sitemaps and not self.outlet.sitemaps:
            await self._first_answering(discovery.sitemap_paths, "sitemaps", found)
        if not found.feeds and not self.outlet.feeds:
            await self._every_answering(discovery.feed_paths, found)
        outlet = discovered(self.outlet, found)
        for kind, count in (("sitemaps", len(found.sitemaps)), ("feeds", len(found.feeds)),
                            ("sections", len(outlet.sections))):
            self.stats.set_value(f"newscrawl/discovery/site_{kind}", count)
        if not (outlet.sitemaps or outlet.feeds or outlet.sections):
            self.stats.inc_value("newscrawl/discovery/site_lists_nothing")
            log.warning("%s names no sitemap, feed or section page: nothing to crawl but "
                        "--urls and the archive's revisits", self.base_url)
        log.info("%s: sitemaps %s (news: %s), feeds %s, sections %s", self.base_url,
                 ", ".join(outlet.sitemaps) or "none", ", ".join(outlet.news_sitemaps) or "none",
                 ", ".join(outlet.feeds) or "none", ", ".join(outlet.sections) or "none")
        return outlet

    async def _first_answering(self, paths: tuple[str, ...], kind: str, found: Found) -> None:
        for path in paths:
            response = await self._fetch(path)
            if response is not None and _readable(parse_sitemap, response):
                found.add(kind, response.url, self.base_url)
                return

    async def _every_answering(self, paths: tuple[str, ...], found: Found) -> None:
        """Every usual feed path that answers with a feed (once per feed: two paths that
        redirect to one feed count once)."""
        for path in paths:
            response = await self._fetch(path)
            if response is not None and _readable(parse_feed, response):
                found.add("feeds", response.url, self.base_url)

    async def _fetch(self, path: str) -> Response | None:
        """The 200 answer to ``path`` (redirects followed), else None (counted)."""
        request = scrapy.Request(self.base_url + path, priority=PROBE_PRIORITY,
                                 dont_filter=True, meta={"newscrawl_page": "probe"})
        self.stats.inc_value("newscrawl/discovery/probes")
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # refused by robots.txt, unreachable: that surface is absent
            log.info("probe %s: %s", request.url, exc)
            return None
        if response.status != 200:
            return None
        return response  # type: ignore[no-any-return]


def _readable(parse: Any, response: Response) -> bool:
    try:
        parse(response.body, response.url)
    except DiscoveryError:
        return False
    return True
