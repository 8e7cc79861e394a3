"""Page furniture in stored bodies: the template phrases of news pages ("Sign up for our
newsletter", "Advertisement", "All rights reserved", ...) and the outlet's own furniture
(``Outlet.furniture``, declared in its package), found in the bodies of the latest run.

The clean pipeline removes a paragraph that is exactly the outlet's furniture; what reaches
the archive anyway (furniture glued to text, a new template's phrases, a parser reading the
page's frame) is what this finds. Case and trailing punctuation aside, a paragraph is
furniture when it is a phrase; when it begins with a phrase of several words (or one of the
outlet's prefixes); or when it holds one of at least three words anywhere: a single word
("Share", "Advertisement") inside prose is prose.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from newscrawl.health.content import bodies_finding
from newscrawl.health.judge import Finding

if TYPE_CHECKING:
    from newscrawl.outlets.spec import Outlet

#: Furniture of news pages in general (an outlet's own phrases live in its package).
TEMPLATE_PHRASES = (
    "Advertisement", "Sponsored content", "Read more", "Continue reading", "Read the full story",
    "Sign up for our newsletter", "Subscribe to our newsletter", "Sign up to our newsletter",
    "All rights reserved", "Share this article", "Follow us on", "Click here to",
    "Related articles", "Recommended for you", "Skip to content", "We use cookies",
    "This content is not available", "Copyright ©",
)
#: Bodies holding furniture alarm from this many stories and this share of them.
FURNITURE_MIN = 3
FURNITURE_SHARE = 0.02
_TRAILING = re.compile(r"[\s.:;,!?…>»→-]+$")


class FurnitureMatcher:
    """Finds the first furniture phrase of a body: a paragraph that is one of ``exact`` or of
    ``prefixes``, that begins with one of ``prefixes``, or that holds one of them of at least
    three words anywhere."""

    def __init__(self, exact: Iterable[str], prefixes: Iterable[str]) -> None:
        self.exact = {_fold(p): p for p in (*exact, *prefixes) if _fold(p)}
        self.prefixes = [(_fold(p), p) for p in prefixes if _fold(p)]
        self.anywhere = [(folded, shown) for folded, shown in self.prefixes
                         if len(folded.split()) >= 3]

    def phrase_in(self, body: str) -> str | None:
        for paragraph in body.split("\n\n"):
            text = _fold(paragraph)
            if not text:
                continue
            if text in self.exact:
                return self.exact[text]
            for folded, shown in self.prefixes:
                if text.startswith(folded) and not text[len(folded):len(folded) + 1].isalnum():
                    return shown
            for folded, shown in self.anywhere:
                if folded in text:
                    return shown
        return None

    @classmethod
    def of_outlet(cls, outlet: Outlet | None) -> FurnitureMatcher:
        """The template phrases of news pages and the outlet's own furniture, if known."""
        generic = [p for p in TEMPLATE_PHRASES if len(p.split()) >= 2]
        if outlet is None:
            return cls(TEMPLATE_PHRASES, generic)
        furniture = outlet.furniture
        return cls([*TEMPLATE_PHRASES, *furniture.exact], [*generic, *furniture.prefixes])


def _fold(text: str) -> str:
    return _TRAILING.sub("", " ".join(text.split())).casefold()


def furniture_findings(rows: Iterable[dict[str, Any]], outlet: Outlet | None) -> list[Finding]:
    """Bodies holding page furniture, from ``rows`` (``article_id`` and ``body``; read once)."""
    matcher = FurnitureMatcher.of_outlet(outlet)
    found: Counter[str] = Counter()
    ids: list[str] = []
    judged = 0
    for row in rows:
        judged += 1
        phrase = matcher.phrase_in(row["body"] or "")
        if phrase:
            found[phrase] += 1
            ids.append(row["article_id"])
    return bodies_finding("furniture", ids, judged, "hold page furniture", found,
                          FURNITURE_MIN, FURNITURE_SHARE, label=repr)
