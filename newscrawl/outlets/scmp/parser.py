"""SCMP article pages to ``Article`` records: version V1 (MARKUP.md 1-4, 7).

A pure function of ``(url, html, fetched_at)``: no Scrapy, no network. Each source is read
lazily, the cheapest way that is still exact: the scripts by a targeted search of the text
(only the article object of ``__NEXT_DATA__`` is decoded, not its hundreds of kilobytes of
configuration; only the article's entries of the Apollo state, not its trending lists), the
head metadata from a parse of ``<head>`` alone, and a full lxml tree,
built once, only when a DOM source is actually consulted:

``next_data``
    ``<script id="__NEXT_DATA__">`` ``props.pageProps.payload.data.article`` (Next.js, late
    2023 on): every field, the body as a node tree.
``apollo``
    ``window.__APOLLO_STATE__`` (2019 to Oct 2023): the same fields behind ``ROOT_QUERY`` and
    refs; the body under a ``body(...)`` key. The HTML of these pages has no body. The node
    and the entries its refs reach are sought in the text (``_Apollo.seek``); the whole
    state is decoded only when the seek cannot vouch for what it found.
``dom``
    the ``data-qa`` hooks of the server-rendered HTML (and the Drupal classes of pre-2019
    pages, and the AMP copy's markup): used when the JSON sources are missing or broken.
``json_ld``
    the article object: dates, authors, language, access; its headline is cut at ~105
    characters and its ``articleBody`` has no paragraph breaks, so both are last resorts.
``meta`` / ``url``
    head tags (canonical, ``og:*``, ``article:*``, the Apollo-era ``cse_*``) and the URL.

For each field the richest source that has it wins (orders in ``_ORDER``) and
``Article.field_sources`` names it. A source that is missing or broken (invalid JSON in
``__NEXT_DATA__``) simply has nothing to give: the cascade goes on without it.
"""

from __future__ import annotations

import html as htmlmod
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from newscrawl.extraction import dates, jsonld, scripts
from newscrawl.extraction.errors import ExtractionFailed, NotAnArticle
from newscrawl.extraction.html import (
    IMAGE_TAGS,
    UnparsableDocument,
    absolute_url,
    inline_text,
    iter_blocks,
    parse_document,
)
from newscrawl.extraction.meta import HeadMeta, language_code, read_head
from newscrawl.extraction.text import (
    first_words_of,
    join_paragraphs,
    normalize_space,
    split_credit,
    word_count,
)
from newscrawl.extraction.urls import strip_tracking
from newscrawl.items import Article, ImageRef

OUTLET = "scmp"
TRACKING_PARAMS = ("module", "pgtype")
TRACKING_PREFIXES = ("utm_",)

_SCMP_NAME = "south china morning post"
_NEXT_ARTICLE_PATH = ("props", "pageProps", "payload", "data", "article")
_LD_TYPE = "application/ld+json"
_NON_ARTICLE_LD_TYPES = ("VideoObject", "ImageGallery", "CollectionPage", "ItemList",
                         "ProfilePage")
_HEAD_END = re.compile(r"</head\s*>", re.I)
_HEAD_SEARCH_LIMIT = 512 * 1024
# Bounds of the Apollo seek (``_Apollo.seek``); past them the whole state is decoded.
_APOLLO_MAX_CACHES = 8  # caches (ROOT_QUERY entries) tried
_APOLLO_MAX_ENTRIES = 400  # entries sought (the node and what its refs reach)
_APOLLO_MAX_WALK = 5000  # containers walked for refs in one entry
_ARTICLE_ID = re.compile(r"/article/(\d{6,8})(?:/|$)")
_ID_ONLY = re.compile(r"^\d{6,8}$")
_ARTICLE_TYPES = ("NewsArticle", "OpinionNewsArticle", "Article", "ReportageNewsArticle",
                  "AnalysisNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle",
                  "AskPublicNewsArticle", "BlogPosting", "Report", "SatiricalArticle")
_NOT_ARTICLE_TYPENAMES = {"video": "video", "gallery": "gallery", "podcast": "podcast",
                          "live": "listing", "liveblog": "listing", "topic": "topic",
                          "author": "author", "section": "listing", "page": "listing",
                          "interactive": "interactive"}
# URL paths of pages that are never articles (MARKUP.md 4): the path is the folder itself
# or lies below it.
_NOT_ARTICLE_PATHS = (("/video/", "video"), ("/videos/", "video"), ("/gallery/", "gallery"),
                      ("/photos/", "gallery"), ("/topics/", "topic"), ("/author/", "author"),
                      ("/podcasts/", "podcast"), ("/live/", "listing"))

# Body node types that carry article text (MARKUP.md 2.1); everything else is furniture:
# ad slots, widgets, trackers, embeds, galleries, pull quotes (``blockquote-quote``).
_HEADING_NODES = frozenset({"h2", "h3", "h4", "h5", "h6"})
_INLINE_SKIP_NODES = frozenset({"script", "style", "img", "iframe", "video", "audio", "embed",
                                "object", "svg", "button", "figcaption"})
_EMBED_HOSTS = ("twitter.com", "x.com", "instagram.com", "facebook.com", "tiktok.com",
                "threads.net", "youtube.com", "youtu.be", "weibo.com")
_EMPHASIS_NODES = frozenset({"em", "i"})
_BLOCK_NODES = frozenset({"p", "li", "div", "h2", "h3", "h4", "h5", "h6", "ul", "ol"})

# Page furniture whose text must never reach a record (MARKUP.md 2.2).
_FURNITURE_EXACT = frozenset({
    "Advertisement", "More on this", "Link Copied", "+ FOLLOW", "+ Follow", "FOLLOW",
    "READ FULL ARTICLE", "Read full article", "Select Voice", "Choose your listening speed",
    "Get through articles 2x faster", "1.25x", "1.5x", "2x", "0.75x", "1x", "250 WPM",
    "Slow", "Average", "Fast", "Why you can trust SCMP", "Share", "Print", "Comments",
})
_FURNITURE_PREFIXES = (
    "Reading Time", "READ MORE", "Read more:", "By registering, you agree",
    "Why you can trust SCMP", "This story has been made freely available",
    "Get through articles 2x faster", "Choose your listening speed", "Select Voice",
    "More on this:", "Link Copied",
)
_PUBLIC_SERVICE_NOTICE = "This story has been made freely available"
#: The same furniture, for the clean pipeline's safety net (newscrawl.records.cleaning.Furniture).
FURNITURE_EXACT, FURNITURE_PREFIXES = _FURNITURE_EXACT, _FURNITURE_PREFIXES
# data-qa fragments (lower case) of furniture inside and around the body container.
_FURNITURE_QA = ("adslot", "advert", "trustlabel", "speech", "furtherreading", "share",
                 "actionbar", "paywall", "registration", "register", "follow", "readmore",
                 "relatedlink", "related-", "caption", "bio", "quote", "widget", "tracker",
                 "readingtime", "newsletter", "social", "comment", "tooltip", "topics")
_FURNITURE_CLASSES = ("twitter-tweet", "instagram-media", "tiktok-embed", "fb-post",
                      "paywall", "advert", "ad-slot", "ad-container", "ad-label", "read-more",
                      "pull-quote", "pullquote", "caption", "related", "share", "newsletter")
_FURNITURE_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg",
                             "button", "form", "nav", "aside", "figcaption", "footer",
                             "header", "video", "audio", "object", "embed", "select"})

_BODY_FALLBACK_XPATHS = (
    '//*[@itemprop="articleBody"]',
    '//*[contains(concat(" ", normalize-space(@class), " "), " pane-node-body ")]',
    '//*[contains(@class, "article__body") or contains(@class, "article-body")'
    ' or contains(@class, "story-body") or contains(@class, "articleBody")]',
)

