"""Head metadata of a parsed page: ``<meta>`` values, ``<link rel>`` targets, the page language.

Read once per page into a ``HeadMeta``; lookups afterwards are dictionary reads. Names are
case-insensitive (``og:title``, ``OG:Title``), repeated properties (``article:tag``) keep every
value in page order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree


@dataclass
class HeadMeta:
    meta: dict[str, list[str]] = field(default_factory=dict)
    """``name``/``property``/``itemprop`` (lower-cased) -> ``content`` values, in page order."""
    links: dict[str, list[str]] = field(default_factory=dict)
    """Each ``rel`` token (lower-cased) -> ``href`` values, in page order."""
    lang: str | None = None
    """The ``<html lang>`` attribute, as written."""
    title: str | None = None
    """The ``<title>`` text."""
    is_amp: bool = False
    """The document is an AMP page (``<html amp>`` or ``<html ⚡>``)."""

    def first(self, *names: str) -> str | None:
        """The first non-empty content of the first name that has one."""
        for name in names:
            for value in self.meta.get(name.lower(), ()):
                if value.strip():
                    return value.strip()
        return None

    def all(self, name: str) -> list[str]:
        """Every non-empty content of ``name``, stripped, in page order."""
        return [v.strip() for v in self.meta.get(name.lower(), ()) if v.strip()]

    def link(self, rel: str) -> str | None:
        for href in self.links.get(rel.lower(), ()):
            if href.strip():
                return href.strip()
        return None


def read_head(root: etree._Element) -> HeadMeta:
    """Collect the head metadata of a document parsed by ``lxml.html``."""
    head = root.find("head")
    # A page whose markup is broken may leave meta tags outside <head>; look everywhere then.
    scope = head if head is not None else root
    out = HeadMeta(lang=root.get("lang") or None,
                   is_amp="amp" in root.attrib or "\u26a1" in root.attrib)
    meta, links = out.meta, out.links
    for tag in scope.iter("meta", "link", "title"):
        name = tag.tag
        attrib = tag.attrib
        if name == "meta":
            content = attrib.get("content")
            if content is None:
                continue
            for attr in ("property", "name", "itemprop"):
                key = attrib.get(attr)
                if key:
                    meta.setdefault(key.strip().lower(), []).append(content)
        elif name == "link":
            href, rel = attrib.get("href"), attrib.get("rel")
            if href is None or not rel:
                continue
            for token in rel.lower().split():
                links.setdefault(token, []).append(href)
        elif out.title is None and tag.text:
            out.title = " ".join(tag.text.split()) or None
    return out


def language_code(tag: str | None) -> str | None:
    """The ISO 639-1 part of a language tag ("en-GB" -> "en", "zh_HK" -> "zh")."""
    if not tag:
        return None
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None
