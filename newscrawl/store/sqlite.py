"""The SQLite archive: articles, revisions, fetch state, discovery, runs, near-duplicate index.

One ``SqliteArchive`` per crawl process. Writes are grouped into transactions of at most
``commit_items`` articles or ``commit_seconds`` seconds, so storing keeps up with any crawl;
each transaction is atomic (WAL journal), so a killed process leaves a consistent database
that holds every transaction it committed.

The JSON Lines journal (``articles.jsonl``) is written in step with the database: the lines of
a transaction are appended and flushed before it commits, and the journal's committed length
is stored in the same transaction. On open, a journal longer than that length (lines of a
transaction that never committed) is cut back, so a resumed crawl appends each new revision
exactly once and never rewrites what is there.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

from newscrawl.store import statements
from newscrawl.store.base import ArchiveBase, StoreError
from newscrawl.store.statements import BOOL_FIELDS, JSON_FIELDS

__all__ = ["SqliteArchive", "decode_row"]


def _schema() -> str:
    return resources.files("newscrawl.store").joinpath("schema.sql").read_text("utf-8")


class SqliteArchive(ArchiveBase):
    def __init__(self, path: str | os.PathLike[str], journal: str | os.PathLike[str] | None = None,
                 *, commit_items: int = 500, commit_seconds: float = 1.0) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.journal_path = Path(journal) if journal else None
        self.commit_items = commit_items
        self.commit_seconds = commit_seconds
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            # 16 KB pages hold a whole article row and its revision; set before WAL, on a new
            # file only (bench/store_speed.py: ~8% faster stores than 4 KB pages).
            self.db.execute("PRAGMA page_size=16384")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=30000")
            # 16 MB: as fast as 64 MB up to 100,000 articles, 80 MB less RSS (bench/README.md).
            self.db.execute("PRAGMA cache_size=-16384")
            self.db.execute("PRAGMA temp_store=MEMORY")
            self.db.executescript(_schema())
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                            (statements.SCHEMA_VERSION,))
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the archive {self.path}: {exc}") from None
        self._journal_file: BinaryIO | None = None
        self._journal_lines: list[str] = []
        if self.journal_path is not None:
            self._open_journal()
        self._committed()  # no batch open yet

    # -- transactions -----------------------------------------------------------
    # IMMEDIATE: take the write lock now, so two processes sharing the file wait for each
    # other (busy_timeout) instead of failing to upgrade a read transaction.
    _BEGIN = "BEGIN IMMEDIATE"
    _errors = (OSError, sqlite3.Error)

    def _journal(self, line: str) -> None:
        if self._journal_file is not None:
            self._journal_lines.append(line + "\n")

    def _before_commit(self) -> None:
        """Append the journal lines of this batch; their length commits with it."""
        if self._journal_file is not None and self._journal_lines:
            self._journal_file.write("".join(self._journal_lines).encode("utf-8"))
            self._journal_file.flush()
            os.fsync(self._journal_file.fileno())
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('journal_length', ?)",
                            (str(self._journal_file.tell()),))

    def _committed(self) -> None:
        self._journal_lines.clear()
        super()._committed()

    def _close(self) -> None:
        if self._journal_file is not None:
            self._journal_file.close()
            self._journal_file = None
        self.db.close()

    def _open_journal(self) -> None:
        assert self.journal_path is not None
        self.journal_path.parent.mkdir(parents=True, exist_ok=True)
        row = self.db.execute("SELECT value FROM meta WHERE key='journal_length'").fetchone()
        committed = int(row[0]) if row else None
        self._journal_file = open(self.journal_path, "ab")
        size = self._journal_file.tell()
        if committed is not None and size > committed:
            # Lines of a transaction that never committed: the database does not have them.
            self._journal_file.truncate(committed)
            self._journal_file.seek(committed)

    def _days_since(self, column: str) -> str:
        return f"(julianday(?) - julianday({column}))"

    def _stats_count(self, key: str) -> tuple[str, str]:
        return "json_extract(stats, ?) > 0", f'$."{key}"'

    def _after_run(self) -> None:
        self.db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', 2000)")

    # -- reading --------------------------------------------------------------------------
    def iter_articles(self, where: str = "1=1", params: tuple[Any, ...] = (),
                      order: str = "published_at, article_id") -> Iterator[dict[str, Any]]:
        cur = self.db.execute(f"SELECT * FROM articles WHERE {where} ORDER BY {order}", params)
        names = [c[0] for c in cur.description]
        for row in cur:
            yield decode_row(dict(zip(names, row, strict=True)))

    def revisions(self, outlet: str, article_id: str) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT revision, content_hash, updated_at, fetched_at, record FROM "
                              "revisions WHERE outlet=? AND article_id=? ORDER BY revision",
                              (outlet, article_id))
        return [{"revision": r[0], "content_hash": r[1], "updated_at": r[2], "fetched_at": r[3],
                 "record": json.loads(r[4])} for r in cur]


def decode_row(row: dict[str, Any]) -> dict[str, Any]:
    """An ``articles`` row with its JSON columns and flags turned back into Python values."""
    for name in JSON_FIELDS:
        if row.get(name) is not None:
            row[name] = json.loads(row[name])
    for name in BOOL_FIELDS:
        if row.get(name) is not None:
            row[name] = bool(row[name])
    return row