# For each field, its sources, richest first (the cascade of STYLE.md example 4).
_ORDER: dict[str, tuple[str, ...]] = {
    "canonical_url": ("meta", "url"),
    "article_id": ("next_data", "apollo", "url"),
    "headline": ("next_data", "apollo", "dom", "json_ld", "meta"),
    "social_headline": ("next_data", "apollo", "json_ld", "meta"),
    "subheadline": ("next_data", "apollo", "dom"),
    "summary": ("next_data", "apollo", "meta"),
    "authors": ("next_data", "apollo", "json_ld", "dom", "meta"),
    "published": ("next_data", "apollo", "json_ld", "dom", "meta"),
    "updated": ("next_data", "apollo", "json_ld", "dom", "meta"),
    "section": ("next_data", "apollo", "json_ld", "meta"),
    "topics": ("next_data", "apollo", "meta", "dom"),
    "body": ("next_data", "apollo", "dom", "json_ld"),
    "images": ("next_data", "apollo", "dom", "json_ld", "meta"),
    "language": ("json_ld", "meta"),
}
# GraphQL keys whose presence makes an empty value authoritative (an article without bullets
# has an empty subHeadline: the DOM must not be searched for some).
_CONTENT_KEYS: dict[str, tuple[str, ...]] = {
    "social_headline": ("socialHeadline",), "subheadline": ("subHeadline",),
    "summary": ("summary",), "authors": ("authors",), "updated": ("updatedDate",),
    "section": ("sections",), "topics": ("topics",), "images": ("images", "body"),
}
# Flags are decided by every source that has an opinion: true if any says so.
_FLAG_ORDER: dict[str, tuple[str, ...]] = {
    "opinion": ("json_ld", "next_data", "apollo", "meta", "url"),
    "is_paywalled": ("next_data", "apollo", "json_ld", "url"),
    "is_truncated": ("next_data", "apollo", "url"),
    "is_sponsored": ("next_data", "apollo", "json_ld", "meta"),
}


class ScmpParserV1:
    """SCMP article pages of every generation of MARKUP.md, as served up to now."""

    version = "scmp.V1"
    valid_until: date | None = None

    def parse(self, url: str, html: str, fetched_at: datetime) -> Article:
        _reject_by_url(url)
        if not html or not html.strip():
            raise ExtractionFailed("the page is empty", reason="empty_page")
        if not _looks_like_html(html):
            raise ExtractionFailed("the page is not HTML", reason="not_html")
        if not _is_complete(html):
            raise ExtractionFailed("the page ends before </html>", reason="truncated_page")
        page = _Page(url, html)
        try:
            page.reject_non_articles()
            if not page.has_article_source():
                raise ExtractionFailed("no article data in the page", reason="no_article_data")
            if not page.is_scmp():
                raise ExtractionFailed("an article of another publisher", reason="not_scmp")
            return _Assembler(page).article(self.version, fetched_at)
        except UnparsableDocument as exc:
            raise ExtractionFailed(f"unparsable page: {exc}", reason="malformed_page") from exc
        except (TypeError, ValueError, KeyError, IndexError, AttributeError,
                RecursionError) as exc:
            # Data of a shape no generation of MARKUP.md has: a record is lost, not the crawl.
            # The stats key says it is the parser's blind spot, not the page's fault.
            raise ExtractionFailed(f"unexpected page data: {type(exc).__name__}: {exc}",
                                   reason="parser_error") from exc


# -- the page and its sources ----------------------------------------------------------------


class _Page:
    """One fetched page. Each source is read on first use, from the raw text where a targeted
    search finds it (the scripts), from a parse of the ``<head>`` alone (meta), and from a
    full DOM only when a DOM source is actually needed."""

    def __init__(self, url: str, text: str) -> None:
        self.url = url
        self.text = text
        self.host = urlsplit(url).netloc.lower()
        self._root: etree._Element | None = None
        self.next_data_broken = False

    @property
    def root(self) -> etree._Element:
        """The whole document as a tree (parsed once, on first use)."""
        if self._root is None:
            self._root = parse_document(self.text)
        return self._root

    @cached_property
    def head_end(self) -> int:
        """Where ``</head>`` ends (0 if the page has none)."""
        at = self.text.find("</head>", 0, _HEAD_SEARCH_LIMIT)
        if at >= 0:
            return at + len("</head>")
        match = _HEAD_END.search(self.text, 0, _HEAD_SEARCH_LIMIT)
        return match.end() if match else 0

    @cached_property
    def head(self) -> HeadMeta:
        if self._root is None and self.head_end:
            return read_head(parse_document(self.text[: self.head_end]))
        return read_head(self.root)

    # __NEXT_DATA__ ------------------------------------------------------------------------
    @cached_property
    def next_data_start(self) -> int:
        return scripts.script_start_by_id(self.text, "__NEXT_DATA__")

    @cached_property
    def next_payload(self) -> dict[str, Any] | None:
        """``props.pageProps.payload.data``; None when the script is missing or broken."""
        if self.next_data_start < 0 or self.next_data_broken:
            return None
        text = scripts.script_content(self.text, self.next_data_start)
        if not text:
            return None
        data = scripts.loads(text)  # a broken __NEXT_DATA__ costs this source only
        payload = _dig(data, "props", "pageProps", "payload", "data")
        return payload if isinstance(payload, dict) else None

    @cached_property
    def next_article(self) -> dict[str, Any] | None:
        start = self.next_data_start
        if start < 0:
            return None
        # The script is mostly app configuration and related content: decode only the
        # article when the seek lands on a plausible one, else the whole document.
        article = scripts.seek_json_last(self.text, _NEXT_ARTICLE_PATH[2:], start)
        if not self._plausible_article(article) and article is not scripts.BROKEN:
            article = scripts.seek_json(self.text, _NEXT_ARTICLE_PATH, start)
        if article is scripts.BROKEN:
            self.next_data_broken = True  # invalid JSON: the DOM and JSON-LD take over
            return None
        if not self._plausible_article(article):
            article = (self.next_payload or {}).get("article")
        return article if isinstance(article, dict) and article else None

    def _plausible_article(self, value: Any) -> bool:
        if not isinstance(value, dict) or not (value.get("headline") or value.get("__typename")):
            return False
        url_id = _ARTICLE_ID.search(urlsplit(self.url).path)
        entity = value.get("entityId")
        return url_id is not None and str(entity) == url_id.group(1)

    # Apollo ---------------------------------------------------------------------------------
    @cached_property
    def apollo(self) -> _Apollo | None:
        if self.next_article is not None:
            return None  # a Next.js page: no Apollo state to look for
        start = scripts.assigned_start(self.text, "__APOLLO_STATE__")
        if start < 0:
            return None
        # Most of the state is other content (trending lists): seek the article's entries
        # and decode only those, else the whole state.
        sought = _Apollo.seek(self.text, start)
        if sought is not None:
            return sought
        state = scripts.decode_at(self.text, start)
        return _Apollo.find(state) if isinstance(state, dict) else None

    # JSON-LD --------------------------------------------------------------------------------
    @cached_property
    def ld_objects(self) -> list[dict[str, Any]]:
        # The blocks sit in <head>; the rest of the page is searched only if the article
        # object is not among them.
        head_end = self.head_end
        found = jsonld.parse_blocks(scripts.scripts_by_type(self.text, _LD_TYPE, 0, head_end))
        if not jsonld.find_by_type(found, *_ARTICLE_TYPES, *_NON_ARTICLE_LD_TYPES):
            found += jsonld.parse_blocks(scripts.scripts_by_type(self.text, _LD_TYPE, head_end))
        return found

    @cached_property
    def ld_article(self) -> dict[str, Any] | None:
        found = jsonld.find_by_type(self.ld_objects, *_ARTICLE_TYPES)
        return found[0] if found else None

    # DOM ------------------------------------------------------------------------------------
    @cached_property
    def qa(self) -> dict[str, list[etree._Element]]:
        """Elements by ``data-qa`` value, in document order."""
        index: dict[str, list[etree._Element]] = {}
        for element in self.root.xpath("//*[@data-qa]"):
            index.setdefault(element.get("data-qa"), []).append(element)
        return index

    def qa_first(self, name: str, tag: str | None = None) -> etree._Element | None:
        for element in self.qa.get(name, ()):
            if tag is None or element.tag == tag:
                return element
        return None

    # decisions -----------------------------------------------------------------------------
    def reject_non_articles(self) -> None:
        """Raise NotAnArticle for video, gallery, listing, topic and author pages."""
        article = self.next_article
        if article is not None:
            _reject_typename(article.get("__typename"))
        elif self.next_payload is not None:
            payload = self.next_payload
            for key, reason in (("video", "video"), ("gallery", "gallery"), ("topic", "topic"),
                                ("author", "author"), ("contents", "listing"),
                                ("section", "listing")):
                if payload.get(key):
                    raise NotAnArticle(f"a {reason} page", reason=reason)
        if self.apollo is not None:
            _reject_typename(self.apollo.typename)
        if article is None and self.apollo is None:
            types = {t for obj in self.ld_objects for t in jsonld.types_of(obj)}
            if "ImageGallery" in types:
                raise NotAnArticle("an image gallery (JSON-LD)", reason="gallery")
            if self.ld_article is None:
                if "VideoObject" in types:
                    raise NotAnArticle("a video page (JSON-LD)", reason="video")
                if types & {"CollectionPage", "ItemList"}:
                    raise NotAnArticle("a listing page (JSON-LD)", reason="listing")
                if "ProfilePage" in types:
                    raise NotAnArticle("an author page (JSON-LD)", reason="author")
            og_type = (self.head.first("og:type") or "").lower()
            if og_type.startswith("video"):
                raise NotAnArticle("a video page (og:type)", reason="video")

    def has_article_source(self) -> bool:
        return (self.next_article is not None or self.apollo is not None
                or self.ld_article is not None or self.dom_headline_element() is not None
                or bool(self.body_containers))

    def is_scmp(self) -> bool:
        """The page is SCMP's: its own data shapes, or SCMP named as site or publisher."""
        if self.next_article is not None or self.apollo is not None:
            return True
        if self.dom_headline_element() is not None:
            return True
        names = [self.head.first("og:site_name") or "", self.head.title or ""]
        for obj in self.ld_objects:
            for key in ("publisher", "sourceOrganization", "isPartOf"):
                value = obj.get(key)
                if isinstance(value, dict):
                    names.append(str(value.get("name") or ""))
        canonical = self.head.link("canonical") or ""
        return (any(_SCMP_NAME in n.lower() for n in names)
                or urlsplit(canonical).netloc.lower().endswith("scmp.com"))

    def dom_headline_element(self) -> etree._Element | None:
        h1 = self.qa_first("ContentHeadline-ContainerWithTag", "h1")
        if h1 is not None:
            span = next((el for el in h1.iter("span")
                         if el.get("data-qa") == "ContentHeadline-Headline"), None)
            return span if span is not None else h1
        return None

    @cached_property
    def body_containers(self) -> list[etree._Element]:
        return self.dom_body_containers()

    def dom_body_containers(self) -> list[etree._Element]:
        found = [el for el in self.qa.get("ContentBody-ContentBodyContainer", ())]
        if found:
            return found
        # Pre-2019 Drupal pages and AMP copies have no data-qa hooks (MARKUP.md 1, 4).
        for xpath in _BODY_FALLBACK_XPATHS:
            found = self.root.xpath(xpath)
            if found:
                return found[:1]
        return []

    @cached_property
    def article_element(self) -> etree._Element | None:
        """The ``<article>`` (or ``<main>``) holding the story, for the fallbacks."""
        found = self.root.xpath("(//article | //main)[1]")
        return found[0] if found else None

    def by_class(self, fragments: tuple[str, ...], tags: str = "*") -> list[etree._Element]:
        """Elements inside the article whose class contains one of ``fragments``."""
        scope = self.article_element
        if scope is None:
            return []
        test = " or ".join(f'contains(@class, "{f}")' for f in fragments)
        return scope.xpath(f".//{tags}[{test}]")


