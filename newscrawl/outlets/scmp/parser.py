"""SCMP article pages to ``Article`` records: version V1 (MARKUP.md 1-4, 7).

A pure function of ``(url, html, fetched_at)``: no Scrapy, no network. This module holds what
makes V1 what it is: the rules that reject a page (not HTML, cut short, a video, a gallery,
another publisher's), the order in which the sources give each field (``CASCADE``), and the
assembly of the record. The page and its lazily read sources are ``page.ScmpPage``; the
field readers of each source, ``sources`` (the JSON ones) and ``markup`` (DOM, head, URL);
the body readers, ``body``; the furniture, ``furniture``.

For each field the richest source that has it wins and ``Article.field_sources`` names it.
When no source gives a body, or the one given would fail validation (too short for a page
that is not cut short), the generic parser's body of the page stands in: a new markup
generation loses no record, and ``field_sources["body"]`` says ``generic_body``. A
source that is missing or broken (invalid JSON in ``__NEXT_DATA__``) simply has nothing to
give: the cascade goes on without it. A reader that fails on data of an unknown shape costs
its field from that source only, unless the field is one a record cannot go without
(``extraction.cascade``'s error policy).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from newscrawl.extraction import dates, jsonld
from newscrawl.extraction.cascade import SOURCE_FAILED, Cascade, Reading, Source, rejections
from newscrawl.extraction.errors import ExtractionFailed, NotAnArticle
from newscrawl.extraction.generic import GENERIC_BODY, main_text
from newscrawl.extraction.generic.body import without_headline
from newscrawl.extraction.html import is_complete, looks_like_html
from newscrawl.extraction.text import join_paragraphs, word_count
from newscrawl.items import Article
from newscrawl.outlets.scmp.markup import DomSource, MetaSource, UrlSource
from newscrawl.outlets.scmp.outlet import unamp_path
from newscrawl.outlets.scmp.page import ScmpPage
from newscrawl.outlets.scmp.sources import (
    ApolloSource,
    JsonLdSource,
    NextDataSource,
    ScmpSource,
)
from newscrawl.records.validation import body_problem
from newscrawl.settings import NEWSCRAWL_MIN_BODY_CHARS as MIN_BODY_CHARS

OUTLET = "scmp"

# For each field, its sources, richest first (the cascade of STYLE.md example 4); flags and
# the kind are decided by every source that has an opinion: true (opinion) if any says so.
CASCADE = Cascade(
    sources={"next_data": NextDataSource, "apollo": ApolloSource, "json_ld": JsonLdSource,
             "dom": DomSource, "meta": MetaSource, "url": UrlSource},
    first={
        "canonical_url": ("meta", "url"),
        "article_id": ("next_data", "apollo", "url"),
        "headline": ("next_data", "apollo", "dom", "json_ld", "meta"),
        "social_headline": ("next_data", "apollo", "json_ld", "meta"),
        "subheadline": ("next_data", "apollo", "dom"),
        "summary": ("next_data", "apollo", "meta"),
        "authors": ("next_data", "apollo", "json_ld", "dom", "meta"),
        "published_at": ("next_data", "apollo", "json_ld", "dom", "meta"),
        "updated_at": ("next_data", "apollo", "json_ld", "dom", "meta"),
        "section": ("next_data", "apollo", "json_ld", "meta"),
        "topics": ("next_data", "apollo", "meta", "dom"),
        "body": ("next_data", "apollo", "dom", "json_ld"),
        "images": ("next_data", "apollo", "dom", "json_ld", "meta"),
        "language": ("json_ld", "meta"),
    },
    votes={
        "kind": ("json_ld", "next_data", "apollo", "meta", "url"),
        "is_paywalled": ("next_data", "apollo", "json_ld", "url"),
        "is_truncated": ("next_data", "apollo", "url"),
        "is_sponsored": ("next_data", "apollo", "json_ld"),  # no head tag says it
    },
    # No record without them: a failure there is the page's (a parser_error rejection).
    required=frozenset({"article_id", "headline", "body"}),
)

_SCMP_NAME = "south china morning post"
_NOT_ARTICLE_TYPENAMES = {"video": "video", "gallery": "gallery", "podcast": "podcast",
                          "live": "listing", "liveblog": "listing", "topic": "topic",
                          "author": "author", "section": "listing", "page": "listing",
                          "interactive": "interactive"}
# URL paths of pages that are never articles (MARKUP.md 4): the path is the folder itself
# or lies below it.
_NOT_ARTICLE_PATHS = (("/video/", "video"), ("/videos/", "video"), ("/gallery/", "gallery"),
                      ("/photos/", "gallery"), ("/topics/", "topic"), ("/author/", "author"),
                      ("/podcasts/", "podcast"), ("/live/", "listing"))
# Keys of a Next.js payload that make the page something else than an article.
_NOT_ARTICLE_PAYLOADS = (("video", "video"), ("gallery", "gallery"), ("topic", "topic"),
                         ("author", "author"), ("contents", "listing"), ("section", "listing"))


class ScmpParserV1:
    """SCMP article pages of every generation of MARKUP.md, as served up to now.

    A later version for a new markup generation subclasses it and names its own ``cascade``
    and ``sources``: the rejection rules, the fallback body and the assembly stay the same.
    """

    version = "scmp.V1"
    valid_until: date | None = None
    cascade: Cascade = CASCADE

    def sources(self, page: ScmpPage) -> dict[str, Source | None]:
        """The page's sources by the names of ``cascade``; None for one the page lacks."""
        return _sources(page)

    def parse(self, url: str, html: str, fetched_at: datetime) -> Article:
        _reject_by_url(url)
        if not html or not html.strip():
            raise ExtractionFailed("the page is empty", reason="empty_page")
        if not looks_like_html(html):
            raise ExtractionFailed("the page is not HTML", reason="not_html")
        if not is_complete(html):
            raise ExtractionFailed("the page ends before </html>", reason="truncated_page")
        page = ScmpPage(url, html)
        # Data of a shape no generation of MARKUP.md has, in a field a record cannot go
        # without, is a parser_error rejection (``cascade.rejections``).
        with rejections():
            _reject_non_articles(page)
            if not _has_article_source(page):
                raise ExtractionFailed("no article data in the page", reason="no_article_data")
            if not _is_scmp(page):
                raise ExtractionFailed("an article of another publisher", reason="not_scmp")
            return _assemble(page, self, fetched_at)


