"""RSS 2.0 and Atom feeds, read with feedparser from the bytes a site served."""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from typing import Any

from newscrawl.discovery.sitemaps import DiscoveryError, maybe_gunzip, resolve
from newscrawl.extraction.dates import to_utc_iso
from newscrawl.messages import one_line

log = logging.getLogger(__name__)


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

    data = maybe_gunzip(body, url)
    if not data.strip():
        raise DiscoveryError(f"{url}: empty body, expected a feed")
    parsed = feedparser.parse(data, response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        reason = one_line(parsed.get("bozo_exception") or "no <rss>, <feed> or <rdf:RDF>", 200)
        raise DiscoveryError(f"{url}: not an RSS or Atom feed ({reason})")
    entries = []
    for item in parsed.entries:
        link = resolve(url, item.get("link"), "a feed item")
        if link is None:
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
