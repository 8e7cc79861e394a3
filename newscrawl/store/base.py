"""What the SQLite and the PostgreSQL archive share: the methods whose logic is the same in
both, over the statements of ``statements.py``.

Statements are written once, with SQLite's ``?`` placeholders; each archive runs them through
its ``_sql`` (PostgreSQL's turns them into ``%s``). Every write, here or in an archive, runs in
``with self._writing(keys):``, which is where the two differ: SQLite has one writer and takes
its lock with ``BEGIN IMMEDIATE``; PostgreSQL takes advisory locks on the stories and URLs the
write names. In both, a failed statement rolls the open batch back and raises ``StoreError``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from newscrawl.extraction.cascade import FAILED_SUFFIX
from newscrawl.extraction.generic.body import is_fallback_body
from newscrawl.messages import one_line
from newscrawl.records.fingerprints import (
    content_hash,
)
from newscrawl.store.duplicates import NearDuplicates
from newscrawl.store.statements import (
    SQL,
    VERSION_COLUMNS,
    marks,
    record_line,
    utc_now,
    version_columns,
)

#: What a write names: a story ``("article", outlet, id)`` or a URL ``("url", url)``.
Key = tuple[str, ...]


class RevisitCondition(Protocol):
    """A revisit rule that can say itself in SQL (``newscrawl.spiders.admission.RevisitRule``):
    ``days_since(column)`` renders the days from a ``?`` bound to ``now`` back to a column,
    ``dated`` is true of a story an archive sitemap dates."""

    def sql(self, days_since: Callable[[str], str], now: str,
            dated: str) -> tuple[str, tuple[Any, ...]]: ...


class StoreError(Exception):
    """The archive cannot be opened or written; the message is one line for the user."""


@dataclass(frozen=True)
class StoreResult:
    status: str  # "new", "revised" or "unchanged"
    revision: int
    first_fetched_at: str | None = None  # when the story's revision 1 was fetched


@dataclass(frozen=True)
class Failure:
    article_id: str
    url: str
    reason: str
    attempts: int
    first_failed_at: str
    last_failed_at: str


@dataclass(frozen=True)
class ArticleState:
    published_at: str | None
    updated_at: str | None
    last_checked_at: str
    url: str | None = None  # the canonical URL of the stored version
    dated: bool = False  # an archive sitemap lists it with a lastmod (table ``dated``)


class ArchiveBase(NearDuplicates):
    """What both archives do, written once; ``db`` is a DB-API connection.

    An archive says how it writes (``_writing``, ``_begin``, ``commit``) and how it holds
    values (``_as_json``, ``_as_bool``, ``_storable``, ``_json``); the logic is here.
    """

    db: Any
    location: str  # the archive, as messages name it (a PostgreSQL password masked)
    _in_tx: bool
    _pending: int
    _last_commit: float

    def __init__(self, *, commit_items: int, commit_seconds: float) -> None:
        self.commit_items = commit_items
        self.commit_seconds = commit_seconds
        #: Stories by outcome (new, revised, unchanged) in committed batches: what is kept.
        self.committed: Counter[str] = Counter()
        self._batch: Counter[str] = Counter()
        self._committed()  # no batch open yet
    #: How a JSON parameter is written in SQL (PostgreSQL casts it).
    _json = "?"

    @staticmethod
    def _sql(statement: str) -> str:
        """``statement`` in this database's placeholder style."""
        return statement

    @staticmethod
    def _as_json(value: Any) -> Any:
        return json.dumps(value, ensure_ascii=False)

    @staticmethod
    def _as_bool(value: bool) -> Any:
        return int(value)

    def _storable(self, value: Any) -> Any:
        """``value`` as this database can hold it."""
        return value

    def _journal(self, line: str) -> None:
        """A new version's record line, for the archive's journal (if it keeps one)."""

    #: What opens a batch, and what the database raises when a statement fails.
    _BEGIN = "BEGIN"
    _errors: tuple[type[Exception], ...] = ()

    def _begin(self) -> None:
        if not self._in_tx:
            self.db.execute(self._BEGIN)
            self._in_tx = True

    def _hold(self, keys: list[Key]) -> None:
        """Take, in this batch, what a write of the rows ``keys`` name needs."""
        self._begin()

    @contextmanager
    def _writing(self, *keys: Key) -> Iterator[None]:
        """Write, in this batch, the rows ``keys`` name (``("article", outlet, id)``,
        ``("url", url)``); a failed statement rolls the batch back and raises StoreError."""
        try:
            self._hold(list(keys))
            yield
        except self._errors as exc:
            raise write_error(self.location, exc, self._abandon()) from None

    def _before_commit(self) -> None:
        """What goes with the batch as it commits."""

    def commit(self) -> None:
        if not self._in_tx:
            return
        try:
            self._before_commit()
            self.db.execute("COMMIT")
        except self._errors as exc:
            raise write_error(self.location, exc, self._abandon()) from None
        self._committed()

    def _abandon(self) -> int:
        """Roll the open batch back after a failed statement; how many items it had."""
        lost = self._pending
        self._batch.clear()
        if self._in_tx:
            try:
                self.db.execute("ROLLBACK")
            except self._errors:
                pass  # the connection is gone: the server rolled the batch back already
        self._committed()
        return lost

    def _days_since(self, column: str) -> str:
        """SQL for the days from a ``?`` time back to ``column`` (both ISO 8601 UTC text)."""
        raise NotImplementedError

    def _stats_count(self, key: str) -> tuple[str, str]:
        """SQL that a run's stats count ``key`` above zero, and its parameter."""
        raise NotImplementedError

    def _row(self, statement: str, params: tuple[Any, ...] | list[Any] = ()) -> tuple[Any, ...]:
        """The row of a statement that always returns one (an aggregate, a RETURNING)."""
        row = self.db.execute(self._sql(statement), params).fetchone()
        assert row is not None, statement
        return tuple(row)

    def _many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        """Run ``statement`` once per row (psycopg has ``executemany`` on cursors only)."""
        cursor = self.db.cursor()
        try:
            cursor.executemany(self._sql(statement), rows)
        finally:
            cursor.close()

    # -- transactions -----------------------------------------------------------
    def maybe_commit(self) -> None:
        if self._pending >= self.commit_items or (
                self._in_tx and time.monotonic() - self._last_commit >= self.commit_seconds):
            self.commit()

    def _committed(self) -> None:
        self.committed.update(self._batch)
        self._batch.clear()
        self._in_tx = False
        self._pending = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._close()

    def _close(self) -> None:
        self.db.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- articles ---------------------------------------------------------------
    def store_article(self, record: Mapping[str, Any], *, checked_at: str | None = None) -> StoreResult:
        """Insert or update one story from an Article record (a dict of its fields).

        The same content again only moves ``last_checked_at``; changed content replaces the
        row and adds exactly one revision (and one journal line), whoever stores it first.
        """
        record = self._storable(dict(record))
        outlet, article_id = record.get("outlet") or "", record.get("article_id")
        if not article_id:
            raise ValueError("an article record needs an article_id")
        digest = content_hash(record)
        fetched_at = record.get("fetched_at") or utc_now()
        checked_at = checked_at or fetched_at
        key, url = (outlet, article_id), record.get("url")
        with self._writing(("article", *key), *([("url", url)] if url else [])):
            row = self.db.execute(self._sql(SQL.STORED_VERSION), key).fetchone()
            inserted = None
            if row is None or row[0] != digest:
                values = version_columns(record, digest, fetched_at, checked_at,
                                         as_json=self._as_json, as_bool=self._as_bool)
                inserted = self.db.execute(self._sql(SQL.UPSERT), [
                    *key, record.get("duplicate_of"), *(values[c] for c in VERSION_COLUMNS), 1,
                    fetched_at]).fetchone()
            if inserted is None:  # the stored version already has this content
                result = StoreResult("unchanged", *self._row(SQL.CHECKED, (checked_at, *key)))
            else:
                revision, first = inserted
                # The record says which version it is, in the journal and revisions alike.
                record = {**record, "revision": revision, "first_fetched_at": first}
                line = record_line(record)
                self.db.execute(self._sql(SQL.ADD_REVISION.format(json=self._json)),
                                (*key, revision, digest, record.get("updated_at"), fetched_at,
                                 line))
                self._journal(line)
                result = StoreResult("new" if revision == 1 else "revised", revision, first)
            self._touch_fetch(record, digest)
            if degraded(record):  # stored, and asked for again until its own sources work
                self.db.execute(self._sql(SQL.RECORD_FAILURE), (
                    *key, url or record.get("canonical_url") or "", DEGRADED, fetched_at,
                    fetched_at))
            else:
                self.db.execute(self._sql(SQL.CLEAR_FAILURE), key)
        self._pending += 1
        self._batch[result.status] += 1
        self.maybe_commit()
        return result

    def _touch_fetch(self, record: Mapping[str, Any], digest: str) -> None:
        url = record.get("url")
        if not url:
            return
        self.db.execute(self._sql(SQL.TOUCH_FETCH), (url, record.get("article_id"),
                                                 record.get("http_status"),
                                                 record.get("fetched_at"), digest))

    # -- fetch state and discovery ------------------------------------------------
    def record_fetch(self, url: str, *, status: int, fetched_at: str, etag: str | None = None,
                     last_modified: str | None = None, article_id: str | None = None,
                     outlet: str | None = None) -> None:
        """What one fetch of ``url`` answered (any page; articles get their hash later).

        A 304 answer to a revisit is a check: the story's ``last_checked_at`` moves on.
        """
        etag, last_modified = self._storable(etag), self._storable(last_modified)
        outlets: list[str] = []
        if status == 304 and article_id:
            outlets = [outlet] if outlet else [r[0] for r in self.db.execute(
                self._sql("SELECT outlet FROM articles WHERE article_id=?"), (article_id,))]
        with self._writing(("url", url), *(("article", o, article_id or "") for o in outlets)):
            if outlets:
                self.db.execute(self._sql(
                    "UPDATE articles SET last_checked_at=? WHERE article_id=? AND outlet IN "
                    f"({marks(outlets)})"), (fetched_at, article_id, *outlets))
            self.db.execute(self._sql(SQL.RECORD_FETCH),
                            (url, etag, last_modified, status, fetched_at))
            if article_id:
                self.db.execute(self._sql(SQL.SET_FETCH_ARTICLE), (article_id, url))
        self.maybe_commit()

    # -- failed stories -------------------------------------------------------------
    def record_failure(self, outlet: str, article_id: str, url: str, reason: str,
                       at: str) -> None:
        """A story that gave no record this time (retries ran out, a broken page)."""
        with self._writing(("article", outlet, article_id), ("url", url)):
            self.db.execute(self._sql(SQL.RECORD_FAILURE),
                            (outlet, article_id, url, reason, at, at))
        self.maybe_commit()

    def failures(self, outlet: str) -> list[Failure]:
        """The outlet's failed or degraded stories that runs still ask for, oldest try first."""
        return [Failure(*row) for row in self.db.execute(self._sql(SQL.FAILURES), (outlet,))]

    def mark_lost(self, outlet: str, article_id: str, at: str) -> None:
        """Stop asking for a story that kept failing; it stays on record as lost."""
        with self._writing(("article", outlet, article_id)):
            self.db.execute(self._sql(SQL.MARK_LOST), (at, outlet, article_id))
        self.maybe_commit()

    def mark_not_article(self, url: str, article_id: str | None, reason: str) -> None:
        """Remember a page that is no article (a video, a gallery), so it is not fetched again."""
        with self._writing(("url", url)):
            self.db.execute(self._sql(SQL.MARK_NOT_ARTICLE), (url, article_id, reason))
        self.maybe_commit()

    def record_discovery(self, url: str, via: str | None, seen_at: str,
                         article_id: str | None = None) -> None:
        with self._writing(("url", url)):
            self.db.execute(self._sql(SQL.RECORD_DISCOVERY),
                            (url, article_id, via, seen_at, via, seen_at))
        self.maybe_commit()

    def fetch_state(self, url: str) -> dict[str, Any] | None:
        cur = self.db.execute(self._sql("SELECT * FROM fetch_state WHERE url=?"), (url,))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None

    def validators(self, url: str, article_id: str | None = None) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified of the stored version, for a conditional request."""
        row = self.db.execute(self._sql(
            "SELECT etag, last_modified FROM fetch_state WHERE (url=? OR article_id=?) AND "
            "last_status IN (200, 304) AND (etag IS NOT NULL OR last_modified IS NOT NULL) "
            "ORDER BY url=? DESC, last_fetched_at DESC NULLS LAST LIMIT 1"),
            (url, article_id, url)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def is_known_not_article(self, url: str, article_id: str | None) -> bool:
        row = self.db.execute(self._sql(
            "SELECT 1 FROM fetch_state WHERE (url=? OR article_id=?) AND not_article IS NOT "
            "NULL LIMIT 1"), (url, article_id)).fetchone()
        return row is not None

    # -- incremental crawling -------------------------------------------------------
    def due_for_revisit(self, outlet: str, now: str,
                        rule: RevisitCondition) -> Iterator[tuple[str, str]]:
        """(article_id, url) of the stories ``rule`` finds due for a check at ``now``,
        freshest first."""
        condition, params = rule.sql(self._days_since, now, SQL.DATED)
        return iter(self.db.execute(self._sql(
            f"SELECT article_id, url FROM articles WHERE outlet=? AND {condition} "
            "ORDER BY published_at DESC NULLS LAST"), (outlet, *params)).fetchall())

    def article_state(self, outlet: str, article_id: str) -> ArticleState | None:
        """What the archive knows of a story's freshness, or None when it has never stored it."""
        row = self.db.execute(self._sql(
            f"SELECT published_at, updated_at, last_checked_at, url, {SQL.DATED} FROM articles "
            "WHERE outlet=? AND article_id=?"), (outlet, article_id)).fetchone()
        if row is None:
            return None
        published, updated, checked, url, dated = row
        return ArticleState(published, updated, checked, url, bool(dated))

    def mark_dated(self, outlet: str, dated: list[str], undated: list[str]) -> None:
        """Stories an archive sitemap lists with a ``lastmod`` (``dated``) and without."""
        with self._writing():
            self._many(SQL.MARK_DATED, [(outlet, a) for a in sorted(dated)])
            self._many(SQL.MARK_UNDATED, [(outlet, a) for a in sorted(undated)])
        self.maybe_commit()

    def last_high_water(self, outlet: str, having: str | None = None) -> str | None:
        """The newest time the listings showed in the runs that finished, or None.

        Site time, not this machine's: a listing's dates compare with it whatever the clocks.
        With ``having``, only runs whose stats count that key (``newscrawl/pages/section``:
        the last run that walked the sections).
        """
        if having is None:
            return self._row(SQL.HIGH_WATER, (outlet,))[0]
        condition, param = self._stats_count(having)
        return self._row(f"{SQL.HIGH_WATER} AND {condition}", (outlet, param))[0]

    # -- runs ---------------------------------------------------------------------------
    def begin_run(self, outlet: str, arguments: Mapping[str, Any]) -> int:
        """Put a run on record at once (outside any batch); its id."""
        self.commit()
        with self._writing():
            run_id = self._row(SQL.BEGIN_RUN.format(json=self._json), (
                outlet, utc_now(), json.dumps(self._storable(dict(arguments)), default=str)))[0]
        self.commit()
        return int(run_id)

    def end_run(self, run_id: int, *, reason: str, stats: Mapping[str, Any],
                field_coverage: Mapping[str, float], counts: Mapping[str, int],
                high_water: str | None = None) -> None:
        self.commit()
        with self._writing():
            self.db.execute(self._sql(SQL.END_RUN.format(json=self._json)), (
                utc_now(), reason, json.dumps(self._storable(dict(stats)), default=str),
                json.dumps(dict(field_coverage)), counts.get("new", 0), counts.get("revised", 0),
                counts.get("unchanged", 0), high_water, run_id))
        self.commit()
        self._after_run()

    def finished_runs(self, outlet: str) -> list[tuple[int, str, str, dict[str, Any]]]:
        """The outlet's finished runs, oldest first: id, start, end and stats."""
        rows = self.db.execute(self._sql(SQL.FINISHED_RUNS), (outlet,)).fetchall()
        return [(int(r[0]), r[1], r[2], json.loads(r[3]) if isinstance(r[3], str) else
                 dict(r[3] or {})) for r in rows]

    def remeasure_run(self, run_id: int, *, stats: Mapping[str, Any],
                      field_coverage: Mapping[str, float]) -> None:
        """Replace a finished run's measurements (``reparse``, having read its pages again)."""
        self.commit()
        with self._writing():
            self.db.execute(self._sql(SQL.REMEASURE_RUN.format(json=self._json)), (
                json.dumps(self._storable(dict(stats)), default=str),
                json.dumps(dict(field_coverage)), run_id))
        self.commit()

    def _after_run(self) -> None:
        """Housekeeping after a run is on record."""

    # -- reading --------------------------------------------------------------------------
    def iter_articles(self, where: str = "1=1", params: tuple[Any, ...] = (),
                      order: str = "published_at, article_id") -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def article(self, outlet: str, article_id: str) -> dict[str, Any] | None:
        rows = list(self.iter_articles("outlet=? AND article_id=?", (outlet, article_id)))
        return rows[0] if rows else None

    def count(self, table: str) -> int:
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        return int(self._row(f"SELECT count(*) FROM {table}")[0])


#: The failure reason of a story stored from fallbacks: archived, but asked for again.
DEGRADED = "degraded"


def degraded(record: Mapping[str, Any]) -> bool:
    """Whether a record was read from fallbacks because its preferred sources failed."""
    sources = record.get("field_sources") or {}
    return any(key.endswith(FAILED_SUFFIX) for key in sources) or \
        is_fallback_body(sources, record.get("parser_version"))


def write_error(location: str, exc: Exception, lost: int) -> StoreError:
    """The one line of a failed write, and what it cost."""
    return StoreError(f"cannot write the archive {location}: {one_line(exc, first_line=True)}"
                      + (f" (the uncommitted batch of {lost} item(s) was rolled back)"
                         if lost else ""))
