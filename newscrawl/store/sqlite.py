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
import logging
import os
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

from newscrawl.messages import one_line
from newscrawl.store import statements
from newscrawl.store.base import ArchiveBase, StoreError
from newscrawl.store.statements import BOOL_FIELDS, JSON_FIELDS

__all__ = ["SqliteArchive", "decode_row"]

log = logging.getLogger(__name__)


def _schema() -> str:
    return resources.files("newscrawl.store").joinpath("schema.sql").read_text("utf-8")


class SqliteArchive(ArchiveBase):
    def __init__(self, path: str | os.PathLike[str], journal: str | os.PathLike[str] | None = None,
                 *, commit_items: int = 500, commit_seconds: float = 1.0) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.journal_path = Path(journal) if journal else None
        self._journal_file: BinaryIO | None = None
        self._journal_lines: list[str] = []
        self._journal_length = 0  # the journal's committed length
        super().__init__(commit_items=commit_items, commit_seconds=commit_seconds)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists() and self.path.stat().st_size > 0
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if existed:
                self.db.execute("PRAGMA busy_timeout=30000")
                self._refuse_damage()
            # 16 KB pages hold a whole article row and its revision; set before WAL, on a new
            # file only (bench/store_speed.py: ~8% faster stores than 4 KB pages).
            self.db.execute("PRAGMA page_size=16384")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=30000")
            # 16 MB: as fast as 64 MB up to 100,000 articles, 80 MB less RSS (bench/README.md).
            self.db.execute("PRAGMA cache_size=-16384")
            self.db.execute("PRAGMA temp_store=MEMORY")
            rebuild = self._upgrade_fts()
            self.db.executescript(_schema())
            if rebuild:
                self.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                            (statements.SCHEMA_VERSION,))
            self.renew_signatures()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the archive {self.path}: {exc}") from None
        if self.journal_path is not None:
            self._open_journal()

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

    def _abandon(self) -> int:
        # The lines of the failed batch come off the journal: it holds committed work only.
        if self._journal_file is not None:
            try:
                self._journal_file.truncate(self._journal_length)
                self._journal_file.seek(self._journal_length)
            except OSError as exc:
                log.error("cannot cut the failed batch off the journal %s: %s (the next "
                          "open cuts it)", self.journal_path, exc)
        return super()._abandon()

    def _committed(self) -> None:
        self._journal_lines.clear()
        if self._journal_file is not None:
            self._journal_length = self._journal_file.tell()
        super()._committed()

    def _close(self) -> None:
        if self._journal_file is not None:
            self._journal_file.close()
            self._journal_file = None
        self.db.close()

    def _upgrade_fts(self) -> bool:
        """Drop a full-text table declared before it was written as datasette and
        sqlite-utils look for it (``content="articles"``); True when the schema must rebuild
        it."""
        row = self.db.execute("SELECT sql FROM sqlite_master WHERE name='articles_fts'").fetchone()
        if row is None or 'content="articles"' in row[0]:
            return False
        self.db.execute("DROP TABLE articles_fts")  # the triggers stay, and feed the new one
        return True

    def _refuse_damage(self) -> None:
        """A damaged file is never written into: ``PRAGMA quick_check`` when it opens (a
        read of every page, a second or so for a 100,000-article archive)."""
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            self.db.close()
            raise StoreError(f"the archive {self.path} is damaged ({one_line(problems[0], 120)});"
                             f" nothing was written to it: {self._repair_command()}")

    def _repair_command(self) -> str:
        files = self.path.parent
        if self.path.name != "archive.sqlite":  # not an outlet's own archive (--db)
            return f"see `newscrawl check --db {self.path} --repair`"
        return (f"repair it with `newscrawl check --data-dir {files.parent} --outlet "
                f"{files.name} --repair`")

    def _open_journal(self) -> None:
        """Open the journal at the length the archive committed (docs/archive.md).

        Longer: lines of a batch that never committed, cut off. Shorter, or not ending a
        line: damage, refused with the repair command. A new archive beside a journal it
        did not write (the archive file deleted or recreated): that journal is set aside,
        never appended to, so the journal always holds exactly the committed revisions.
        """
        assert self.journal_path is not None
        self.journal_path.parent.mkdir(parents=True, exist_ok=True)
        row = self.db.execute("SELECT value FROM meta WHERE key='journal_length'").fetchone()
        committed = int(row[0]) if row else None
        if committed is None and self.db.execute("SELECT 1 FROM revisions LIMIT 1").fetchone() is None:
            self._set_aside_foreign_journal()
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('journal_length', '0')")
            committed = 0
        self._journal_file = open(self.journal_path, "a+b")
        size = self._journal_file.seek(0, os.SEEK_END)
        if committed is not None and size > committed:
            # Lines of a transaction that never committed: the database does not have them.
            self._journal_file.truncate(committed)
            self._journal_file.seek(committed)
        elif committed is not None and (size < committed or (committed and not self._ends_line())):
            self._journal_file.close()
            self._journal_file = None
            raise StoreError(f"the journal {self.journal_path} does not hold what the archive "
                             f"committed ({size} of {committed} bytes); "
                             f"{self._repair_command()}")
        self._journal_length = self._journal_file.tell()

    def _ends_line(self) -> bool:
        assert self._journal_file is not None
        self._journal_file.seek(-1, os.SEEK_END)
        last = self._journal_file.read(1)
        self._journal_file.seek(0, os.SEEK_END)
        return last == b"\n"

    def _set_aside_foreign_journal(self) -> None:
        assert self.journal_path is not None
        if self.journal_path.exists() and self.journal_path.stat().st_size > 0:
            kept = self.journal_path.with_name(
                f"{self.journal_path.name}.before-{statements.utc_now().replace(':', '')}")
            self.journal_path.rename(kept)
            log.warning("the journal %s was not written by the archive %s (a new file): "
                        "kept as %s, a new journal starts", self.journal_path, self.path, kept)

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
