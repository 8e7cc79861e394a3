"""The crawl machinery every outlet shares: walk section pages, feeds and sitemaps, page
through "load more", fetch article pages over plain HTTP and hand them to the outlet's parser.

This module holds the callbacks and the request builders only. Which surfaces a run fetches
is ``plan.DiscoveryPlan``'s decision, which listed stories it fetches ``admission.Admission``'s;
both are plain objects. Nothing here knows a selector: what a listing looks like, how its API
is called, what to click in a browser and how an article is read all come from the outlet's
registry entry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from newscrawl.config import SPIDER_ARGUMENTS, CrawlConfig, setting
from newscrawl.discovery import DiscoveryError, parse_feed, parse_sitemap
from newscrawl.downloadermiddlewares.retry import failure_reason
from newscrawl.extensions.archive import ArchiveExtension
from newscrawl.extensions.worker import Worker
from newscrawl.extraction.dates import utc_iso
from newscrawl.extraction.errors import NotAnArticle, PageRejected
from newscrawl.outlets import get_outlet
from newscrawl.spiders.admission import Admission, Admitted, freshness
from newscrawl.spiders.parsing import Parsing
from newscrawl.spiders.plan import (
    EVERY_SURFACE,
    INDEX_STAT,
    NEWS_GONE_STAT,
    NEWS_READ_STAT,
    SECTIONS_STAT,
    DiscoveryPlan,
    Surface,
    Voucher,
)
from newscrawl.spiders.probe import SiteProbe
from newscrawl.store import StoreError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from newscrawl.outlets.spec import Card, Listing, Outlet

_Document = TypeVar("_Document")  # what a discovery reader returns

#: Listing pages, feeds and sitemaps go before article pages; articles go freshest day first.
DISCOVERY_PRIORITY = 1_000_000
class OutletSpider(scrapy.Spider):
    """Crawl one outlet's sections, feeds and sitemaps; subclasses only name the outlet."""

    outlet_name = ""

    outlet: Outlet
    config: CrawlConfig

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> OutletSpider:
        # Spider arguments (-a data_dir=X) are settings: every component then reads the same.
        given = {SPIDER_ARGUMENTS[k]: v for k, v in kwargs.items()
                 if k in SPIDER_ARGUMENTS and v not in (None, "")}
        for name, value in given.items():
            crawler.settings.set(name, value, priority="cmdline")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.outlet = get_outlet(cls.outlet_name)
        spider.config = CrawlConfig.from_settings(spider.outlet, crawler.settings)
        return spider

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    @property
    def owner(self) -> ArchiveExtension:
        return ArchiveExtension.of(self.crawler)

    @cached_property
    def plan(self) -> DiscoveryPlan:
        return DiscoveryPlan(self.outlet, self.config, self.owner.archive, self.stats,
                             shared_frontier=bool(setting(self.crawler.settings,
                                                          "NEWSCRAWL_REDIS")))

    @cached_property
    def admission(self) -> Admission:
        return Admission(self.outlet, self.config, self.owner.archive, self.stats,
                         window_start=self.plan.window_start)

    @cached_property
    def parsing(self) -> Parsing:
        return Parsing.of(self.crawler)

    @property
    def high_water(self) -> str | None:
        """The newest publication or change time any listing showed in this run."""
        return self.admission.high_water if "admission" in self.__dict__ else None

    # -- start ----------------------------------------------------------------
    def _begin(self) -> Voucher | None:
        """Read the archive's history: this run's window, and the voucher to ask first."""
        voucher = self.plan.begin()
        self.admission.window_start = self.plan.window_start
        return voucher

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.outlet.discovery is not None:  # a site no module describes: find its surfaces
            self.outlet = await SiteProbe(self.crawler, self.outlet, self.config.base_url).run(
                self.outlet.discovery)
            self.config = CrawlConfig.from_settings(self.outlet, self.crawler.settings)
        config = self.config
        self.logger.info("crawling %s at %s: sections %s, since %s, max %s articles, "
                         "pagination %s", self.outlet.name, config.base_url,
                         ",".join(config.sections), config.since or "the beginning",
                         config.max_articles or "no limit", config.pagination)
        try:
            voucher = self._begin()
        except StoreError as exc:
            self.owner.lost(exc)
            return
        window = self.plan.window_start
        self.logger.info("%s", "full walk of every listing" if window is None else
                         f"incremental: what is new or changed since {window}")
        worker = self.crawler.get_extension(Worker)
        if worker is not None and not worker.claim_seed():
            return  # another worker seeded this run: take work from the shared queue only
        for url in config.urls:
            self.admission.named(url)
            yield scrapy.Request(url, callback=self.parse_article, dont_filter=True,
                                 cb_kwargs={"discovered_via": "urls"},
                                 meta={"newscrawl_page": "article"})
        # With a voucher, the news sitemap (or the main feeds) decides what else this run
        # needs: parse_sitemap, parse_feed.
        requests = self._voucher_requests(voucher) if voucher else \
            self._discovery_requests(EVERY_SURFACE)
        for request in requests:
            yield request
        try:
            for request in self._due_revisits():
                yield request
            for request in self._failed_retries():
                yield request
        except StoreError as exc:
            self.owner.lost(exc)

    # -- request builders ---------------------------------------------------------
    def _voucher_requests(self, voucher: Voucher) -> Iterator[scrapy.Request]:
        """The news sitemap, or else the main feeds, carrying what waits on their word; with
        neither left, everything that waits."""
        following = self.plan.next_voucher(voucher)
        if following is None:
            yield from self._discovery_requests(voucher.waiting)
            return
        surface, carried = following
        for path in self.plan.voucher_paths(surface):
            yield (self._sitemap_request(path, carried) if surface is Surface.NEWS
                   else self._feed_request(path, carried))

    def _discovery_requests(self, surfaces: Iterable[Surface]) -> Iterator[scrapy.Request]:
        surfaces = tuple(surfaces)
        for surface, path in self.plan.paths(surfaces):
            yield (self._sitemap_request(path) if surface in (Surface.NEWS, Surface.INDEX)
                   else self._feed_request(path))
        if self.plan.walks_sections(surfaces):
            for section in self.config.sections:
                yield self._section_request(section)

    def _feed_request(self, path: str, voucher: Voucher | None = None) -> scrapy.Request:
        return scrapy.Request(self.config.base_url + path, callback=self.parse_feed,
                              errback=self._feed_failed if voucher else None,
                              priority=DISCOVERY_PRIORITY,
                              cb_kwargs={"voucher": voucher} if voucher else {})

    def _sitemap_request(self, path: str, voucher: Voucher | None = None) -> scrapy.Request:
        # What waits on this sitemap travels with its request, not in the spider.
        return scrapy.Request(self.config.base_url + path, callback=self.parse_sitemap,
                              errback=self._sitemap_failed, priority=DISCOVERY_PRIORITY,
                              cb_kwargs={"voucher": voucher} if voucher else {})

    def _section_request(self, section: str) -> scrapy.Request:
        url = f"{self.config.base_url}/{section}"
        if self.config.pagination == "browser":
            return self._browser_request(url, section, priority=DISCOVERY_PRIORITY)
        return scrapy.Request(url, callback=self.parse_section, cb_kwargs={"section": section},
                              priority=DISCOVERY_PRIORITY)

    def _browser_request(self, url: str, section: str, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_section_in_browser,
                              errback=self._close_page, cb_kwargs={"section": section},
                              meta={"playwright": True, "playwright_include_page": True},
                              **kwargs)

    def _article_request(self, admitted: Admitted, via: str) -> scrapy.Request:
        return scrapy.Request(admitted.url, callback=self.parse_article,
                              errback=self._article_failed, priority=freshness(admitted.newest),
                              cb_kwargs={"discovered_via": via},
                              meta={"newscrawl_page": "article",
                                    "newscrawl_article_id": admitted.article_id,
                                    "newscrawl_revisit": admitted.revisit,
                                    "handle_httpstatus_list": [304]})

    def _listed(self, url: str, via: str, published_at: str | None,
                updated_at: str | None) -> scrapy.Request | None:
        """The request for a listed article page, or None when this run does not want it."""
        try:
            admitted = self.admission.consider(url, published_at, updated_at)
        except StoreError as exc:
            self.owner.lost(exc)
            return None
        return self._article_request(admitted, via) if admitted else None

    def _listed_all(self, entries: Iterable[tuple[str, str | None, str | None]],
                    via: str) -> Iterator[scrapy.Request]:
        """Requests for the (url, published, updated) a feed or sitemap lists, within the
        chosen sections."""
        for url, published_at, updated_at in entries:
            if self._in_chosen_sections(url):
                request = self._listed(url, via, published_at, updated_at)
                if request is not None:
                    yield request

    def _due_revisits(self) -> Iterator[scrapy.Request]:
        """Archived stories due for a check by age, listed or not (conditional requests)."""
        due = self.owner.archive.due_for_revisit(self.outlet.name, utc_iso(datetime.now(UTC)),
                                                 self.admission.rule)
        for article_id, url in self.admission.due(due):
            yield self._article_request(Admitted(url, article_id, None, revisit=True), "revisit")

    def _failed_retries(self) -> Iterator[scrapy.Request]:
        """Stories that failed before, or were stored degraded, asked for again in full."""
        archive = self.owner.archive
        for failure in self.admission.retries(archive.failures(self.outlet.name)):
            yield self._article_request(
                Admitted(failure.url, failure.article_id, None, revisit=False), "retry")
        for failure in self.admission.lost:
            self.logger.warning("lost story %s at %s: failing since %s (%s, %d attempts); no "
                                "longer asked for", failure.article_id, failure.url,
                                failure.first_failed_at, failure.reason, failure.attempts)
            archive.mark_lost(self.outlet.name, failure.article_id, utc_iso(datetime.now(UTC)))

    def _article_failed(self, failure: Any) -> None:
        """An article page that could not be fetched (retries ran out): on record, retried."""
        error = failure.value
        # An HttpError is an IgnoreRequest too; other IgnoreRequests are drops on purpose
        # (robots.txt, off-site, the budget), never failures.
        if isinstance(error, HttpError) or not isinstance(error, IgnoreRequest):
            reason = (f"http_{error.response.status}" if isinstance(error, HttpError)
                      else failure_reason(error))
            request = failure.request
            self.logger.warning("failed %s: %s; the next run asks again", request.url, reason)
            self._story_failed(request.url, request.meta.get("newscrawl_article_id"), reason)

    def _story_failed(self, url: str, article_id: str | None, reason: str) -> None:
        self.stats.inc_value(f"newscrawl/failed/{reason}")
        article_id = article_id or self.outlet.article_id_from_url(url) or url
        self._archive(self.owner.archive.record_failure, self.outlet.name, article_id, url,
                      reason, utc_iso(datetime.now(UTC)))

    def _archive(self, write: Callable[..., None], *args: Any) -> None:
        """A write to the archive; one that fails is the crawl's loss (``ArchiveExtension``)."""
        try:
            write(*args)
        except StoreError as exc:
            self.owner.lost(exc)

    # -- feeds and sitemaps ---------------------------------------------------------
    def _in_chosen_sections(self, url: str) -> bool:
        """With --sections, a feed or sitemap link counts only under one of their paths."""
        path, config = urlsplit(url).path, self.config
        if not config.sections_chosen or any(path.startswith(f"/{s}/") for s in config.sections):
            return True
        self.stats.inc_value("newscrawl/skipped/other_section")
        return False

    def parse_feed(self, response: Response,
                   voucher: Voucher | None = None) -> Iterator[scrapy.Request]:
        entries = self._read_document(response, "feed", parse_feed)
        if entries is None:
            yield from self._discovery_requests(voucher.waiting if voucher else ())
            return
        if voucher:
            yield from self._released([e.published_at for e in entries], voucher)
        yield from self._listed_all(((e.link, e.published_at, e.updated_at) for e in entries),
                                    response.url)

    def _read_document(self, response: Response, kind: str,
                       read: Callable[[bytes, str], _Document]) -> _Document | None:
        """A discovery document read (counted as a ``kind`` page), or None when it is unreadable
        (counted as ``bad_<kind>`` and logged)."""
        self.stats.inc_value(f"newscrawl/pages/{kind}")
        try:
            return read(response.body, response.url)
        except DiscoveryError as exc:
            self.stats.inc_value(f"newscrawl/errors/bad_{kind}")
            self.logger.error("%s", exc)
            return None

    def _sitemap_failed(self, failure: Any) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/errors/sitemap_failed")
        self.logger.error("sitemap %s failed: %s", failure.request.url, failure.value)
        voucher = failure.request.cb_kwargs.get("voucher")
        response = getattr(failure.value, "response", None)
        if voucher and response is not None and response.status in (404, 410):
            self.stats.inc_value(NEWS_GONE_STAT)
        if voucher:  # the news sitemap failed: the main feed decides instead
            yield from self._voucher_requests(voucher)

    def _feed_failed(self, failure: Any) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/errors/feed_failed")
        self.logger.error("feed %s failed: %s", failure.request.url, failure.value)
        voucher = failure.request.cb_kwargs.get("voucher")
        yield from self._discovery_requests(voucher.waiting if voucher else ())

    def _released(self, dates: list[str | None], voucher: Voucher) -> Iterator[scrapy.Request]:
        """Fetch what the voucher's answer releases."""
        try:
            surfaces = self.plan.released(dates, voucher)
        except StoreError as exc:
            self.owner.lost(exc)
            return
        yield from self._discovery_requests(surfaces)

    def parse_sitemap(self, response: Response,
                      voucher: Voucher | None = None) -> Iterator[scrapy.Request]:
        sitemap = self._read_document(response, "sitemap", parse_sitemap)
        if sitemap is None:
            if voucher:  # the news sitemap, unreadable: the main feed decides instead
                yield from self._voucher_requests(voucher)
            return
        if voucher:
            self.stats.inc_value(NEWS_READ_STAT)
            yield from self._released([e.publication_date for e in sitemap.entries], voucher)
        if sitemap.is_index:
            self.stats.inc_value(INDEX_STAT)
            children = sitemap.sitemaps_changed_since(self.plan.sitemap_index_since())
            self.stats.inc_value("newscrawl/skipped/sitemap_unchanged",
                                 len(sitemap.sitemaps) - len(children))
            for child in children:
                yield scrapy.Request(child.url, callback=self.parse_sitemap,
                                     priority=DISCOVERY_PRIORITY)
            return
        if not sitemap.is_news:  # an archive sitemap: the stories whose edits it dates
            self._archive(self.owner.archive.mark_dated, self.outlet.name, *self.admission.dating(sitemap.entries))
        yield from self._listed_all(((e.url, e.publication_date, e.lastmod)
                                     for e in sitemap.entries), response.url)

    # -- section pages over HTTP, then the API ----------------------------------
    def parse_section(self, response: Response, section: str) -> Iterator[scrapy.Request]:
        self.stats.inc_value(SECTIONS_STAT)
        listing = self.outlet.read_listing(response.url, response.text)
        yield from self._follow_listing(listing, response.url, section)

    def parse_listing_api(self, response: Response, section: str,
                          page: Any) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/pages/listing_api")
        try:
            data = response.json()  # type: ignore[attr-defined]  # a TextResponse here
        except (ValueError, AttributeError):
            self.stats.inc_value("newscrawl/errors/listing_api_not_json")
            self.logger.error("listing API answered non-JSON at %s", response.url)
            return
        listing = self.outlet.read_listing_api(response.url, data, page)
        yield from self._follow_listing(listing, response.url, section, via=page.url)

    def _follow_listing(self, listing: Listing, url: str, section: str,
                        via: str | None = None) -> Iterator[scrapy.Request]:
        requests = list(self._card_requests(listing.cards, section))
        yield from requests
        if not self.admission.wants_more(listing.cards) \
                or self.admission.seen_before(listing.cards, requests):
            return
        mode = self.config.pagination
        if listing.next_page and mode in ("auto", "api"):
            page = listing.next_page
            yield scrapy.Request(urljoin(url, page.url), headers=page.headers,
                                 callback=self.parse_listing_api, dont_filter=True,
                                 cb_kwargs={"section": section, "page": page},
                                 meta={"dont_obey_robotstxt": False})
        elif listing.has_more and mode == "auto" and via is None:
            self.stats.inc_value("newscrawl/pagination/browser_fallback")
            self.logger.info("no load-more API contract on %s; paging it in the browser", url)
            yield self._browser_request(url, section, dont_filter=True)
        elif listing.has_more and mode == "api":
            self.stats.inc_value("newscrawl/errors/no_api_contract")
            self.logger.error("pagination=api but %s exposes no load-more API contract", url)

    def _card_requests(self, cards: list[Card], section: str) -> Iterator[scrapy.Request]:
        section_url = f"{self.config.base_url}/{section}"
        for card in cards:
            if not card.is_article:
                self.stats.inc_value("newscrawl/skipped/not_article_url")
                continue
            request = self._listed(card.url, section_url, card.published_at, card.updated_at)
            if request is not None:
                yield request

    # -- section pages in a browser ---------------------------------------------
    async def parse_section_in_browser(self, response: Response,
                                       section: str) -> AsyncIterator[scrapy.Request]:
        self.stats.inc_value(SECTIONS_STAT)
        page = response.meta["playwright_page"]
        try:
            seen = 0
            while True:
                listing = self.outlet.read_listing(response.url, await page.content())
                new_cards = listing.cards[seen:]
                seen = len(listing.cards)
                requests = list(self._card_requests(new_cards, section))
                for request in requests:
                    yield request
                if not new_cards or not listing.has_more \
                        or not self.admission.wants_more(listing.cards) \
                        or self.admission.seen_before(new_cards, requests) \
                        or not await self._load_more(page, response.url):
                    break
        finally:
            await page.close()

    async def _load_more(self, page: Any, url: str) -> bool:
        """Click the outlet's "load more" button; whether new cards came."""
        browser = self.outlet.browser_pagination
        button = page.locator(browser.load_more_selector).first
        if not await button.is_visible():
            return False
        shown = await page.locator(browser.card_selector).count()
        await button.click()
        self.stats.inc_value("newscrawl/pagination/browser_clicks")
        try:
            await page.wait_for_function(
                "([sel, n]) => document.querySelectorAll(sel).length > n",
                arg=[browser.card_selector, shown], timeout=20_000)
        except Exception as exc:  # a stuck button ends this section, whatever Playwright raised
            self.stats.inc_value("newscrawl/errors/load_more_timeout")
            self.logger.warning("Load more on %s gave no new cards: %s", url, exc)
            return False
        return True

    async def _close_page(self, failure: Any) -> None:
        page = failure.request.meta.get("playwright_page")
        if page is not None:
            await page.close()
        self.stats.inc_value("newscrawl/errors/section_failed")
        self.logger.error("section page %s failed: %s", failure.request.url, failure.value)

    # -- articles -------------------------------------------------------------
    async def parse_article(self, response: Response, discovered_via: str) -> AsyncIterator[Any]:
        if response.status == 304:  # a revisit: unchanged since the archived version
            self.stats.inc_value("newscrawl/pages/not_modified")
            return
        self.stats.inc_value("newscrawl/pages/article")
        parser = self.outlet.parser_for(fetched_at := datetime.now(UTC))
        try:
            article = await self.parsing.parse(parser, response, fetched_at)
        except NotAnArticle as exc:  # a gallery, a video: skipped, and for good
            self.stats.inc_value(f"newscrawl/skipped/{exc.reason}")
            self.logger.info("skipped %s: %s (%s)", response.url, exc.reason, exc)
            self._archive(self.owner.archive.mark_not_article, response.url,
                          response.meta.get("newscrawl_article_id"), exc.reason)
            return
        except PageRejected as exc:  # an article page that gave no record: an error
            self.stats.inc_value(f"newscrawl/dropped/{exc.reason}")
            self.logger.warning("dropped %s: %s (%s)", response.url, exc.reason, exc)
            self._story_failed(response.url, response.meta.get("newscrawl_article_id"), exc.reason)
            return
        except AttributeError:  # a non-text response (an image, a PDF): no .text
            self.stats.inc_value("newscrawl/dropped/not_text")
            self.logger.warning("dropped %s: not a text response", response.url)
            return
        if (again := self.admission.ask_again(article, response.meta)) is not None:
            yield cast("scrapy.Request", response.request).replace(dont_filter=True, meta=again)
            return
        if not self._own_story(article, response.url) \
                or not self.admission.emit(article, discovered_via):
            return
        article.outlet = self.outlet.name
        article.fetched_at = utc_iso(fetched_at)
        article.http_status = response.status
        article.discovered_via = discovered_via
        yield article
        if self.admission.emitted_enough():
            raise CloseSpider("max_articles")

    def _own_story(self, article: Any, url: str) -> bool:
        """The story a page is stored as is the fetched URL's (after redirects on the outlet's
        hosts): data naming another is a counted mismatch; an off-site canonical URL is dropped."""
        url_id = self.outlet.article_id_from_url(url)
        if url_id and article.article_id != url_id:
            self.stats.inc_value("newscrawl/dropped/id_mismatch")
            self.logger.warning("dropped %s: its data says it is story %s", url,
                                article.article_id)
            return False
        if article.canonical_url and self.config.offsite(article.canonical_url):
            self.stats.inc_value("newscrawl/mismatch/canonical_url")
            article.canonical_url = None
        return True
