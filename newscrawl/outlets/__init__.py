"""The outlet registry: every outlet declares itself here as data.

An ``Outlet`` says where the site is, which sections, feeds and sitemaps it has, how politely
to crawl it and which parser versions read its pages. The crawl machinery in
``newscrawl.spiders`` is the same for every outlet and holds no site-specific selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from newscrawl.items import Article
from newscrawl.records.cleaning import Furniture


class ArticleParser(Protocol):
    """One version of an outlet's article parser: a pure function of the fetched page."""

    version: str  # "scmp.V1"
    valid_until: date | None  # pages fetched after this date need a newer version

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
class Outlet:
    name: str
    base_url: str
    domains: tuple[str, ...]
    sections: tuple[str, ...]  # default sections to crawl, url paths without slashes
    all_sections: tuple[str, ...]
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    politeness: Politeness
    parsers: tuple[ArticleParser, ...]  # newest first
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

    def parser_for(self, fetched_at: datetime) -> ArticleParser:
        for parser in self.parsers:
            if parser.valid_until is None or fetched_at.date() <= parser.valid_until:
                return parser
        return self.parsers[0]


_REGISTRY: dict[str, Outlet] = {}


def register(outlet: Outlet) -> Outlet:
    if outlet.name in _REGISTRY:
        raise ValueError(f"outlet {outlet.name!r} is registered twice")
    for other in _REGISTRY.values():
        shared = set(outlet.domains) & set(other.domains)
        if shared:
            raise ValueError(f"domain {sorted(shared)[0]!r} belongs to {other.name!r} already")
    _REGISTRY[outlet.name] = outlet
    return outlet


def get_outlet(name: str) -> Outlet:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown outlet {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def all_outlets() -> Iterable[Outlet]:
    _load()
    return list(_REGISTRY.values())


def _load() -> None:
    from newscrawl.outlets import scmp  # noqa: F401 - registers itself
