"""What a site's own pages say about where it lists its stories, for a site no outlet module
describes: the feeds its home page links to, the home page's section links, and which of its
sitemaps are news sitemaps.

Pure functions of the bytes a site served, as the rest of ``discovery``; the spider fetches
the pages (``newscrawl.outlets.spec.SiteDiscovery`` says which) and the outlet
(``newscrawl.outlets.site``) turns what is found here into its surfaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

#: ``<link rel="alternate">`` types that are feeds.
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
#: A home page's section links: at most this many, in page order.
MAX_SECTIONS = 30
#: Link paths that are never a section of stories (first path segment).
_NOT_SECTIONS = frozenset({
    "about", "account", "advertise", "archive", "contact", "cookies", "donate", "feed",
    "help", "imprint", "jobs", "legal", "login", "logout", "newsletter", "newsletters",
    "privacy", "register", "rss", "search", "shop", "sign-in", "signin", "subscribe",
    "subscription", "terms", "wp-admin", "wp-login.php"})
_SECTION_SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_-]*$", re.I)
_NEWS_SITEMAP = re.compile(r"news", re.I)


@dataclass(frozen=True)
class HomePage:
    """What a home page says: its feeds (paths on the site) and its section links (paths
    without slashes, as ``Outlet.sections`` holds them)."""

    feeds: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()


def site_path(url: str, base_url: str) -> str | None:
    """``url`` as a path (and query) on the site of ``base_url``, or None when it is on
    another host (the spider requests ``base_url + path``)."""
    parts, base = urlsplit(url), urlsplit(base_url)
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host != (base.hostname or "").lower().removeprefix("www.") or parts.port != base.port:
        return None
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def read_home_page(body: bytes | str, url: str, base_url: str,
                   is_article_url: Callable[[str], bool]) -> HomePage:
    """The feeds a home page links to (``<link rel="alternate" type="application/rss+xml">``
    and Atom) and its section links: links on the site, in the page's ``<nav>`` and
    ``<header>`` (else anywhere), one or two path segments deep, that are no article."""
    if not body or not (body.strip() if isinstance(body, str) else body.strip()):
        return HomePage()
    try:
        root = lxml_html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return HomePage()
    feeds: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = link.get("href")
        if "alternate" in rel and kind in FEED_TYPES and href:
            path = site_path(urljoin(url, href.strip()), base_url)
            if path and path not in feeds:
                feeds.append(path)
    return HomePage(tuple(feeds), _sections(root, url, base_url, is_article_url))


def _sections(root: etree._Element, url: str, base_url: str,
              is_article_url: Callable[[str], bool]) -> tuple[str, ...]:
    anchors = root.xpath("//nav//a[@href] | //header//a[@href]") or root.xpath("//a[@href]")
    sections: list[str] = []
    for anchor in anchors:
        absolute = urljoin(url, anchor.get("href").strip())
        path = site_path(absolute, base_url)
        if path is None or "?" in path or is_article_url(absolute):
            continue
        segments = [s for s in path.split("/") if s]
        if not 1 <= len(segments) <= 2 or segments[0].lower() in _NOT_SECTIONS \
                or not all(_SECTION_SEGMENT.match(s) for s in segments):
            continue
        section = "/".join(segments)
        if section not in sections:
            sections.append(section)
        if len(sections) >= MAX_SECTIONS:
            break
    return tuple(sections)


def is_news_sitemap(path: str) -> bool:
    """Whether a sitemap's address names it a news sitemap (``/sitemap_news.xml``,
    ``/news-sitemap.xml``, ``/sitemaps/news.xml``): the one an incremental run asks first."""
    return bool(_NEWS_SITEMAP.search(urlsplit(path).path.rsplit("/", 1)[-1]))


__all__ = ["FEED_TYPES", "HomePage", "is_news_sitemap", "read_home_page", "site_path"]
