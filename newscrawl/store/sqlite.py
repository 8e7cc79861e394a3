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
import time
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

from newscrawl.records.fingerprints import NEAR_DUPLICATE_JACCARD, Signature, content_hash
from newscrawl.store import base
from newscrawl.store.base import BOOL_FIELDS, JSON_FIELDS, SQL, ArchiveBase, StoreError, StoreResult

__all__ = ["SqliteArchive", "decode_row"]


def _schema() -> str:
    return resources.files("newscrawl.store").joinpath("schema.sql").read_text("utf-8")


class SqliteArchive(ArchiveBase):
    def __init__(self, path: str | os.PathLike[str], journal: str | os.PathLike[str] | None = None,
                 *, commit_items: int = 500, commit_seconds: float = 1.0) -> None:
        self.path = Path(path)
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
                            (base.SCHEMA_VERSION,))
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the archive {self.path}: {exc}") from None
        self._journal: BinaryIO | None = None
        self._journal_lines: list[str] = []
        if self.journal_path is not None:
            self._open_journal()
        self._pending = 0
        self._last_commit = time.monotonic()
        self._in_tx = False

    # -- transactions -----------------------------------------------------------
    def _begin(self) -> None:
        if not self._in_tx:
            # IMMEDIATE: take the write lock now, so two processes sharing the file wait for
            # each other (busy_timeout) instead of failing to upgrade a read transaction.
            self.db.execute("BEGIN IMMEDIATE")
            self._in_tx = True

    def maybe_commit(self) -> None:
        if self._pending >= self.commit_items or (
                self._in_tx and time.monotonic() - self._last_commit >= self.commit_seconds):
            self.commit()

    def commit(self) -> None:
        """Append the journal lines of this transaction, then commit it with their length."""
        if not self._in_tx:
            return
        try:
            if self._journal is not None and self._journal_lines:
                self._journal.write("".join(self._journal_lines).encode("utf-8"))
                self._journal.flush()
                os.fsync(self._journal.fileno())
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('journal_length', ?)",
                                (str(self._journal.tell()),))
            self.db.execute("COMMIT")
        except (OSError, sqlite3.Error) as exc:
            self.db.execute("ROLLBACK") if self.db.in_transaction else None
            self._in_tx = False
            raise StoreError(f"cannot write the archive {self.path}: {exc}") from None
        self._in_tx = False
        self._journal_lines.clear()
        self._pending = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            self.db.close()

    def __enter__(self) -> SqliteArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_journal(self) -> None:
        assert self.journal_path is not None
        self.journal_path.parent.mkdir(parents=True, exist_ok=True)
        row = self.db.execute("SELECT value FROM meta WHERE key='journal_length'").fetchone()
        committed = int(row[0]) if row else None
        self._journal = open(self.journal_path, "ab")
        size = self._journal.tell()
        if committed is not None and size > committed:
            # Lines of a transaction that never committed: the database does not have them.
            self._journal.truncate(committed)
            self._journal.seek(committed)

    # -- articles ---------------------------------------------------------------
    def store_article(self, record: Mapping[str, Any], *, checked_at: str | None = None) -> StoreResult:
        """Insert or update one story from an Article record (a dict of its fields).

        The same content again only moves ``last_checked_at``; changed content replaces the
        row and adds exactly one revision (and one journal line).
        """
        outlet, article_id = record.get("outlet") or "", record.get("article_id")
        if not article_id:
            raise ValueError("an article record needs an article_id")
        digest = content_hash(record)
        fetched_at = record.get("fetched_at") or base.utc_now()
        checked_at = checked_at or fetched_at
        self._begin()
        row = self.db.execute(SQL.STORED_VERSION, (outlet, article_id)).fetchone()
        if row is not None and row[0] == digest:
            self.db.execute("UPDATE articles SET last_checked_at=? WHERE outlet=? AND article_id=?",
                            (checked_at, outlet, article_id))
            self._touch_fetch(record, digest)
            self._pending += 1
            self.maybe_commit()
            return StoreResult("unchanged", row[1])
        values = base.version_columns(record, digest, fetched_at, checked_at, as_bool=int,
                                      as_json=lambda v: json.dumps(v, ensure_ascii=False))
        if row is None:
            revision = 1
            values.update(revision_count=1, first_fetched_at=fetched_at)
            names = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            self.db.execute(f"INSERT INTO articles ({names}) VALUES ({marks})",
                            list(values.values()))
        else:
            revision = row[1] + 1
            values.update(revision_count=revision)
            values.pop("duplicate_of")  # decided by the de-duplicator, not by a new version
            sets = ", ".join(f"{name}=?" for name in values)
            self.db.execute(f"UPDATE articles SET {sets} WHERE outlet=? AND article_id=?",
                            [*values.values(), outlet, article_id])
        line = base.record_line(record)
        self.db.execute(
            "INSERT INTO revisions (outlet, article_id, revision, content_hash, updated_at, "
            "fetched_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (outlet, article_id, revision, digest, record.get("updated_at"), fetched_at, line))
        if self._journal is not None:
            self._journal_lines.append(line + "\n")
        self._touch_fetch(record, digest)
        self._pending += 1
        self.maybe_commit()
        return StoreResult("new" if revision == 1 else "revised", revision)

    # -- fetch state and discovery ------------------------------------------------
    def record_fetch(self, url: str, *, status: int, fetched_at: str, etag: str | None = None,
                     last_modified: str | None = None, article_id: str | None = None,
                     outlet: str | None = None) -> None:
        """What one fetch of ``url`` answered (any page; articles get their hash later).

        A 304 answer to a revisit is a check: the story's ``last_checked_at`` moves on.
        """
        self._begin()
        if status == 304 and article_id:
            self.db.execute("UPDATE articles SET last_checked_at=? WHERE article_id=? AND "
                            "(? IS NULL OR outlet=?)", (fetched_at, article_id, outlet, outlet))
        self.db.execute(SQL.RECORD_FETCH, (url, etag, last_modified, status, fetched_at))
        if article_id:
            self.db.execute(SQL.SET_FETCH_ARTICLE, (article_id, url))
        self.maybe_commit()

    def mark_not_article(self, url: str, article_id: str | None, reason: str) -> None:
        """Remember a page that is no article (a video, a gallery), so it is not fetched again."""
        self._begin()
        self.db.execute(SQL.MARK_NOT_ARTICLE, (url, article_id, reason))
        self.maybe_commit()

    def _days_since(self, column: str) -> str:
        return f"(julianday(?) - julianday({column}))"

    def last_high_water(self, outlet: str, having: str | None = None) -> str | None:
        """The newest time the listings showed in the runs that finished, or None.

        Site time, not this machine's: a listing's dates compare with it whatever the clocks.
        With ``having``, only runs whose stats count that key (``newscrawl/pages/section``:
        the last run that walked the sections).
        """
        if having is None:
            row = self.db.execute(SQL.HIGH_WATER, (outlet,)).fetchone()
        else:
            row = self.db.execute(SQL.HIGH_WATER + " AND json_extract(stats, ?) > 0",
                                  (outlet, f'$."{having}"')).fetchone()
        return row[0] if row else None

    def fetch_state(self, url: str) -> dict[str, Any] | None:
        cur = self.db.execute("SELECT * FROM fetch_state WHERE url=?", (url,))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None

    def record_discovery(self, url: str, via: str | None, seen_at: str,
                         article_id: str | None = None) -> None:
        self._begin()
        self.db.execute(SQL.RECORD_DISCOVERY, (url, article_id, via, seen_at, via, seen_at))
        self.maybe_commit()

    # -- near-duplicates ------------------------------------------------------------
    def find_original(self, outlet: str, article_id: str, published_at: str | None,
                      body_digest: str | None, signature: Signature | None) -> str | None:
        """The id of the story this one copies (exactly or nearly), or None.

        Of two copies, the one published first is the original; a copy of a copy points at
        the first original. When this story turns out to be older than a stored match, the
        match and its copies are re-pointed at this one.
        """
        matches: set[str] = set()
        if body_digest:
            matches.update(r[0] for r in self.db.execute(SQL.SAME_BODY,
                                                         (body_digest, outlet, article_id)))
        if signature is not None:
            buckets = signature.bands()
            marks = ",".join("?" for _ in buckets)
            # Bands first (a primary-key lookup each), then only the candidates' signatures.
            candidates = {r[0]: r[1] for r in self.db.execute(
                f"SELECT article_id, signature FROM fingerprints WHERE outlet=? AND "
                f"article_id<>? AND article_id IN (SELECT article_id FROM fingerprint_bands "
                f"WHERE bucket IN ({marks}) AND outlet=?)", (outlet, article_id, *buckets, outlet))}
            matches.update(aid for aid, blob in candidates.items()
                           if signature.jaccard(Signature.from_bytes(blob)) >= NEAR_DUPLICATE_JACCARD)
        if not matches:
            return None
        # Roots of the matches, with their publication times, from the stored rows.
        roots: dict[str, str | None] = {}
        for aid in matches:
            row = self.db.execute(
                "SELECT coalesce(duplicate_of, article_id) FROM articles WHERE outlet=? AND "
                "article_id=?", (outlet, aid)).fetchone()
            if row is None:
                continue  # a fingerprint whose article never committed
            root = row[0]
            published = self.db.execute(
                "SELECT published_at FROM articles WHERE outlet=? AND article_id=?",
                (outlet, root)).fetchone()
            roots[root] = published[0] if published else None
        roots.pop(article_id, None)
        if not roots:
            return None
        oldest = min(roots, key=lambda aid: (roots[aid] or "", aid))
        if (published_at or "", article_id) < (roots[oldest] or "", oldest):
            # This story is the original: its earlier-stored copies now point at it.
            self._begin()
            for root in roots:
                # Two index searches (the key and the duplicate_of index), not a scan of the
                # outlet's rows (bench/scale_memory.py: 13 ms at 100,000 articles, 0.01 ms so).
                self.db.execute("UPDATE articles SET duplicate_of=? WHERE (outlet=? AND "
                                "article_id=?) OR (outlet=? AND duplicate_of=?)",
                                (article_id, outlet, root, outlet, root))
            return None
        return oldest

    def _set_duplicate_of(self, outlet: str, article_id: str, original: str) -> None:
        self._begin()
        self.db.execute(SQL.SET_DUPLICATE_OF, (original, outlet, article_id))

    def add_fingerprint(self, outlet: str, article_id: str, published_at: str | None,
                        signature: Signature) -> None:
        self._begin()
        old = self.db.execute(SQL.OLD_SIGNATURE, (outlet, article_id)).fetchone()
        if old is not None:
            self.db.executemany(
                "DELETE FROM fingerprint_bands WHERE bucket=? AND outlet=? AND article_id=?",
                [(bucket, outlet, article_id) for bucket in Signature.from_bytes(old[0]).bands()])
        self.db.execute("INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?)",
                        (outlet, article_id, published_at, signature.to_bytes()))
        self.db.executemany("INSERT OR IGNORE INTO fingerprint_bands VALUES (?, ?, ?)",
                            [(bucket, outlet, article_id) for bucket in signature.bands()])

    # -- runs ---------------------------------------------------------------------------
    def begin_run(self, outlet: str, arguments: Mapping[str, Any]) -> int:
        self.commit()
        cur = self.db.execute("INSERT INTO runs (outlet, started_at, arguments) VALUES (?, ?, ?)",
                              (outlet, base.utc_now(), json.dumps(dict(arguments), default=str)))
        return int(cur.lastrowid or 0)

    def end_run(self, run_id: int, *, reason: str, stats: Mapping[str, Any],
                field_coverage: Mapping[str, float], counts: Mapping[str, int],
                high_water: str | None = None) -> None:
        self.commit()
        self.db.execute(
            "UPDATE runs SET finished_at=?, finish_reason=?, stats=?, field_coverage=?, "
            "new_articles=?, new_revisions=?, unchanged=?, high_water=? WHERE id=?",
            (base.utc_now(), reason, json.dumps(dict(stats), default=str),
             json.dumps(dict(field_coverage)), counts.get("new", 0), counts.get("revised", 0),
             counts.get("unchanged", 0), high_water, run_id))
        self.db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', 2000)")

    # -- reading --------------------------------------------------------------------------
    def article(self, outlet: str, article_id: str) -> dict[str, Any] | None:
        rows = list(self.iter_articles("outlet=? AND article_id=?", (outlet, article_id)))
        return rows[0] if rows else None

    def iter_articles(self, where: str = "1", params: tuple[Any, ...] = (),
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

    def count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def decode_row(row: dict[str, Any]) -> dict[str, Any]:
    """An ``articles`` row with its JSON columns and flags turned back into Python values."""
    for name in JSON_FIELDS:
        if row.get(name) is not None:
            row[name] = json.loads(row[name])
    for name in BOOL_FIELDS:
        if row.get(name) is not None:
            row[name] = bool(row[name])
    return row
