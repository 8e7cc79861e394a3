"""The crawl machinery every outlet shares: walk section pages, page through "load more",
fetch article pages over plain HTTP and hand them to the outlet's parser.

Nothing here knows a selector: what a listing looks like, how its API is called, what to click
in a browser and how an article is read all come from the outlet's registry entry.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import scrapy
from scrapy.exceptions import CloseSpider

from newscrawl.config import CrawlConfig
from newscrawl.extraction.errors import PageRejected
from newscrawl.outlets import Card, Listing, Outlet, get_outlet
from newscrawl.urls import strip_tracking

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

log = logging.getLogger(__name__)


def utc_iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OutletSpider(scrapy.Spider):
    """Crawl one outlet's sections; subclasses only name the outlet."""

    outlet_name = ""

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
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
        spider.scheduled_ids: set[str] = set()
        spider.emitted_ids: set[str] = set()
        return spider

    outlet: Outlet
    config: CrawlConfig

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    # -- start ----------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.logger.info("crawling %s at %s: sections %s, since %s, max %s articles, "
                         "pagination %s", self.outlet.name, self.config.base_url,
                         ",".join(self.config.sections), self.config.since or "the beginning",
                         self.config.max_articles or "no limit", self.config.pagination)
        for url in self.config.urls:
            # Asked for by name: fetched as given, even if another URL of the story is too.
            self.scheduled_ids.add(self.outlet.article_id_from_url(url) or url)
            yield scrapy.Request(url, callback=self.parse_article, dont_filter=True,
                                 cb_kwargs={"discovered_via": "urls"},
                                 meta={"newscrawl_page": "article"})
        for section in self.config.sections:
            yield self._section_request(section)

    def _section_request(self, section: str) -> scrapy.Request:
        url = f"{self.config.base_url}/{section}"
        if self.config.pagination == "browser":
            return scrapy.Request(url, callback=self.parse_section_in_browser,
                                  errback=self._close_page, cb_kwargs={"section": section},
                                  meta={"playwright": True, "playwright_include_page": True})
        return scrapy.Request(url, callback=self.parse_section, cb_kwargs={"section": section})

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
        yield from self._article_requests(listing.cards, section_url)
        if not self._wants_more(listing.cards):
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
                for request in self._article_requests(new_cards, section_url):
                    yield request
                if not new_cards or not self._wants_more(listing.cards) or not listing.has_more:
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

    def _limit_reached(self) -> bool:
        limit = self.config.max_articles
        return limit is not None and len(self.scheduled_ids) >= limit

    def _article_requests(self, cards: list[Card], discovered_via: str) -> Iterator[scrapy.Request]:
        since = utc_iso(self.config.since) if self.config.since else None
        for card in cards:
            url = strip_tracking(urljoin(self.config.base_url + "/", card.url),
                                 self.outlet.tracking_params, self.outlet.tracking_prefixes)
            if not card.is_article or not self.outlet.is_article_url(url):
                self.stats.inc_value("newscrawl/skipped/not_article_url")
                continue
            if since and card.published_at and card.published_at < since:
                self.stats.inc_value("newscrawl/skipped/before_horizon")
                continue
            article_id = self.outlet.article_id_from_url(url)
            if article_id in self.scheduled_ids:
                self.stats.inc_value("newscrawl/skipped/already_scheduled")
                continue
            if self._limit_reached():
                return
            self.scheduled_ids.add(article_id or url)
            yield scrapy.Request(url, callback=self.parse_article,
                                 cb_kwargs={"discovered_via": discovered_via},
                                 meta={"newscrawl_page": "article"})

    def parse_article(self, response: Response, discovered_via: str) -> Iterator[Any]:
        self.stats.inc_value("newscrawl/pages/article")
        fetched_at = datetime.now(UTC)
        parser = self.outlet.parser_for(fetched_at)
        try:
            text = response.text
            article = parser.parse(response.url, text, fetched_at)
        except PageRejected as exc:
            self.stats.inc_value(f"newscrawl/dropped/{exc.reason}")
            self.logger.warning("dropped %s: %s (%s)", response.url, exc.reason, exc)
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
        article.outlet = self.outlet.name
        article.fetched_at = utc_iso(fetched_at)
        article.http_status = response.status
        article.discovered_via = discovered_via
        yield article
        if self.config.max_articles and len(self.emitted_ids) >= self.config.max_articles:
            raise CloseSpider("max_articles")
