"""SCMP article bodies: paragraphs and pictures of a ``body.json`` node tree (MARKUP.md 2.1) or
of the server-rendered body (2.2), without furniture, embeds, related links, pull quotes and
the closing author bio; and the pictures of a page as ``ImageRef``s.
"""

from __future__ import annotations

import html as htmlmod
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.extraction.html import absolute_url, inline_text, iter_blocks
from newscrawl.extraction.text import normalize_space, split_credit
from newscrawl.items import ImageRef
from newscrawl.outlets.scmp.furniture import (
    EMBED_HOSTS,
    FURNITURE_CLASSES,
    FURNITURE_QA,
    FURNITURE_TAGS,
    is_furniture,
)
from newscrawl.outlets.scmp.outlet import ARTICLE_ID_IN_PATH

if TYPE_CHECKING:
    from newscrawl.outlets.scmp.page import ScmpPage

# Body node types that carry article text (MARKUP.md 2.1); everything else is furniture:
# ad slots, widgets, trackers, embeds, galleries, pull quotes (``blockquote-quote``).
_HEADING_NODES = frozenset({"h2", "h3", "h4", "h5", "h6"})
_INLINE_SKIP_NODES = frozenset({"script", "style", "img", "iframe", "video", "audio", "embed",
                                "object", "svg", "button", "figcaption"})
_EMPHASIS_NODES = frozenset({"em", "i"})
_BLOCK_NODES = frozenset({"p", "li", "div", "h2", "h3", "h4", "h5", "h6", "ul", "ol"})


class BodyFilter:
    """The rules shared by node-tree and DOM bodies: furniture, notices, the closing bio."""

    def __init__(self, page: ScmpPage, authors: list[str], opinion: bool) -> None:
        self.page = page
        self.authors = authors
        self.opinion = opinion

    def keep(self, text: str) -> bool:
        return bool(text) and not is_furniture(text)

    def drop_bio(self, paragraphs: list[str], emphasised_last: bool) -> list[str]:
        if paragraphs and emphasised_last and is_bio(paragraphs[-1], self.authors, self.opinion):
            return paragraphs[:-1]
        return paragraphs

    def is_related_link(self, href: str | None) -> bool:
        """An ``href`` to another SCMP article (the "READ MORE" links)."""
        if not href:
            return False
        parts = urlsplit(href.strip())
        if not ARTICLE_ID_IN_PATH.search(parts.path):
            return False
        host = parts.netloc.lower()
        return not host or host.endswith("scmp.com") or host == self.page.host


class NodeBody(BodyFilter):
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
                text = node_text(node, pictures)
                if self.keep(text):
                    paragraphs.append(text)
                    last = node
                images.extend(self._image_refs(pictures, None))
            elif kind in ("img", "figure"):
                images.extend(self._images_in(node))
            else:
                for text in self._texts(node, kind):
                    if self.keep(text):
                        paragraphs.append(text)
                        last = None
        emphasised_last = last is not None and _node_emphasised(last)
        paragraphs = self.drop_bio(paragraphs, emphasised_last)
        return paragraphs, images

    def _texts(self, node: dict[str, Any], kind: str) -> list[str]:
        """The blocks of text of a node that is no paragraph: a heading (unless it is a
        related link), a list's items, a loose item or text, a quotation's lines (unless it
        is an embed); none for anything else."""
        if kind in _HEADING_NODES:
            return [] if self._is_related_heading(node) else [node_text(node)]
        if kind in ("ul", "ol") or (kind == "blockquote" and not self._is_embed(node)):
            return [node_text(child) if isinstance(child, dict) else ""
                    for child in _children(node)]
        if kind == "li":
            return [node_text(node)]
        if kind == "text":
            return [_clean_text(node.get("data"))]
        return []

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
        return any(host_matches(_attr(a, "href"), EMBED_HOSTS) for a in walk_nodes(node)
                   if a.get("type") == "a")

    def _images_in(self, node: dict[str, Any]) -> list[ImageRef]:
        """Pictures of an ``img`` or ``figure`` node (a figure's caption as the fallback)."""
        pictures = []
        caption = None
        for sub in walk_nodes(node):
            kind = sub.get("type")
            if kind == "figcaption":
                caption = node_text(sub)
            elif kind == "img":
                pictures.append(sub)
        return self._image_refs(pictures, caption)

    def _image_refs(self, pictures: list[dict[str, Any]], caption: str | None) -> list[ImageRef]:
        found = []
        for picture in pictures:
            attribs = picture.get("attribs") or {}
            image = image_ref(self.page.url, attribs.get("src") or attribs.get("data-src"),
                              attribs.get("title") or caption, attribs.get("alt"))
            if image:
                found.append(image)
        return found