class _Apollo:
    """The article node of an Apollo cache, with its refs resolved on demand.

    ``find`` reads a fully decoded state; ``seek`` reads only the entries the article needs
    from the state's text (its node and every node its refs reach, transitively) and gives
    the same ``_Apollo``: ``state`` then holds just those entries, which is all ``resolve``
    ever looks up.
    """

    def __init__(self, state: dict[str, Any], node: dict[str, Any]) -> None:
        self.state = state
        self.node = node
        self._resolved: dict[str, Any] = {}

    @classmethod
    def seek(cls, text: str, start: int) -> _Apollo | None:
        """The article of the state at ``text[start]``, decoding only its entries; None when
        the seek cannot vouch for its answer (the caller then decodes the whole state).

        ``find``'s choice, taken the same way: the first cache whose ``ROOT_QUERY`` has a
        ``content(...)`` entry, that entry's ref, and each ref met in the node (and in the
        nodes it reaches) looked up as an entry of that cache, from the cache's opening
        (``ROOT_QUERY`` must be its first key) on. Every entry must be found inside the
        script, hold valid JSON and agree with its ref's ``typename``. Refs are resolved
        eagerly, so a broken entry is known before any field is read.
        """
        if text[start] != "{":
            return None
        pos = start
        for _ in range(_APOLLO_MAX_CACHES):  # bound: caches tried
            pos = scripts.find_key(text, "ROOT_QUERY", pos, len(text))
            if pos < 0:
                return None
            cache_start = scripts.object_opened_by(text, "ROOT_QUERY", pos, start)
            root_query = scripts.decode_at(text, pos)
            if cache_start < 0 or not isinstance(root_query, dict):
                return None
            for key, value in root_query.items():
                if key.startswith("content") and isinstance(value, dict):
                    return cls._sought(text, start, cache_start, pos, value)
        return None

    @classmethod
    def _sought(cls, text: str, start: int, cache_start: int, root_at: int,
                ref: dict[str, Any]) -> _Apollo | None:
        entries: dict[str, Any] = {}
        pending = [ref]
        furthest = root_at
        for value in pending:  # grows as refs are met; bound: _APOLLO_MAX_ENTRIES
            target = _ref_target(value)
            if target is None or target in entries:
                continue
            if len(entries) >= _APOLLO_MAX_ENTRIES:
                return None
            at = scripts.find_key(text, target, cache_start, len(text))
            if at < 0:
                return None  # a dangling ref, or a key spelt another way: the full decode
            found = scripts.decode_at(text, at)
            if found is scripts.MISSING:
                return None  # a broken state: the full decode decides
            typename = value.get("typename")
            if (isinstance(found, dict) and isinstance(typename, str)
                    and found.get("__typename", typename) != typename):
                return None  # not the entry the ref means
            entries[target] = found
            refs = _refs_in(found)
            if refs is None:
                return None
            pending.extend(refs)
            furthest = max(furthest, at)
        if text.find("</", start, furthest) >= 0:
            return None  # a key found past the end of the script (or markup inside it)
        node = entries.get(_ref_target(ref) or "")
        if not isinstance(node, dict) or not node:
            return None
        return cls(entries, node)

    @classmethod
    def find(cls, state: dict[str, Any]) -> _Apollo | None:
        caches = [state] if "ROOT_QUERY" in state else [
            v for v in state.values() if isinstance(v, dict) and "ROOT_QUERY" in v]
        for cache in caches:
            root_query = cache.get("ROOT_QUERY")
            if not isinstance(root_query, dict):
                continue
            for key, value in root_query.items():
                if key.startswith("content") and isinstance(value, dict):
                    node = _resolve_ref(cache, value)
                    if isinstance(node, dict) and node:
                        return cls(cache, node)
        # No ROOT_QUERY entry: take the first node that looks like a content item.
        for cache in caches or [state]:
            for key, value in cache.items():
                if (isinstance(value, dict) and key.split(":")[0] in ("Article", "Video", "Gallery")
                        and value.get("headline")):
                    return cls(cache, value)
        return None

    @property
    def typename(self) -> str | None:
        return self.node.get("__typename")

    def get(self, key: str) -> Any:
        """The node's ``key`` with its refs resolved (once: fields ask for some keys often)."""
        try:
            return self._resolved[key]
        except KeyError:
            value = self._resolved[key] = self.resolve(self.node.get(key))
            return value

    def body(self) -> Any:
        for key, value in self.node.items():
            if key == "body" or key.startswith("body("):
                resolved = self.resolve(value)
                if resolved:
                    return resolved
        return None

    def resolve(self, value: Any, depth: int = 0) -> Any:
        if depth > 6:
            return value
        if isinstance(value, dict):
            target = _resolve_ref(self.state, value)
            if target is not value:
                return self.resolve(target, depth + 1)
            if value.get("type") == "json" and "json" in value:
                return value["json"]
            return {k: self.resolve(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, depth + 1) for v in value]
        return value


