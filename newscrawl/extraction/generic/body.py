"""The body of any article page: its main content, without navigation, teasers and footers.

Chosen by measurement (``bench/generic_extraction.py``, figures in ``bench/README.md``):
trafilatura, given the tree the page was already parsed into, in its precision mode without
its second opinions (``fast``: no comparison with its readability and jusText fallbacks,
a third of its time); and, where that kept under 1,000 characters or under a fifth of the
page's paragraph text (a short story, or the mode cut into the story itself), trafilatura's
full balanced mode instead when that keeps more. About one page in six takes the second
pass. On the 789 pages of the web-pages corpus this scores above trafilatura's own precision
mode at less time per median page; the F1 stays on a plateau for thresholds from 1,000 to
2,000 characters, so the rule is not a point tuned to the corpus. What was measured and not
kept: readability-lxml (a DOM scorer, F1 0.87), a restriction to the page's main container
(``<article>``, ``<main>``, ``itemprop=articleBody``: the boilerplate trafilatura lets through
sits inside it; recall fell), and JSON-LD ``articleBody`` first (often a summary or cut
short; the parser uses it only when this gives nothing and the page's text agrees with it).

Paragraphs come out one per block of trafilatura's output (paragraphs, subheadings, list
items, table rows), whitespace-normalised, list markers dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from newscrawl.extraction.text import normalize_space

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lxml import etree

#: ``field_sources`` name of a body read by this module.
GENERIC_BODY = "generic_body"
#: A first pass shorter than this many characters, or than this share of the page's
#: paragraph text, gets the second (balanced, full) pass.
RESCUE_CHARS = 1000
RESCUE_SHARE = 0.2
_LIST_MARKERS = ("- ", "* ", "• ")

# trafilatura logs every page it finds too short at WARNING ("discarding data"): a page
# without a body is the parser's to report, once, with its reason.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def is_fallback_body(field_sources: Mapping[str, Any], parser_version: str | None) -> bool:
    """Whether a record's body is the generic body standing in for its outlet parser's own
    (then the archive asks for the story again); the generic parser's records, and those of
    a site's outlet (``<name>.generic.V1``), read their body so by design."""
    return field_sources.get("body") == GENERIC_BODY \
        and "generic" not in (parser_version or "").split(".")

def main_text(root: etree._Element, url: str | None,
              paragraph_chars: int | None = None) -> list[str]:
    """The paragraphs of the main content of the page parsed into ``root`` (not modified;
    trafilatura works on a copy); [] when there is none. ``paragraph_chars`` is the page's
    ``paragraph_chars(root)`` when the caller has it already."""
    text = _extract(root, url, precision=True, fast=True)
    if len(text) < RESCUE_CHARS or len(text) < RESCUE_SHARE * (
            page_paragraph_chars(root) if paragraph_chars is None else paragraph_chars):
        balanced = _extract(root, url, precision=False, fast=False)
        if len(balanced) > len(text):
            text = balanced
    return paragraphs_of(text)


def page_paragraph_chars(root: etree._Element) -> int:
    """Characters of paragraph text (``<p>``) in the page, whitespace collapsed: the
    yardstick of a body."""
    return len(" ".join("".join(root.xpath("//p//text()")).split()))


def _extract(root: etree._Element, url: str | None, precision: bool, fast: bool) -> str:
    import trafilatura  # ~0.3 s to import: only when a page needs it

    text = trafilatura.extract(root, url=url, favor_precision=precision, fast=fast,
                               include_comments=False, include_tables=True,
                               include_formatting=False)
    return text or ""


def without_headline(paragraphs: list[str], *headlines: str | None) -> list[str]:
    """``paragraphs`` without a first one that repeats the headline (the ``<h1>`` the main
    content starts with is the record's headline, not its body)."""
    names = {h.casefold() for h in headlines if h}
    while paragraphs and paragraphs[0].casefold() in names:
        paragraphs = paragraphs[1:]
    return paragraphs


def paragraphs_of(text: str) -> list[str]:
    """One paragraph per line of extracted text, without list markers and empty lines."""
    paragraphs = []
    for line in text.split("\n"):
        line = normalize_space(line)
        if line.startswith(_LIST_MARKERS):
            line = line[2:].lstrip()
        if line:
            paragraphs.append(line)
    return paragraphs
