"""What a run measures of the records it stores, shared by the store pipeline (a crawl) and
``reparse`` (which measures again the runs whose pages it read): the stats keys one stored
record counts, the newest publication time, and the field coverage they make.

The keys are those ``newscrawl health`` reads from a run's stats: ``newscrawl/stored/<outcome>``,
per reported field ``newscrawl/filled/<field>`` and ``newscrawl/sources/<field>/<source>``,
``newscrawl/fallback/body``, ``newscrawl/parser/<version>``, ``newscrawl/sections/<section>``
(its first two levels) and ``newscrawl/newest/published_at``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from newscrawl.extraction.generic.body import is_fallback_body
from newscrawl.items import REPORTED_FIELDS

#: The stats keys that describe the records themselves (what a reparse measures again).
RECORD_PREFIXES = ("newscrawl/filled/", "newscrawl/sources/", "newscrawl/fallback/",
                   "newscrawl/parser/", "newscrawl/sections/", "newscrawl/newest/")
NEWEST_PUBLISHED = "newscrawl/newest/published_at"


def record_counts(record: Mapping[str, Any]) -> Iterator[str]:
    """The stats keys one stored record adds one to (but ``newscrawl/stored/*``)."""
    sources = record.get("field_sources") or {}
    for name in REPORTED_FIELDS:
        if record.get(name) not in (None, "", [], {}):
            yield f"newscrawl/filled/{name}"
            source = sources.get(name)
            if source:
                yield f"newscrawl/sources/{name}/{source}"
    if is_fallback_body(sources, record.get("parser_version")):
        yield "newscrawl/fallback/body"  # the outlet's parser needed it
    yield f"newscrawl/parser/{record.get('parser_version') or 'none'}"
    section = record.get("section") or ["(none)"]
    yield f"newscrawl/sections/{' > '.join(section[:2])}"


def stored_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """Stories stored in a run by outcome: new, revised, unchanged."""
    prefix = "newscrawl/stored/"
    return {key.removeprefix(prefix): int(value) for key, value in stats.items()
            if key.startswith(prefix)}


def field_coverage(stats: Mapping[str, Any], total: int | None = None) -> dict[str, float]:
    """The share of a run's stored records (``total``, else all it stored) that have each
    reported field."""
    if total is None:
        total = sum(stored_counts(stats).values())
    return {name: round(stats.get(f"newscrawl/filled/{name}", 0) / total, 4) if total else 0.0
            for name in REPORTED_FIELDS}


def remeasured(stats: Mapping[str, Any], counts: Mapping[str, int],
               newest: str | None) -> dict[str, Any]:
    """A run's ``stats`` with what they said of its records replaced by ``counts`` (and
    ``newest``), as a reparse measured them again."""
    kept = {k: v for k, v in stats.items() if not k.startswith(RECORD_PREFIXES)}
    kept.update(counts)
    if newest:
        kept[NEWEST_PUBLISHED] = newest
    return kept