def _ref_target(value: dict[str, Any]) -> str | None:
    """The key a ref points to (Apollo 2 ``{type: id, id}`` or Apollo 3 ``{__ref}``)."""
    ref = value.get("__ref")
    if ref is None and value.get("type") == "id":
        ref = value.get("id")
    return ref if isinstance(ref, str) else None


def _resolve_ref(state: dict[str, Any], value: dict[str, Any]) -> Any:
    """The node a ref points to, or the value itself when it is no ref to a node."""
    ref = _ref_target(value)
    if ref is not None:
        target = state.get(ref)
        if isinstance(target, dict):
            return target
    return value


def _refs_in(value: Any) -> list[dict[str, Any]] | None:
    """Every ref inside ``value`` that ``_Apollo.resolve`` could follow (its walk, without
    the ``{type: "json"}`` trees it returns as they are: the body); None if there are more
    containers than ``_APOLLO_MAX_WALK``."""
    refs: list[dict[str, Any]] = []
    stack = [value]
    visited = 0
    while stack:
        visited += 1
        if visited > _APOLLO_MAX_WALK:
            return None
        item = stack.pop()
        if isinstance(item, dict):
            kind = item.get("type")
            if ("__ref" in item or kind == "id") and _ref_target(item) is not None:
                refs.append(item)
            elif kind == "json" and "json" in item:
                continue
            values: Iterable[Any] = item.values()
        elif isinstance(item, list):
            values = item
        else:
            continue
        for sub in values:
            if isinstance(sub, dict | list):
                stack.append(sub)
    return refs


# -- assembling the record ------------------------------------------------------------------


class _Assembler:
    """Reads each field from the sources in ``_ORDER`` and builds the Article."""

    def __init__(self, page: _Page) -> None:
        self.page = page
        self.sources: dict[str, _Source] = {
            "next_data": _NextDataSource(page) if page.next_article else _Source(page),
            "apollo": _ApolloSource(page) if page.apollo else _Source(page),
            "json_ld": _JsonLdSource(page) if page.ld_article else _Source(page),
            "dom": _DomSource(page),
            "meta": _MetaSource(page),
            "url": _UrlSource(page),
        }
        self.field_sources: dict[str, str] = {}

    def pick(self, name: str, record_as: str | None = None) -> Any:
        for source_name in _ORDER[name]:
            source = self.sources[source_name]
            value = source.value(name)
            if value not in (None, "", [], {}):
                self.field_sources[record_as or name] = source_name
                return value
            if source.knows_empty(name):
                return None  # the richest source has the field, and it is empty
        return None

    def flag(self, name: str) -> tuple[bool, str | None]:
        """(value, source): true if any source says so, else false as the first one said."""
        said_false = None
        for source_name in _FLAG_ORDER[name]:
            value = self.sources[source_name].value(name)
            if value is True:
                return True, source_name
            if value is False and said_false is None:
                said_false = source_name
        return False, said_false

    def article(self, version: str, fetched_at: datetime) -> Article:
        page = self.page
        article_id = self.pick("article_id")
        if not article_id:
            raise ExtractionFailed("no article id in the data or the URL", reason="no_article_id")
        headline = self.pick("headline")
        if not headline:
            raise ExtractionFailed("no headline", reason="no_headline")
        authors = self.pick("authors") or []
        for source in self.sources.values():
            source.authors = authors
        opinion, opinion_source = self.flag("opinion")
        for source in self.sources.values():
            source.opinion = opinion
        paragraphs = self.pick("body") or []
        if not paragraphs:
            raise ExtractionFailed("the article has no body text", reason="no_body")
        body = join_paragraphs(paragraphs)
        self.field_sources["word_count"] = self.field_sources["body"]

        record = Article(url=page.url, outlet=OUTLET, article_id=str(article_id),
                         headline=headline, body=body, word_count=word_count(body),
                         parser_version=version, fetched_at=dates.utc_iso(fetched_at))
        record.canonical_url = self.pick("canonical_url")
        record.kind = "opinion" if opinion else "article"
        if opinion_source:
            self.field_sources["kind"] = opinion_source
        record.social_headline = self.pick("social_headline")
        record.subheadline = self.pick("subheadline") or []
        record.summary = self.pick("summary")
        record.authors = authors
        published = self.pick("published", record_as="published_at")
        if published:
            record.published_raw, record.published_at = published
            self.field_sources["published_raw"] = self.field_sources["published_at"]
        updated = self.pick("updated", record_as="updated_at")
        if updated:
            record.updated_raw, record.updated_at = updated
            self.field_sources["updated_raw"] = self.field_sources["updated_at"]
        elif published:
            record.updated_at = record.published_at
            self.field_sources["updated_at"] = self.field_sources["published_at"]
        record.section = self.pick("section") or []
        record.topics = self.pick("topics") or []
        record.images = self.pick("images") or []
        record.language = self.pick("language")
        for name in ("is_paywalled", "is_truncated", "is_sponsored"):
            value, source_name = self.flag(name)
            setattr(record, name, value)
            if source_name:
                self.field_sources[name] = source_name
        if record.is_truncated:
            record.is_paywalled = True
        record.field_sources = dict(sorted(self.field_sources.items()))
        return record


class _Source:
    """A source that has nothing; subclasses answer ``field_<name>`` methods."""

    def __init__(self, page: _Page) -> None:
        self.page = page
        self.authors: list[str] = []
        self.opinion = False
        self._cache: dict[str, Any] = {}

    def value(self, name: str) -> Any:
        if name not in self._cache:
            method: Callable[[], Any] | None = getattr(self, "field_" + name, None)
            self._cache[name] = method() if method is not None else None
        return self._cache[name]

    def knows_empty(self, name: str) -> bool:
        """True when this source carries the field and says it is empty (no bullets...)."""
        return False


