"""An article's body: the ``body.json`` node trees (MARKUP.md 2.1) and the walk that writes
them as HTML.

``BodyWriter`` is the walk every generation that shows the body shares (the Next.js page and
the AMP copy; an Apollo page carries the nodes in its state only): one component per node,
with the markup that differs given as tags and a few methods its subclasses in
:mod:`.nextjs` and :mod:`.amp` fill in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from newscrawl.replica.pages.chrome import esc

#: Body node types that are advertising slots: each prints "Advertisement".
AD_NODE_TYPES = frozenset({"inline-ad-slot", "ad1", "outstream-1", "native-ads"})
#: Body node types that are trackers (no visible text).
TRACKER_NODE_TYPES = frozenset({"track-viewed-percentage", "reading-50-percent-completion-tracker",
                                "reading-100-percent-completion-tracker"})
HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_INLINE_TAGS = frozenset({"em", "strong", "u", "b", "i", "span", "sub", "sup", "s", "small",
                          "code", "mark"})


# -- body.json -------------------------------------------------------------------------------
def _absolute_node(node: dict[str, Any], base: str) -> dict[str, Any]:
    """``node`` with every ``img`` src made absolute; shares everything it does not change."""
    if node.get("type") == "img":
        attribs = node.get("attribs") or {}
        src = attribs.get("src") or ""
        if src.startswith("/"):
            return {**node, "attribs": {**attribs, "src": base + src}}
        return node
    children = node.get("children")
    if not children:
        return node
    new = [_absolute_node(child, base) for child in children]
    if all(a is b for a, b in zip(new, children, strict=True)):
        return node
    return {**node, "children": new}


def absolute_nodes(nodes: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    return [_absolute_node(node, base) for node in nodes]


def text_tree(text: str) -> list[dict[str, Any]]:
    return [{"type": "p", "children": [{"type": "text", "data": text}]}]


def bullets_tree(bullets: list[str]) -> list[dict[str, Any]]:
    return [{"type": "ul", "children": [
        {"type": "li", "children": [{"type": "text", "data": b}]} for b in bullets]}]


def _node_text(node: dict[str, Any]) -> str:
    if node.get("type") == "text":
        return node.get("data") or ""
    return "".join(_node_text(child) for child in node.get("children") or ())


def _related_link(node: dict[str, Any]) -> dict[str, Any] | None:
    """The ``a`` of an ``h3`` whose only child is a link (an inline "READ MORE" link)."""
    children: list[dict[str, Any]] = node.get("children") or []
    if len(children) == 1 and children[0].get("type") == "a":
        return children[0]
    return None


def _split_title(title: str, fallback: str) -> tuple[str, str]:
    caption, sep, credit = title.rpartition(" Photo: ")
    return (caption, credit) if sep else (title or fallback, "")


# -- HTML of body nodes ------------------------------------------------------------------------
def _inline(children: Any, out: list[str]) -> None:
    """Inline markup of text, links and emphasis."""
    for child in children or ():
        kind = child.get("type")
        if kind == "text":
            out.append(esc(child.get("data") or ""))
        elif kind == "a":
            attribs = child.get("attribs") or {}
            target = attribs.get("target")
            rel = f' target="{esc(target)}" rel="noopener noreferrer"' if target else ""
            _wrap(out, f'<a href="{esc(attribs.get("href") or "")}"{rel}>',
                  child.get("children"), "</a>")
        elif kind in _INLINE_TAGS:
            _wrap(out, f"<{kind}>", child.get("children"), f"</{kind}>")
        elif kind == "br":
            out.append("<br/>")
        else:
            _inline(child.get("children"), out)


def _wrap(out: list[str], start: str, children: Any, end: str) -> None:
    """``children``'s inline markup between the tags ``start`` and ``end``."""
    out.append(start)
    _inline(children, out)
    out.append(end)


