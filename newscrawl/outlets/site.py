"""Any site as an outlet: the ``Outlet`` of a site no module describes, built at run time
(``newscrawl crawl --site URL``) or from an entry of ``outlets.toml`` (``declared``).

What SCMP's module knows of its site, a generic outlet guesses from what news sites share:

- article pages are told from other pages by their address (``ArticleUrls``): a path with a
  date, a long slug or a numeric id, and not a tag, category, author or page index (an
  ``article_url`` regex replaces the guess); the generic parser then refuses what is no
  article by its content (``NotAnArticle``: a video, a gallery, a listing), a counted skip;
- a story's id is a hash of its address on the site (``story_id``): path and query without
  tracking parameters, so the same story keeps its id on a mirror or a replica;
- a section page is read as a page of links (``read_link_listing``): there is no load-more
  API, and nothing to click;
- the discovery surfaces it does not declare are found at the start of each run
  (``Outlet.discovery``, ``discovered``): robots.txt's ``Sitemap:`` lines, the home page's
  feeds and the usual feed paths, and the home page's section links when nothing else lists
  stories.

Pages are read by the generic parser (``newscrawl.extraction.generic``), as the outlet's only
parser version ``<name>.generic.V1``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from newscrawl.discovery.site import is_news_sitemap, site_path
from newscrawl.extraction.urls import strip_tracking
from newscrawl.items import Article
from newscrawl.outlets.spec import (
    BrowserPagination,
    Card,
    Listing,
    NextPage,
    Outlet,
    Politeness,
    SiteDiscovery,
)

#: Query parameters that never change a page, on most sites.
TRACKING_PARAMS = ("fbclid", "gclid", "mc_cid", "mc_eid", "ref", "cmpid", "ocid")
TRACKING_PREFIXES = ("utm_",)
#: A generic outlet crawls as politely as SCMP's robots.txt asks until the site's says more.
POLITENESS = Politeness(crawl_delay=5.0, concurrency_per_domain=2, autothrottle_target=1.0)
#: First path segments of pages that index other pages.
_INDEX_SEGMENTS = frozenset({
    "author", "authors", "category", "categories", "tag", "tags", "topic", "topics", "page",
    "section", "sections", "search", "feed", "rss", "people",
    "profile", "profiles", "series", "index", "login", "subscribe", "newsletter"})
_NOT_PAGES = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|css|js|json|xml|rss|pdf|zip|mp[34]|ico)$",
                        re.I)
_DATE = re.compile(r"(?:^|/)(?:19|20)\d{2}(?:/|-)?(?:0[1-9]|1[0-2])(?:(?:/|-)?[0-3]\d)?(?:/|-|$)")
_NUMERIC_ID = re.compile(r"(?:^|[/_.=-])\d{4,}(?:[/_.-]|\.html?$|$)")
_SLUG_WORD = re.compile(r"[^\W_]+")
_QUERY_ID = re.compile(r"^(?:p|id|story|article|storyid|articleid|post)$", re.I)
#: A slug of this many words is a story's (``council-approves-budget``).
SLUG_WORDS = 3


@dataclass(frozen=True)
class ArticleUrls:
    """Which addresses of a site are article pages: ``pattern`` (searched in the path and
    query) when the outlet declares one, else the generic guess."""

    pattern: re.Pattern[str] | None = None

    def __call__(self, url: str) -> bool:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if self.pattern is not None:
            return bool(self.pattern.search(target))
        return looks_like_article(parts.path, parts.query)


def looks_like_article(path: str, query: str = "") -> bool:
    """A path with a date, a numeric id or a long slug, not under an index segment, not a
    file; or a query naming a numeric story id (``?p=3289``, ``?id=1208``)."""
    segments = [s for s in path.lower().split("/") if s]
    if _NOT_PAGES.search(path) or any(s in _INDEX_SEGMENTS for s in segments[:-1]) \
            or (segments and segments[0] in _INDEX_SEGMENTS):
        return False
    if any(_QUERY_ID.match(k) and v.isdigit() for k, v in parse_qsl(query)):
        return True
    if not segments:
        return False
    if len(segments) >= 2 and segments[-2] == "page" and segments[-1].isdigit():
        return False
    if _DATE.search(path) or _NUMERIC_ID.search(path):
        return True
    slug = re.sub(r"\.html?$", "", segments[-1])
    return "-" in slug and len(_SLUG_WORD.findall(slug)) >= SLUG_WORDS


@dataclass(frozen=True)
class StoryIds:
    """A story's id on a site: 16 hex digits of a hash of its path and query (tracking
    parameters, fragment and a trailing slash do not change it; the host does not count, so
    a mirror's copy is the same story)."""

    tracking_params: tuple[str, ...] = TRACKING_PARAMS
    tracking_prefixes: tuple[str, ...] = TRACKING_PREFIXES

    def __call__(self, url: str) -> str | None:
        parts = urlsplit(strip_tracking(url, self.tracking_params, self.tracking_prefixes))
        if parts.scheme not in ("http", "https"):
            return None
        key = (parts.path.rstrip("/") or "/") + (f"?{parts.query}" if parts.query else "")
        return hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=8).hexdigest()


class SiteParser:
    """The generic parser as one outlet's parser version: the record's id is the outlet's
    (``StoryIds``), so the archive, admission and the parsed record agree on it."""

    valid_until: date | None = None

    def __init__(self, outlet: str, story_id: StoryIds) -> None:
        self.version = f"{outlet}.generic.V1"
        self.story_id = story_id

    def parse(self, url: str, html: str, fetched_at: datetime) -> Article:
        from newscrawl.outlets import generic_parser

        article = generic_parser().parse(url, html, fetched_at)
        article.article_id = self.story_id(url)
        article.parser_version = self.version
        return article


