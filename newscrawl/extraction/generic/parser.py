"""Article pages of any site to ``Article`` records: the generic parser, version V1.

The same contract as an outlet's parser (``newscrawl.outlets.spec.ArticleParser``): a pure
function of ``(url, html, fetched_at)`` that returns an ``Article`` or raises
``PageRejected`` with a reason. It reads what sites share, richest source first
(``CASCADE``): JSON-LD, head metadata (OpenGraph, Twitter, Dublin Core), the markup
(``<h1>``, ``<time>``, bylines, breadcrumbs) and, for the body, the page's main content
(``body``). ``Article.field_sources`` names the source of every field.

Dates are kept only when they can be true of the page (not before 1990, not after it was
fetched); a refused date leaves its raw value in ``*_raw`` and the reason in
``field_sources["<field>:refused"]``.
"""

from __future__ import annotations

from datetime import date, datetime

from newscrawl.extraction import dates
from newscrawl.extraction.cascade import Cascade, Reading, Source, rejections
from newscrawl.extraction.errors import ExtractionFailed
from newscrawl.extraction.generic.body import GENERIC_BODY, without_headline
from newscrawl.extraction.generic.kinds import reject_non_articles
from newscrawl.extraction.generic.page import GenericPage
from newscrawl.extraction.generic.sources import (
    BodySource,
    DomSource,
    JsonLdSource,
    MetaSource,
    PageSource,
    UrlSource,
)
from newscrawl.extraction.html import looks_like_html
from newscrawl.extraction.text import join_paragraphs, word_count
from newscrawl.items import Article

#: ``Article.outlet`` of a record no outlet's parser made.
GENERIC = "generic"

CASCADE = Cascade(
    sources={"json_ld": JsonLdSource, "meta": MetaSource, "dom": DomSource,
             GENERIC_BODY: BodySource, "url": UrlSource},
    first={
        "canonical_url": ("meta", "url"),
        "article_id": ("url",),
        "headline": ("json_ld", "dom", "meta"),
        "social_headline": ("meta", "json_ld"),
        "summary": ("json_ld", "meta"),
        "authors": ("json_ld", "meta", "dom"),
        "published_at": ("json_ld", "meta", "dom"),
        "updated_at": ("json_ld", "meta", "dom"),
        "section": ("json_ld", "dom", "meta"),
        "topics": ("json_ld", "meta"),
        "body": (GENERIC_BODY, "json_ld"),
        "images": ("json_ld", "meta"),
        "language": ("json_ld", "meta"),
    },
    votes={
        "kind": ("json_ld",),
        "is_paywalled": ("json_ld",),
    },
    required=frozenset({"headline", "body"}),
)
_HTML_START = 65536  # where an HTML document must have begun
_DATE_FIELDS = (("published_at", "published_raw"), ("updated_at", "updated_raw"))


class GenericParserV1:
    """Any site's article pages."""

    version = "generic.V1"
    valid_until: date | None = None

    def parse(self, url: str, html: str, fetched_at: datetime) -> Article:
        if not html or not html.strip():
            raise ExtractionFailed("the page is empty", reason="empty_page")
        # Sites put scripts, styles and PHP warnings before <html>; and HTML lets a page end
        # without </body></html>, so a missing end tag says nothing about a page of any site.
        if not looks_like_html(html, within=_HTML_START):
            raise ExtractionFailed("the page is not HTML", reason="not_html")
        page = GenericPage(url, html)
        with rejections():
            reject_non_articles(page)
            return _assemble(page, self.version, fetched_at)


def _assemble(page: GenericPage, version: str, fetched_at: datetime) -> Article:
    sources: dict[str, Source | None] = {
        "json_ld": JsonLdSource(page, fetched_at), "meta": MetaSource(page, fetched_at),
        "dom": DomSource(page, fetched_at), GENERIC_BODY: BodySource(page, fetched_at),
        "url": UrlSource(page, fetched_at)}
    reading = CASCADE.read(page.url, sources)
    headline = reading.pick("headline")
    if not headline:
        raise ExtractionFailed("no headline", reason="no_headline")
    paragraphs = without_headline(reading.pick("body") or [], headline, page.h1)
    if not paragraphs:
        raise ExtractionFailed("the page has no body text", reason="no_body")
    body = join_paragraphs(paragraphs)
    reading.same_source("word_count", as_field="body")
    record = Article(url=page.url, outlet=GENERIC, article_id=reading.pick("article_id"),
                     headline=headline, body=body, word_count=word_count(body),
                     parser_version=version, fetched_at=dates.utc_iso(fetched_at))
    record.canonical_url = reading.pick("canonical_url")
    kind, _ = reading.vote("kind", wins="opinion")
    record.kind = "opinion" if kind == "opinion" else "article"
    reading.fill(record, "social_headline", "summary", "authors")
    if record.social_headline == headline:
        record.social_headline = None
        reading.field_sources.pop("social_headline", None)
    _dates(record, reading)
    reading.fill(record, "section", "topics", "images", "language")
    record.is_paywalled = bool(reading.vote("is_paywalled")[0])
    record.field_sources = dict(sorted(reading.field_sources.items()))
    return record


def _dates(record: Article, reading: Reading) -> None:
    """Publication and update, each as found and in UTC; a story never updated was last
    updated when it was published; a date refused by every source keeps its raw value."""
    for name, raw_name in _DATE_FIELDS:
        found = reading.pick(name)
        if found:
            raw, iso = found
            setattr(record, raw_name, raw)
            setattr(record, name, iso)
            reading.same_source(raw_name, as_field=name)
            continue
        for source_name in CASCADE.first[name]:
            source = reading.sources.get(source_name)
            refused = source.refused.get(name) if isinstance(source, PageSource) else None
            if refused is not None:
                setattr(record, raw_name, refused.raw)
                reading.field_sources[raw_name] = source_name
                reading.field_sources[name + ":refused"] = refused.problem or "refused"
                break
    if record.updated_at is None and record.published_at and not record.updated_raw:
        record.updated_at = record.published_at
        reading.same_source("updated_at", as_field="published_at")
