"""``newscrawl stats``: what the archive holds, by day and section, and how full its fields are."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from newscrawl.store.readers import first
from newscrawl.store.statements import JSON_FIELDS

if TYPE_CHECKING:
    from newscrawl.store.readers import Connection

#: Fields whose fill rate ``newscrawl stats`` reports.
COVERAGE_FIELDS = ("url", "article_id", "kind", "headline", "social_headline", "subheadline",
                   "summary", "authors", "published_at", "updated_at", "section", "topics",
                   "body", "images", "language", "duplicate_of")


def coverage_report(db: Connection) -> str:
    """Counts by day and by section, and the fill rate of every field, as a text table."""
    # The same SQL on both: SQLite sorts NULL first, PostgreSQL is told to.
    nulls_first = "" if isinstance(db, sqlite3.Connection) else " NULLS FIRST"
    total = first(db, "SELECT count(*) FROM articles")[0]
    revisions = first(db, "SELECT count(*) FROM revisions")[0]
    copies = first(db, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")[0]
    runs = first(db, "SELECT count(*), max(finished_at) FROM runs")
    lines = [f"{total} articles, {revisions} revisions, {copies} linked near-duplicates, "
             f"{runs[0]} runs (last finished {runs[1] or 'never'})", "", "articles by day:"]
    for day, n in db.execute("SELECT substr(published_at, 1, 10) AS day, count(*) FROM articles "
                             f"GROUP BY day ORDER BY day{nulls_first}"):
        lines.append(f"  {day or '(no date)':<34} {n:>7}")
    lines += ["", "articles by section:"]
    for section, n in db.execute("SELECT section_path, count(*) FROM articles GROUP BY "
                                 "section_path ORDER BY count(*) DESC, section_path"):
        lines.append(f"  {section or '(none)':<34} {n:>7}")
    lines += ["", "field fill rate:"]
    for name in COVERAGE_FIELDS:
        empty = "'[]'" if name in JSON_FIELDS else "''"
        filled = first(db, f"SELECT count(*) FROM articles WHERE {name} IS NOT NULL "
                            f"AND {name} <> {empty}")[0]
        lines.append(f"  {name:<34} {filled / total if total else 0:>7.1%}")
    return "\n".join(lines)
