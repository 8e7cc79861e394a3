"""Bodies in another language than the outlet's (``Outlet.language``; for an outlet that
declares none, the language most of the run's records declare).

Two steps, so that a healthy run costs next to nothing: a body whose words are mostly the
outlet language's stop words (jusText's lists, about a hundred languages) is in that
language; only the others are given to a language identifier (py3langid, whose model takes
a second or two to load, so it is loaded only when a body needs it), which names the
language. A body counts as another language's when the identifier is sure of it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from newscrawl.health.content import bodies_finding
from newscrawl.health.judge import Finding

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

    from newscrawl.outlets.spec import Outlet

#: Bodies shorter than this many words (characters of Chinese, Japanese or Korean) are not
#: judged (a caption, a brief).
MIN_WORDS = 30
#: A body is read up to here: enough to tell, and a long one costs no more.
SAMPLE_CHARS = 3000
#: A body whose words are at least this share stop words of a language is in it.
STOP_WORD_SHARE = 0.25
#: The identifier must be at least this sure of another language.
MIN_CONFIDENCE = 0.9
#: Bodies in another language alarm from this many stories and this share of those judged
#: (an English outlet's odd story in Chinese is news; a twentieth of them is not).
OTHER_MIN = 3
OTHER_SHARE = 0.05
#: ISO 639-1 codes and the names of jusText's stop-word lists.
STOP_LISTS = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech",
    "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "ga": "Irish", "gl": "Galician", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "is": "Icelandic",
    "it": "Italian", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay",
    "nb": "Norwegian_Bokmal", "nl": "Dutch", "nn": "Norwegian_Nynorsk",
    "no": "Norwegian_Bokmal", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish",
    "sw": "Swahili", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu",
    "vi": "Vietnamese",
}
_WORD = re.compile(r"\w+")
#: Scripts written without spaces, whose every character counts as a word here.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def expected_language(rows: Iterable[dict[str, Any]], outlet: Outlet | None) -> str | None:
    """The outlet's declared language, else the one most of the run's records declare."""
    declared = outlet.language if outlet is not None else None
    if declared:
        return declared.lower()
    said = Counter(str(row["language"]).lower()[:2] for row in rows if row.get("language"))
    return said.most_common(1)[0][0] if said else None


@cache
def _stop_words(language: str) -> frozenset[str]:
    import justext

    name = STOP_LISTS.get(language)
    return frozenset(justext.get_stoplist(name)) if name else frozenset()


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_of(text: str, expected: str) -> str | None:
    """``expected`` for a text in it, another language's code when the identifier is sure of
    it, else None (too short to tell, or unsure)."""
    sample = text[:SAMPLE_CHARS]
    words = _WORD.findall(sample.lower())
    if len(words) + len(_UNSPACED.findall(sample)) < MIN_WORDS:
        return None
    stop = _stop_words(expected)
    if stop and sum(w in stop for w in words) >= STOP_WORD_SHARE * len(words):
        return expected
    language, confidence = _identifier().classify(sample)
    if language == expected:
        return expected
    return language if confidence >= MIN_CONFIDENCE else None


def language_findings(rows: Iterable[dict[str, Any]], expected: str | None) -> list[Finding]:
    """Bodies in another language than ``expected`` (``expected_language``), from ``rows``
    (``article_id`` and ``body``; read once)."""
    if not expected:
        return []
    judged = 0
    others: Counter[str] = Counter()
    ids: list[str] = []
    for row in rows:
        found = language_of(row["body"] or "", expected)
        if found is None:
            continue
        judged += 1
        if found != expected:
            others[found] += 1
            ids.append(row["article_id"])
    return bodies_finding("language", ids, judged, f"not in {expected}", others,
                          OTHER_MIN, OTHER_SHARE)
