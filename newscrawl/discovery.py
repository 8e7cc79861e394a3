"""Where new and changed articles are announced: sitemaps, news sitemaps, RSS feeds, robots.txt.

Pure functions of the bytes a site served (no Scrapy, no network), so an incremental crawl can
decide what to fetch before fetching it, and a test can feed them a stored file:

- ``parse_sitemap`` tells a sitemap index (child sitemaps and their ``lastmod``) from a
  ``urlset`` (entries with ``lastmod`` and, in a Google News sitemap, the
  ``news:publication_date`` and ``news:title`` that Scrapy's own sitemap reader drops);
- ``parse_feed`` reads an RSS 2.0 or Atom feed with feedparser;
- ``parse_robots_sitemaps`` lists the ``Sitemap:`` lines of a robots.txt;
- ``DiscoveredLink`` is one URL with where it was found and how fresh it is, whatever the
  source, and ``merge`` folds the links of every source into one per article, freshest first.

Dates are returned twice, as found (``*_raw``) and as ISO 8601 UTC with a Z, because a
normalisation that fails must not lose the value. Input that is not a sitemap or a feed at all
raises ``DiscoveryError`` with a one-line message; a bad entry inside a good document is
skipped.
"""

from __future__ import annotations

import calendar
import gzip
import logging
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newscrawl.extraction.dates import to_utc_iso
from newscrawl.urls import strip_tracking

log = logging.getLogger(__name__)

SourceKind = Literal["section", "feed", "sitemap", "news_sitemap"]
#: When several sources list one article under different URLs (a renamed slug), the URL of the
#: first kind here wins: live listings carry the current URL, while an archive sitemap keeps
#: the URL an article had when its entry was written.
URL_PREFERENCE: tuple[SourceKind, ...] = ("section", "feed", "news_sitemap", "sitemap")
#: The sitemap protocol caps a file at 50 MB uncompressed; anything far larger is a gzip bomb.
MAX_DECOMPRESSED_BYTES = 200 * 1024 * 1024
_ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class DiscoveryError(ValueError):
    """A body that is not the sitemap or feed it was expected to be; one-line message."""


