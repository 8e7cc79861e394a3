"""JSON-LD: find every block of a page, parse it tolerantly, and read the common shapes.

Publishers ship JSON-LD that a strict parser rejects: raw newlines inside strings, trailing
commas, HTML comments or CDATA wrappers around the script, several objects in one block. A
broken block must cost the page only that block, so every reader here returns what it could
parse and skips the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

#: schema.org types of an article (``NewsArticle`` and its kinds, ``BlogPosting``...).
ARTICLE_TYPES = ("NewsArticle", "OpinionNewsArticle", "Article", "ReportageNewsArticle",
                 "AnalysisNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle",
                 "AskPublicNewsArticle", "BlogPosting", "Report", "SatiricalArticle")

_TRAILING_COMMA = re.compile(r",\s*([\]}])")
_OPENINGS = ("<!--", "//<![CDATA[", "<![CDATA[")
_CLOSINGS = ("-->", "//]]>", "]]>", ";")
_DECODER = json.JSONDecoder(strict=False)


def loads_tolerant(text: str) -> list[Any]:
    """Every JSON value in ``text``, tolerating the usual publisher mistakes; [] if none."""
    text = _unwrap(text)
    if not text:
        return []
    values = _decode_all(text)
    if values is None:
        values = _decode_all(_TRAILING_COMMA.sub(r"\1", text))
    return values or []


def _unwrap(text: str) -> str:
    """Strip comment and CDATA wrappers at the ends of a script, and a trailing semicolon."""
    text = text.strip()
    changed = True
    while changed and text:
        changed = False
        for opening in _OPENINGS:
            if text.startswith(opening):
                text, changed = text[len(opening):].strip(), True
        for closing in _CLOSINGS:
            if text.endswith(closing):
                text, changed = text[: -len(closing)].strip(), True
    return text


def _decode_all(text: str) -> list[Any] | None:
    values: list[Any] = []
    pos, end = 0, len(text)
    while pos < end:
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError):  # nested too deep to decode: broken
            return values or None
        values.append(value)
        while pos < end and text[pos] in " \t\r\n,;":
            pos += 1
    return values


def parse_blocks(blocks: Iterable[str]) -> list[dict[str, Any]]:
    """All JSON-LD objects of the blocks, ``@graph`` and top-level lists flattened."""
    found: list[dict[str, Any]] = []
    for block in blocks:
        for value in loads_tolerant(block):
            found.extend(flatten(value))
    return found


def flatten(value: Any) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-LD value: a list, an object, or an object holding ``@graph``."""
    if isinstance(value, list):
        for item in value:
            yield from flatten(item)
    elif isinstance(value, dict):
        graph = value.get("@graph")
        if isinstance(graph, list | dict):
            yield from flatten(graph)
            rest = {k: v for k, v in value.items() if k != "@graph"}
            if "@type" in rest:
                yield rest
        else:
            yield value


def types_of(obj: dict[str, Any]) -> list[str]:
    """The ``@type`` of an object as a list of bare names ("schema:NewsArticle" -> NewsArticle)."""
    raw = obj.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return [n.rsplit(":", 1)[-1].rsplit("/", 1)[-1] for n in names if isinstance(n, str)]


def find_by_type(objects: Iterable[dict[str, Any]], *types: str) -> list[dict[str, Any]]:
    """Objects whose ``@type`` is one of ``types``, in page order."""
    wanted = set(types)
    return [obj for obj in objects if wanted.intersection(types_of(obj))]


def person_names(value: Any) -> list[str]:
    """Display names from an ``author``/``creator`` value.

    Accepts an object, a list of objects or strings, a plain name, or a JSON document encoded
    inside the string (``"{\\"@type\\":\\"Person\\",\\"name\\":\\"...\\"}"``), as some pages do.
    """
    names: list[str] = []
    _collect_names(value, names, depth=0)
    return list(dict.fromkeys(names))


def _collect_names(value: Any, out: list[str], depth: int) -> None:
    if depth > 4 or value is None:
        return
    if isinstance(value, list):
        for item in value:
            _collect_names(item, out, depth + 1)
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str | list | dict):
            _collect_names(name, out, depth + 1)
    elif isinstance(value, str):
        text = value.strip()
        if text[:1] in "{[":
            decoded = loads_tolerant(text)
            if decoded:
                for item in decoded:
                    _collect_names(item, out, depth + 1)
                return
        text = " ".join(text.split())
        if text:
            out.append(text)


def first_string(value: Any) -> str | None:
    """A string property that may also be a list of strings or a ``{"@value": ...}`` object."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            found = first_string(item)
            if found is not None:
                return found
    if isinstance(value, dict):
        return first_string(value.get("@value"))
    return None


def image_urls(value: Any) -> list[str]:
    """URLs of an ``image`` property: a URL, an ImageObject, or a list of either."""
    urls: list[str] = []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            urls.append(item)
        elif isinstance(item, dict):
            url = first_string(item.get("url")) or first_string(item.get("contentUrl"))
            if url:
                urls.append(url)
    return list(dict.fromkeys(u.strip() for u in urls if u.strip()))


def as_bool(value: Any) -> bool | None:
    """A schema.org Boolean (``isAccessibleForFree``), which some publishers write as a string:
    "False"/"True", "no"/"yes", "0"/"1"; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("false", "no", "0"):
            return False
        if lowered in ("true", "yes", "1"):
            return True
    return None


# -- what an article object says, read the same by every parser ------------------------------

def image_candidates(article: dict[str, Any],
                     captions: dict[str, str] | None = None) -> Iterator[tuple[str, str | None]]:
    """(URL, caption) of each image of an article object's ``image``, in order: the caption
    ``captions`` gives for the URL, else the one of the ImageObject that names it."""
    value = article.get("image")
    for item in value if isinstance(value, list) else [value]:
        own = first_string(item.get("caption")) if isinstance(item, dict) else None
        for url in image_urls(item):
            caption = captions.get(url) if captions else None
            yield url, own if caption is None else caption


def kind(article: dict[str, Any]) -> str:
    """``opinion`` for an OpinionNewsArticle, else ``article``."""
    return "opinion" if "OpinionNewsArticle" in types_of(article) else "article"


def is_paywalled(article: dict[str, Any]) -> bool | None:
    """Whether ``isAccessibleForFree`` (of the article or of any of its parts) says the story
    is behind a paywall; None when nothing says."""
    free = as_bool(article.get("isAccessibleForFree"))
    parts = article.get("hasPart")
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, dict) and as_bool(part.get("isAccessibleForFree")) is False:
            free = False
    return None if free is None else not free
