"""Health (``newscrawl health``): the latest finished run judged against the runs before it,
and the articles it stored checked for content that is present but wrong.

Pure: reads the archive through ``newscrawl.store.readers`` (SQLite or PostgreSQL) and imports
no Scrapy, so a timer, cron or a notebook can ask it. The checks and their thresholds are
described in docs/health.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.health.judge import Finding, Verdict, judge
from newscrawl.health.runs import RunMeasure, read_runs

if TYPE_CHECKING:
    from newscrawl.store.readers import Connection

__all__ = ["Finding", "RunMeasure", "Verdict", "assess", "assess_archive", "judge",
           "read_runs"]


def assess(db: Connection, outlet: str, *, runs: int = 20, upto: int | None = None) -> Verdict:
    """The verdict on ``outlet``'s latest finished run in the archive ``db`` (a connection from
    ``newscrawl.store.readers.connect``), against a baseline of the ``runs`` runs before it;
    with ``upto``, the latest finished run up to that id."""
    from newscrawl.health.content import content_findings

    history = read_runs(db, outlet, limit=runs + 1, upto=upto)
    verdict = judge(history, outlet=outlet)
    if history:
        verdict.findings += content_findings(db, history[-1], outlet)
    return verdict


def assess_archive(target: str | Path, outlet: str, *, runs: int = 20) -> Verdict:
    """``assess`` on the archive at ``target`` (a SQLite path or a ``postgresql://`` URL),
    opened read-only for the purpose and closed again; ``StoreError`` when it cannot be."""
    from newscrawl.store import readers

    db = readers.connect(target)
    try:
        return assess(db, outlet, runs=runs)
    finally:
        db.close()
