"""A per-run request budget: the crawl closes once ``NEWSCRAWL_REQUEST_BUDGET`` requests went out."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from newscrawl.config import FromCrawler, number

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)


def request_budget(settings: BaseSettings) -> int:
    """``NEWSCRAWL_REQUEST_BUDGET`` as a whole number of requests; 0 means no limit."""
    return int(number(settings, "NEWSCRAWL_REQUEST_BUDGET", whole=True, zero_means=" (no limit)"))


class RequestBudgetMiddleware(FromCrawler):
    """Closes the crawl with reason ``request_budget`` once ``NEWSCRAWL_REQUEST_BUDGET``
    requests have been sent; later ones are ignored while it closes.

    Sits last before the network (after the HTTP cache), so retries and robots.txt count and
    cache hits do not.
    """

    def __init__(self, crawler: Crawler) -> None:
        budget = request_budget(crawler.settings)
        if budget == 0:
            raise NotConfigured
        super().__init__(crawler)
        self.budget = budget
        self.sent = 0
        self.closing: Deferred[None] | None = None
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)

    def _spider_opened(self) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newscrawl/requests/budget", self.budget)

    def process_request(self, request: Request) -> None:
        stats = self.crawler.stats
        assert stats is not None
        if self.sent >= self.budget:
            stats.inc_value("newscrawl/requests/over_budget")
            raise IgnoreRequest(f"request budget of {self.budget} spent")
        self.sent += 1
        stats.set_value("newscrawl/requests/sent", self.sent)
        if self.sent == self.budget:
            log.info("request budget of %d spent with %s; closing the crawl", self.budget,
                     request.url)
            assert self.crawler.engine is not None
            self.closing = deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="request_budget"))
            self.closing.addErrback(lambda failure: log.error(
                "could not close the crawl at the request budget: %s", failure.getErrorMessage()))
        return None
