"""Which discovery surfaces a run fetches, and when: plain objects, no Scrapy.

A full walk fetches every surface the crawl's ``NEWSCRAWL_DISCOVERY`` names and the outlet has.
An incremental run first asks a list of the newest stories, the *voucher*: the news sitemap,
or, for an outlet without one (or when it fails), its main feed. When that list reaches back
to the last finished run, the other feeds add nothing, and the sitemap index and the sections
(the only sources that date edits of older stories: ``lastmod`` and cards' ``updatedDate``)
are fetched only once their interval of site time has passed since a finished run last
fetched them; revisits by age remain the safety net. A gap, a failed or broken voucher, or a
full walk fetches everything.

Not for the workers of a shared frontier (``--redis``): one worker's finished run does not
vouch for its siblings' (one killed mid-crawl loses the requests it held), so each run walks
every source, and the section walk pages on to whatever the archive lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from newscrawl.extraction.dates import parse_utc, utc_iso

if TYPE_CHECKING:
    from collections.abc import Iterable

    from newscrawl.config import CrawlConfig
    from newscrawl.outlets.spec import Outlet


class Surface(Enum):
    """A kind of page that lists article URLs."""

    NEWS = "news"  # the outlet's news sitemaps (the last days' stories)
    INDEX = "index"  # every other sitemap: the index and the monthly files it names
    MAIN_FEEDS = "main_feeds"  # the feeds that list every section's new stories
    FEEDS = "feeds"  # the other feeds
    SECTIONS = "sections"  # the section pages, paged through "load more"


#: What an incremental run may leave to a voucher.
DEFERRABLE = (Surface.MAIN_FEEDS, Surface.FEEDS, Surface.INDEX, Surface.SECTIONS)
EVERY_SURFACE = (Surface.NEWS, *DEFERRABLE)
#: Listings are walked this far past the newest story the last finished run saw.
WINDOW_OVERLAP = timedelta(hours=2)
#: Stats a run keeps, which the archive's runs remember: it read a sitemap index; it walked
#: the sections; the news sitemap was read, or answered 404 (then the main feeds stand in for
#: a day).
INDEX_STAT = "newscrawl/pages/sitemap_index"
SECTIONS_STAT = "newscrawl/pages/section"
NEWS_READ_STAT = "newscrawl/discovery/news_sitemap_read"
NEWS_GONE_STAT = "newscrawl/discovery/news_sitemap_gone"
#: A news sitemap that answered 404 is not asked again for this long (of site time).
NEWS_GONE_FOR = timedelta(hours=24)


class RunHistory(Protocol):
    """What the plan asks the archive: the newest time the listings showed in the finished
    runs (of those whose stats count ``having``)."""

    def last_high_water(self, outlet: str, having: str | None = None) -> str | None: ...


class Stats(Protocol):
    def inc_value(self, key: str, count: int = 1) -> None: ...


@dataclass(frozen=True)
class Voucher:
    """A request for a list of the newest stories, and what waits on its word."""

    waiting: tuple[Surface, ...]
    news_tried: bool = False  # the news sitemap was asked (or is being): next, the main feeds


class DiscoveryPlan:
    """The discovery surfaces of one run of one outlet."""

    def __init__(self, outlet: Outlet, config: CrawlConfig, history: RunHistory, stats: Stats,
                 *, shared_frontier: bool = False) -> None:
        self.outlet, self.config, self.history, self.stats = outlet, config, history, stats
        self.shared_frontier = shared_frontier
        self.window_start: str | None = None  # None walks every listing in full
        self.index_since: str | None = None  # the sitemap index: monthly files changed since
        self.news_gone = False  # the news sitemap answered 404 lately: the main feeds stand in

    def begin(self) -> Voucher | None:
        """Read the archive's history; the voucher to ask first, or None to fetch everything.

        The window of this run is since the newest story the last finished run saw listed
        (less an overlap for late listings). Listings are walked until they reach stories that
        run saw and nothing says have changed since; sitemaps unchanged since are not fetched.
        """
        name = self.outlet.name
        high_water = self.history.last_high_water(name)
        if high_water and not self.config.full:
            self.window_start = _shifted(high_water, -WINDOW_OVERLAP)
        if self.window_start is None or self.shared_frontier:
            return None
        if self.uses(Surface.NEWS):
            gone = self.history.last_high_water(name, having=NEWS_GONE_STAT)
            read = self.history.last_high_water(name, having=NEWS_READ_STAT)
            if gone and (read is None or gone > read) and high_water \
                    and _age(high_water, gone) < NEWS_GONE_FOR:
                self.news_gone = True
                self.stats.inc_value("newscrawl/discovery/news_sitemap_skipped")
        if not (self.uses(Surface.NEWS) or self.uses(Surface.MAIN_FEEDS)):
            return None
        last_index = self.history.last_high_water(name, having=INDEX_STAT)
        shifted = _shifted(last_index, -WINDOW_OVERLAP) if last_index else None
        if shifted:
            self.index_since = min(self.window_start, shifted)
        return Voucher(tuple(s for s in DEFERRABLE if self.uses(s)))

    def uses(self, surface: Surface) -> bool:
        """Whether this crawl's discovery includes that surface, and the outlet has it."""
        discovery, outlet = self.config.discovery, self.outlet
        if surface is Surface.NEWS:
            return "sitemaps" in discovery and bool(outlet.news_sitemaps) and not self.news_gone
        if surface is Surface.MAIN_FEEDS:
            return "feeds" in discovery and bool(outlet.main_feeds)
        kind = {Surface.INDEX: "sitemaps", Surface.FEEDS: "feeds", Surface.SECTIONS: "sections"}
        return kind[surface] in discovery

    def next_voucher(self, voucher: Voucher) -> tuple[Surface, Voucher] | None:
        """The surface to ask next for a list of the newest stories (the news sitemap, then the
        main feeds), with the voucher its answer carries; None when neither is left: then
        everything waiting is fetched."""
        if not voucher.news_tried and self.uses(Surface.NEWS):
            return Surface.NEWS, Voucher(voucher.waiting, news_tried=True)
        if Surface.MAIN_FEEDS in voucher.waiting:
            rest = tuple(s for s in voucher.waiting if s is not Surface.MAIN_FEEDS)
            return Surface.MAIN_FEEDS, Voucher(rest, news_tried=True)
        return None

    def released(self, dates: Iterable[str | None], voucher: Voucher) -> list[Surface]:
        """What a voucher's answer releases: all that waits on a gap, else what is due by the
        site time its newest story shows."""
        dated = [d for d in dates if d]
        if not dated or self.window_start is None or min(dated) > self.window_start:
            # A gap between the list and the last run: the others may close it.
            self.stats.inc_value("newscrawl/discovery/gap")
            return list(voucher.waiting)
        self.stats.inc_value("newscrawl/discovery/feeds_skipped")
        site_now = max(dated)
        due = []
        for surface, every, stat in (
                (Surface.INDEX, self.config.sitemap_index_every_hours, INDEX_STAT),
                (Surface.SECTIONS, self.config.sections_every_hours, SECTIONS_STAT)):
            if surface not in voucher.waiting:
                continue
            last = self.history.last_high_water(self.outlet.name, having=stat)
            if last is None or _age(site_now, last) >= timedelta(hours=every):
                due.append(surface)
                self.stats.inc_value(f"newscrawl/discovery/{surface.value}_due")
            else:
                self.stats.inc_value(f"newscrawl/discovery/{surface.value}_skipped")
        return due

    def sitemap_index_since(self) -> str | None:
        """Child sitemaps changed since this are fetched (all of them on a full walk), and none
        that stopped changing before the horizon."""
        since = [t for t in (self.index_since or self.window_start,
                             utc_iso(self.config.since) if self.config.since else None) if t]
        return max(since) if since else None

    def paths(self, surfaces: Iterable[Surface]) -> list[tuple[Surface, str]]:
        """The outlet's sitemap and feed paths of these surfaces, in the outlet's order
        (sections are the spider's to walk)."""
        wanted = set(surfaces)
        outlet = self.outlet
        # (discovery source, its paths, the paths of its first kind, that kind, the other kind)
        families = (("sitemaps", outlet.sitemaps, outlet.news_sitemaps, Surface.NEWS, Surface.INDEX),
                    ("feeds", outlet.feeds, outlet.main_feeds, Surface.MAIN_FEEDS, Surface.FEEDS))
        out: list[tuple[Surface, str]] = []
        for source, paths, special, special_kind, kind in families:
            if source not in self.config.discovery:
                continue
            for path in paths:
                surface = special_kind if path in special else kind
                if surface in wanted:
                    out.append((surface, path))
        return out

    def walks_sections(self, surfaces: Iterable[Surface]) -> bool:
        return Surface.SECTIONS in set(surfaces) and "sections" in self.config.discovery

    def voucher_paths(self, surface: Surface) -> tuple[str, ...]:
        return self.outlet.news_sitemaps if surface is Surface.NEWS else self.outlet.main_feeds


def _shifted(when: str, by: timedelta) -> str | None:
    parsed = parse_utc(when)
    return utc_iso(parsed + by) if parsed else None


def _age(later: str, earlier: str) -> timedelta:
    """``later - earlier`` as a timedelta (site times as the listings gave them)."""
    a, b = parse_utc(later), parse_utc(earlier)
    if a is None or b is None:
        return timedelta.max
    return a - b
