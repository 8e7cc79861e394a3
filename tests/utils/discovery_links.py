"""Test helpers: one list of links from every discovery source, freshest first.

Moved out of ``newscrawl.discovery``, where nothing but the tests called them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from newscrawl.discovery import FeedEntry, Sitemap
from newscrawl.extraction.dates import to_utc_iso
from newscrawl.extraction.urls import strip_tracking

SourceKind = Literal["section", "feed", "sitemap", "news_sitemap"]
#: When several sources list one article under different URLs (a renamed slug), the URL of the
#: first kind here wins: live listings carry the current URL, while an archive sitemap keeps
#: the URL an article had when its entry was written.
URL_PREFERENCE: tuple[SourceKind, ...] = ("section", "feed", "news_sitemap", "sitemap")
_ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


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