class _ContentSource(_Source):
    """Fields shared by the two GraphQL shapes (``__NEXT_DATA__`` and Apollo)."""

    def get(self, key: str) -> Any:
        raise NotImplementedError

    def has(self, key: str) -> bool:
        raise NotImplementedError

    def body_nodes(self) -> Any:
        raise NotImplementedError

    def knows_empty(self, name: str) -> bool:
        keys = _CONTENT_KEYS.get(name, ())
        return bool(keys) and all(self.has(key) for key in keys)

    def field_article_id(self) -> str | None:
        for key in ("entityId", "articleId", "id"):
            value = self.get(key)
            if isinstance(value, int | str) and _ID_ONLY.match(str(value).strip()):
                return str(value).strip()
        return None

    def field_headline(self) -> str | None:
        return _clean_str(self.get("headline"))

    def field_social_headline(self) -> str | None:
        return _clean_str(self.get("socialHeadline"))

    def field_subheadline(self) -> list[str]:
        return _bullets(self.get("subHeadline"))

    def field_summary(self) -> str | None:
        value = self.get("summary")
        if isinstance(value, str):
            return _clean_str(value)
        if isinstance(value, dict):
            text = _clean_str(value.get("text"))
            if text:
                return text
            tree = value.get("json")
            if tree is not None:
                return " ".join(_block_texts(tree)) or None
        if isinstance(value, list):
            return " ".join(_block_texts(value)) or None
        return None

    def field_authors(self) -> list[str]:
        names = []
        for author in _as_list(self.get("authors")):
            name = author.get("name") if isinstance(author, dict) else author
            name = _clean_str(name)
            if name:
                names.append(name)
        return list(dict.fromkeys(names))

    def field_published(self) -> tuple[str, str] | None:
        return _date_pair(self.get("publishedDate")) or _date_pair(self.get("createdDate"))

    def field_updated(self) -> tuple[str, str] | None:
        return _date_pair(self.get("updatedDate"))

    def field_section(self) -> list[str]:
        return _section_path(self.get("sections"))

    def field_topics(self) -> list[str]:
        names = [_clean_str(t.get("name")) for t in _as_list(self.get("topics"))
                 if isinstance(t, dict)]
        return list(dict.fromkeys(n for n in names if n))

    @cached_property
    def _body(self) -> tuple[list[str], list[ImageRef]]:
        nodes = self.body_nodes()
        if isinstance(nodes, dict):
            nodes = nodes.get("json", nodes.get("children"))
        if not isinstance(nodes, list):
            return [], []
        return _NodeBody(self.page, self.authors, self.opinion).read(nodes)

    def field_body(self) -> list[str]:
        return self._body[0]

    def field_images(self) -> list[ImageRef]:
        images: list[ImageRef] = []
        listed = [i for i in _as_list(self.get("images")) if isinstance(i, dict)]
        leading = [i for i in listed if str(i.get("type") or "").lower() == "leading"]
        if not leading and listed and not any(i.get("type") for i in listed):
            leading = listed[:1]  # untyped list: the first picture leads
        for item in leading[:1]:
            image = _image(self.page.url, item.get("url") or item.get("src"),
                           item.get("title") or item.get("caption"), item.get("alt"))
            if image:
                images.append(image)
        # Inline pictures come from the body, in body order: images[] may also list ones a
        # truncated (SCMP Plus) body does not show.
        images.extend(self._body[1])
        return _dedupe_images(images)

    def field_opinion(self) -> bool | None:
        typename = str(self.get("__typename") or "").lower()
        if "opinion" in typename:
            return True
        for kind in _as_list(self.get("types")) + _as_list(self.get("articleTypes")):
            name = kind.get("name") if isinstance(kind, dict) else kind
            if isinstance(name, str) and "opinion" in name.lower():
                return True
        path = self.field_section()
        if path:
            return path[0].lower() == "opinion"
        return None

    def _paywall_types(self) -> list[str]:
        out = []
        for item in _as_list(self.get("paywallTypes")):
            if isinstance(item, dict):
                item = item.get("name") or item.get("value") or item.get("type") or ""
            text = str(item).strip().lower()
            if text and text not in ("free", "none", "null", "false", "0"):
                out.append(text)
        return out

    def field_is_paywalled(self) -> bool | None:
        if self.get("paywallTypes") is None:
            return None
        return bool(self._paywall_types())

    def field_is_truncated(self) -> bool | None:
        if self.get("paywallTypes") is None:
            return None
        return any("plus" in t or "hard" in t for t in self._paywall_types())

    def field_is_sponsored(self) -> bool | None:
        value = self.get("sponsorType")
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get("name") or value.get("type") or value.get("value")
        if isinstance(value, list):
            return bool(value)
        text = str(value or "").strip().lower()
        return text not in ("", "none", "null", "false", "0", "no")


class _NextDataSource(_ContentSource):
    def get(self, key: str) -> Any:
        return (self.page.next_article or {}).get(key)

    def has(self, key: str) -> bool:
        return key in (self.page.next_article or {})

    def body_nodes(self) -> Any:
        return self.get("body")


class _ApolloSource(_ContentSource):
    def get(self, key: str) -> Any:
        apollo = self.page.apollo
        return apollo.get(key) if apollo else None

    def has(self, key: str) -> bool:
        apollo = self.page.apollo
        return apollo is not None and key in apollo.node

    def body_nodes(self) -> Any:
        apollo = self.page.apollo
        return apollo.body() if apollo else None


class _JsonLdSource(_Source):
    @property
    def obj(self) -> dict[str, Any]:
        return self.page.ld_article or {}

    def field_headline(self) -> str | None:
        headline = _clean_str(jsonld.first_string(self.obj.get("headline")))
        if headline and headline.endswith(("...", "…")):
            return None  # cut at ~105 characters: never a headline of record
        return headline

    def field_social_headline(self) -> str | None:
        return _clean_str(jsonld.first_string(self.obj.get("alternativeHeadline")))

    def field_authors(self) -> list[str]:
        return jsonld.person_names(self.obj.get("author"))

    def field_published(self) -> tuple[str, str] | None:
        return (_date_pair(jsonld.first_string(self.obj.get("datePublished")))
                or _date_pair(jsonld.first_string(self.obj.get("dateCreated"))))

    def field_updated(self) -> tuple[str, str] | None:
        return _date_pair(jsonld.first_string(self.obj.get("dateModified")))

    def field_language(self) -> str | None:
        return language_code(jsonld.first_string(self.obj.get("inLanguage")))

    def field_section(self) -> list[str]:
        for crumbs in jsonld.find_by_type(self.page.ld_objects, "BreadcrumbList"):
            names = _breadcrumb_names(crumbs, self.page.url)
            if names:
                return names
        section = self.obj.get("articleSection")
        if isinstance(section, str) and section.strip():
            return [normalize_space(section)]
        if isinstance(section, list):
            return [normalize_space(s) for s in section if isinstance(s, str) and s.strip()][:1]
        return []

    def field_body(self) -> list[str]:
        text = normalize_space(jsonld.first_string(self.obj.get("articleBody")))
        if text.startswith(_PUBLIC_SERVICE_NOTICE):
            end = text.find("subscribing.")
            text = text[end + len("subscribing."):].strip() if end >= 0 else text
        text = _strip_trailing_bio(text, self.authors)
        return [text] if text else []

    def field_images(self) -> list[ImageRef]:
        captions: dict[str, str] = {}
        for obj in jsonld.find_by_type(self.page.ld_objects, "ImageObject"):
            url = jsonld.first_string(obj.get("url")) or jsonld.first_string(obj.get("contentUrl"))
            caption = jsonld.first_string(obj.get("caption"))
            if url and caption:
                captions.setdefault(url.strip(), caption)
        images = []
        image_value = self.obj.get("image")
        for item in image_value if isinstance(image_value, list) else [image_value]:
            for url in jsonld.image_urls(item):
                caption = captions.get(url)
                if caption is None and isinstance(item, dict):
                    caption = jsonld.first_string(item.get("caption"))
                image = _image(self.page.url, url, caption)
                if image:
                    images.append(image)
        return _dedupe_images(images)[:1]

    def field_opinion(self) -> bool | None:
        return "OpinionNewsArticle" in jsonld.types_of(self.obj)

    def field_is_paywalled(self) -> bool | None:
        free = _ld_bool(self.obj.get("isAccessibleForFree"))
        for part in _as_list(self.obj.get("hasPart")):
            if isinstance(part, dict) and _ld_bool(part.get("isAccessibleForFree")) is False:
                free = False
        return None if free is None else not free

    def field_is_sponsored(self) -> bool | None:
        for key in ("sponsor", "funder"):
            if self.obj.get(key):
                return True
        return None


