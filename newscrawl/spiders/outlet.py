"""The crawl machinery every outlet shares: walk section pages, page through "load more",
fetch article pages over plain HTTP and hand them to the outlet's parser.

Nothing here knows a selector: what a listing looks like, how its API is called, what to click
in a browser and how an article is read all come from the outlet's registry entry.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider

from newscrawl import distributed
from newscrawl.config import CrawlConfig
from newscrawl.discovery import DiscoveryError, parse_feed, parse_sitemap
from newscrawl.extraction.errors import NotAnArticle, PageRejected
from newscrawl.extraction.urls import strip_tracking
from newscrawl.idset import IdSet
from newscrawl.outlets import get_outlet
from newscrawl.outlets.spec import Card, Listing, Outlet
from newscrawl.store import StoreError, archive_lost, open_archive

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

log = logging.getLogger(__name__)


def frontier_on_disk(settings: Any, outlet: str) -> None:
    """Keep this run's pending requests in Scrapy's disk queues, not in memory.

    A first crawl of a large site lists ~100,000 article pages before fetching most of them;
    in memory that is ~3 KB each (bench/scale_memory.py). The queue lives in a directory of
    its own per run (``<data-dir>/<outlet>/frontier-<pid>``), removed when the crawl closes,
    so a run never resumes another's queue or duplicate filter: resuming is the archive's job.
    Off with ``NEWSCRAWL_DISK_FRONTIER = False``, or when JOBDIR or a shared scheduler is set.
    """
    if not settings.getbool("NEWSCRAWL_DISK_FRONTIER", True) or settings.get("JOBDIR") \
            or settings.get("NEWSCRAWL_REDIS"):
        return
    base = Path(settings.get("NEWSCRAWL_DATA_DIR") or "data") / outlet
    for stale in base.glob("frontier-*"):  # left by a killed run
        pid = stale.name.removeprefix("frontier-")
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
            shutil.rmtree(stale, ignore_errors=True)
    settings.set("JOBDIR", str(base / f"frontier-{os.getpid()}"), priority="spider")


def utc_iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


#: Listing pages, feeds and sitemaps go before article pages; articles go freshest day first.
DISCOVERY_PRIORITY = 1_000_000
#: Article requests go freshest first, in a few levels: Scrapy keeps one queue per priority
#: and sums their lengths often, so one level per day (thousands) costs CPU (bench/README.md).
FRESHNESS_LEVELS = ((timedelta(days=1), 3), (timedelta(days=7), 2), (timedelta(days=31), 1))


def _freshness(newest: str | None) -> int:
    when = _parse_iso(newest)
    if when is None:
        return 0
    age = datetime.now(UTC) - when
    return next((level for limit, level in FRESHNESS_LEVELS if age <= limit), 0)


#: Listings are walked this far past the newest story the last finished run saw.
WINDOW_OVERLAP = timedelta(hours=2)
#: What an incremental run may leave to a list of the newest stories: the outlet's main feeds
#: (which list every section), its other feeds, the sitemap index and the section walk.
DEFERRABLE = ("main_feeds", "feeds", "index", "sections")
#: Stats a run keeps, which the archive's runs remember: it read a sitemap index; the news
#: sitemap was read, or answered 404 (then the main feeds stand in for a day).
INDEX_STAT = "newscrawl/pages/sitemap_index"
NEWS_READ_STAT = "newscrawl/discovery/news_sitemap_read"
NEWS_GONE_STAT = "newscrawl/discovery/news_sitemap_gone"


class OutletSpider(scrapy.Spider):
    """Crawl one outlet's sections; subclasses only name the outlet."""

    outlet_name = ""

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        distributed.apply_settings(settings)
        frontier_on_disk(settings, get_outlet(cls.outlet_name).name)
        outlet = get_outlet(cls.outlet_name)
        contact = settings.get("NEWSCRAWL_CONTACT")
        agent = settings.get("NEWSCRAWL_USER_AGENT")
        if agent and settings.getpriority("USER_AGENT") <= settings.getpriority("NEWSCRAWL_USER_AGENT"):
            settings.set("USER_AGENT", f"{agent[:-1]}; {contact})" if contact and agent.endswith(")")
                         else agent, priority="spider")
        politeness = outlet.politeness
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", politeness.concurrency_per_domain,
                     priority="spider") if settings.getpriority(
            "CONCURRENT_REQUESTS_PER_DOMAIN") <= 20 else None
        if settings.getpriority("AUTOTHROTTLE_TARGET_CONCURRENCY") <= 20:
            settings.set("AUTOTHROTTLE_TARGET_CONCURRENCY", politeness.autothrottle_target,
                         priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.outlet = get_outlet(cls.outlet_name)
        spider.config = CrawlConfig.from_settings(spider.outlet, crawler.settings, kwargs)
        spider.scheduled_ids = IdSet()  # stories asked for in this run (bits, not strings)
        spider.emitted_ids = IdSet()
        crawler.signals.connect(spider._drop_frontier, signal=signals.engine_stopped)
        return spider

    outlet: Outlet
    config: CrawlConfig
    scheduled_ids: IdSet
    emitted_ids: IdSet
    window_start: str | None = None  # set by start(): None walks every listing in full
    high_water: str | None = None  # the newest publication or change time any listing showed
    index_since: str | None = None  # the sitemap index: monthly files changed since this
    news_gone = False  # the news sitemap answered 404 lately: the main feeds stand in for it

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    # -- start ----------------------------------------------------------------
    def _drop_frontier(self) -> None:
        # After the engine stopped: Scrapy's SpiderState writes into the directory on close.
        jobdir = self.crawler.settings.get("JOBDIR") or ""
        if Path(jobdir).name == f"frontier-{os.getpid()}":
            shutil.rmtree(jobdir, ignore_errors=True)  # this run's queue, done with

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.logger.info("crawling %s at %s: sections %s, since %s, max %s articles, "
                         "pagination %s", self.outlet.name, self.config.base_url,
                         ",".join(self.config.sections), self.config.since or "the beginning",
                         self.config.max_articles or "no limit", self.config.pagination)
        # The window of this run: since the newest story the last finished run saw listed (less
        # an overlap for late listings). Listings are walked until they reach stories that run
        # saw and nothing says have changed since; sitemaps unchanged since are not fetched.
        try:
            high_water = open_archive(self.crawler).last_high_water(self.outlet.name)
            if high_water and not self.config.full:
                self.window_start = utc_iso(_parse_iso(high_water) - WINDOW_OVERLAP)
            deferred = self._deferred_discovery(high_water)
        except StoreError as exc:
            archive_lost(self.crawler, exc)
            return
        self.logger.info("%s", "full walk of every listing" if self.window_start is None else
                         f"incremental: what is new or changed since {self.window_start}")
        worker = getattr(self.crawler, "newscrawl_worker", None)
        if worker is not None and not worker.claim_seed():
            return  # another worker seeded this run: take work from the shared queue only
        for url in self.config.urls:
            # Asked for by name: fetched as given, even if another URL of the story is too.
            self.scheduled_ids.add(self.outlet.article_id_from_url(url) or url)
            yield scrapy.Request(url, callback=self.parse_article, dont_filter=True,
                                 cb_kwargs={"discovered_via": "urls"},
                                 meta={"newscrawl_page": "article"})
        if deferred:
            # The news sitemap (or, without one, the main feeds) decides what else this run
            # needs: parse_sitemap, parse_feed.
            for request in self._voucher_requests(deferred):
                yield request
        else:
            for request in self._discovery_requests(("news",) + DEFERRABLE):
                yield request
        try:
            for request in self._due_revisits():
                yield request
        except StoreError as exc:
            archive_lost(self.crawler, exc)

    def _deferred_discovery(self, high_water: str | None) -> tuple[str, ...]:
        """What an incremental run leaves to a list of the newest stories: the news sitemap,
        or, for an outlet without one (or when it fails), its main feed.

        The news sitemap lists every story of the last two days with its publication date, in
        one request; the main feed ("everything") the latest few dozen. When that list reaches
        back to the last run, the other feeds add nothing, and the index and the sections (the
        only sources that date edits of older stories: lastmod and cards' updatedDate) are
        fetched only once their interval of site time has passed since a finished run last
        fetched them; revisits by age remain the safety net. A gap, a failed or broken list, or
        a full walk fetches everything.

        Not for the workers of a shared frontier (``--redis``): one worker's finished run does
        not vouch for its siblings' (one killed mid-crawl loses the requests it held), so each
        run walks every source, and the section walk pages on to whatever the archive lacks.
        """
        if self.window_start is None or self.crawler.settings.get("NEWSCRAWL_REDIS"):
            return ()
        archive = open_archive(self.crawler)
        if self._uses("news"):
            # A news sitemap that answered 404 is not asked again for a day (of site time).
            gone = archive.last_high_water(self.outlet.name, having=NEWS_GONE_STAT)
            read = archive.last_high_water(self.outlet.name, having=NEWS_READ_STAT)
            if gone and (read is None or gone > read) and high_water \
                    and _parse_iso(high_water) - _parse_iso(gone) < timedelta(hours=24):
                self.news_gone = True
                self.stats.inc_value("newscrawl/discovery/news_sitemap_skipped")
        if not (self._uses("news") or self._uses("main_feeds")):
            return ()
        last_index = archive.last_high_water(self.outlet.name, having=INDEX_STAT)
        if last_index:
            self.index_since = min(self.window_start,
                                   utc_iso(_parse_iso(last_index) - WINDOW_OVERLAP))
        return tuple(kind for kind in DEFERRABLE if self._uses(kind))

    def _uses(self, kind: str) -> bool:
        """Whether this crawl's discovery includes that kind of surface, and the outlet has it."""
        discovery, outlet = self.config.discovery, self.outlet
        return {"news": "sitemaps" in discovery and bool(outlet.news_sitemaps) and not self.news_gone,
                "index": "sitemaps" in discovery,
                "main_feeds": "feeds" in discovery and bool(outlet.main_feeds),
                "feeds": "feeds" in discovery,
                "sections": "sections" in discovery}[kind]

    def _voucher_requests(self, deferred: tuple[str, ...] | list[str]) -> Iterator[scrapy.Request]:
        """The news sitemap, or else the main feeds, carrying what waits on their word; with
        neither left, everything deferred."""
        deferred = tuple(deferred)
        if "news_tried" not in deferred and self._uses("news"):
            for path in self.outlet.news_sitemaps:
                yield self._sitemap_request(path, deferred=("news_tried", *deferred))
        elif "main_feeds" in deferred:
            rest = tuple(kind for kind in deferred if kind != "main_feeds")
            for path in self.outlet.main_feeds:
                yield self._feed_request(path, deferred=rest)
        else:
            yield from self._discovery_requests(deferred)

    def _discovery_requests(self, kinds: set[str] | tuple[str, ...] | list[str]) -> Iterator[scrapy.Request]:
        """Requests for the discovery surfaces named: ``news`` (the news sitemaps), ``index``
        (every other sitemap), ``main_feeds``, ``feeds`` (the others), ``sections``."""
        discovery = self.config.discovery
        if "sitemaps" in discovery:
            for path in self.outlet.sitemaps:
                if ("news" if path in self.outlet.news_sitemaps else "index") in kinds:
                    yield self._sitemap_request(path)
        if "feeds" in discovery:
            for path in self.outlet.feeds:
                if ("main_feeds" if path in self.outlet.main_feeds else "feeds") in kinds:
                    yield self._feed_request(path)
        if "sections" in kinds and "sections" in discovery:
            for section in self.config.sections:
                yield self._section_request(section)

    def _feed_request(self, path: str, deferred: tuple[str, ...] = ()) -> scrapy.Request:
        return scrapy.Request(self.config.base_url + path, callback=self.parse_feed,
                              errback=self._feed_failed if deferred else None,
                              priority=DISCOVERY_PRIORITY,
                              cb_kwargs={"deferred": list(deferred)} if deferred else {})

    def _sitemap_request(self, path: str, deferred: tuple[str, ...] = ()) -> scrapy.Request:
        # What waits on this sitemap travels with its request, not in the spider.
        return scrapy.Request(self.config.base_url + path, callback=self.parse_sitemap,
                              errback=self._sitemap_failed, priority=DISCOVERY_PRIORITY,
                              cb_kwargs={"deferred": list(deferred)} if deferred else {})

    def _due_revisits(self) -> Iterator[scrapy.Request]:
        """Archived stories due for a check by age, listed or not (conditional requests)."""
        config = self.config
        due = open_archive(self.crawler).due_for_revisit(
            self.outlet.name, utc_iso(datetime.now(UTC)), config.revisit_factor,
            config.revisit_min_hours / 24, config.revisit_max_days)
        for article_id, url in due:
            if article_id in self.scheduled_ids or self._limit_reached():
                continue
            self.scheduled_ids.add(article_id)
            self.stats.inc_value("newscrawl/revisits/due")
            yield self._article_request(url, "revisit", article_id, None, revisit=True)

    def _section_request(self, section: str) -> scrapy.Request:
        url = f"{self.config.base_url}/{section}"
        if self.config.pagination == "browser":
            return scrapy.Request(url, callback=self.parse_section_in_browser,
                                  errback=self._close_page, cb_kwargs={"section": section},
                                  meta={"playwright": True, "playwright_include_page": True},
                                  priority=DISCOVERY_PRIORITY)
        return scrapy.Request(url, callback=self.parse_section, cb_kwargs={"section": section},
                              priority=DISCOVERY_PRIORITY)

    # -- feeds and sitemaps ---------------------------------------------------------
    def _in_chosen_sections(self, url: str) -> bool:
        """With --sections, a feed or sitemap link counts only under one of their paths."""
        if not self.config.sections_chosen:
            return True
        path = urlsplit(url).path
        if any(path.startswith(f"/{section}/") for section in self.config.sections):
            return True
        self.stats.inc_value("newscrawl/skipped/other_section")
        return False

    def parse_feed(self, response: Response, deferred: list[str] | None = None) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/pages/feed")
        try:
            entries = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self.stats.inc_value("newscrawl/errors/bad_feed")
            self.logger.error("%s", exc)
            yield from self._discovery_requests(deferred or ())
            return
        if deferred:
            yield from self._after_voucher([e.published_at for e in entries], deferred)
        for entry in entries:
            if not self._in_chosen_sections(entry.link):
                continue
            request = self._consider(entry.link, response.url, entry.published_at,
                                     entry.updated_at)
            if request is not None:
                yield request

    def _sitemap_failed(self, failure: Any) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/errors/sitemap_failed")
        self.logger.error("sitemap %s failed: %s", failure.request.url, failure.value)
        deferred = failure.request.cb_kwargs.get("deferred") or ()
        response = getattr(failure.value, "response", None)
        if deferred and response is not None and response.status in (404, 410):
            self.stats.inc_value(NEWS_GONE_STAT)
        if deferred:  # the news sitemap failed: the main feed decides instead
            yield from self._voucher_requests(deferred)

    def _feed_failed(self, failure: Any) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/errors/feed_failed")
        self.logger.error("feed %s failed: %s", failure.request.url, failure.value)
        yield from self._discovery_requests(failure.request.cb_kwargs.get("deferred") or ())

    def _after_voucher(self, dates: list[str | None], deferred: list[str]) -> Iterator[scrapy.Request]:
        """Release what start() deferred: all of it on a gap, else what is due (site time)."""
        dated = [d for d in dates if d]
        if not dated or self.window_start is None or min(dated) > self.window_start:
            # A gap between the list and the last run: the others may close it.
            self.stats.inc_value("newscrawl/discovery/gap")
            yield from self._discovery_requests(deferred)
            return
        self.stats.inc_value("newscrawl/discovery/feeds_skipped")
        site_now = _parse_iso(max(dated))
        due = []
        for kind, every, stat in (("index", self.config.sitemap_index_every_hours, INDEX_STAT),
                                  ("sections", self.config.sections_every_hours,
                                   "newscrawl/pages/section")):
            if kind not in deferred:
                continue
            try:
                last = _parse_iso(open_archive(self.crawler).last_high_water(
                    self.outlet.name, having=stat))
            except StoreError as exc:
                archive_lost(self.crawler, exc)
                return
            if last is None or site_now is None or site_now - last >= timedelta(hours=every):
                due.append(kind)
                self.stats.inc_value(f"newscrawl/discovery/{kind}_due")
            else:
                self.stats.inc_value(f"newscrawl/discovery/{kind}_skipped")
        yield from self._discovery_requests(due)

    def parse_sitemap(self, response: Response, deferred: list[str] | None = None) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/pages/sitemap")
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self.stats.inc_value("newscrawl/errors/bad_sitemap")
            self.logger.error("%s", exc)
            if deferred:  # the news sitemap, unreadable: the main feed decides instead
                yield from self._voucher_requests(deferred)
            return
        if deferred:
            self.stats.inc_value(NEWS_READ_STAT)
            yield from self._after_voucher([e.publication_date for e in sitemap.entries], deferred)
        if sitemap.is_index:
            self.stats.inc_value(INDEX_STAT)
            # Only the files that changed since the index was last read (all of them on a full
            # walk), and none that stopped changing before the horizon.
            since = [t for t in (self.index_since or self.window_start,
                                 utc_iso(self.config.since) if self.config.since else None) if t]
            children = sitemap.sitemaps_changed_since(max(since) if since else None)
            self.stats.inc_value("newscrawl/skipped/sitemap_unchanged",
                                 len(sitemap.sitemaps) - len(children))
            for child in children:
                yield scrapy.Request(child.url, callback=self.parse_sitemap,
                                     priority=DISCOVERY_PRIORITY)
            return
        for entry in sitemap.entries:
            if not self._in_chosen_sections(entry.url):
                continue
            request = self._consider(entry.url, response.url, entry.publication_date,
                                     entry.lastmod)
            if request is not None:
                yield request

    # -- section pages over HTTP, then the API ----------------------------------
    def parse_section(self, response: Response, section: str) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/pages/section")
        listing = self.outlet.read_listing(response.url, response.text)
        yield from self._follow_listing(listing, response.url, section)

    def parse_listing_api(self, response: Response, section: str, page: Any) -> Iterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/pages/listing_api")
        try:
            data = response.json()
        except ValueError:
            self.stats.inc_value("newscrawl/errors/listing_api_not_json")
            self.logger.error("listing API answered non-JSON at %s", response.url)
            return
        listing = self.outlet.read_listing_api(response.url, data, page)
        yield from self._follow_listing(listing, response.url, section, via=page.url)

    def _follow_listing(self, listing: Listing, url: str, section: str,
                        via: str | None = None) -> Iterator[scrapy.Request]:
        section_url = f"{self.config.base_url}/{section}"
        requests = list(self._article_requests(listing.cards, section_url))
        yield from requests
        if not self._wants_more(listing.cards) or self._seen_before(listing.cards, requests):
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
            yield scrapy.Request(url, callback=self.parse_section_in_browser, dont_filter=True,
                                 errback=self._close_page, cb_kwargs={"section": section},
                                 meta={"playwright": True, "playwright_include_page": True})
        elif listing.has_more and mode == "api":
            self.stats.inc_value("newscrawl/errors/no_api_contract")
            self.logger.error("pagination=api but %s exposes no load-more API contract", url)

    # -- section pages in a browser ---------------------------------------------
    async def parse_section_in_browser(self, response: Response, section: str) -> AsyncIterator[scrapy.Request]:
        self.stats.inc_value("newscrawl/pages/section")
        page = response.meta["playwright_page"]
        browser = self.outlet.browser_pagination
        section_url = f"{self.config.base_url}/{section}"
        seen = 0
        try:
            while True:
                listing = self.outlet.read_listing(response.url, await page.content())
                new_cards = listing.cards[seen:]
                seen = len(listing.cards)
                requests = list(self._article_requests(new_cards, section_url))
                for request in requests:
                    yield request
                if not new_cards or not self._wants_more(listing.cards) or not listing.has_more \
                        or self._seen_before(new_cards, requests):
                    break
                button = page.locator(browser.load_more_selector).first
                if not await button.is_visible():
                    break
                shown = await page.locator(browser.card_selector).count()
                await button.click()
                self.stats.inc_value("newscrawl/pagination/browser_clicks")
                try:
                    await page.wait_for_function(
                        "([sel, n]) => document.querySelectorAll(sel).length > n",
                        arg=[browser.card_selector, shown], timeout=20_000)
                except Exception as exc:  # noqa: BLE001 - a stuck button ends this section
                    self.stats.inc_value("newscrawl/errors/load_more_timeout")
                    self.logger.warning("Load more on %s gave no new cards: %s", response.url, exc)
                    break
        finally:
            await page.close()

    async def _close_page(self, failure: Any) -> None:
        page = failure.request.meta.get("playwright_page")
        if page is not None:
            await page.close()
        self.stats.inc_value("newscrawl/errors/section_failed")
        self.logger.error("section page %s failed: %s", failure.request.url, failure.value)

    # -- articles -------------------------------------------------------------
    def _wants_more(self, cards: list[Card]) -> bool:
        """Page on while the listing has not crossed the horizon and the limit is not met."""
        if self._limit_reached():
            return False
        if self.config.since is None or not cards:
            return True
        dated = [c.published_at for c in cards if c.published_at]
        return not dated or min(dated) >= utc_iso(self.config.since)

    def _seen_before(self, cards: list[Card], requests: list[scrapy.Request]) -> bool:
        """An incremental walk stops at a page the last finished run saw, unchanged since."""
        if self.window_start is None or requests or not cards:
            return False
        dated = [c.published_at for c in cards if c.published_at]
        if dated and min(dated) < self.window_start:
            self.stats.inc_value("newscrawl/pagination/stopped_at_archived")
            return True
        return False

    def _limit_reached(self) -> bool:
        limit = self.config.max_articles
        return limit is not None and len(self.scheduled_ids) >= limit

    def _article_requests(self, cards: list[Card], discovered_via: str) -> Iterator[scrapy.Request]:
        for card in cards:
            if not card.is_article:
                self.stats.inc_value("newscrawl/skipped/not_article_url")
                continue
            request = self._consider(card.url, discovered_via, card.published_at, card.updated_at)
            if request is not None:
                yield request

    def _consider(self, url: str, via: str, published_at: str | None,
                  updated_at: str | None) -> scrapy.Request | None:
        """A request for a listed article page, or None when it is not wanted in this run.

        Wanted: a story the archive does not hold; a held one that a listing, feed or sitemap
        says changed after the stored version; a held one that is due for a revisit by age.
        Revisits are conditional (the archive's ETag and Last-Modified).
        """
        url = strip_tracking(urljoin(self.config.base_url + "/", url),
                             self.outlet.tracking_params, self.outlet.tracking_prefixes)
        if not self.outlet.is_article_url(url):
            self.stats.inc_value("newscrawl/skipped/not_article_url")
            return None
        since = utc_iso(self.config.since) if self.config.since else None
        newest = max((d for d in (published_at, updated_at) if d), default=None)
        if newest and (self.high_water is None or newest > self.high_water):
            self.high_water = newest
        if since and ((published_at and published_at < since) or (newest and newest < since)):
            self.stats.inc_value("newscrawl/skipped/before_horizon")
            return None
        article_id = self.outlet.article_id_from_url(url)
        if (article_id or url) in self.scheduled_ids:
            self.stats.inc_value("newscrawl/skipped/already_scheduled")
            return None
        if self._limit_reached():
            return None
        revisit = False
        try:
            archive = open_archive(self.crawler)
            state = archive.article_state(self.outlet.name, article_id) if article_id else None
            known_not_article = state is None and archive.is_known_not_article(url, article_id)
        except StoreError as exc:
            archive_lost(self.crawler, exc)
            return None
        if known_not_article:
            self.stats.inc_value("newscrawl/skipped/known_not_article")
            return None
        if state is not None:
            stored = state.updated_at or state.published_at
            if newest and stored and newest > stored:
                self.stats.inc_value("newscrawl/revisits/changed")
            elif self._due(state):
                self.stats.inc_value("newscrawl/revisits/due")
            else:
                self.stats.inc_value("newscrawl/skipped/unchanged")
                return None
            revisit = True
            if state.url and state.url != url and self.outlet.is_article_url(state.url) \
                    and urlsplit(state.url)[:2] == urlsplit(url)[:2]:
                # The page's own canonical URL, not an old slug a sitemap kept: no redirect.
                self.stats.inc_value("newscrawl/revisits/canonical_url")
                url = state.url
        self.scheduled_ids.add(article_id or url)
        return self._article_request(url, via, article_id, newest, revisit=revisit)

    def _article_request(self, url: str, via: str, article_id: str | None, newest: str | None,
                         *, revisit: bool) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_article, priority=_freshness(newest),
                              cb_kwargs={"discovered_via": via},
                              meta={"newscrawl_page": "article", "newscrawl_article_id": article_id,
                                    "newscrawl_revisit": revisit,
                                    "handle_httpstatus_list": [304]})

    def _due(self, state: Any) -> bool:
        """Young stories are checked often, old ones rarely: after a share of their age."""
        now = datetime.now(UTC)
        checked = _parse_iso(state.last_checked_at)
        published = _parse_iso(state.published_at) or checked
        if checked is None or published is None:
            return True
        config = self.config
        interval = (now - published) * config.revisit_factor
        interval = min(max(interval, timedelta(hours=config.revisit_min_hours)),
                       timedelta(days=config.revisit_max_days))
        return now - checked >= interval

    def parse_article(self, response: Response, discovered_via: str) -> Iterator[Any]:
        if response.status == 304:  # a revisit: unchanged since the archived version
            self.stats.inc_value("newscrawl/pages/not_modified")
            return
        self.stats.inc_value("newscrawl/pages/article")
        fetched_at = datetime.now(UTC)
        parser = self.outlet.parser_for(fetched_at)
        try:
            text = response.text
            article = parser.parse(response.url, text, fetched_at)
        except PageRejected as exc:
            self.stats.inc_value(f"newscrawl/dropped/{exc.reason}")
            self.logger.warning("dropped %s: %s (%s)", response.url, exc.reason, exc)
            if isinstance(exc, NotAnArticle):  # for good: later runs need not fetch it again
                try:
                    open_archive(self.crawler).mark_not_article(
                        response.url, response.meta.get("newscrawl_article_id"), exc.reason)
                except StoreError as store_exc:
                    archive_lost(self.crawler, store_exc)
            return
        except AttributeError:  # a non-text response (an image, a PDF): scrapy.Response has no .text
            self.stats.inc_value("newscrawl/dropped/not_text")
            self.logger.warning("dropped %s: not a text response", response.url)
            return
        if article.article_id and article.article_id in self.emitted_ids:
            self.stats.inc_value("newscrawl/skipped/duplicate_id")
            return
        if article.article_id:
            self.emitted_ids.add(article.article_id)
        since = self.config.since
        if since and discovered_via != "urls" and article.published_at \
                and article.published_at < utc_iso(since):
            self.stats.inc_value("newscrawl/skipped/before_horizon")
            return
        article.outlet = self.outlet.name
        article.fetched_at = utc_iso(fetched_at)
        article.http_status = response.status
        article.discovered_via = discovered_via
        yield article
        if self.config.max_articles and len(self.emitted_ids) >= self.config.max_articles:
            raise CloseSpider("max_articles")