class BodyWriter:
    """Writes ``body.json`` nodes as HTML, one component per node: the walk both page kinds
    share. ``tags`` holds the markup that differs (opening tags by node kind, the pull quote's
    and the social embed's wrappers); subclasses render images, ads, embeds, ``div`` children
    and the nodes only one kind of page shows."""

    def __init__(self, base: str, entity_id: str, tags: dict[str, str]) -> None:
        self.base = base
        self.entity_id = entity_id
        self.tags = tags
        self.ads = 0
        self.out: list[str] = []

    def write(self, nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            self.block(node)

    def block(self, node: dict[str, Any]) -> None:
        kind = node.get("type") or ""
        attribs = node.get("attribs") or {}
        if kind in HEADINGS:
            self._heading(kind, node)
        elif kind in ("ul", "ol"):
            self._list(kind, node)
        elif kind in AD_NODE_TYPES:
            self.ads += 1
            self.out.append(self.ad(kind, self.ads))
        elif kind in self._BLOCKS:
            self._BLOCKS[kind](self, node, attribs)
        else:
            self.other(kind, attribs, node)

    def _paragraph(self, node: dict[str, Any], attribs: dict[str, Any]) -> None:
        _wrap(self.out, self.tags["p"], node.get("children"), "</p>")

    def _heading(self, kind: str, node: dict[str, Any]) -> None:
        link = _related_link(node)
        if link is None:
            _wrap(self.out, self.tags[kind], node.get("children"), f"</{kind}>")
            return
        href = (link.get("attribs") or {}).get("href") or ""
        self.out.append(f'{self.tags["read-more " + kind]}READ MORE: <a href="{esc(href)}">'
                        f"{esc(_node_text(link))}</a></{kind}>")

    def _list(self, kind: str, node: dict[str, Any]) -> None:
        self.out.append(self.tags[kind])
        for item in node.get("children") or ():
            _wrap(self.out, "<li>", item.get("children"), "</li>")
        self.out.append(f"</{kind}>")

    def _image(self, node: dict[str, Any], attribs: dict[str, Any]) -> None:
        caption, credit = _split_title(attribs.get("title") or "", attribs.get("alt") or "")
        self.out.append(self.figure(attribs.get("src") or "", caption, credit))

    def _quote(self, node: dict[str, Any], attribs: dict[str, Any]) -> None:
        out, tags = self.out, self.tags
        children = node.get("children") or ()
        out.append(tags["quote"])
        if children:
            _wrap(out, tags["quote p"], children[0].get("children"), "</p>")
        for child in children[1:]:
            _wrap(out, tags["quote cite"], child.get("children"), "</cite>")
        out.append(tags["/quote"])

    def _embed(self, node: dict[str, Any], attribs: dict[str, Any]) -> None:
        out = self.out
        out.append(self.embed(attribs))
        for child in node.get("children") or ():
            if child.get("type") == "p":
                _wrap(out, '<p lang="en" dir="ltr">', child.get("children"), "</p>")
            else:
                _inline([child], out)
        out.append(self.tags["/embed"])

    def _iframe(self, node: dict[str, Any], attribs: dict[str, Any]) -> None:
        self.out.append(self.iframe(attribs))

    def _div(self, node: dict[str, Any], attribs: dict[str, Any]) -> None:
        self.out.append(f'{self.tags["div"]}{esc(attribs.get("class") or "")}">')
        self.write_div(node.get("children") or [])
        self.out.append("</div>")

    #: Writers of the other block kinds, by node type.
    _BLOCKS: ClassVar[dict[str, Callable[..., None]]] = {
        "p": _paragraph, "img": _image, "blockquote-quote": _quote, "blockquote": _embed,
        "iframe": _iframe, "div": _div}

    def figure(self, src: str, caption: str, credit: str) -> str:
        raise NotImplementedError

    def ad(self, kind: str, n: int) -> str:
        raise NotImplementedError

    def embed(self, attribs: dict[str, Any]) -> str:
        raise NotImplementedError

    def iframe(self, attribs: dict[str, Any]) -> str:
        raise NotImplementedError

    def write_div(self, nodes: list[dict[str, Any]]) -> None:
        self.write(nodes)

    def other(self, kind: str, attribs: dict[str, Any], node: dict[str, Any]) -> None:
        """Nodes of no kind above (widgets, trackers, scripts, text): not shown by default."""