class _DomSource(_Source):
    def field_headline(self) -> str | None:
        element = self.page.dom_headline_element()
        if element is None:
            found = self.page.root.xpath("(//main//h1 | //article//h1)[1]")
            element = found[0] if found else None
        if element is None:
            return None
        return inline_text(element) or None

    def field_subheadline(self) -> list[str]:
        container = self.page.qa_first("ContentSubHeadline-ContainerWithTag")
        if container is None:
            found = self.page.by_class(("field-name-field-subheading", "subheadline",
                                        "sub-headline", "bullets"))
            container = found[0] if found else None
        if container is None:
            return []
        items = [inline_text(li) for li in container.iter("li")]
        items = [i for i in items if i]
        if not items:
            text = inline_text(container)
            items = [text] if text else []
        return items

    def field_authors(self) -> list[str]:
        container = self.page.qa_first("AuthorNames-AuthorNamesContainer")
        if container is None:
            found = self.page.by_class(("authors", "byline"))
            container = found[0] if found else None
        if container is None:
            return []
        names = [inline_text(a) for a in container.iter("a")]
        return list(dict.fromkeys(n for n in names if n))

    def _time(self, qa_names: Iterable[str], itemprop: str) -> tuple[str, str] | None:
        for name in qa_names:
            element = self.page.qa_first(name)
            if element is not None:
                pair = _date_pair(element.get("datetime") or element.get("content"))
                if pair:
                    return pair
        for element in self.page.root.xpath(f'//*[@itemprop="{itemprop}"]'):
            pair = _date_pair(element.get("datetime") or element.get("content")
                              or inline_text(element))
            if pair:
                return pair
        return None

    def field_published(self) -> tuple[str, str] | None:
        return self._time(("Article20Date-PublishedDate",), "dateCreated") or self._time(
            (), "datePublished")

    def field_updated(self) -> tuple[str, str] | None:
        return self._time(("Article20Date-UpdatedDate",), "dateModified")

    @cached_property
    def _body(self) -> tuple[list[str], list[ImageRef]]:
        containers = self.page.body_containers
        return _DomBody(self.page, self.authors, self.opinion).read(containers)

    def field_body(self) -> list[str]:
        return self._body[0]

    def field_topics(self) -> list[str]:
        containers = [el for name, els in self.page.qa.items() if "topics" in name.lower()
                      for el in els] or self.page.by_class(("topics", "tags"))
        for container in containers:
            names = [inline_text(a) for a in container.iter("a")
                     if "/topics/" in (a.get("href") or "")]
            names = [n for n in names if n and not _is_furniture(n)]
            if names:
                return list(dict.fromkeys(names))
        return []

    def field_images(self) -> list[ImageRef]:
        images = []
        containers = self.page.qa.get("ArticleImage-ImageContainer", ())
        if not containers:
            # No data-qa hooks (AMP, Drupal): the figures of the article, body ones included.
            scope = self.page.article_element
            containers = scope.xpath(".//figure") if scope is not None else []
        for container in containers:
            for img in container.iter(*IMAGE_TAGS):
                image = _dom_image(self.page, img)
                if image:
                    images.append(image)
                break
        images.extend(self._body[1])
        return _dedupe_images(images)


class _MetaSource(_Source):
    @property
    def head(self) -> HeadMeta:
        return self.page.head

    def field_canonical_url(self) -> str | None:
        for href in (self.head.link("canonical"), self.head.first("og:url")):
            url = absolute_url(self.page.url, href)
            if url and urlsplit(url).scheme in ("http", "https"):
                return _clean_url(url)
        return None

    def field_headline(self) -> str | None:
        cse = _clean_str(self.head.first("cse_headline"))
        if cse:
            return cse
        title = self.head.title
        if not title:
            return None
        for suffix in (" | South China Morning Post", " | SCMP", " - South China Morning Post"):
            if title.endswith(suffix):
                title = title[: -len(suffix)].strip()
                break
        else:
            return None
        ld = self.page.ld_article
        cut = jsonld.first_string(ld.get("headline")) if ld else None
        if cut and not first_words_of(cut, title):
            return None
        return title or None

    def field_social_headline(self) -> str | None:
        return _clean_str(self.head.first("og:title", "cse_socialheadline", "twitter:title"))

    def field_summary(self) -> str | None:
        return _clean_str(self.head.first("og:description", "description", "twitter:description"))

    def field_authors(self) -> list[str]:
        value = self.head.first("cse_author")
        if value:
            return [n.strip() for n in value.split(",") if n.strip()]
        names = [v for v in self.head.all("author") if not v.startswith("http")]
        return names

    def field_published(self) -> tuple[str, str] | None:
        return _date_pair(self.head.first("article:published_time"))

    def field_updated(self) -> tuple[str, str] | None:
        return _date_pair(self.head.first("article:modified_time"))

    def field_section(self) -> list[str]:
        # article:section lists sections of related content too: only the Apollo-era name.
        name = _clean_str(self.head.first("cse_sectionname"))
        return [name] if name else []

    def field_topics(self) -> list[str]:
        tags = self.head.all("article:tag")
        if not tags:
            tags = [t.strip() for v in self.head.all("cse_topic") for t in v.split(",")]
        return list(dict.fromkeys(normalize_space(t) for t in tags if t.strip()))

    def field_images(self) -> list[ImageRef]:
        image = _image(self.page.url, self.head.first("og:image"), None)
        return [image] if image else []

    def field_language(self) -> str | None:
        return language_code(self.head.lang) or language_code(self.head.first("og:locale"))

    def field_opinion(self) -> bool | None:
        kind = self.head.first("cse_articletype")
        return "opinion" in kind.lower() if kind else None


class _UrlSource(_Source):
    @cached_property
    def canonical_path(self) -> str:
        canonical = self.page.head.link("canonical")
        url = absolute_url(self.page.url, canonical) if canonical else None
        return urlsplit(url or self.page.url).path

    def field_article_id(self) -> str | None:
        for path in (urlsplit(self.page.url).path, self.canonical_path):
            match = _ARTICLE_ID.search(path)
            if match:
                return match.group(1)
        return None

    def field_canonical_url(self) -> str | None:
        return _clean_url(self.page.url)

    @cached_property
    def _paths(self) -> list[str]:
        return [_unamp_path(urlsplit(self.page.url).path), _unamp_path(self.canonical_path)]

    def field_opinion(self) -> bool | None:
        if any(p.startswith(("/opinion/", "/comment/")) for p in self._paths):
            return True
        return None

    def field_is_truncated(self) -> bool | None:
        return True if any(p.startswith("/plus/") for p in self._paths) else None

    def field_is_paywalled(self) -> bool | None:
        return self.field_is_truncated()


# -- body readers --------------------------------------------------------------------------------


class _BodyFilter:
    """The rules shared by node-tree and DOM bodies: furniture, notices, the closing bio."""

    def __init__(self, page: _Page, authors: list[str], opinion: bool) -> None:
        self.page = page
        self.authors = authors
        self.opinion = opinion

    def keep(self, text: str) -> bool:
        return bool(text) and not _is_furniture(text)

    def drop_bio(self, paragraphs: list[str], emphasised_last: bool) -> list[str]:
        if paragraphs and emphasised_last and _is_bio(paragraphs[-1], self.authors, self.opinion):
            return paragraphs[:-1]
        return paragraphs

    def is_related_link(self, href: str | None) -> bool:
        """An ``href`` to another SCMP article (the "READ MORE" links)."""
        if not href:
            return False
        parts = urlsplit(href.strip())
        if not _ARTICLE_ID.search(parts.path):
            return False
        host = parts.netloc.lower()
        return not host or host.endswith("scmp.com") or host == self.page.host