# -- assembling the record ------------------------------------------------------------------


def _sources(page: ScmpPage) -> dict[str, Source | None]:
    """The page's sources by name; None for a JSON source the page does not have."""
    return {
        "next_data": NextDataSource(page) if page.next_article else None,
        "apollo": ApolloSource(page) if page.apollo else None,
        "json_ld": JsonLdSource(page) if page.ld_article else None,
        "dom": DomSource(page),
        "meta": MetaSource(page),
        "url": UrlSource(page),
    }


def _assemble(page: ScmpPage, parser: ScmpParserV1, fetched_at: datetime) -> Article:
    version = parser.version
    sources = parser.sources(page)
    reading = parser.cascade.read(page.url, sources)
    article_id = reading.pick("article_id")
    if not article_id:
        raise ExtractionFailed("no article id in the data or the URL", reason="no_article_id")
    headline = reading.pick("headline")
    if not headline:
        raise ExtractionFailed("no headline", reason="no_headline")
    # The body readers drop the closing bio line, found by the byline and the kind.
    authors = reading.pick("authors") or []
    kind, _ = reading.vote("kind", wins="opinion")
    for source in sources.values():
        if isinstance(source, ScmpSource):
            source.byline, source.opinion = authors, kind == "opinion"
    paragraphs = reading.pick("body") or []
    paywalled = bool(reading.vote("is_paywalled")[0])
    truncated = bool(reading.vote("is_truncated")[0])
    if body_problem(join_paragraphs(paragraphs), MIN_BODY_CHARS, paywalled or truncated):
        paragraphs = _fallback_body(page, reading, paragraphs)
    if not paragraphs:
        raise ExtractionFailed("the article has no body text", reason="no_body")
    body = join_paragraphs(paragraphs)
    reading.same_source("word_count", as_field="body")

    record = Article(url=page.url, outlet=OUTLET, article_id=str(article_id),
                     headline=headline, body=body, word_count=word_count(body),
                     parser_version=version, fetched_at=dates.utc_iso(fetched_at))
    record.canonical_url = reading.pick("canonical_url")
    record.kind = "opinion" if kind == "opinion" else "article"
    reading.fill(record, "social_headline", "subheadline", "summary")
    record.authors = authors
    _dates(record, reading)
    reading.fill(record, "section", "topics", "images", "language")
    record.is_paywalled, record.is_truncated = paywalled, truncated
    record.is_sponsored = bool(reading.vote("is_sponsored")[0])
    if record.is_truncated:
        record.is_paywalled = True
    field_sources = reading.field_sources
    if page.next_data_broken:  # on the page but unreadable: the record is degraded
        field_sources[SOURCE_FAILED] = "next_data"
    record.field_sources = dict(sorted(field_sources.items()))
    return record


