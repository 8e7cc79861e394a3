"""The South China Morning Post, declared as data for the registry (MARKUP.md 4-6), and the
sole owner of its URL rules: the article-id patterns, the tracking parameters and the
canonical twin of a page URL.

The parser reads these rules too, so this module must not import it: the versions are listed
where the outlet is registered, in ``newscrawl/outlets/scmp/__init__.py``
(``SCMP = register(scmp_outlet(parsers=(ScmpParserV1(),)))``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from newscrawl.extraction.urls import strip_tracking
from newscrawl.outlets.scmp.furniture import FURNITURE
from newscrawl.outlets.scmp.listing import (
    CARD_SELECTOR,
    LOAD_MORE_SELECTOR,
    read_listing,
    read_listing_api,
)
from newscrawl.outlets.spec import BrowserPagination, Outlet, Politeness

if TYPE_CHECKING:
    from newscrawl.outlets.spec import ArticleParser

_ID = r"\d{6,8}"  # an article id: six to eight digits
#: An article id on its own ("3352060").
ARTICLE_ID = re.compile(rf"^{_ID}$")
#: The ``/article/<id>`` of a path, anywhere in it (group 1: the id).
ARTICLE_ID_IN_PATH = re.compile(rf"/article/({_ID})(?:/|$)")
# /<section>[/<subsection>]/article/<id>/<slug>, /plus/article/<id>/<slug>,
# /comment/opinion/article/<id>/<slug>, and the oddity /society/<slug>/article/<id>.
_ARTICLE_PATH = re.compile(rf"^(?:/amp)?/(?:[a-z0-9-]+/)+article/({_ID})(?:/[^/]*)?/?$")
_NOT_ARTICLE_PREFIXES = ("/video/", "/topics/", "/author/", "/live", "/podcasts")

#: Query parameters that never change the page (and prefixes of such names).
TRACKING_PARAMS = ("module", "pgtype")
TRACKING_PREFIXES = ("utm_",)

MAIN_SECTIONS = ("news/hong-kong", "news/china", "news/asia", "news/world", "business",
                 "economy", "tech", "opinion", "lifestyle", "sport", "week-asia")
ALL_SECTIONS = MAIN_SECTIONS + ("news/hong-kong/politics", "news/china/diplomacy",
                                "business/markets", "tech/big-tech", "opinion/comment")

# RSS ids of MARKUP.md 6: 91 News, 2 Hong Kong, 4 China, 3 Asia, 5 World, 92 Business,
# 36 Tech, 94 Life, 95 Sport; /rss/feed is everything.
FEEDS = ("/rss/feed", "/rss/91/feed", "/rss/2/feed", "/rss/4/feed", "/rss/3/feed",
         "/rss/5/feed", "/rss/92/feed", "/rss/36/feed", "/rss/94/feed", "/rss/95/feed")
SITEMAPS = ("/sitemap/archives-0.xml", "/sitemap_news.xml")


def is_article_url(url: str) -> bool:
    path = urlsplit(url).path
    if path.startswith(_NOT_ARTICLE_PREFIXES):
        return False
    return bool(_ARTICLE_PATH.match(path))


def article_id_from_url(url: str) -> str | None:
    match = _ARTICLE_PATH.match(urlsplit(url).path)
    return match.group(1) if match else None


def unamp_path(path: str) -> str:
    """The path of the page an AMP copy (``/amp/...``) copies."""
    return path[4:] if path.startswith("/amp/") else path


def canonical_twin(url: str) -> str:
    """A page URL as its canonical twin: tracking parameters, fragment and AMP copy undone."""
    url = strip_tracking(url, TRACKING_PARAMS, TRACKING_PREFIXES)
    parts = urlsplit(url)
    host = parts.netloc
    scheme = parts.scheme
    if host.lower().startswith("amp.") and host.lower().endswith("scmp.com"):
        host = "www." + host[4:]
    if host.lower() in ("scmp.com", "www.scmp.com"):
        scheme, host = "https", "www.scmp.com"
    return urlunsplit((scheme, host, unamp_path(parts.path), parts.query, ""))


def scmp_outlet(parsers: tuple[ArticleParser, ...]) -> Outlet:
    """SCMP's registry entry, read by ``parsers`` (any order: the Outlet sorts them)."""
    return Outlet(
        name="scmp",
        base_url="https://www.scmp.com",
        domains=("www.scmp.com", "scmp.com", "amp.scmp.com"),
        sections=MAIN_SECTIONS,
        all_sections=ALL_SECTIONS,
        feeds=FEEDS,
        sitemaps=SITEMAPS,
        # robots.txt asks for Crawl-delay: 10; CrawlDelayMiddleware applies whatever it says.
        politeness=Politeness(crawl_delay=10.0, concurrency_per_domain=4,
                              autothrottle_target=2.0),
        parsers=parsers,
        read_listing=read_listing,
        read_listing_api=read_listing_api,
        browser_pagination=BrowserPagination(load_more_selector=LOAD_MORE_SELECTOR,
                                             card_selector=CARD_SELECTOR),
        is_article_url=is_article_url,
        article_id_from_url=article_id_from_url,
        tracking_params=TRACKING_PARAMS,
        tracking_prefixes=TRACKING_PREFIXES,
        furniture=FURNITURE,
        news_sitemaps=("/sitemap_news.xml",),
        main_feeds=("/rss/feed",),  # "everything": the latest 50 stories of every section
        language="en",
    )
