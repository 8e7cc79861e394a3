"""Text cleaning applied to every record before it is stored: pure functions, no Scrapy.

Parsers already return clean text; this is the safety net a researcher relies on when a page
shape slips past one: Unicode NFC, one kind of whitespace, one set of quote marks, no page
furniture (the outlet says what its furniture looks like), no pull quote repeating the body.
Paragraph boundaries (one blank line) are kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from newscrawl.extraction.text import INVISIBLE as _INVISIBLE
from newscrawl.extraction.text import MAYBE_INVISIBLE as _MAYBE_INVISIBLE

# Stand-ins for the outlet's typographic quotes: primes, low quotes, accents and backticks used
# as apostrophes, doubled apostrophes. Curly quotes themselves are kept as printed.
_QUOTES = str.maketrans({"\u2032": "\u2019", "\u00b4": "\u2019", "`": "\u2018",
                         "\u2033": "\u201d", "\u201e": "\u201c", "\u201a": "\u2018"})
_DOUBLED = re.compile(r"''|‘‘|’’")
_HAS_STAND_IN = re.compile("[" + re.escape("".join(map(chr, _QUOTES))) + "]")
_SENTENCE_END = re.compile(r"(?<=[.!?”’\"])\s+")


@dataclass(frozen=True)
class Furniture:
    """What an outlet's page furniture looks like as a paragraph of text."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def matches(self, paragraph: str) -> bool:
        return paragraph in self.exact or paragraph.startswith(self.prefixes)


def clean_text(text: str | None) -> str:
    """One line of text: NFC, quotes unified, whitespace collapsed.

    Entities are not decoded here: a record holds text, which its parser decoded once from
    whatever its source encodes (HTML, JSON holding HTML); an "&amp;" left in it is what the
    page says, and decoding it again would turn a page's "AT&amp;amp;T" into "AT&T".
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    if _MAYBE_INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    # Most paragraphs hold none of these: C-speed searches spare the per-character passes.
    if "''" in text or "‘‘" in text or "’’" in text:
        text = _DOUBLED.sub(lambda m: "”" if m.group(0) in ("''", "’’") else "“", text)
    if _HAS_STAND_IN.search(text):
        text = text.translate(_QUOTES)
    return " ".join(text.split())


def clean_body(body: str | None, furniture: Furniture = Furniture()) -> tuple[str, list[str]]:
    """The body with every paragraph cleaned; returns it and the paragraphs removed.

    Removed: empty paragraphs, furniture, exact repeats of an earlier paragraph (a caption
    printed twice), and pull quotes (a paragraph that only repeats text found in another).
    """
    paragraphs = [clean_text(p) for p in (body or "").split("\n\n")]
    kept: list[str] = []
    removed: list[str] = []
    seen: set[str] = set()
    for paragraph in paragraphs:
        if not paragraph:
            continue
        if furniture.matches(paragraph) or paragraph in seen:
            removed.append(paragraph)
            continue
        seen.add(paragraph)
        kept.append(paragraph)
    # Paragraphs hold no newline: a text found twice in them all is in two paragraphs (or
    # twice in one), and only then is each paragraph compared with the others.
    joined = "\n".join(kept)
    final = [p for i, p in enumerate(kept) if not _repeats_other(p, kept, i, joined)]
    removed.extend(p for p in kept if p not in final)
    return "\n\n".join(final), removed


def _repeats_other(paragraph: str, paragraphs: list[str], index: int, joined: str) -> bool:
    """A pull quote: a paragraph whose whole text is a sentence run of another paragraph."""
    bare = paragraph.strip("“”\"‘’' ")
    if len(bare) < 20 or joined.count(bare) < 2:
        return False
    return any(i != index and len(other) > len(paragraph) and bare in other
               for i, other in enumerate(paragraphs))


def clean_list(values: Iterable[str] | None) -> list[str]:
    """Each string cleaned; empty ones and repeats dropped, order kept."""
    out: list[str] = []
    for value in values or ():
        value = clean_text(value)
        if value and value not in out:
            out.append(value)
    return out


TEXT_FIELDS = ("headline", "social_headline", "summary")
LIST_FIELDS = ("subheadline", "authors", "topics")


def clean_record(record: MutableMapping[str, Any], furniture: Furniture = Furniture()) -> list[str]:
    """Clean an Article record (a dict, or an ItemAdapter) in place; return removed paragraphs."""
    for name in TEXT_FIELDS:
        if record.get(name) is not None:
            record[name] = clean_text(record[name]) or None
    for name in LIST_FIELDS:
        if name in record:
            record[name] = clean_list(record.get(name))
    body, removed = clean_body(record.get("body"), furniture)
    record["body"] = body
    if "word_count" in record:
        record["word_count"] = len(body.split())
    for image in record.get("images") or []:
        for name in ("caption", "credit"):
            value = image.get(name) if isinstance(image, dict) else getattr(image, name, None)
            if value:
                value = clean_text(value) or None
                if isinstance(image, dict):
                    image[name] = value
                else:
                    setattr(image, name, value)
    return removed