class DomBody(BodyFilter):
    """Paragraphs and pictures of the server-rendered body (MARKUP.md 2.2)."""

    def read(self, containers: list[etree._Element]) -> tuple[list[str], list[ImageRef]]:
        paragraphs: list[str] = []
        images: list[ImageRef] = []
        emphasised_last = False
        captions: set[str] = set()
        for container in containers:
            for block in iter_blocks(container, self.skip):
                if block.kind == "image":
                    image = dom_image(self.page.url, block.element)
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
        if tag in FURNITURE_TAGS or (tag.startswith("amp-") and tag != "amp-img"):
            return True
        for attribute, fragments in (("data-qa", FURNITURE_QA), ("class", FURNITURE_CLASSES)):
            value = element.get(attribute)
            if value and any(fragment in value.lower() for fragment in fragments):
                return True
        if tag == "blockquote":
            return any(host_matches(a.get("href"), EMBED_HOSTS) for a in element.iter("a"))
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


# -- body.json nodes -----------------------------------------------------------------------


def _children(node: dict[str, Any]) -> list[Any]:
    children = node.get("children")
    return children if isinstance(children, list) else []


def _attr(node: dict[str, Any], name: str) -> Any:
    attribs = node.get("attribs")
    return attribs.get(name) if isinstance(attribs, dict) else None


def walk_nodes(node: dict[str, Any], depth: int = 0) -> Iterable[dict[str, Any]]:
    """A node and every node below it, depth first (30 levels at most)."""
    yield node
    if depth > 30:
        return
    for child in _children(node):
        if isinstance(child, dict):
            yield from walk_nodes(child, depth + 1)


def _type(node: dict[str, Any]) -> str:
    """A body node's ``type``, lower case ("" when it is missing or not a string)."""
    kind = node.get("type")
    return kind.lower() if isinstance(kind, str) else ""


def _clean_text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    if "&" in value and ";" in value:
        value = htmlmod.unescape(value)
    return value


def node_text(node: dict[str, Any], pictures: list[dict[str, Any]] | None = None) -> str:
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


def block_texts(tree: Any) -> list[str]:
    """Texts of a small node tree (subheadline, summary): its list items, else its blocks."""
    nodes = [n for n in (tree if isinstance(tree, list) else [tree] if tree is not None else [])
             if isinstance(n, dict)]
    items = [node_text(n) for root in nodes for n in walk_nodes(root) if n.get("type") == "li"]
    items = [i for i in items if i]
    if items:
        return items
    blocks = [node_text(n) for n in nodes]
    return [b for b in blocks if b]


# -- the closing bio -------------------------------------------------------------------------


def is_bio(text: str, authors: list[str], opinion: bool) -> bool:
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


def strip_trailing_bio(text: str, authors: list[str]) -> str:
    """``articleBody`` sometimes ends with the bio line: cut it off."""
    for name in authors:
        for verb in (" is ", " was ", " are "):
            at = text.rfind(name + verb)
            if at > 0 and text[at - 2: at].strip() in (".", "”", "\"", "!", "?", ".”") \
                    and len(text) - at < 400 and text[at:].rstrip(".").count(". ") == 0:
                return text[:at].rstrip()
    return text


def host_matches(href: Any, hosts: tuple[str, ...]) -> bool:
    if not isinstance(href, str) or not href:
        return False
    host = urlsplit(href.strip()).netloc.lower().split(":")[0]
    return any(host == h or host.endswith("." + h) for h in hosts)


# -- pictures --------------------------------------------------------------------------------


def image_ref(page_url: str, src: Any, title: Any, alt: Any = None) -> ImageRef | None:
    """A picture: ``src`` made absolute, its caption and credit from ``title`` (else ``alt``)."""
    url = absolute_url(page_url, src) if isinstance(src, str) else None
    if not url:
        return None
    caption, credit = split_credit(title if isinstance(title, str) else None)
    if caption is None and credit is None and isinstance(alt, str):
        caption, credit = split_credit(alt)
    return ImageRef(url=url, caption=caption, credit=credit)


def dom_image(page_url: str, img: etree._Element) -> ImageRef | None:
    """An ``<img>`` (``<amp-img>``) with the caption of its figure."""
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
    return image_ref(page_url, src, caption_text, img.get("alt"))


def _full_caption(image: ImageRef) -> str | None:
    if image.caption and image.credit:
        return f"{image.caption} Photo: {image.credit}"
    return None
