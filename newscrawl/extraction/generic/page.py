"""One fetched page of any site, and what the generic parser reads from it, each on first use.

The whole document is parsed once (``root``); JSON-LD is found by a search of the raw text
(``scripts.scripts_by_type``), so a page's JSON-LD costs no walk of the tree.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.extraction import jsonld, scripts
from newscrawl.extraction.generic.body import page_paragraph_chars
from newscrawl.extraction.html import parse_document
from newscrawl.extraction.meta import HeadMeta, read_head
from newscrawl.extraction.text import normalize_space

_LD_TYPE = "application/ld+json"


class GenericPage:
    """One fetched page: its tree, head metadata and JSON-LD, read lazily."""

    def __init__(self, url: str, text: str) -> None:
        self.url = url
        self.text = text
        parts = urlsplit(url or "")
        self.host = (parts.hostname or "").lower()
        self.path = parts.path or "/"
        self.query = parts.query

    @cached_property
    def root(self) -> etree._Element:
        return parse_document(self.text)

    @cached_property
    def head(self) -> HeadMeta:
        return read_head(self.root)

    @cached_property
    def ld_objects(self) -> list[dict[str, Any]]:
        return jsonld.parse_blocks(scripts.scripts_by_type(self.text, _LD_TYPE))

    @cached_property
    def ld_types(self) -> set[str]:
        return {name for obj in self.ld_objects for name in jsonld.types_of(obj)}

    @cached_property
    def ld_article(self) -> dict[str, Any] | None:
        """The page's article object (``NewsArticle``, ``BlogPosting``...), the one with a
        headline first."""
        found = jsonld.find_by_type(self.ld_objects, *jsonld.ARTICLE_TYPES)
        with_headline = [obj for obj in found if obj.get("headline") or obj.get("name")]
        return next(iter(with_headline or found), None)

    @cached_property
    def article_scope(self) -> etree._Element:
        """Where the story's own byline, dates and headline sit: the ``<article>`` holding
        the page's ``<h1>``, else the only ``<article>`` or ``<main>``, else the body."""
        h1s = self.root.xpath("//h1")
        for h1 in h1s:
            holder = next(h1.iterancestors("article", "main"), None)
            if holder is not None:
                return holder
        for tag in ("article", "main"):
            found = self.root.xpath(f"//{tag}")
            if len(found) == 1:
                return found[0]
        body = self.root.find("body")
        return body if body is not None else self.root

    @cached_property
    def h1(self) -> str | None:
        """The printed headline: the ``<h1>`` of the story's scope, else the page's only one."""
        found = self.article_scope.xpath(".//h1")
        if not found:
            found = self.root.xpath("//h1")
            if len(found) != 1:
                return None
        return normalize_space(" ".join(found[0].itertext())) or None

    @cached_property
    def visible_text_chars(self) -> int:
        """Characters of paragraph text in the page (``<p>``), the yardstick of a body."""
        return page_paragraph_chars(self.root)
