"""One fetched SCMP page and its sources, each read on first use (MARKUP.md 1-4).

Each source is read lazily, the cheapest way that is still exact: the scripts by a targeted
search of the text (only the article object of ``__NEXT_DATA__`` is decoded, not its hundreds
of kilobytes of configuration; only the article's entries of the Apollo state, not its
trending lists), the head metadata from a parse of ``<head>`` alone, and a full lxml tree,
built once, only when a DOM source is actually consulted.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.extraction import jsonld, scripts
from newscrawl.extraction.apollo import ApolloNode
from newscrawl.extraction.html import parse_document
from newscrawl.extraction.meta import HeadMeta, read_head
from newscrawl.outlets.scmp.outlet import ARTICLE_ID_IN_PATH

_NEXT_ARTICLE_PATH = ("props", "pageProps", "payload", "data", "article")
_LD_TYPE = "application/ld+json"
NON_ARTICLE_LD_TYPES = ("VideoObject", "ImageGallery", "CollectionPage", "ItemList",
                        "ProfilePage")
_HEAD_END = re.compile(r"</head\s*>", re.I)
_HEAD_SEARCH_LIMIT = 512 * 1024
_BODY_FALLBACK_XPATHS = (
    '//*[@itemprop="articleBody"]',
    '//*[contains(concat(" ", normalize-space(@class), " "), " pane-node-body ")]',
    '//*[contains(@class, "article__body") or contains(@class, "article-body")'
    ' or contains(@class, "story-body") or contains(@class, "articleBody")]',
)


class ScmpApollo(ApolloNode):
    """The article of an SCMP Apollo state (2019 to Oct 2023): ``ROOT_QUERY``'s
    ``content(...)`` entry, else the first Article, Video or Gallery entry with a headline."""

    root_field = "content"
    node_types = ("Article", "Video", "Gallery")
    node_key = "headline"

    def body(self) -> Any:
        """The body, stored under a ``body(...)`` key (the query's arguments in its name)."""
        return self.field_with_arguments("body")


class ScmpPage:
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

    # __NEXT_DATA__ (Next.js, late 2023 on) ----------------------------------------------
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
        url_id = ARTICLE_ID_IN_PATH.search(urlsplit(self.url).path)
        entity = value.get("entityId")
        return url_id is not None and str(entity) == url_id.group(1)

    # Apollo (2019 to Oct 2023) ----------------------------------------------------------
    @cached_property
    def apollo(self) -> ScmpApollo | None:
        if self.next_article is not None:
            return None  # a Next.js page: no Apollo state to look for
        start = scripts.assigned_start(self.text, "__APOLLO_STATE__")
        if start < 0:
            return None
        # Most of the state is other content (trending lists): seek the article's entries
        # and decode only those, else the whole state.
        sought = ScmpApollo.seek(self.text, start)
        if sought is not None:
            return sought
        state = scripts.decode_at(self.text, start)
        return ScmpApollo.find(state) if isinstance(state, dict) else None

    # JSON-LD ----------------------------------------------------------------------------
    @cached_property
    def ld_objects(self) -> list[dict[str, Any]]:
        # The blocks sit in <head>; the rest of the page is searched only if the article
        # object is not among them.
        head_end = self.head_end
        found = jsonld.parse_blocks(scripts.scripts_by_type(self.text, _LD_TYPE, 0, head_end))
        if not jsonld.find_by_type(found, *jsonld.ARTICLE_TYPES, *NON_ARTICLE_LD_TYPES):
            found += jsonld.parse_blocks(scripts.scripts_by_type(self.text, _LD_TYPE, head_end))
        return found

    @cached_property
    def ld_article(self) -> dict[str, Any] | None:
        found = jsonld.find_by_type(self.ld_objects, *jsonld.ARTICLE_TYPES)
        return found[0] if found else None

    # DOM --------------------------------------------------------------------------------
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

    def dom_headline_element(self) -> etree._Element | None:
        h1 = self.qa_first("ContentHeadline-ContainerWithTag", "h1")
        if h1 is not None:
            span = next((el for el in h1.iter("span")
                         if el.get("data-qa") == "ContentHeadline-Headline"), None)
            return span if span is not None else h1
        return None

    @cached_property
    def body_containers(self) -> list[etree._Element]:
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


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
