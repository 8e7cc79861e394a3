"""The South China Morning Post, declared as data for the registry (MARKUP.md 4-6)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newscrawl.outlets import register
from newscrawl.outlets.scmp.listing import (
    CARD_SELECTOR,
    LOAD_MORE_SELECTOR,
    read_listing,
    read_listing_api,
)
from newscrawl.outlets.scmp.parser import FURNITURE_EXACT, FURNITURE_PREFIXES, ScmpParserV1
from newscrawl.outlets.spec import BrowserPagination, Outlet, Politeness
from newscrawl.records.cleaning import Furniture

# /<section>[/<subsection>]/article/<id>/<slug>, /plus/article/<id>/<slug>,
# /comment/opinion/article/<id>/<slug>, and the oddity /society/<slug>/article/<id>.
_ARTICLE_PATH = re.compile(r"^(?:/amp)?/(?:[a-z0-9-]+/)+article/(\d{6,8})(?:/[^/]*)?/?$")
_NOT_ARTICLE_PREFIXES = ("/video/", "/topics/", "/author/", "/live", "/podcasts")

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


SCMP = register(Outlet(
    name="scmp",
    base_url="https://www.scmp.com",
    domains=("www.scmp.com", "scmp.com", "amp.scmp.com"),
    sections=MAIN_SECTIONS,
    all_sections=ALL_SECTIONS,
    feeds=FEEDS,
    sitemaps=SITEMAPS,
    # robots.txt asks for Crawl-delay: 10; CrawlDelayMiddleware applies whatever it says.
    politeness=Politeness(crawl_delay=10.0, concurrency_per_domain=4, autothrottle_target=2.0),
    parsers=(ScmpParserV1(),),
    read_listing=read_listing,
    read_listing_api=read_listing_api,
    browser_pagination=BrowserPagination(load_more_selector=LOAD_MORE_SELECTOR,
                                         card_selector=CARD_SELECTOR),
    is_article_url=is_article_url,
    article_id_from_url=article_id_from_url,
    tracking_params=("module", "pgtype"),
    tracking_prefixes=("utm_",),
    furniture=Furniture(exact=FURNITURE_EXACT, prefixes=FURNITURE_PREFIXES),
    news_sitemaps=("/sitemap_news.xml",),
    main_feeds=("/rss/feed",),  # "everything": the latest 50 stories of every section
))