def _fallback_body(page: ScmpPage, reading: Reading, own: list[str]) -> list[str]:
    """The generic reader's body of the page (``field_sources["body"]`` ``generic_body``)
    when SCMP's own sources give none or one the validate pipeline would reject (a new
    markup generation, a broken page), if it has more to say; else ``own``."""
    found = without_headline(main_text(page.root, page.url), reading.pick("headline"))
    if len(join_paragraphs(found)) <= len(join_paragraphs(own)):
        return own
    reading.field_sources["body"] = GENERIC_BODY
    return found


def _dates(record: Article, reading: Reading) -> None:
    """Publication and update, each as found and in UTC; a story never updated was last
    updated when it was published."""
    published = reading.pick("published_at")
    if published:
        record.published_raw, record.published_at = published
        reading.same_source("published_raw", as_field="published_at")
    updated = reading.pick("updated_at")
    if updated:
        record.updated_raw, record.updated_at = updated
        reading.same_source("updated_raw", as_field="updated_at")
    elif published:
        record.updated_at = record.published_at
        reading.same_source("updated_at", as_field="published_at")


# -- rejection rules --------------------------------------------------------------------------


def _reject_by_url(url: str) -> None:
    parts = urlsplit(url or "")
    host = parts.netloc.lower()
    if host.startswith("multimedia."):
        raise NotAnArticle("an interactive page", reason="interactive")
    path = unamp_path(parts.path)
    for prefix, reason in _NOT_ARTICLE_PATHS:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            raise NotAnArticle(f"a {reason} page ({path})", reason=reason)


def _reject_non_articles(page: ScmpPage) -> None:
    """Raise NotAnArticle for video, gallery, listing, topic and author pages."""
    article = page.next_article
    if article is not None:
        _reject_typename(article.get("__typename"))
    elif page.next_payload is not None:
        payload = page.next_payload
        for key, reason in _NOT_ARTICLE_PAYLOADS:
            if payload.get(key):
                raise NotAnArticle(f"a {reason} page", reason=reason)
    if page.apollo is not None:
        _reject_typename(page.apollo.typename)
    if article is None and page.apollo is None:
        _reject_by_json_ld(page)
        og_type = (page.head.first("og:type") or "").lower()
        if og_type.startswith("video"):
            raise NotAnArticle("a video page (og:type)", reason="video")


def _reject_by_json_ld(page: ScmpPage) -> None:
    types = {t for obj in page.ld_objects for t in jsonld.types_of(obj)}
    if "ImageGallery" in types:
        raise NotAnArticle("an image gallery (JSON-LD)", reason="gallery")
    if page.ld_article is not None:
        return
    if "VideoObject" in types:
        raise NotAnArticle("a video page (JSON-LD)", reason="video")
    if types & {"CollectionPage", "ItemList"}:
        raise NotAnArticle("a listing page (JSON-LD)", reason="listing")
    if "ProfilePage" in types:
        raise NotAnArticle("an author page (JSON-LD)", reason="author")


def _reject_typename(typename: Any) -> None:
    if not isinstance(typename, str):
        return
    reason = _NOT_ARTICLE_TYPENAMES.get(typename.lower())
    if reason:
        raise NotAnArticle(f"a {typename} page", reason=reason)


def _has_article_source(page: ScmpPage) -> bool:
    return (page.next_article is not None or page.apollo is not None
            or page.ld_article is not None or page.dom_headline_element() is not None
            or bool(page.body_containers))


def _is_scmp(page: ScmpPage) -> bool:
    """The page is SCMP's: its own data shapes, or SCMP named as site or publisher."""
    if page.next_article is not None or page.apollo is not None:
        return True
    if page.dom_headline_element() is not None:
        return True
    names = [page.head.first("og:site_name") or "", page.head.title or ""]
    for obj in page.ld_objects:
        for key in ("publisher", "sourceOrganization", "isPartOf"):
            value = obj.get(key)
            if isinstance(value, dict):
                names.append(str(value.get("name") or ""))
    canonical = page.head.link("canonical") or ""
    return (any(_SCMP_NAME in n.lower() for n in names)
            or urlsplit(canonical).netloc.lower().endswith("scmp.com"))
