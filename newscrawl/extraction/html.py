"""Parsing a page once and reading text out of the tree: the generic half of DOM extraction.

``parse_document`` turns the fetched text into an ``lxml`` tree exactly once per page; the
rest works on that tree. ``iter_blocks`` walks a content container in document order and
yields its text blocks (paragraphs, headings, list items) and images, skipping every subtree
a caller-supplied predicate marks as furniture, so outlet parsers only say *what* is
furniture, not how to walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree, html

from newscrawl.extraction.text import normalize_space
from newscrawl.items import ImageRef

_PARSER = html.HTMLParser(remove_comments=True, remove_pis=True)
_BYTES_PARSER = html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)

#: Elements whose text is never page text.
NON_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "img",
                           "amp-img", "figcaption",
                           "video", "audio", "object", "embed", "button", "select", "input",
                           "textarea", "form"})
#: Elements that are pictures (AMP pages use ``amp-img``).
IMAGE_TAGS = frozenset({"img", "amp-img"})
#: Elements that are one block of text each.
TEXT_BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "dt", "dd"})
#: Block containers: walked into, their loose text taken as a block of its own.
CONTAINER_TAGS = frozenset({"div", "section", "article", "main", "ul", "ol", "dl", "figure",
                            "blockquote", "aside", "header", "footer", "center", "table",
                            "tbody", "thead", "tr", "td", "th", "picture"})


class UnparsableDocument(ValueError):
    """The input is not something an HTML parser can make a tree of."""


def parse_document(text: str) -> etree._Element:
    """The root ``<html>`` element of ``text``; raises ``UnparsableDocument``.

    When libxml2 refuses the str (an XML declaration naming an encoding, stray NUL
    characters), the text is handed over again as UTF-8 bytes.
    """
    if not text or not text.strip():
        raise UnparsableDocument("empty document")
    try:
        root = html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, UnicodeError):
        try:
            data = text.encode("utf-8", "replace")
            root = html.document_fromstring(data, parser=_BYTES_PARSER)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError, UnicodeError) as exc:
            raise UnparsableDocument(str(exc) or "unparsable document") from exc
    if root is None:
        raise UnparsableDocument("no root element")
    return root


def looks_like_html(text: str, within: int = 4096) -> bool:
    """The text starts like an HTML document: a doctype, ``<html`` or ``<head`` in its first
    ``within`` characters."""
    start = text[:within].lower()
    return "<html" in start or "<!doctype html" in start or "<head" in start


def is_complete(text: str) -> bool:
    """The document reaches its closing tag: a page cut short in transfer does not, and
    salvaging it would lie."""
    tail = text[-4096:].lower()
    return "</html>" in tail or "</body>" in tail


def absolute_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``; None for empty values and non-http schemes."""
    if not href or not href.strip():
        return None
    href = href.strip()
    if href.startswith(("https://", "http://")) and " " not in href:
        return href  # already absolute: urljoin would only normalise ``..`` segments
    if href.startswith(("data:", "javascript:", "about:", "blob:")):
        return None
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def dedupe_images(images: list[ImageRef]) -> list[ImageRef]:
    """The pictures in order, each URL once."""
    seen: set[str] = set()
    out = []
    for image in images:
        if image.url not in seen:
            seen.add(image.url)
            out.append(image)
    return out


def classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def inline_text(element: etree._Element,
                skip: Callable[[etree._Element], bool] | None = None) -> str:
    """The visible text of ``element``, whitespace-normalised, skipping non-text subtrees."""
    parts: list[str] = []
    _collect_text(element, parts, skip, top=True)
    return normalize_space("".join(parts))


def _collect_text(element: etree._Element, parts: list[str],
                  skip: Callable[[etree._Element], bool] | None, top: bool) -> None:
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions
        if not top and element.tail:
            parts.append(element.tail)
        return
    dropped = not top and (tag in NON_TEXT_TAGS or (skip is not None and skip(element)))
    if not dropped:
        if tag == "br":
            parts.append(" ")
        if element.text:
            parts.append(element.text)
        for child in element:
            _collect_text(child, parts, skip, top=False)
        if tag in TEXT_BLOCK_TAGS or tag in ("div", "td", "th"):
            parts.append(" ")
    if not top and element.tail:
        parts.append(element.tail)


@dataclass
class Block:
    """One piece of a content container, in document order."""

    kind: str  # "text" or "image"
    tag: str
    element: etree._Element
    text: str = ""


def iter_blocks(container: etree._Element,
                skip: Callable[[etree._Element], bool]) -> Iterator[Block]:
    """Text blocks and images of ``container`` in document order, furniture skipped."""
    yield from _walk(container, skip)


def _walk(element: etree._Element, skip: Callable[[etree._Element], bool]) -> Iterator[Block]:
    loose = [element.text or ""]
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or skip(child):  # comments, processing instructions
            loose.append(child.tail or "")
            continue
        if tag in IMAGE_TAGS:
            yield Block("image", tag, child)
        elif tag in TEXT_BLOCK_TAGS:
            yield from _text_block(child, tag, skip)
        elif tag in CONTAINER_TAGS:
            pending = normalize_space("".join(loose))
            if pending:
                yield Block("text", element.tag, element, pending)
            loose = []
            yield from _walk(child, skip)
        elif tag not in NON_TEXT_TAGS:
            loose.append(inline_text(child, skip) + " ")
        loose.append(child.tail or "")
    pending = normalize_space("".join(loose))
    if pending:
        yield Block("text", element.tag, element, pending)


def _text_block(element: etree._Element, tag: str,
                skip: Callable[[etree._Element], bool]) -> Iterator[Block]:
    """A paragraph (heading, list item...) as one block, then the pictures inside it."""
    text = inline_text(element, skip)
    if text:
        yield Block("text", tag, element, text)
    for img in element.iter(*IMAGE_TAGS):
        if not skip(img):
            yield Block("image", img.tag, img)