def read_link_listing(url: str, html: str) -> Listing:
    """A section page read as a page of links: every link on the page, as a card (the
    article-URL rule then keeps the stories), dated by a ``<time datetime>`` inside it or its
    card; no "load more"."""
    try:
        root = lxml_html.document_fromstring(html) if html and html.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return Listing(cards=[])
    cards: list[Card] = []
    seen: set[str] = set()
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        link = urljoin(url, href).split("#", 1)[0]
        if link in seen:
            continue
        seen.add(link)
        cards.append(Card(url=link, published_at=_card_time(anchor),
                          headline=" ".join(anchor.text_content().split()) or None))
    return Listing(cards=cards)


def _card_time(anchor: Any) -> str | None:
    """The ``<time datetime>`` of a link's card: inside the link, else in the smallest
    element around it that holds no other link."""
    from newscrawl.extraction.dates import to_utc_iso

    node = anchor
    while node is not None and (node is anchor or len(node.xpath(".//a[@href]")) == 1):
        for time in node.iter("time"):
            value = time.get("datetime")
            if value:
                return to_utc_iso(value)
        node = node.getparent()
    return None


def no_listing_api(url: str, data: Any, page: NextPage) -> Listing:
    """A generic outlet knows no load-more API: an empty page."""
    return Listing(cards=[])


def site_name(base_url: str) -> str:
    """A safe outlet name for a site: its host without ``www.`` (and its port), dots and
    dashes as underscores (``news.example.com`` -> ``news_example_com``)."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "site").lower().removeprefix("www.")
    name = re.sub(r"[^a-z0-9]+", "_", host).strip("_") or "site"
    name = f"{name}_{parts.port}" if parts.port else name
    return name if name[0].isalpha() else f"site_{name}"  # 127.0.0.1: site_127_0_0_1


def site_domains(base_url: str) -> tuple[str, ...]:
    """The host of ``base_url`` and its ``www.`` or bare twin (an IP address has none)."""
    host = (urlsplit(base_url).hostname or "").lower()
    if not host or re.match(r"^[\d.]+$|:", host):
        return (host,) if host else ()
    bare = host.removeprefix("www.")
    return (host, bare) if host != bare else (host, "www." + host)


def site_outlet(base_url: str, name: str | None = None, *, domains: tuple[str, ...] = (),
                sections: tuple[str, ...] = (), feeds: tuple[str, ...] = (),
                sitemaps: tuple[str, ...] = (), article_url: str | None = None,
                tracking_params: tuple[str, ...] = (),
                politeness: Politeness = POLITENESS) -> Outlet:
    """The outlet of a site no module describes; what it does not declare is found at the
    start of each run (``Outlet.discovery``). ``re.error`` for a bad ``article_url``."""
    base_url = base_url.rstrip("/")
    name = name or site_name(base_url)
    params = tuple(dict.fromkeys(TRACKING_PARAMS + tracking_params))
    story_id = StoryIds(params, TRACKING_PREFIXES)
    sections = tuple(s.strip("/") for s in sections)
    return Outlet(
        name=name, base_url=base_url, domains=domains or site_domains(base_url),
        sections=sections, all_sections=sections, feeds=feeds, sitemaps=sitemaps,
        politeness=politeness, parsers=(SiteParser(name, story_id),),
        read_listing=read_link_listing, read_listing_api=no_listing_api,
        browser_pagination=BrowserPagination(load_more_selector="a[rel=next]",
                                             card_selector="a[href]"),
        is_article_url=ArticleUrls(re.compile(article_url) if article_url else None),
        article_id_from_url=story_id, tracking_params=params,
        tracking_prefixes=TRACKING_PREFIXES,
        news_sitemaps=tuple(p for p in sitemaps if is_news_sitemap(p)),
        main_feeds=feeds[:1], discovery=SiteDiscovery())


@dataclass
class Found:
    """The surfaces one run found on the site (paths on it)."""

    sitemaps: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def add(self, kind: str, url: str, base_url: str) -> None:
        path = site_path(url, base_url)
        found = getattr(self, kind)
        if path and path not in found:
            found.append(path)


def discovered(outlet: Outlet, found: Found) -> Outlet:
    """``outlet`` with what this run found added to what it declares: the news sitemaps
    (by name) ask first on an incremental run, then the first feed; the home page's sections
    only when no sitemap and no feed lists the stories."""
    sitemaps = tuple(dict.fromkeys(outlet.sitemaps + tuple(found.sitemaps)))
    feeds = tuple(dict.fromkeys(outlet.feeds + tuple(found.feeds)))
    sections = outlet.sections
    if not sections and not sitemaps and not feeds:
        sections = tuple(found.sections)
    return dataclasses.replace(
        outlet, sitemaps=sitemaps, feeds=feeds, sections=sections,
        all_sections=tuple(dict.fromkeys(outlet.all_sections + sections)),
        news_sitemaps=tuple(p for p in sitemaps if is_news_sitemap(p)),
        main_feeds=outlet.main_feeds or feeds[:1])


__all__ = ["ArticleUrls", "Found", "SiteParser", "StoryIds", "discovered", "looks_like_article",
           "read_link_listing", "site_domains", "site_name", "site_outlet"]
