"""The body of any article page: its main content, without navigation, teasers and footers.

Chosen by measurement (``bench/generic_extraction.py``, figures in ``bench/README.md``):
trafilatura, given the tree the page was already parsed into, in its precision mode; and,
where that mode kept less than a fifth of the page's paragraph text (it then cut into the
story itself), its balanced mode instead when that keeps more. The rescue runs on a few pages
in a hundred, so it costs the median page nothing. What was measured and not kept: our own
DOM scoring, readability-lxml, a restriction to the page's main container (``<article>``,
``<main>``, ``itemprop=articleBody``: the boilerplate trafilatura lets through sits inside it)
and JSON-LD ``articleBody`` first (often a summary or cut short; the parser uses it only when
this gives nothing and the DOM agrees with it).

Paragraphs come out one per block of trafilatura's output (paragraphs, subheadings, list
items, table rows), whitespace-normalised, list markers dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from newscrawl.extraction.text import normalize_space

if TYPE_CHECKING:
    from lxml import etree

#: ``field_sources`` name of a body read by this module.
GENERIC_BODY = "generic_body"
#: Below this share of the page's paragraph text, the precision mode has cut into the story.
RESCUE_SHARE = 0.2
_LIST_MARKERS = ("- ", "* ", "• ")

# trafilatura logs every page it finds too short at WARNING ("discarding data"): a page
# without a body is the parser's to report, once, with its reason.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def main_text(root: etree._Element, url: str | None,
              paragraph_chars: int | None = None) -> list[str]:
    """The paragraphs of the main content of the page parsed into ``root`` (not modified;
    trafilatura works on a copy); [] when there is none. ``paragraph_chars`` is the page's
    ``paragraph_chars(root)`` when the caller has it already."""
    precise = _extract(root, url, precision=True)
    if paragraph_chars is None:
        paragraph_chars = page_paragraph_chars(root)
    if len(precise) < RESCUE_SHARE * paragraph_chars:
        balanced = _extract(root, url, precision=False)
        if len(balanced) > len(precise):
            precise = balanced
    return paragraphs_of(precise)


def page_paragraph_chars(root: etree._Element) -> int:
    """Characters of paragraph text (``<p>``) in the page: the yardstick of a body."""
    return sum(len(normalize_space("".join(p.itertext()))) for p in root.iter("p"))


def _extract(root: etree._Element, url: str | None, precision: bool) -> str:
    import trafilatura  # ~0.3 s to import: only when a page needs it

    text = trafilatura.extract(root, url=url, favor_precision=precision,
                               include_comments=False, include_tables=True,
                               include_formatting=False)
    return text or ""


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
