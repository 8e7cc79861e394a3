"""Inline scripts found by targeted string search, and JSON values read out of them.

A news page weighs 150-400 KB, most of it scripts; building a DOM just to read three of
them costs more than the rest of the extraction. These helpers find a script by its ``id``
or ``type``, or a ``window.X = {...}`` assignment, with ``str.find`` (C speed) and check the
enclosing tag, so a mention of the same name inside other JavaScript does not fool them.

``seek_json`` reads one value deep inside a large JSON document without decoding the rest:
it follows the keys in order and decodes only the value found. It cannot prove that the
keys it met are the direct children it wanted (``"article"`` could first occur deeper in a
sibling), so callers validate what it returns and fall back to a full decode otherwise.
``assigned_start``, ``find_key``, ``object_opened_by`` and ``decode_at`` do the same for the
entries of a ``window.X = {...}`` state (``extraction.apollo``'s seek).
"""

from __future__ import annotations

import json
import re
from typing import Any

_DECODER = json.JSONDecoder(strict=False)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.I)
_WHITESPACE = " \t\r\n"


class Missing:
    """Returned by ``seek_json`` when the path is not in the text or its value is broken."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


class Broken(Missing):
    """Returned by ``seek_json`` when the path is there but its value is not valid JSON.

    In a valid document every ``"key":`` outside a string starts a valid value, so a broken
    value means a broken document: no need to try decoding the whole of it.
    """

    def __repr__(self) -> str:
        return "BROKEN"


BROKEN = Broken()


def _opening_tag(text: str, at: int) -> tuple[int, int] | None:
    """(start, end) of the ``<script ...>`` tag that contains position ``at``, if any."""
    start = text.rfind("<", 0, at)
    if start < 0 or ">" in text[start:at]:
        return None
    if text[start + 1: start + 7].lower() != "script":
        return None
    end = text.find(">", at)
    return (start, end + 1) if end >= 0 else None


def _content_after(text: str, tag_end: int) -> str | None:
    close = script_end(text, tag_end)
    return text[tag_end:close] if close >= 0 else None


def _attribute_is(tag: str, name: str, value: str) -> bool:
    pattern = rf"""\b{name}\s*=\s*(["']?){re.escape(value)}\1(?=[\s/>])"""
    return re.search(pattern, tag, re.I) is not None


def script_start_by_id(text: str, script_id: str) -> int:
    """Where the content of ``<script id="script_id">`` starts; -1 if there is no such tag.

    Only the start: a reader that decodes one value from there never needs the end of a
    200 KB script (``script_content`` finds it when needed).
    """
    tag = _next_tag(text, "id", script_id, 0, len(text))
    return tag[1] if tag else -1


def script_content(text: str, start: int) -> str | None:
    """The script content from ``start`` to its closing tag; None if it is never closed."""
    return _content_after(text, start)


def scripts_by_type(text: str, script_type: str, start: int = 0,
                    end: int | None = None) -> list[str]:
    """Raw contents of every ``<script type="script_type">`` opened between ``start`` and
    ``end``, in page order."""
    found: list[str] = []
    pos, end = start, len(text) if end is None else end
    while (tag := _next_tag(text, "type", script_type, pos, end)) is not None:
        pos = tag[1]
        content = _content_after(text, tag[1])
        if content is not None:
            found.append(content)
            pos = tag[1] + len(content)
    return found


def _next_tag(text: str, attribute: str, value: str, pos: int,
              end: int) -> tuple[int, int] | None:
    """The span of the first opening tag from ``pos`` whose ``attribute`` is ``value``."""
    while (at := text.find(value, pos, end)) >= 0:
        pos = at + len(value)
        tag = _opening_tag(text, at)
        if tag and _attribute_is(text[tag[0]: tag[1]], attribute, value):
            return tag
    return None


def assigned_start(text: str, name: str) -> int:
    """Where the value of the first ``name = {...}`` (or ``[...]``) starts; -1 if none.

    Only the start, like ``script_start_by_id``: a reader that seeks one entry of a large
    state (``seek_json``) never decodes the rest.
    """
    pos = 0
    while True:
        at = text.find(name, pos)
        if at < 0:
            return -1
        pos = at + len(name)
        cursor = _skip_ws(text, pos)
        if cursor < len(text) and text[cursor] == "=" and text[cursor + 1: cursor + 2] != "=":
            cursor = _skip_ws(text, cursor + 1)
            if text[cursor: cursor + 1] in ("{", "["):
                return cursor


def decode_at(text: str, start: int) -> Any:
    """The JSON value that starts at ``start`` (whitespace skipped), decoded to its end and no
    further; ``MISSING`` if it is not valid JSON."""
    try:
        value, _ = _DECODER.raw_decode(text, _skip_ws(text, start))
    except (ValueError, RecursionError):  # nested past what a decoder can follow: broken
        return MISSING
    return value


def script_end(text: str, start: int) -> int:
    """Where the script whose content starts at ``start`` is closed; -1 if it never is."""
    close = text.find("</script>", start)  # the usual spelling, at memchr speed
    if close < 0:
        match = _SCRIPT_CLOSE.search(text, start)
        close = match.start() if match else -1
    return close


def _skip_ws(text: str, pos: int) -> int:
    end = len(text)
    while pos < end and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _key_needle(key: str) -> str:
    """``key`` as a JSON string, the way a serializer writes it."""
    if key.isprintable() and '"' not in key and "\\" not in key:
        return f'"{key}"'
    return json.dumps(key, ensure_ascii=False)


def find_key(text: str, key: str, start: int, end: int) -> int:
    """Position just after ``"key":`` at or after ``start`` (before ``end``), or -1.

    The key is searched as JSON spells it (``json.dumps``) when it holds a quote, a backslash
    or a control character; a document that spells it another way (``\\u`` escapes) is not
    found, and callers fall back to a full decode.
    """
    needle = _key_needle(key)
    pos = start
    while True:
        at = text.find(needle, pos, end)
        if at < 0:
            return -1
        after = _skip_ws(text, at + len(needle))
        if after < end and text[after] == ":":
            return after + 1
        pos = at + len(needle)


def object_opened_by(text: str, key: str, value_at: int, start: int = 0) -> int:
    """Where the object opens whose *first* key is the ``"key":`` that ``find_key`` returned
    ``value_at`` for; -1 when that key follows another one (or lies before ``start``).

    In valid JSON a ``{`` followed by ``"key":`` can only open an object with that first key,
    so this needs no parse: a cheap bound for the seeks that follow (its other entries).
    """
    at = text.rfind(_key_needle(key), start, value_at)
    if at < 0:
        return -1
    at -= 1
    while at >= start and text[at] in _WHITESPACE:
        at -= 1
    return at if at >= start and text[at] == "{" else -1


def seek_json(text: str, keys: tuple[str, ...], start: int = 0, end: int | None = None) -> Any:
    """The value at ``keys`` (followed in order) in a JSON text, decoding only that value.

    ``MISSING`` if a key is not found, ``BROKEN`` if the value found is not valid JSON.
    """
    end = len(text) if end is None else end
    pos = start
    for key in keys:
        pos = find_key(text, key, pos, end)
        if pos < 0:
            return MISSING
    value = decode_at(text, pos)
    return BROKEN if value is MISSING else value


def seek_json_last(text: str, keys: tuple[str, ...], start: int = 0) -> Any:
    """Like ``seek_json``, but the first key is the *last* ``"key":`` of the text.

    Next.js puts ``__NEXT_DATA__`` at the end of the page and its payload after hundreds of
    kilobytes of configuration; searching backwards reaches it sooner. It is a guess like
    ``seek_json``'s, to be validated the same way.
    """
    first, rest = keys[0], keys[1:]
    needle = f'"{first}"'
    end = len(text)
    while True:
        at = text.rfind(needle, start, end)
        if at < 0:
            return MISSING
        after = _skip_ws(text, at + len(needle))
        if after < len(text) and text[after] == ":":
            return seek_json(text, rest, after + 1) if rest else seek_json(text, (), after + 1)
        end = at


def loads(text: str) -> Any:
    """A whole JSON text (control characters inside strings tolerated); MISSING if invalid."""
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError):  # nested past what a decoder can follow: broken
        return MISSING
