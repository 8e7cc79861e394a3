"""``newscrawl check``: is the archive whole, does the journal hold exactly its revisions, and
the repairs that can be made from what is intact.

Checked (SQLite): SQLite's full ``integrity_check``; the full-text index against the table
(FTS5 ``integrity-check``); every story's ``revision_count`` against its revisions; the
journal, line for line, against the revisions in the order they were committed, and its
length against the one the archive committed. PostgreSQL: the revision counts (the server
keeps its own files whole).

Repaired: a journal that differs is rewritten from the revisions; a damaged full-text index
is rebuilt from the table; a damaged file, when its journal is whole, is set aside and the
archive rebuilt from the journal (every revision of every story; fetch state and the run
history start afresh). Nothing is ever deleted: what is replaced is kept beside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newscrawl.messages import mask_password
from newscrawl.store import readers
from newscrawl.store.base import StoreError
from newscrawl.store.postgres import is_postgres_url
from newscrawl.store.statements import utc_now

#: Stories whose revision count is not the number of their revisions.
_COUNTS_DIFFER = ("SELECT count(*) FROM articles a WHERE revision_count <> (SELECT count(*) "
                  "FROM revisions r WHERE r.outlet = a.outlet AND r.article_id = a.article_id)")


@dataclass
class CheckReport:
    target: str
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    file_damaged: bool = False
    fts_damaged: bool = False
    journal_differs: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        lines = [f"{self.target}: " + ("ok" if self.ok else f"{len(self.problems)} problem(s)")]
        lines += [f"  damaged: {p}" for p in self.problems]
        lines += [f"  repaired: {r}" for r in self.repairs]
        return "\n".join(lines)


def check(target: str | Path, journal: Path | None) -> CheckReport:
    """Check the archive ``target`` (a SQLite file or a PostgreSQL URL) and its journal."""
    if is_postgres_url(target):
        return _check_postgres(str(target))
    path = Path(target)
    if not path.exists():
        raise StoreError(f"no archive at {path} (crawl first, or give --data-dir)")
    report = CheckReport(str(path))
    writable = os.access(path, os.W_OK)  # read-only media: all but the full-text check
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?"
                             + ("mode=rw" if writable else "immutable=1"), uri=True)
        problems = [row[0] for row in db.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        report.file_damaged = True
        report.problems.append(f"the file: {exc}")
        return report
    try:
        if problems != ["ok"]:
            report.file_damaged = True
            report.problems += [f"the file: {p}" for p in problems]
            return report
        _check_tables(db, report, fts=writable)
        if journal is not None:
            _check_journal(db, journal, report)
    finally:
        db.close()
    return report


def _check_tables(db: sqlite3.Connection, report: CheckReport, *, fts: bool) -> None:
    try:
        if fts:  # a command that reads only, written as an INSERT (FTS5)
            db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as exc:
        report.fts_damaged = True
        report.problems.append(f"the full-text index: {exc}")
    differ = db.execute(_COUNTS_DIFFER).fetchone()[0]
    if differ:
        report.problems.append(f"{differ} stories whose revision count is not their revisions")


def _check_journal(db: sqlite3.Connection, journal: Path, report: CheckReport) -> None:
    committed = db.execute("SELECT value FROM meta WHERE key='journal_length'").fetchone()
    size = journal.stat().st_size if journal.exists() else 0
    if committed is not None and int(committed[0]) != size:
        report.journal_differs = True
        report.problems.append(f"the journal {journal} is {size} bytes; the archive committed "
                               f"{committed[0]}")
    lines = _journal_lines(journal)
    for number, record in enumerate(_revision_records(db), start=1):
        line = next(lines, None)
        if line != record:
            report.journal_differs = True
            report.problems.append(f"the journal {journal} differs from the revisions from line "
                                   f"{number} on" if line is not None else
                                   f"the journal {journal} lacks revisions from line {number} on")
            return
    if next(lines, None) is not None:
        report.journal_differs = True
        report.problems.append(f"the journal {journal} has lines no revision holds")


def _journal_lines(journal: Path) -> Iterator[str]:
    if not journal.exists():
        return
    with journal.open("rb") as fh:
        for raw in fh:
            yield raw.decode("utf-8", "replace").rstrip("\n")


def _revision_records(db: sqlite3.Connection) -> Iterator[str]:
    for (record,) in db.execute("SELECT record FROM revisions ORDER BY id"):
        yield record


def repair(target: Path, journal: Path | None, report: CheckReport) -> CheckReport:
    """Repair what ``report`` found, then check again; the new report lists the repairs."""
    done: list[str] = []
    if report.file_damaged:
        done.append(_rebuild_from_journal(target, journal))
    else:
        if report.fts_damaged:
            db = sqlite3.connect(target)
            with db:
                db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
            db.close()
            done.append("the full-text index, rebuilt from the articles table")
        if report.journal_differs and journal is not None:
            done.append(_rewrite_journal(target, journal))
    again = check(target, journal)
    again.repairs = done
    return again


def _rewrite_journal(target: Path, journal: Path) -> str:
    kept = _keep_aside(journal)
    db = sqlite3.connect(target)
    with db:
        partial = journal.with_name(f".{journal.name}.partial")
        with partial.open("wb") as fh:
            for record in _revision_records(db):
                fh.write(record.encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, journal)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('journal_length', ?)",
                   (str(journal.stat().st_size),))
    db.close()
    return "the journal, rewritten from the revisions" + (f" (the old one kept as {kept})"
                                                         if kept else "")


def _rebuild_from_journal(target: Path, journal: Path | None) -> str:
    from newscrawl.store.sqlite import SqliteArchive

    if journal is None or not journal.exists():
        raise StoreError(f"the archive {target} is damaged and there is no journal to rebuild "
                         f"it from; try `sqlite3 {target} .recover | sqlite3 recovered.sqlite`")
    records = []
    for number, line in enumerate(_journal_lines(journal), start=1):
        try:
            records.append(json.loads(line))
        except ValueError:
            raise StoreError(f"the archive {target} is damaged and line {number} of its journal "
                             f"too; try `sqlite3 {target} .recover | sqlite3 recovered.sqlite`"
                             ) from None
    kept = _keep_aside(target)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    archive = SqliteArchive(target, None, commit_items=1000)
    try:
        for record in records:
            archive.link_duplicates(record)
            archive.store_article(record)
        archive.commit()
        archive.db.execute("INSERT OR REPLACE INTO meta VALUES ('journal_length', ?)",
                           (str(journal.stat().st_size),))
    finally:
        archive.close()
    return (f"the archive, rebuilt from the journal ({len(records)} revisions; fetch state and "
            f"run history start afresh); the damaged file is kept as {kept}")


def _keep_aside(path: Path) -> Path | None:
    if not path.exists():
        return None
    kept = path.with_name(f"{path.name}.damaged-{utc_now().replace(':', '')}")
    os.replace(path, kept)
    return kept


def _check_postgres(url: str) -> CheckReport:
    db = readers.connect(url)  # read-only: a check never writes, not even a schema
    report = CheckReport(mask_password(url))
    try:
        differ = readers.first(db, _COUNTS_DIFFER)[0]
    finally:
        db.close()
    if differ:
        report.problems.append(f"{differ} stories whose revision count is not their revisions")
    return report
