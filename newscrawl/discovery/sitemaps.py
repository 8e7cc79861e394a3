"""Sitemaps (indexes, urlsets, Google News sitemaps) and the ``Sitemap:`` lines of robots.txt,
read from the bytes a site served; gzipped bodies are capped against gzip bombs."""

from __future__ import annotations

import gzip
import logging
import re
import zlib
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newscrawl.extraction.dates import to_utc_iso
from newscrawl.messages import one_line

log = logging.getLogger(__name__)

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
    root = _xml_root(maybe_gunzip(body, base_url), base_url)
    kind = _local(root.tag)
    if kind == "sitemapindex":
        children = []
        for node in root:
            if _local(node.tag) != "sitemap":
                continue
            fields = _children_text(node)
            url = resolve(base_url, fields.get("loc"), "a <sitemap> of the index")
            if url is None:
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
    url = resolve(base_url, fields.get("loc"), "a <url>")
    if url is None:
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
        raise DiscoveryError(f"{where}: not XML ({one_line(exc, 200)})") from None
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


def resolve(base_url: str, loc: str | None, entry: str | None = None) -> str | None:
    """``loc`` made absolute against ``base_url``, or None when it is empty or no HTTP(S) URL
    (logged at DEBUG when ``entry`` names what went without one: "a <url>")."""
    url = urljoin(base_url, loc.strip()) if loc else None
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    if entry:
        log.debug("%s: %s without a usable URL", base_url, entry)
    return None


def parse_robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in order, relative ones resolved."""
    text = maybe_gunzip(body, base_url).decode("utf-8", errors="replace")
    urls = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "sitemap":
            url = resolve(base_url, value.split("#", 1)[0])
            if url and url not in urls:
                urls.append(url)
    return urls


def _normalised(value: str | None) -> str | None:
    if not value or _ISO_Z.match(value):
        return value or None
    return to_utc_iso(value)



def maybe_gunzip(body: bytes, where: str) -> bytes:
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
        raise DiscoveryError(f"{where}: broken gzip body ({one_line(exc, 200)})") from None
    if not decoder.eof:
        raise DiscoveryError(f"{where}: truncated gzip body")
    return bytes(out)
