"""Checks that presence checks miss, on the articles the latest run stored or checked (those
whose ``last_checked_at`` falls in the run's time window): dates after the fetch, one
headline or body shared by many stories (template text), bodies shorter than their summary,
authors that look like dates or section names, page furniture in bodies (``furniture``) and
bodies in another language than the outlet's (``language``)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from newscrawl.health.judge import DEGRADED, Finding
from newscrawl.store.postgres import placeholders

if TYPE_CHECKING:
    from newscrawl.health.runs import RunMeasure
    from newscrawl.outlets.spec import Outlet
    from newscrawl.store.readers import Connection

#: A date this much after the fetch is wrong (a clock's skew or a rounding is not).
FUTURE_SLACK = timedelta(minutes=10)
#: A headline or body is template text when this many stories share it, and at least
#: TEMPLATE_SHARE of the run's stories (syndicated twins come in pairs).
TEMPLATE_MIN = 3
TEMPLATE_SHARE = 0.05
#: Bodies shorter than their summary, or odd authors, alarm from this many stories and at
#: least ODD_SHARE of them.
ODD_MIN = 3
ODD_SHARE = 0.02
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_LIKE = re.compile(
    r"^\W*(?:published|updated|posted)\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b|"
    r"^\W*(?:\d{1,2}\s+)?(?:" + "|".join(_MONTHS) + r")[a-z]*\.?\s+\d{1,4}\b", re.I)

_COLUMNS = ("article_id", "headline", "summary", "body_hash", "authors", "section",
            "published_at", "updated_at", "fetched_at", "is_truncated", "language")
#: The checks read the run's stories from the archive a batch at a time, each time they go
#: through them (``RunStories``): a run of 100,000 stories held in lists took ~800 MB at the
#: end of the crawl with the bodies, ~200 MB without (bench/README.md, scale_memory). Of each
#: body a story gives its length and its start (a finding quotes one); the body itself only
#: to the checks that read it (``RunStories.bodies``).
_BODY_COLUMNS = ("length(body)", "substr(body, 1, 200)")
_BODY_NAMES = ("body_length", "body_start")
_RUN_WINDOW = "last_checked_at >= ? AND last_checked_at <= ?"
BATCH = 500


def _query(db: Connection, query: str, params: tuple[Any, ...]) -> list[Any]:
    if isinstance(db, sqlite3.Connection):
        return db.execute(query, params).fetchall()
    return db.execute(placeholders(query), params).fetchall()


class RunStories:
    """The stories a run stored or checked, read ``BATCH`` at a time by key (so that neither
    SQLite nor a PostgreSQL client holds more) every time they are gone through."""

    def __init__(self, db: Connection, run: RunMeasure) -> None:
        self.db, self.window = db, (run.started_at, run.finished_at)
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = int(_query(self.db, f"SELECT count(*) FROM articles WHERE "
                                              f"{_RUN_WINDOW}", self.window)[0][0])
        return self._count

    def _batches(self, columns: str) -> Iterator[list[Any]]:
        query = (f"SELECT outlet, article_id, {columns} FROM articles WHERE {_RUN_WINDOW} "
                 "AND (outlet, article_id) > (?, ?) ORDER BY outlet, article_id "
                 f"LIMIT {BATCH}")
        after = ("", "")
        while batch := _query(self.db, query, (*self.window, *after)):
            yield batch
            after = (batch[-1][0], batch[-1][1])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Each story but its body (its length and start instead)."""
        names = _COLUMNS + _BODY_NAMES
        for batch in self._batches(", ".join(_COLUMNS + _BODY_COLUMNS)):
            for row in batch:
                record = dict(zip(names, row[2:], strict=True))
                for name in ("authors", "section"):
                    if isinstance(record[name], str):
                        record[name] = json.loads(record[name])
                yield record

    def bodies(self) -> Iterator[dict[str, Any]]:
        """Each story's id and body."""
        for batch in self._batches("body"):
            for _, article_id, body in batch:
                yield {"article_id": article_id, "body": body}


