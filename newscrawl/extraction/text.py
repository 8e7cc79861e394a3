"""Plain-text hygiene: whitespace, paragraphs, word counts, picture credits."""

from __future__ import annotations

import re
from typing import Any

#: Emoji and what joins into them (variation selector 16, the keycap mark): a zero-width joiner
#: between two of these is part of one emoji (a family, a flag), not an invisible character.
_EMOJI = "\u2194-\u2b55\u3030\u303d\u3297\u3299\u20e3\ufe0f\U0001f000-\U0001faff"
#: Characters that render as nothing or as a plain space and must not split or glue words
#: (the clean pipeline's ``newscrawl.records.cleaning`` removes them too); a zero-width
#: joiner only where it joins no emoji.
INVISIBLE = re.compile(f"[\u200b\u200c\u2060\ufeff\u00ad]|(?<![{_EMOJI}])\u200d|\u200d(?![{_EMOJI}])")
#: Every character ``INVISIBLE`` can match: a plain class, which a search runs through at C speed
#: (the lookarounds make ``INVISIBLE`` itself try each position: ~8x slower on a paragraph), so
#: most texts, which hold none, skip the substitution.
MAYBE_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CREDIT = re.compile(
    r"(?:^|(?<=[\s.!?)”\"’']))\(?(?:File\s+)?(?:Photos?|Pictures?|Images?|Illustration|Graphic|"
    r"Photo illustration|Video)\s*:\s*(?P<credit>[^()]+?)\)?\s*$",
    re.I,
)


def normalize_space(text: str | None) -> str:
    """Collapse runs of whitespace (NBSP and friends included) to one space; strip the ends."""
    if not text:
        return ""
    if MAYBE_INVISIBLE.search(text):
        text = INVISIBLE.sub("", text)
    return " ".join(text.split())


def optional_text(value: Any) -> str | None:
    """A string value with its whitespace normalised; None when it is empty or no string."""
    return normalize_space(value) or None if isinstance(value, str) else None


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs as one text, separated by one blank line; empty ones dropped."""
    return "\n\n".join(p for p in paragraphs if p)


def word_count(text: str | None) -> int:
    """Whitespace-separated words."""
    return len(text.split()) if text else 0


def split_credit(text: str | None) -> tuple[str | None, str | None]:
    """A caption "Residents queue near the clinic. Photo: Sam Tsang" as (caption, credit).

    The credit is the trailing "Photo: X" (also "Photos:", "Picture:", "File photo:" and an
    optional pair of parentheses); either part is None when absent.
    """
    text = normalize_space(text)
    if not text:
        return None, None
    match = _CREDIT.search(text)
    if not match:
        return text, None
    credit = match.group("credit").strip(" .") or None
    caption = text[: match.start()].strip() or None
    return caption, credit


def first_words_of(prefix: str, text: str) -> bool:
    """True when ``prefix`` (maybe cut and ended with "...") starts ``text``."""
    cut = normalize_space(prefix).rstrip(".… ").strip()
    return bool(cut) and normalize_space(text).startswith(cut)