class _NodeBody(_BodyFilter):
    """Paragraphs and pictures of a ``body.json`` node tree (MARKUP.md 2.1)."""

    def read(self, nodes: list[Any]) -> tuple[list[str], list[ImageRef]]:
        paragraphs: list[str] = []
        images: list[ImageRef] = []
        last: dict[str, Any] | None = None  # node of the last paragraph, if it is a ``p``
        for node in nodes:
            if not isinstance(node, dict):
                continue
            kind = _type(node)
            if kind == "p":
                pictures: list[dict[str, Any]] = []
                text = _node_text(node, pictures)
                if self.keep(text):
                    paragraphs.append(text)
                    last = node
                images.extend(self._image_refs(pictures, None))
            elif kind in _HEADING_NODES:
                if self._is_related_heading(node):
                    continue
                text = _node_text(node)
                if self.keep(text):
                    paragraphs.append(text)
                    last = None
            elif kind in ("ul", "ol"):
                for item in _children(node):
                    text = _node_text(item) if isinstance(item, dict) else ""
                    if self.keep(text):
                        paragraphs.append(text)
                        last = None
            elif kind == "li" or kind == "text":
                text = _node_text(node) if kind == "li" else _clean_text(node.get("data"))
                if self.keep(text):
                    paragraphs.append(text)
                    last = None
            elif kind == "blockquote" and not self._is_embed(node):
                for child in _children(node):
                    text = _node_text(child) if isinstance(child, dict) else ""
                    if self.keep(text):
                        paragraphs.append(text)
                        last = None
            elif kind in ("img", "figure"):
                images.extend(self._images_in(node))
        emphasised_last = last is not None and _node_emphasised(last)
        paragraphs = self.drop_bio(paragraphs, emphasised_last)
        return paragraphs, images

    def _is_related_heading(self, node: dict[str, Any]) -> bool:
        children = [c for c in _children(node)
                    if not (isinstance(c, dict) and c.get("type") == "text"
                            and not str(c.get("data") or "").strip())]
        if len(children) != 1 or not isinstance(children[0], dict):
            return False
        child = children[0]
        while child.get("type") in ("strong", "b", "em") and len(_children(child)) == 1:
            child = _children(child)[0]
            if not isinstance(child, dict):
                return False
        return child.get("type") == "a" and self.is_related_link(_attr(child, "href"))

    def _is_embed(self, node: dict[str, Any]) -> bool:
        cls = str(_attr(node, "class") or "").lower()
        if any(name in cls for name in ("tweet", "instagram", "tiktok", "facebook", "embed")):
            return True
        return any(_host_matches(_attr(a, "href"), _EMBED_HOSTS) for a in _walk_nodes(node)
                   if a.get("type") == "a")

    def _images_in(self, node: dict[str, Any]) -> list[ImageRef]:
        """Pictures of an ``img`` or ``figure`` node (a figure's caption as the fallback)."""
        pictures = []
        caption = None
        for sub in _walk_nodes(node):
            kind = sub.get("type")
            if kind == "figcaption":
                caption = _node_text(sub)
            elif kind == "img":
                pictures.append(sub)
        return self._image_refs(pictures, caption)

    def _image_refs(self, pictures: list[dict[str, Any]], caption: str | None) -> list[ImageRef]:
        found = []
        for picture in pictures:
            attribs = picture.get("attribs") or {}
            image = _image(self.page.url, attribs.get("src") or attribs.get("data-src"),
                           attribs.get("title") or caption, attribs.get("alt"))
            if image:
                found.append(image)
        return found


class _DomBody(_BodyFilter):
    """Paragraphs and pictures of the server-rendered body (MARKUP.md 2.2)."""

    def read(self, containers: list[etree._Element]) -> tuple[list[str], list[ImageRef]]:
        paragraphs: list[str] = []
        images: list[ImageRef] = []
        emphasised_last = False
        captions: set[str] = set()
        for container in containers:
            for block in iter_blocks(container, self.skip):
                if block.kind == "image":
                    image = _dom_image(self.page, block.element)
                    if image:
                        images.append(image)
                        captions.update(c for c in (image.caption, _full_caption(image)) if c)
                    continue
                if block.tag in ("h2", "h3", "h4", "p") and self._is_related_link(block.element):
                    continue
                if self.keep(block.text) and block.text not in captions:
                    paragraphs.append(block.text)
                    emphasised_last = _dom_emphasised(block.element)
        paragraphs = [p for p in paragraphs if p not in captions]
        paragraphs = self.drop_bio(paragraphs, emphasised_last)
        return paragraphs, images

    def skip(self, element: etree._Element) -> bool:
        tag = element.tag
        if not isinstance(tag, str):
            return True
        if tag in _FURNITURE_TAGS or (tag.startswith("amp-") and tag != "amp-img"):
            return True
        qa = element.get("data-qa")
        if qa:
            lowered = qa.lower()
            if any(fragment in lowered for fragment in _FURNITURE_QA):
                return True
        cls = element.get("class")
        if cls:
            lowered = cls.lower()
            if any(fragment in lowered for fragment in _FURNITURE_CLASSES):
                return True
        if tag == "blockquote":
            return any(_host_matches(a.get("href"), _EMBED_HOSTS) for a in element.iter("a"))
        return False

    def _is_related_link(self, element: etree._Element) -> bool:
        if (element.text or "").strip():
            return False
        children = [c for c in element if isinstance(c.tag, str)]
        if len(children) != 1:
            return False
        child = children[0]
        while child.tag in ("strong", "b", "em", "span") and not (child.text or "").strip():
            inner = [c for c in child if isinstance(c.tag, str)]
            if len(inner) != 1 or (child.tail or "").strip():
                return False
            child = inner[0]
        return (child.tag == "a" and not (child.tail or "").strip()
                and self.is_related_link(child.get("href")))


# -- small helpers --------------------------------------------------------------------------


def _reject_by_url(url: str) -> None:
    parts = urlsplit(url or "")
    host = parts.netloc.lower()
    if host.startswith("multimedia."):
        raise NotAnArticle("an interactive page", reason="interactive")
    path = _unamp_path(parts.path)
    for prefix, reason in _NOT_ARTICLE_PATHS:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            raise NotAnArticle(f"a {reason} page ({path})", reason=reason)


def _reject_typename(typename: Any) -> None:
    if not isinstance(typename, str):
        return
    reason = _NOT_ARTICLE_TYPENAMES.get(typename.lower())
    if reason:
        raise NotAnArticle(f"a {typename} page", reason=reason)


def _looks_like_html(html: str) -> bool:
    start = html[:4096].lower()
    return "<html" in start or "<!doctype html" in start or "<head" in start


def _is_complete(html: str) -> bool:
    """A page cut short in transfer lacks its closing tag; salvaging it would lie."""
    tail = html[-4096:].lower()
    return "</html>" in tail or "</body>" in tail


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _clean_str(value: Any) -> str | None:
    return normalize_space(value) or None if isinstance(value, str) else None


def _clean_text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    if "&" in value and ";" in value:
        value = htmlmod.unescape(value)
    return value


def _date_pair(value: Any) -> tuple[str, str] | None:
    """(raw, ISO UTC) of a date value, or None."""
    iso = dates.to_utc_iso(value)
    raw = dates.raw_string(value)
    return (raw, iso) if iso and raw else None


def _children(node: dict[str, Any]) -> list[Any]:
    children = node.get("children")
    return children if isinstance(children, list) else []


def _attr(node: dict[str, Any], name: str) -> Any:
    attribs = node.get("attribs")
    return attribs.get(name) if isinstance(attribs, dict) else None


def _walk_nodes(node: dict[str, Any], depth: int = 0) -> Iterable[dict[str, Any]]:
    yield node
    if depth > 30:
        return
    for child in _children(node):
        if isinstance(child, dict):
            yield from _walk_nodes(child, depth + 1)


def _type(node: dict[str, Any]) -> str:
    """A body node's ``type``, lower case ("" when it is missing or not a string)."""
    kind = node.get("type")
    return kind.lower() if isinstance(kind, str) else ""


