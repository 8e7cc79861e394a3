"""robots.txt as RFC 9309 reads it: a server error or no answer means "crawl nothing".

Scrapy's ``RobotsTxtMiddleware`` parses whatever robots.txt answered, so a ``503`` page, or no
answer at all, lets the whole site be crawled (with no Crawl-delay). RFC 9309 2.3.1.3-4: a
4xx answer means no rules (allow), but a 5xx answer or an unreachable robots.txt means
complete disallow. ``PoliteRobotsTxtMiddleware`` (in Scrapy's place, 100) does that:

- the robots.txt request goes through the polite retry middleware like any other, so a
  server error is asked again, with backoff and ``Retry-After``, before it counts;
- a final 5xx or a failure makes the host disallowed for this run, counted
  (``newscrawl/robots/unavailable``), with one error line saying the site is not crawled and
  why; when that host is the crawl's own (the base URL's), the crawl closes at once with
  finish reason ``robots_unavailable`` rather than drop every request one by one;
- every request that waited for robots.txt is checked against it (Scrapy let all but the
  first through unchecked: see ``robot_parser``);
- nothing of such an answer is kept (``RobotsCacheMiddleware`` keeps only 2xx and 4xx), so
  the next run asks again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from newscrawl.config import setting
from newscrawl.messages import one_line

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

log = logging.getLogger(__name__)

#: What robots.txt says when it cannot be read: nothing may be crawled.
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
UNAVAILABLE = "robots_unavailable"


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The host's parser, for every request that waited for it.

        Scrapy hands the parser to the requests that waited for robots.txt through one
        Deferred, awaited once per request; a Deferred passes its result to the first
        awaiter only, and the others get None, which Scrapy reads as "no rules": every request
        but the first that arrived while robots.txt was being fetched went out unchecked.
        The parser is kept per host, so it is taken from there.
        """
        parser = await super().robot_parser(request)
        kept = self._parsers.get(urlparse_cached(request).netloc)
        return kept if kept is not None and not isinstance(kept, Deferred) else parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._unavailable(netloc, f"answered {response.status}")
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._unavailable(netloc, f"could not be fetched ({one_line(exc, 200)})")

    def _unavailable(self, netloc: str, why: str) -> None:
        """Disallow the host for this run, and say so."""
        self._stats.inc_value("newscrawl/robots/unavailable")
        log.error("robots.txt of %s %s: not crawling %s (RFC 9309: a server error or no "
                  "answer means complete disallow); the next run asks again", netloc, why,
                  netloc)
        parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(pending, Deferred):
            pending.callback(parser)
        if netloc == self._own_netloc():
            self._close(UNAVAILABLE)

    def _own_netloc(self) -> str:
        return urlsplit(str(setting(self.crawler.settings, "NEWSCRAWL_BASE_URL") or "")).netloc \
            or self._outlet_netloc()

    def _outlet_netloc(self) -> str:
        from newscrawl.outlets import outlet_of

        outlet = outlet_of(self.crawler)
        return urlsplit(outlet.base_url).netloc if outlet else ""

    def _close(self, reason: str) -> None:
        engine: Any = self.crawler.engine
        if engine is not None and self.crawler.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))