def content_findings(db: Connection, run: RunMeasure, outlet: str) -> list[Finding]:
    from newscrawl.health.furniture import furniture_findings
    from newscrawl.health.language import expected_language, language_findings
    from newscrawl.outlets import get_outlet

    rows = RunStories(db, run)
    if not rows:
        return []
    try:  # what the outlet declares: its furniture, its language
        declared: Outlet | None = get_outlet(outlet)
    except KeyError:  # a --site outlet lives only in its crawl's process
        declared = None
    return [*_future_dates(rows), *_shared(rows, "headline"), *_shared(rows, "body_hash"),
            *_body_shorter_than_summary(rows), *_odd_authors(rows),
            *furniture_findings(rows.bodies(), declared),
            *language_findings(rows.bodies(), expected_language(rows, declared))]


def _time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def examples(ids: list[str]) -> str:
    return ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")


def _future_dates(rows: RunStories) -> list[Finding]:
    findings = []
    for name in ("published_at", "updated_at"):
        late = []
        for row in rows:
            fetched, when = _time(row["fetched_at"]), _time(row[name])
            if fetched and when and when > fetched + FUTURE_SLACK:
                late.append(row["article_id"])
        if late:  # never natural: one is a finding
            findings.append(Finding("future_date", name, len(late), 0, DEGRADED,
                                    f"field {name}: {len(late)} of {len(rows)} stories dated "
                                    f"after their fetch ({examples(late)}) (baseline 0)"))
    return findings


def enough(count: int, total: int, least: int, share: float) -> bool:
    return count >= max(least, share * total)


def bodies_finding(check: str, ids: list[str], judged: int, what: str, kinds: Counter[str],
                   least: int, share: float, label: Callable[[str], str] = str) -> list[Finding]:
    """One degraded finding on the body when ``ids`` (the stories whose body is ``what``) are
    at least ``least`` and ``share`` of the ``judged`` bodies, naming the three commonest
    ``kinds`` of problem and a few stories; none otherwise."""
    if not enough(len(ids), judged, least, share):
        return []
    top = ", ".join(f"{label(kind)} {n}" for kind, n in kinds.most_common(3))
    return [Finding(check, "body", len(ids), 0, DEGRADED,
                    f"field body: {len(ids)} of {judged} bodies {what} ({top}; "
                    f"{examples(ids)}) (baseline 0)")]


def _shared(rows: RunStories, column: str) -> list[Finding]:
    counts = Counter(row[column] for row in rows if row[column])
    if not counts:
        return []
    value, count = counts.most_common(1)[0]
    if not enough(count, len(rows), TEMPLATE_MIN, TEMPLATE_SHARE):
        return []
    field = "body" if column == "body_hash" else column
    sample = value if column == "headline" else next(
        row["body_start"] for row in rows if row[column] == value)
    text = " ".join(str(sample or "").split())
    text = text if len(text) <= 60 else text[:57] + "..."
    return [Finding("template_text", field, count, 1, DEGRADED,
                    f"field {field}: {count} of {len(rows)} stories share one {field} "
                    f"({text!r}) (baseline 1 story each)")]


def _body_shorter_than_summary(rows: RunStories) -> list[Finding]:
    short = [row["article_id"] for row in rows
             if row["body_length"] and row["summary"] and not row["is_truncated"]
             and row["body_length"] < len(row["summary"])]
    if not enough(len(short), len(rows), ODD_MIN, ODD_SHARE):
        return []
    return [Finding("body_shorter_than_summary", "body", len(short), 0, DEGRADED,
                    f"field body: {len(short)} of {len(rows)} bodies shorter than their summary "
                    f"({examples(short)}) (baseline 0)")]


def _odd_authors(rows: RunStories) -> list[Finding]:
    sections = {str(name).strip().lower() for row in rows for name in row["section"] or []}
    odd: list[str] = []
    kinds: Counter[str] = Counter()
    for row in rows:
        for author in row["authors"] or []:
            name = str(author).strip()
            if _DATE_LIKE.search(name):
                kinds["dates"] += 1
            elif name.lower() in sections:
                kinds["section names"] += 1
            else:
                continue
            odd.append(row["article_id"])
            break
    if not enough(len(odd), len(rows), ODD_MIN, ODD_SHARE):
        return []
    what = " or ".join(kind for kind, _ in kinds.most_common())
    return [Finding("odd_authors", "authors", len(odd), 0, DEGRADED,
                    f"field authors: {len(odd)} of {len(rows)} stories have authors that look "
                    f"like {what} ({examples(odd)}) (baseline 0)")]
