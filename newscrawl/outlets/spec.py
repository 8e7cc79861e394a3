"""What an outlet declares: the ``Outlet`` entry of the registry and the shapes it speaks in.

An ``Outlet`` says where the site is, which sections, feeds and sitemaps it has, how politely
to crawl it and which parser versions read its pages. The crawl machinery in
``newscrawl.spiders`` is the same for every outlet and holds no site-specific selectors.

Parser versions are kept as fundus's ``ParserProxy`` keeps them: sorted by ``valid_until``
(the current version, ``None``, last), so the outlet can list them in any order; two versions
valid until the same day, or two current ones, are a mistake found when the outlet is built.
``valid_until`` is a day (the version reads pages fetched up to the end of that UTC day) or,
for a site that changed at a known moment, an aware ``datetime`` (pages fetched up to then).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Protocol

from newscrawl.items import Article
from newscrawl.records.cleaning import Furniture


class ArticleParser(Protocol):
    """One version of an outlet's article parser: a pure function of the fetched page."""

    version: str  # "scmp.V1": the outlet's name, a dot, the version
    #: Pages fetched after this (UTC) day, or after this moment, need a newer version.
    valid_until: date | datetime | None

    def parse(self, url: str, html: str, fetched_at: datetime) -> Article: ...


@dataclass(frozen=True)
class Card:
    """One entry of a listing (a section page or a page of its "load more" API)."""

    url: str
    published_at: str | None = None  # ISO 8601 UTC
    updated_at: str | None = None
    headline: str | None = None
    is_article: bool = True


@dataclass(frozen=True)
class NextPage:
    """How to get the next cards of a listing over plain HTTP, when the page says how."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Listing:
    cards: list[Card]
    next_page: NextPage | None = None  # None: no API contract found, or no further cards
    has_more: bool = False  # the listing says more cards exist (a browser can fetch them)


@dataclass(frozen=True)
class BrowserPagination:
    """How a browser gets more cards: what to click and which anchors are cards."""

    load_more_selector: str
    card_selector: str


@dataclass(frozen=True)
class Politeness:
    crawl_delay: float  # used until robots.txt says otherwise
    concurrency_per_domain: int
    autothrottle_target: float


@dataclass(frozen=True)
class SiteDiscovery:
    """Where an outlet that declares no (or not all) discovery surfaces finds them, at the
    start of each run: the ``Sitemap:`` lines of robots.txt (else ``sitemap_paths`` that
    answer), the feeds the home page links to (else ``feed_paths`` that answer with a feed),
    and, when neither lists a story, the home page's section links."""

    feed_paths: tuple[str, ...] = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml",
                                   "/index.xml")
    sitemap_paths: tuple[str, ...] = ("/sitemap_index.xml", "/sitemap.xml")


@dataclass(frozen=True)
class Outlet:
    name: str
    base_url: str
    domains: tuple[str, ...]
    sections: tuple[str, ...]  # default sections to crawl, url paths without slashes
    all_sections: tuple[str, ...]
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    politeness: Politeness
    parsers: tuple[ArticleParser, ...]  # any order; kept sorted by valid_until, current last
    read_listing: Callable[[str, str], Listing]  # (url, html) -> cards and next page
    read_listing_api: Callable[[str, Any, NextPage], Listing]  # (url, json, this page) -> ...
    browser_pagination: BrowserPagination
    is_article_url: Callable[[str], bool]
    article_id_from_url: Callable[[str], str | None]
    tracking_params: tuple[str, ...] = ()  # query parameters that never change the page
    tracking_prefixes: tuple[str, ...] = ()  # ... and prefixes of such names ("utm_")
    furniture: Furniture = Furniture()  # page furniture the clean pipeline removes if it slips
    news_sitemaps: tuple[str, ...] = ()  # those of ``sitemaps`` that list the last days' stories
    main_feeds: tuple[str, ...] = ()  # those of ``feeds`` that list every section's new stories
    #: Set for a site no module describes: the surfaces it lacks are found at run time.
    discovery: SiteDiscovery | None = None
    #: The language its stories are written in (ISO 639-1, "en"); ``newscrawl health`` finds
    #: bodies in another. None: the run's own ``language`` fields say.
    language: str | None = None

    def __post_init__(self) -> None:
        # frozen: the sorted tuple replaces the given one through object.__setattr__.
        object.__setattr__(self, "parsers", _sorted_versions(self.name, self.parsers))

    @property
    def current_parser(self) -> ArticleParser:
        """The newest version: the one without ``valid_until`` (else the latest-dated one)."""
        return self.parsers[-1]

    def parser_for(self, fetched_at: datetime) -> ArticleParser:
        """The first version still valid when the page was fetched (on its UTC day, for a
        version valid until a day), else the current one."""
        when = _utc(fetched_at)
        for parser in self.parsers:
            if parser.valid_until is None or when <= valid_through(parser.valid_until):
                return parser
        return self.parsers[-1]

    def version_suffix(self, parser: ArticleParser) -> str:
        """``V1`` of ``scmp.V1``: the name of the version's golden directory."""
        return parser.version.removeprefix(self.name + ".")


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def valid_through(until: date | datetime) -> datetime:
    """The last moment a version valid ``until`` reads: the moment itself, or the end of the
    (UTC) day."""
    if isinstance(until, datetime):
        return _utc(until)
    return datetime.combine(until, time.max, tzinfo=UTC)


def _sorted_versions(outlet: str, parsers: tuple[ArticleParser, ...]
                     ) -> tuple[ArticleParser, ...]:
    """``parsers`` oldest first, the current one (``valid_until`` None) last; ValueError for
    no versions, a version not named ``<outlet>.<suffix>``, a name used twice, two versions
    valid until the same day and more than one current version."""
    if not parsers:
        raise ValueError(f"outlet {outlet!r} has no parser versions")
    names: set[str] = set()
    for parser in parsers:
        if not parser.version.startswith(outlet + ".") or parser.version == outlet + ".":
            raise ValueError(f"outlet {outlet!r}: parser version {parser.version!r} is not "
                             f"named {outlet}.<version>")
        if parser.version in names:
            raise ValueError(f"outlet {outlet!r}: parser version {parser.version!r} is listed "
                             "twice")
        names.add(parser.version)
    current = [p.version for p in parsers if p.valid_until is None]
    if len(current) > 1:
        raise ValueError(f"outlet {outlet!r}: more than one current parser version (no "
                         f"valid_until): {', '.join(current)}")
    ordered = tuple(sorted(parsers, key=lambda p: (
        p.valid_until is None, valid_through(p.valid_until or date.min))))
    for older, newer in zip(ordered, ordered[1:], strict=False):
        if older.valid_until is not None and newer.valid_until is not None \
                and valid_through(older.valid_until) == valid_through(newer.valid_until):
            raise ValueError(f"outlet {outlet!r}: parser versions {older.version} and "
                             f"{newer.version} are both valid until {older.valid_until}")
    return ordered