def _node_text(node: dict[str, Any], pictures: list[dict[str, Any]] | None = None) -> str:
    """The plain text of a node (inline ``a``/``em``/``strong``/``u`` included); the ``img``
    nodes met on the way are appended to ``pictures`` when given."""
    if node.get("type") == "text":
        return normalize_space(_clean_text(node.get("data")))
    parts: list[str] = []
    _collect_node_text(node, parts, pictures, 0)
    return normalize_space("".join(parts))


def _collect_node_text(node: dict[str, Any], parts: list[str],
                       pictures: list[dict[str, Any]] | None, depth: int) -> None:
    children = node.get("children")
    if not isinstance(children, list) or depth > 30:
        return
    for child in children:
        if not isinstance(child, dict):
            continue
        kind = _type(child)
        if kind == "text":
            data = child.get("data")
            if isinstance(data, str):
                parts.append(_clean_text(data) if "&" in data else data)
        elif kind == "img":
            if pictures is not None:
                pictures.append(child)
        elif kind == "br":
            parts.append(" ")
        elif kind not in _INLINE_SKIP_NODES:
            _collect_node_text(child, parts, pictures, depth + 1)
            if kind in _BLOCK_NODES:
                parts.append(" ")


def _node_emphasised(node: dict[str, Any]) -> bool:
    """A paragraph whose whole text sits inside ``em``/``i`` (the closing bio line)."""
    children = [c for c in _children(node) if isinstance(c, dict)]
    meaningful = [c for c in children
                  if not (c.get("type") == "text" and not str(c.get("data") or "").strip())]
    return bool(meaningful) and all(_type(c) in _EMPHASIS_NODES for c in meaningful)


def _dom_emphasised(element: etree._Element) -> bool:
    if (element.text or "").strip():
        return False
    children = [c for c in element if isinstance(c.tag, str)]
    return bool(children) and all(
        c.tag in _EMPHASIS_NODES and not (c.tail or "").strip() for c in children)


def _block_texts(tree: Any) -> list[str]:
    """Texts of a small node tree (subheadline, summary): its list items, else its blocks."""
    nodes = [n for n in _as_list(tree) if isinstance(n, dict)]
    items = [_node_text(n) for root in nodes for n in _walk_nodes(root) if n.get("type") == "li"]
    items = [i for i in items if i]
    if items:
        return items
    blocks = [_node_text(n) for n in nodes]
    return [b for b in blocks if b]


def _bullets(value: Any) -> list[str]:
    if isinstance(value, str):
        text = normalize_space(value)
        return [text] if text else []
    if isinstance(value, dict):
        if "json" in value:
            return _block_texts(value["json"])
        if "type" in value:
            return _block_texts([value])
        line = _clean_str(value.get("text"))
        return [line] if line else []
    if isinstance(value, list):
        return _block_texts(value)
    return []


def _section_path(value: Any) -> list[str]:
    """Names of the article's own section path: ``[{value: [{name}, ...]}]`` or ``[{name}]``."""
    items = _as_list(value)
    if not items:
        return []
    first = items[0]
    if isinstance(first, dict) and "value" in first:
        return _section_path(first["value"])
    if isinstance(first, list):
        return _section_path(first)
    names = [_clean_str(item.get("name")) for item in items if isinstance(item, dict)]
    return [n for n in names if n]


def _breadcrumb_names(crumbs: dict[str, Any], page_url: str) -> list[str]:
    elements = [e for e in _as_list(crumbs.get("itemListElement")) if isinstance(e, dict)]
    elements.sort(key=lambda e: e["position"] if isinstance(e.get("position"), int) else 0)
    names = []
    for element in elements:
        item = element.get("item")
        name = element.get("name") or (item.get("name") if isinstance(item, dict) else None)
        target = item.get("@id") if isinstance(item, dict) else item
        if isinstance(target, str) and _ARTICLE_ID.search(urlsplit(target).path):
            continue  # the article itself
        name = _clean_str(name)
        if name and name.lower() not in ("home", "scmp", "south china morning post"):
            names.append(name)
    return names


def _ld_bool(value: Any) -> bool | None:
    """``isAccessibleForFree`` is a *string* "False"/"True" on SCMP (MARKUP.md 2.3)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("false", "no", "0"):
            return False
        if lowered in ("true", "yes", "1"):
            return True
    return None


def _is_furniture(text: str) -> bool:
    return text in _FURNITURE_EXACT or text.startswith(_FURNITURE_PREFIXES)


def _is_bio(text: str, authors: list[str], opinion: bool) -> bool:
    """"<author name> is a senior fellow at ..." (also "was", "are", "and <co-author>")."""
    for name in authors:
        if text.startswith(name):
            rest = text[len(name):]
            if rest.startswith((" is ", " was ", " are ", " and ", ", ")):
                return True
    if opinion and not authors:
        return bool(re.match(r"^[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3} (?:is|was) (?:a|an|the) ",
                             text))
    return False


def _strip_trailing_bio(text: str, authors: list[str]) -> str:
    """``articleBody`` sometimes ends with the bio line: cut it off."""
    for name in authors:
        for verb in (" is ", " was ", " are "):
            at = text.rfind(name + verb)
            if at > 0 and text[at - 2: at].strip() in (".", "”", "\"", "!", "?", ".”") \
                    and len(text) - at < 400 and text[at:].rstrip(".").count(". ") == 0:
                return text[:at].rstrip()
    return text


def _host_matches(href: Any, hosts: tuple[str, ...]) -> bool:
    if not isinstance(href, str) or not href:
        return False
    host = urlsplit(href.strip()).netloc.lower().split(":")[0]
    return any(host == h or host.endswith("." + h) for h in hosts)


def _image(page_url: str, src: Any, title: Any, alt: Any = None) -> ImageRef | None:
    url = absolute_url(page_url, src) if isinstance(src, str) else None
    if not url:
        return None
    caption, credit = split_credit(title if isinstance(title, str) else None)
    if caption is None and credit is None and isinstance(alt, str):
        caption, credit = split_credit(alt)
    return ImageRef(url=url, caption=caption, credit=credit)


def _dom_image(page: _Page, img: etree._Element) -> ImageRef | None:
    src = img.get("src") or img.get("data-src")
    if not src:
        srcset = img.get("srcset") or ""
        src = srcset.split(",")[0].split()[0] if srcset.strip() else None
    caption_text = img.get("title")
    figure = next((a for a in img.iterancestors("figure", "div")
                   if a.tag == "figure" or a.get("data-qa") == "ArticleImage-ImageContainer"),
                  None)
    if figure is not None:
        for element in figure.iter():
            qa = (element.get("data-qa") or "").lower() if isinstance(element.tag, str) else ""
            if element.tag == "figcaption" or "caption" in qa:
                text = inline_text(element)
                if text:
                    caption_text = text
                    break
    return _image(page.url, src, caption_text, img.get("alt"))


def _full_caption(image: ImageRef) -> str | None:
    if image.caption and image.credit:
        return f"{image.caption} Photo: {image.credit}"
    return None


def _dedupe_images(images: list[ImageRef]) -> list[ImageRef]:
    seen: set[str] = set()
    out = []
    for image in images:
        if image.url not in seen:
            seen.add(image.url)
            out.append(image)
    return out


def _unamp_path(path: str) -> str:
    return path[4:] if path.startswith("/amp/") else path


def _clean_url(url: str) -> str:
    """A page URL as its canonical twin: tracking parameters, fragment and AMP copy undone."""
    url = strip_tracking(url, TRACKING_PARAMS, TRACKING_PREFIXES)
    parts = urlsplit(url)
    host = parts.netloc
    scheme = parts.scheme
    if host.lower().startswith("amp.") and host.lower().endswith("scmp.com"):
        host = "www." + host[4:]
    if host.lower() in ("scmp.com", "www.scmp.com"):
        scheme, host = "https", "www.scmp.com"
    return urlunsplit((scheme, host, _unamp_path(parts.path), parts.query, ""))
