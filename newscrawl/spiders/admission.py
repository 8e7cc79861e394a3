"""Which listed article pages a run fetches: plain objects, no Scrapy.

A listed story is admitted when it is an http(s) URL on the crawl's hosts (the outlet's domains
and the base URL's host), an article URL of the outlet, inside the horizon, not
already asked for in this run, within the limit, and either unknown to the archive, said by a
listing, feed or sitemap to have changed since the stored version, or due for a revisit by
age (``RevisitRule``, the one statement of that rule). The newest publication or change time
any listing showed becomes the run's high-water mark, which the next run's window starts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit

from newscrawl.extraction.dates import parse_utc, utc_iso
from newscrawl.extraction.urls import strip_tracking
from newscrawl.idset import IdSet
from newscrawl.store.base import DEGRADED, degraded

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from newscrawl.config import CrawlConfig
    from newscrawl.discovery.sitemaps import SitemapEntry
    from newscrawl.items import Article
    from newscrawl.outlets.spec import Card, Outlet
    from newscrawl.store.base import ArticleState, Failure


#: Article requests go freshest first, in a few levels: Scrapy keeps one queue per priority
#: and sums their lengths often, so one level per day (thousands) costs CPU (bench/README.md).
FRESHNESS_LEVELS = ((timedelta(days=1), 3), (timedelta(days=7), 2), (timedelta(days=31), 1))
#: The request meta key of a page asked for once more because it was read from fallbacks.
ASK_AGAIN = "newscrawl_asked_again"


def freshness(newest: str | None) -> int:
    when = parse_utc(newest)
    if when is None:
        return 0
    age = datetime.now(UTC) - when
    return next((level for limit, level in FRESHNESS_LEVELS if age <= limit), 0)


class Stats(Protocol):
    def inc_value(self, key: str, count: int = 1) -> None: ...


class ArticleHistory(Protocol):
    """What admission asks the archive about a story."""

    def article_state(self, outlet: str, article_id: str) -> ArticleState | None: ...

    def is_known_not_article(self, url: str, article_id: str | None) -> bool: ...


@dataclass(frozen=True)
class RevisitRule:
    """How long a stored story is left alone, learned from what the archive has seen of it.

    A story's *quiet time* is how long it had gone unchanged when it was last checked: from
    its last observed change (the stored version's ``updated_at``, else its ``published_at``)
    to ``last_checked_at``. Stories are edited mostly in their first hours, and one unchanged
    for days rarely changes again, so the wait before the next check is ``factor`` times the
    quiet time, clamped to [``min_hours``, ``max_days``]: with the defaults (2, 48 h, 365 d) a
    story fetched when new is checked two days later, then at about 6, 18, 54, 162, 486 days,
    then yearly; an edit found starts it over. A story with no date is due at once.

    A story an archive sitemap lists with a ``lastmod`` (*dated*) has its edits dated there, and
    a run that reads the sitemaps (``trust_dated``) sees them within hours: it is checked only
    every ``max_days``, a safety net for a ``lastmod`` that failed to move. The ladder is for
    the stories no surface read for their whole life dates (about one in ten on scmp.com's
    monthly files): nine checks in ten of an archive's first year are saved.
    """

    factor: float
    min_hours: float
    max_days: float
    trust_dated: bool = False

    @classmethod
    def of(cls, config: CrawlConfig) -> RevisitRule:
        return cls(config.revisit_factor, config.revisit_min_hours, config.revisit_max_days,
                   "sitemaps" in config.discovery)

    def interval(self, quiet: timedelta) -> timedelta:
        return min(max(quiet * self.factor, timedelta(hours=self.min_hours)),
                   timedelta(days=self.max_days))

    def due(self, now: datetime, changed_at: str | None, last_checked_at: str | None,
            dated: bool = False) -> bool:
        """Whether a story last changed at ``changed_at`` (site time) and last checked at
        ``last_checked_at`` is due at ``now``."""
        checked = parse_utc(last_checked_at)
        if checked is None:
            return True
        if dated and self.trust_dated:
            return now - checked >= timedelta(days=self.max_days)
        changed = parse_utc(changed_at) or checked
        quiet = max(checked - changed, timedelta(0))  # a clock ahead of ours: no quiet yet
        return now - checked >= self.interval(quiet)

    def sql(self, days_since: Callable[[str], str], now: str,
            dated: str = "FALSE") -> tuple[str, tuple[Any, ...]]:
        """The same rule as a SQL condition on ``articles`` rows, for an archive to select the
        stories due: ``days_since(column)`` is the database's expression for the days from a
        ``?`` (bound to ``now``) back to that column, ``dated`` a condition true of a dated
        story.

        The quiet time is ``days_since(changed) - days_since(last_checked_at)``, and
        ``since_check >= clamp(quiet * factor, min, max)`` is written as ``since_check >= max
        OR (since_check >= min AND since_check >= quiet * factor)``, which needs no
        ``min()``/``greatest()`` (their names differ between SQLite and PostgreSQL); a quiet
        time below zero is below ``min`` anyway. ``due`` is the same rule.
        """
        checked = days_since("last_checked_at")
        changed = days_since("coalesce(updated_at, published_at, last_checked_at)")
        ladder = f"NOT {dated} AND " if self.trust_dated else ""
        condition = (f"({checked} >= ? OR ({ladder}{checked} >= ? AND "
                     f"{checked} >= ({changed} - {checked}) * ?))")
        return condition, (now, self.max_days, now, self.min_hours / 24, now, now, now,
                           self.factor)


@dataclass(frozen=True)
class RetryRule:
    """A failed story is asked for again by the very next run, then at growing intervals
    (``first_hours``, doubling, at most ``max_hours``), until it succeeds or has failed for
    ``give_up_days``: then it is lost (on record, reported, no longer asked for).

    A page read from fallbacks (degraded) is fetched again in full at once, in the run that
    fetched it (``Admission.ask_again``): a cut or garbled answer is mended by asking again.
    One stored degraded answered the same twice: the page itself is broken and stays so until
    the site changes it, so its next full fetch waits ``again_hours`` (the revisit rule's
    minimum), doubling, like a check of an unchanged story, and that fetch is not asked
    again at once when it is degraded too. Hourly, then daily, full fetches of pages broken
    for good were most of a day's requests (bench/incremental_cost.py); asked again at each
    retry, they were half the requests of the day the first crawl's came due again."""

    give_up_days: float
    first_hours: float = 1.0
    max_hours: float = 24.0
    again_hours: float = 48.0

    def due(self, now: datetime, failure: Failure) -> bool:
        waits = failure.attempts - (failure.reason != DEGRADED)
        if waits <= 0:
            return True
        last = parse_utc(failure.last_failed_at)
        return last is None or now - last >= timedelta(hours=self.wait_hours(failure, waits))

    def wait_hours(self, failure: Failure, waits: int) -> float:
        if failure.reason == DEGRADED:
            return self.again_hours * 2 ** (waits - 1)
        return min(self.first_hours * 2 ** (waits - 1), self.max_hours)

    def lost(self, now: datetime, failure: Failure) -> bool:
        first = parse_utc(failure.first_failed_at)
        return first is not None and now - first >= timedelta(days=self.give_up_days)


@dataclass(frozen=True)
class Admitted:
    """A listed story to fetch: at ``url`` (tracking parameters stripped, or the stored
    canonical URL), conditionally when ``revisit``."""

    url: str
    article_id: str | None
    newest: str | None  # the newest date the listing gave (its freshness)
    revisit: bool


class Admission:
    """The stories one run of one outlet asks for and emits."""

    def __init__(self, outlet: Outlet, config: CrawlConfig, history: ArticleHistory,
                 stats: Stats, *, window_start: str | None = None) -> None:
        self.outlet, self.config, self.history, self.stats = outlet, config, history, stats
        self.window_start = window_start  # listings stop at stories older than this, unchanged
        self.rule = RevisitRule.of(config)
        self.retry_rule = RetryRule(config.failed_give_up_days,
                                    again_hours=config.revisit_min_hours)
        self.lost: list[Failure] = []  # failed stories given up on in this run
        self.since = utc_iso(config.since) if config.since else None
        self.scheduled = IdSet()  # stories asked for in this run (bits, not strings)
        self.emitted = IdSet()  # stories whose record went to the pipelines
        self.broken = IdSet()  # stories on record as degraded, asked for again in this run
        self.high_water: str | None = None  # the newest publication or change time listed

    # -- listed stories ---------------------------------------------------------------
    def consider(self, url: str, published_at: str | None,
                 updated_at: str | None) -> Admitted | None:
        """The fetch of a listed article page, or None when it is not wanted in this run.

        Reads the archive (``StoreError`` when it fails).
        """
        url = self._normalised(url)
        offsite = self.config.offsite(url)
        if offsite:  # a file:// card, another host's page: never requested
            self.stats.inc_value(f"newscrawl/skipped/{offsite}")
            return None
        if not self.outlet.is_article_url(url):
            self.stats.inc_value("newscrawl/skipped/not_article_url")
            return None
        newest = max((d for d in (published_at, updated_at) if d), default=None)
        self._raise_high_water(newest)
        if self._before_horizon(published_at, newest):
            self.stats.inc_value("newscrawl/skipped/before_horizon")
            return None
        article_id = self.outlet.article_id_from_url(url)
        if (article_id or url) in self.scheduled:
            self.stats.inc_value("newscrawl/skipped/already_scheduled")
            return None
        if self.limit_reached():
            return None
        state = self.history.article_state(self.outlet.name, article_id) if article_id else None
        if state is None and self.history.is_known_not_article(url, article_id):
            self.stats.inc_value("newscrawl/skipped/known_not_article")
            return None
        if state is not None:
            if not self._worth_revisiting(state, newest):
                self.stats.inc_value("newscrawl/skipped/unchanged")
                return None
            url = self._stored_url(state, url)
        self.scheduled.add(article_id or url)
        return Admitted(url, article_id, newest, revisit=state is not None)

    def named(self, url: str) -> None:
        """A URL asked for by name (``--urls``): fetched as given, even if another URL of the
        story is too."""
        self.scheduled.add(self.outlet.article_id_from_url(url) or url)

    def due(self, stories: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        """Of the archive's stories due by age (``RevisitRule``), (article_id, url) of those
        not asked for yet, up to the limit."""
        for article_id, url in stories:
            if article_id in self.scheduled or self.limit_reached():
                continue
            self.scheduled.add(article_id)
            self.stats.inc_value("newscrawl/revisits/due")
            yield article_id, url

    def retries(self, failures: Iterable[Failure]) -> Iterator[Failure]:
        """Of the archive's failed stories, those this run asks for again (not asked for yet,
        within the limit); the lost ones are counted and left for the caller to record."""
        now = datetime.now(UTC)
        for failure in failures:
            if self.retry_rule.lost(now, failure):
                self.stats.inc_value(f"newscrawl/lost/{failure.reason}")
                self.lost.append(failure)
            elif failure.article_id not in self.scheduled and not self.limit_reached() \
                    and self.retry_rule.due(now, failure):
                self.scheduled.add(failure.article_id)
                if failure.reason == DEGRADED:
                    self.broken.add(failure.article_id)
                self.stats.inc_value("newscrawl/retries/stories")
                yield failure

    def dating(self, entries: Iterable[SitemapEntry]) -> tuple[list[str], list[str]]:
        """The stories an archive sitemap lists with a ``lastmod`` (its edits dated there:
        ``RevisitRule``), and those it lists without."""
        dated: list[str] = []
        undated: list[str] = []
        for entry in entries:
            article_id = self.outlet.article_id_from_url(self._normalised(entry.url))
            if article_id:
                (dated if entry.lastmod else undated).append(article_id)
        return dated, undated

    def _normalised(self, url: str) -> str:
        return strip_tracking(urljoin(self.config.base_url + "/", url),
                              self.outlet.tracking_params, self.outlet.tracking_prefixes)

    def _raise_high_water(self, newest: str | None) -> None:
        if newest and (self.high_water is None or newest > self.high_water):
            self.high_water = newest

    def _before_horizon(self, published_at: str | None, newest: str | None) -> bool:
        since = self.since
        return bool(since and ((published_at and published_at < since)
                               or (newest and newest < since)))

    def _worth_revisiting(self, state: ArticleState, newest: str | None) -> bool:
        """A stored story is fetched again when a listing dates a change after the stored
        version, or when it is due by age."""
        stored = state.updated_at or state.published_at
        if newest and stored and newest > stored:
            self.stats.inc_value("newscrawl/revisits/changed")
            return True
        if self.rule.due(datetime.now(UTC), stored, state.last_checked_at, state.dated):
            self.stats.inc_value("newscrawl/revisits/due")
            return True
        return False

    def _stored_url(self, state: ArticleState, url: str) -> str:
        """The page's own canonical URL, not an old slug a sitemap kept: no redirect."""
        if state.url and state.url != url and self.outlet.is_article_url(state.url) \
                and urlsplit(state.url)[:2] == urlsplit(url)[:2]:
            self.stats.inc_value("newscrawl/revisits/canonical_url")
            return state.url
        return url

    # -- listings -------------------------------------------------------------------
    def limit_reached(self) -> bool:
        limit = self.config.max_articles
        return limit is not None and len(self.scheduled) >= limit

    def wants_more(self, cards: list[Card]) -> bool:
        """Page on while the listing has not crossed the horizon and the limit is not met."""
        if self.limit_reached():
            return False
        if self.since is None or not cards:
            return True
        dated = [c.published_at for c in cards if c.published_at]
        return not dated or min(dated) >= self.since

    def seen_before(self, cards: list[Card], admitted: list[Any]) -> bool:
        """An incremental walk stops at a page the last finished run saw, unchanged since."""
        if self.window_start is None or admitted or not cards:
            return False
        dated = [c.published_at for c in cards if c.published_at]
        if dated and min(dated) < self.window_start:
            self.stats.inc_value("newscrawl/pagination/stopped_at_archived")
            return True
        return False

    # -- parsed articles --------------------------------------------------------------
    def emit(self, article: Article, discovered_via: str) -> bool:
        """Whether a parsed record goes on to the pipelines (counted when it does not)."""
        if article.article_id and article.article_id in self.emitted:
            self.stats.inc_value("newscrawl/skipped/duplicate_id")
            return False
        if article.article_id:
            self.emitted.add(article.article_id)
        if self.since and discovered_via != "urls" and article.published_at \
                and article.published_at < self.since:
            self.stats.inc_value("newscrawl/skipped/before_horizon")
            return False
        return True

    def ask_again(self, article: Article, meta: dict[str, Any]) -> dict[str, Any] | None:
        """The request meta of one more full fetch of a parsed page read from fallbacks (its
        own sources broken), before its record goes on (``RetryRule``), or None: not degraded,
        asked again already, or on record as degraded (twice read so before: broken for good
        until the site changes it, and this fetch was its retry). Counted."""
        if meta.get(ASK_AGAIN) or (article.article_id and article.article_id in self.broken) \
                or not degraded({"field_sources": article.field_sources,
                                 "parser_version": article.parser_version}):
            return None
        self.stats.inc_value("newscrawl/degraded/asked_again")
        return {**meta, ASK_AGAIN: True, "newscrawl_revisit": False}

    def emitted_enough(self) -> bool:
        limit = self.config.max_articles
        return bool(limit) and len(self.emitted) >= (limit or 0)