# -- sitemaps ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChildSitemap:
    """One ``<sitemap>`` of a sitemap index."""

    url: str
    lastmod: str | None = None  # ISO 8601 UTC, "2026-06-01T06:30:21Z"
    lastmod_raw: str | None = None  # as written, "2026-06-01T14:30:21+08:00"


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` of a urlset; the ``news_*`` fields only in a Google News sitemap."""

    url: str
    lastmod: str | None = None  # ISO 8601 UTC
    lastmod_raw: str | None = None
    publication_date: str | None = None  # news:publication_date, ISO 8601 UTC
    publication_date_raw: str | None = None
    title: str | None = None  # news:title

    @property
    def is_news(self) -> bool:
        return self.publication_date_raw is not None or self.title is not None


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: an index (``sitemaps`` filled) or a urlset (``entries`` filled)."""

    url: str
    kind: Literal["index", "urlset"]
    sitemaps: tuple[ChildSitemap, ...] = ()
    entries: tuple[SitemapEntry, ...] = ()

    @property
    def is_index(self) -> bool:
        return self.kind == "index"

    @property
    def is_news(self) -> bool:
        """A Google News sitemap: some entry carries ``news:`` fields."""
        return any(entry.is_news for entry in self.entries)

    def sitemaps_changed_since(self, since: str | None) -> list[ChildSitemap]:
        """Child sitemaps whose ``lastmod`` is after ``since`` (ISO UTC), or unknown: the ones
        an incremental crawl must fetch again. ``since=None`` gives them all."""
        if since is None:
            return list(self.sitemaps)
        since = _normalised(since) or since
        return [c for c in self.sitemaps if c.lastmod is None or c.lastmod > since]


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """Read a sitemap index or urlset, plain or gzipped, with or without namespaces.

    ``base_url`` is where the body came from: relative ``<loc>`` values are resolved against
    it. ``DiscoveryError`` when the body is empty, not XML, or XML of another kind.
    """
    root = _xml_root(_maybe_gunzip(body, base_url), base_url)
    kind = _local(root.tag)
    if kind == "sitemapindex":
        children = []
        for node in root:
            if _local(node.tag) != "sitemap":
                continue
            fields = _children_text(node)
            url = _resolve(base_url, fields.get("loc"))
            if url is None:
                log.debug("sitemap index %s: a <sitemap> without a usable <loc>", base_url)
                continue
            raw = fields.get("lastmod")
            children.append(ChildSitemap(url, to_utc_iso(raw) if raw else None, raw))
        return Sitemap(base_url, "index", sitemaps=tuple(children))
    if kind == "urlset":
        entries = []
        for node in root:
            if _local(node.tag) != "url":
                continue
            entry = _url_entry(node, base_url)
            if entry is not None:
                entries.append(entry)
        return Sitemap(base_url, "urlset", entries=tuple(entries))
    raise DiscoveryError(f"{base_url}: not a sitemap (root element <{kind}>, expected "
                         "<urlset> or <sitemapindex>)")


def _url_entry(node: Any, base_url: str) -> SitemapEntry | None:
    fields = _children_text(node)
    url = _resolve(base_url, fields.get("loc"))
    if url is None:
        log.debug("sitemap %s: a <url> without a usable <loc>", base_url)
        return None
    lastmod_raw = fields.get("lastmod")
    publication_raw = title = None
    for child in node:
        if _local(child.tag) != "news":
            continue
        news = _children_text(child)
        publication_raw = news.get("publication_date")
        title = news.get("title")
    return SitemapEntry(
        url=url,
        lastmod=to_utc_iso(lastmod_raw) if lastmod_raw else None,
        lastmod_raw=lastmod_raw,
        publication_date=to_utc_iso(publication_raw) if publication_raw else None,
        publication_date_raw=publication_raw,
        title=title,
    )


def _xml_root(body: bytes, where: str) -> Any:
    if not body.strip():
        raise DiscoveryError(f"{where}: empty body, expected XML")
    # recover=True reads the slightly broken XML real sites serve; entities are never resolved
    # and nothing is fetched, so a hostile file cannot reach the network or the disk.
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                             remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DiscoveryError(f"{where}: not XML ({_one_line(exc)})") from None
    if root is None:
        raise DiscoveryError(f"{where}: not XML (nothing could be parsed)")
    return root


def _local(tag: Any) -> str:
    """The element name without its namespace; "" for comments and the like."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].split(":")[-1].lower()


def _children_text(node: Any) -> dict[str, str]:
    """Direct children by local name -> stripped text (the first one wins, empty ones skipped)."""
    out: dict[str, str] = {}
    for child in node:
        name = _local(child.tag)
        text = (child.text or "").strip()
        if name and text and name not in out:
            out[name] = text
    return out


def _resolve(base_url: str, loc: str | None) -> str | None:
    if not loc:
        return None
    url = urljoin(base_url, loc.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None


def parse_robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in order, relative ones resolved."""
    text = _maybe_gunzip(body, base_url).decode("utf-8", errors="replace")
    urls = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "sitemap":
            url = _resolve(base_url, value.split("#", 1)[0])
            if url and url not in urls:
                urls.append(url)
    return urls


# -- feeds ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedEntry:
    """One item of an RSS or Atom feed."""

    link: str  # as the feed gives it, tracking parameters included
    guid: str | None = None
    title: str | None = None
    published_at: str | None = None  # ISO 8601 UTC
    published_raw: str | None = None  # "Mon, 01 Jun 2026 07:51:43 +0000"
    updated_at: str | None = None
    updated_raw: str | None = None
    authors: tuple[str, ...] = ()  # "Alcott Wei,Jun Mai" -> ("Alcott Wei", "Jun Mai")


def parse_feed(body: bytes, url: str) -> list[FeedEntry]:
    """The items of an RSS 2.0 (or Atom) feed, in feed order.

    Items without a link are skipped. ``DiscoveryError`` when the body is not a feed at all.
    """
    import feedparser  # the only non-trivial import; kept local so sitemaps need none of it

    data = _maybe_gunzip(body, url)
    if not data.strip():
        raise DiscoveryError(f"{url}: empty body, expected a feed")
    parsed = feedparser.parse(data, response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        reason = _one_line(parsed.get("bozo_exception") or "no <rss>, <feed> or <rdf:RDF>")
        raise DiscoveryError(f"{url}: not an RSS or Atom feed ({reason})")
    entries = []
    for item in parsed.entries:
        link = _resolve(url, item.get("link"))
        if link is None:
            log.debug("feed %s: an item without a usable link", url)
            continue
        published_raw = item.get("published")
        # dict.get: FeedParserDict.get("updated") falls back to "published", with a warning.
        updated_raw = dict.get(item, "updated")
        entries.append(FeedEntry(
            link=link,
            guid=item.get("id") or None,
            title=(item.get("title") or "").strip() or None,
            published_at=_feed_date(published_raw, item.get("published_parsed")),
            published_raw=published_raw,
            updated_at=_feed_date(updated_raw, dict.get(item, "updated_parsed")),
            updated_raw=updated_raw,
            authors=_feed_authors(item),
        ))
    return entries


def _feed_date(raw: str | None, parsed: Any) -> str | None:
    if raw:
        iso = to_utc_iso(raw)
        if iso:
            return iso
    if parsed:  # feedparser's struct_time, always UTC, for formats our parser does not know
        try:
            return to_utc_iso(calendar.timegm(parsed))
        except (TypeError, ValueError, OverflowError):
            return None
    return None


def _feed_authors(item: Any) -> tuple[str, ...]:
    """Every author name once, in order; names several authors share are split on ",".

    feedparser folds ``<author>`` and ``<dc:creator>`` into ``authors``; both hold the same
    comma-joined list on feeds like SCMP's.
    """
    names: list[str] = []
    raw = [a.get("name") or a.get("email") or "" for a in item.get("authors") or []]
    if not any(raw) and item.get("author"):
        raw = [item["author"]]
    for value in raw:
        for name in str(value).split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    return tuple(names)


# -- one list from every source ---------------------------------------------------------------
@dataclass(frozen=True)
class DiscoveredLink:
    """A URL one discovery source listed, with the freshness signals the source gave."""

    url: str
    via: str  # the section page, feed or sitemap that listed it
    source: SourceKind
    published_at: str | None = None  # ISO 8601 UTC
    updated_at: str | None = None  # updated time or sitemap lastmod, ISO 8601 UTC
    title: str | None = None

    @property
    def freshness(self) -> str | None:
        """The newest of the link's dates: when it last changed, as far as the source says."""
        dates = [d for d in (self.published_at, self.updated_at) if d]
        return max(dates) if dates else None


def links_from_sitemap(sitemap: Sitemap) -> list[DiscoveredLink]:
    """The entries of a urlset as links ("news_sitemap" when they carry news fields)."""
    return [
        DiscoveredLink(url=e.url, via=sitemap.url,
                       source="news_sitemap" if e.is_news else "sitemap",
                       published_at=e.publication_date, updated_at=e.lastmod, title=e.title)
        for e in sitemap.entries
    ]


def links_from_feed(entries: Iterable[FeedEntry], via: str) -> list[DiscoveredLink]:
    return [DiscoveredLink(url=e.link, via=via, source="feed", published_at=e.published_at,
                           updated_at=e.updated_at, title=e.title) for e in entries]


def links_from_cards(cards: Iterable[Any], via: str) -> list[DiscoveredLink]:
    """Cards of a section listing (``newscrawl.outlets.Card``), articles only."""
    return [DiscoveredLink(url=c.url, via=via, source="section", published_at=c.published_at,
                           updated_at=c.updated_at, title=c.headline)
            for c in cards if getattr(c, "is_article", True)]


def tracking_stripper(names: tuple[str, ...], prefixes: tuple[str, ...] = ()
                      ) -> Callable[[str], str]:
    """``strip_tracking`` bound to an outlet's parameters, for ``merge(strip=...)``."""
    def strip(url: str) -> str:
        return strip_tracking(url, names, prefixes)
    return strip


def merge(links: Iterable[DiscoveredLink], *, strip: Callable[[str], str] | None = None,
          key: Callable[[str], str | None] | None = None) -> list[DiscoveredLink]:
    """One link per article, freshest first.

    URLs are first passed through ``strip`` (e.g. ``tracking_stripper(outlet.tracking_params,
    outlet.tracking_prefixes)``); links are then grouped by ``key(url)`` (e.g. the outlet's
    ``article_id_from_url``, so that a renamed slug still meets its article), or by the
    stripped URL when ``key`` is None or returns None. In each group the URL comes from the
    most current kind of source (``URL_PREFERENCE``), ``published_at`` is the earliest
    publication date given, and ``updated_at`` the latest change any source signalled
    (a later publication date counts as a change). Groups are ordered by that freshness,
    newest first; links with no date at all come last, in the order they were first seen.
    """
    groups: dict[str, list[DiscoveredLink]] = {}
    for link in links:
        url = strip(link.url) if strip else link.url
        link = replace(link, url=url, published_at=_normalised(link.published_at),
                       updated_at=_normalised(link.updated_at))
        group_key = (key(url) if key else None) or url
        groups.setdefault(group_key, []).append(link)
    merged = [_merge_group(group) for group in groups.values()]  # in first-seen order
    merged.sort(key=lambda link: link.freshness or "", reverse=True)  # stable: ties keep it
    return merged


def _merge_group(group: list[DiscoveredLink]) -> DiscoveredLink:
    if len(group) == 1:
        return group[0]
    rank = {kind: n for n, kind in enumerate(URL_PREFERENCE)}
    best = min(group, key=lambda link: rank.get(link.source, len(rank)))
    published = sorted(d for d in (link.published_at for link in group) if d)
    changes = [d for d in (link.updated_at for link in group) if d] + published[1:]
    return replace(best,
                   published_at=published[0] if published else None,
                   updated_at=max(changes) if changes else None,
                   title=best.title or next((link.title for link in group if link.title), None))


def _normalised(value: str | None) -> str | None:
    if not value or _ISO_Z.match(value):
        return value or None
    return to_utc_iso(value)


# -- shared -----------------------------------------------------------------------------------
def _maybe_gunzip(body: bytes, where: str) -> bytes:
    """The body, gunzipped when it starts with the gzip magic (sitemaps are often ``.xml.gz``
    served without Content-Encoding), never more than ``MAX_DECOMPRESSED_BYTES``."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise DiscoveryError(f"{where}: expected bytes, got {type(body).__name__}")
    body = bytes(body)
    if body[:2] != b"\x1f\x8b":
        return body
    out = bytearray()
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = body
    try:
        while data:
            out += decoder.decompress(data, MAX_DECOMPRESSED_BYTES + 1 - len(out))
            if len(out) > MAX_DECOMPRESSED_BYTES:
                raise DiscoveryError(f"{where}: gzip body larger than "
                                     f"{MAX_DECOMPRESSED_BYTES} bytes once decompressed")
            data = decoder.unconsumed_tail
            if decoder.eof and decoder.unused_data:  # concatenated gzip members
                data = decoder.unused_data
                decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise DiscoveryError(f"{where}: broken gzip body ({_one_line(exc)})") from None
    if not decoder.eof:
        raise DiscoveryError(f"{where}: truncated gzip body")
    return bytes(out)


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text[:200] or type(value).__name__


__all__ = ["ChildSitemap", "DiscoveredLink", "DiscoveryError", "FeedEntry", "Sitemap",
           "SitemapEntry", "URL_PREFERENCE", "links_from_cards", "links_from_feed",
           "links_from_sitemap", "merge", "parse_feed", "parse_robots_sitemaps",
           "parse_sitemap", "tracking_stripper"]
