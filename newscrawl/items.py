"""Typed records produced by outlet parsers and carried through the pipelines.

Dates come in twins: ``*_at`` is ISO 8601 UTC (``2026-05-26T10:44:14Z``), ``*_raw`` is the
value exactly as the page gave it (epoch milliseconds, ``+08:00`` timestamps, ...), because
normalising loses information. Pipelines and exporters reach items only through
``ItemAdapter``; parsers build them without importing Scrapy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImageRef:
    url: str
    """Absolute URL of the image file."""
    caption: str | None = None
    """Caption text without the credit ("Residents queue near the new clinic.")."""
    credit: str | None = None
    """Who took or supplied the picture ("Sam Tsang", "Reuters"), from "Photo: ..."."""


@dataclass
class Article:
    url: str
    """URL the page was fetched from, after redirects (may carry tracking parameters)."""
    canonical_url: str | None = None
    """The page's ``<link rel=canonical>``, else the URL rebuilt from the article's own path."""
    outlet: str = ""
    """Registry name of the outlet ("scmp")."""
    article_id: str | None = None
    """The outlet's stable id of the story, as a string ("3352060")."""
    kind: str = "article"
    """"article" or "opinion" (video, gallery, topic and author pages never become records)."""
    headline: str | None = None
    """The headline as printed over the article (the H1), never a truncated copy."""
    social_headline: str | None = None
    """The shorter headline used for social sharing (``og:title``), if distinct."""
    subheadline: list[str] = field(default_factory=list)
    """Bullet points shown under the headline, in order."""
    summary: str | None = None
    """The outlet's own one-paragraph summary, plain text."""
    authors: list[str] = field(default_factory=list)
    """Author display names, in byline order."""
    published_at: str | None = None
    """First publication, ISO 8601 UTC with a Z, second precision."""
    published_raw: str | None = None
    """Publication time exactly as found (e.g. "1780300800000" or "2026-06-01T16:00:00+08:00")."""
    updated_at: str | None = None
    """Last update, ISO 8601 UTC with a Z (equals ``published_at`` if never updated)."""
    updated_raw: str | None = None
    """Update time exactly as found."""
    section: list[str] = field(default_factory=list)
    """Section path as the outlet names it, top first (["News", "China", "Diplomacy"])."""
    topics: list[str] = field(default_factory=list)
    """The article's topic tags, in page order."""
    body: str = ""
    """Clean article text: paragraphs (and subheadings, list items) separated by one blank line."""
    images: list[ImageRef] = field(default_factory=list)
    """Leading image first, then inline images in body order."""
    language: str | None = None
    """ISO 639-1 language code ("en")."""
    word_count: int = 0
    """Whitespace-separated words in ``body``."""
    is_paywalled: bool = False
    """True when the page says it is not freely accessible (metered or hard paywall)."""
    is_truncated: bool = False
    """True when the served body is known to be cut short (hard paywall)."""
    is_sponsored: bool = False
    """True for sponsored or partner content."""
    fetched_at: str | None = None
    """When the page was fetched, ISO 8601 UTC with a Z."""
    http_status: int | None = None
    """HTTP status of the fetched page."""
    discovered_via: str | None = None
    """The section page, feed or sitemap URL through which the crawler found this article."""
    parser_version: str | None = None
    """Name of the parser version that produced the record ("scmp.V1")."""
    duplicate_of: str | None = None
    """``article_id`` of the story this one copies (a syndicated near-duplicate), set by the
    de-duplicate pipeline; None for an original."""
    field_sources: dict[str, str] = field(default_factory=dict)
    """For each filled field, the source that gave it ("next_data", "json_ld", "dom", "apollo", "meta", "url")."""
    revision: int | None = None
    """Which stored version of the story this record is (1 for the first, 2 after its first
    change, ...), set by the archive when it stores the record; None before that."""
    first_fetched_at: str | None = None
    """When the archive first stored the story (its revision 1), ISO 8601 UTC with a Z; set by
    the archive with ``revision``."""


def to_record(item: Any) -> dict[str, Any]:
    """An item as a plain dict of JSON values (nested items too).

    For our own dataclass items, what ``dataclasses.asdict`` gives, by a shorter walk (asdict
    deep-copies every string through ``copy.deepcopy``: a fifth of a millisecond per article,
    on every stored item); ItemAdapter's ``asdict`` costs ten times more. Any other item type
    goes through ItemAdapter.
    """
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return _plain(item)  # type: ignore[no-any-return]
    from itemadapter import ItemAdapter

    return ItemAdapter(item).asdict()


_ATOMS = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """``value`` as ``dataclasses.asdict`` copies it: dataclasses as dicts, lists, dicts and
    tuples rebuilt, immutable atoms as they are, anything else deep-copied."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list:
        return [_plain(v) for v in value]
    if kind is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(kind):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    return dataclasses.asdict(_Wrapped(value))["value"]  # asdict's own rules for the rest


@dataclass
class _Wrapped:
    value: Any


#: Fields whose fill rate every crawl measures: the summary prints it, the run keeps it.
REPORTED_FIELDS = ("canonical_url", "article_id", "headline", "social_headline", "subheadline",
                   "summary", "authors", "published_at", "updated_at", "section", "topics",
                   "body", "images", "language")
