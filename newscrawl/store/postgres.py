"""The PostgreSQL archive: the SQLite archive's tables and semantics, shared by many workers.

``PostgresArchive`` has the public methods of ``SqliteArchive`` and answers them the same way
(docs/archive.md); ``postgres.sql`` is the schema. What differs is that several crawl
processes may write one database at once, so every write is safe against the others:

* Articles are upserted on their key (outlet, article_id) with ``INSERT ... ON CONFLICT``, and
  the upsert only replaces the row when the content hash differs, returning the new revision
  number, so a version is recorded once however many workers store it.
* Every write first takes PostgreSQL advisory locks on the keys it touches (the story, the
  URL) for the rest of its transaction, without waiting. When another worker holds one, this
  worker commits its batch (releasing all it holds) and only then waits, holding nothing. No
  worker ever waits while holding a lock another one may need, so workers never deadlock,
  and whoever writes a story next sees the committed state of the last writer.
* Writes are grouped into transactions of ``commit_items`` items or ``commit_seconds`` seconds,
  like SQLite's. A worker killed mid-transaction loses that batch only (the server rolls it
  back); a failed statement rolls the batch back and raises ``StoreError`` saying so.

There is no JSON Lines journal: the database is the record (``revisions``), and ``newscrawl
export`` writes JSON Lines from it. PostgreSQL text cannot hold the NUL character (U+0000):
it is removed from every string of a record before storing (a warning names the story);
everything else round-trips byte for byte.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from newscrawl.messages import mask_password, one_line
from newscrawl.records.fingerprints import NEAR_DUPLICATE_JACCARD, Signature, content_hash
from newscrawl.store import base
from newscrawl.store.base import RECORD_COLUMNS, SQL, ArchiveBase, StoreError, StoreResult

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")
#: Columns of ``articles`` in table order, without the full-text vector.
ARTICLE_COLUMNS = ("id", "outlet", "article_id", "url", "fetched_url", "kind", "headline",
                   "social_headline", "subheadline", "summary", "authors", "published_at",
                   "published_raw", "updated_at", "updated_raw", "section", "section_path",
                   "topics", "body", "images", "language", "word_count", "is_paywalled",
                   "is_truncated", "is_sponsored", "http_status", "discovered_via",
                   "parser_version", "field_sources", "duplicate_of", "content_hash",
                   "body_hash", "revision_count", "first_fetched_at", "fetched_at",
                   "last_checked_at")
_SELECT_ARTICLES = ", ".join(ARTICLE_COLUMNS)
# Written by every version; a new version keeps the story's first fetch time and its
# duplicate link (the de-duplicator's decision, not the page's).
_VERSION_COLUMNS = (*(c for c in RECORD_COLUMNS if c not in ("outlet", "article_id",
                                                             "duplicate_of")),
                    "section_path", "url", "fetched_url", "content_hash", "body_hash",
                    "fetched_at", "last_checked_at")
_INSERT_COLUMNS = ("outlet", "article_id", "duplicate_of", *_VERSION_COLUMNS, "revision_count",
                   "first_fetched_at")
_UPSERT = (
    f"INSERT INTO articles ({', '.join(_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('%s' for _ in _INSERT_COLUMNS)}) "
    "ON CONFLICT (outlet, article_id) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in _VERSION_COLUMNS)
    + ", revision_count=articles.revision_count + 1 "
    "WHERE articles.content_hash <> excluded.content_hash RETURNING revision_count")
_SCHEMA_LOCK = int.from_bytes(hashlib.blake2b(b"newscrawl schema", digest_size=8).digest(),
                              "big", signed=True)


def is_postgres_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def connect(url: str, *, connect_timeout: int = 10, read_only: bool = False) -> psycopg.Connection:
    """An autocommit connection to ``url``; the URL's own parameters win over the defaults."""
    params: dict[str, Any] = conninfo_to_dict(url)
    params.setdefault("connect_timeout", connect_timeout)
    params.setdefault("application_name", "newscrawl")
    if read_only:
        params["options"] = f"{params.get('options', '')} -c default_transaction_read_only=on"
    return psycopg.connect(autocommit=True, **params)


def _schema() -> str:
    return resources.files("newscrawl.store").joinpath("postgres.sql").read_text("utf-8")


def _lock_key(*parts: str | None) -> int:
    """A 64-bit advisory lock key for a story or a URL (a collision only costs a wait)."""
    text = "\x1f".join(("newscrawl", *(part or "" for part in parts)))
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big",
                          signed=True)


def _story_key(outlet: str, article_id: str) -> int:
    return _lock_key("article", outlet, article_id)


def _url_key(url: str) -> int:
    return _lock_key("url", url)


def _reading(method: Any) -> Any:
    """A read of the archive: a lost server is a StoreError, as a failed write is."""

    @functools.wraps(method)
    def read(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except psycopg.Error as exc:
            raise StoreError(f"cannot use the archive {self.location}: {one_line(exc, first_line=True)}") from None
    return read


def without_nul(value: Any) -> Any:
    """``value`` with U+0000 removed from every string in it (PostgreSQL text cannot hold it)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [without_nul(v) for v in value]
    if isinstance(value, Mapping):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


@functools.lru_cache(maxsize=64)
def _placeholders(statement: str) -> str:
    """SQLite's ``?`` placeholders (of a shared statement, a caller's WHERE clause) as
    psycopg's ``%s``."""
    return statement.replace("%", "%%").replace("?", "%s")


class PostgresArchive(ArchiveBase):
    """One worker's connection to the shared archive; ``SqliteArchive``'s methods and answers.

    Reads see this worker's uncommitted batch and what the others have committed.
    """

    #: No JSON Lines journal: the revisions table is the record of every version.
    journal_path = None
    _sql = staticmethod(_placeholders)

    def __init__(self, url: str, *, commit_items: int = 500, commit_seconds: float = 1.0,
                 connect_timeout: int = 10) -> None:
        self.url = url
        self.location = mask_password(url)
        self.commit_items = commit_items
        self.commit_seconds = commit_seconds
        #: How many times a write found a story or URL held by another worker and waited.
        self.lock_waits = 0
        try:
            self.db = connect(url, connect_timeout=connect_timeout)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the archive {self.location}: {one_line(exc, first_line=True)}") from None
        try:
            self._ensure_schema()
        except psycopg.Error as exc:
            self.db.close()
            raise StoreError(f"cannot open the archive {self.location}: {one_line(exc, first_line=True)}") from None
        self._pending = 0
        self._last_commit = time.monotonic()
        self._in_tx = False

    def _ensure_schema(self) -> None:
        if self._schema_version() is not None:
            return  # no DDL on a live archive: it would wait for every writer's transaction
        with self.db.transaction():
            # Workers starting together: one creates the tables, the others wait for it.
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            if self._schema_version() is None:
                self.db.execute(_schema())
                self.db.execute("INSERT INTO meta VALUES ('schema_version', %s) "
                                "ON CONFLICT (key) DO NOTHING", (base.SCHEMA_VERSION,))

    def _schema_version(self) -> str | None:
        if self._row("SELECT to_regclass('meta')")[0] is None:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return row[0] if row else None

    def _row(self, query: str | sql.Composed, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        """The row of a statement that always returns one (an aggregate, a RETURNING)."""
        row = self.db.execute(query, params).fetchone()
        assert row is not None, query
        return row

    # -- transactions -----------------------------------------------------------
    def _begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN")
            self._in_tx = True

    @_reading
    def maybe_commit(self) -> None:
        if self._pending >= self.commit_items or (
                self._in_tx and time.monotonic() - self._last_commit >= self.commit_seconds):
            self.commit()

    @_reading
    def commit(self) -> None:
        if not self._in_tx:
            return
        try:
            self.db.execute("COMMIT")
        except psycopg.Error as exc:
            self._abandon()
            raise StoreError(f"cannot write the archive {self.location}: {one_line(exc, first_line=True)}") from None
        self._in_tx = False
        self._pending = 0
        self._last_commit = time.monotonic()

    def _abandon(self) -> int:
        """Roll the open transaction back after a failed statement; how many items it had."""
        lost = self._pending
        if self._in_tx and not self.db.closed:
            try:
                self.db.execute("ROLLBACK")
            except psycopg.Error:
                pass  # the connection is gone: the server rolled it back already
        self._in_tx = False
        self._pending = 0
        self._last_commit = time.monotonic()
        return lost

    def _write_failed(self, exc: psycopg.Error) -> StoreError:
        lost = self._abandon()
        return StoreError(f"cannot write the archive {self.location}: {one_line(exc, first_line=True)} "
                          f"(the uncommitted batch of {lost} item(s) was rolled back)")

    def _lock(self, keys: list[int]) -> None:
        """Hold the advisory locks of ``keys`` until this transaction ends.

        Tried without waiting; if another worker holds one, this batch is committed first, so
        that while this worker waits it holds nothing anyone could be waiting for, and the
        locks are then taken in key order.
        """
        self._begin()
        if not keys:
            return
        got = self._row("SELECT bool_and(pg_try_advisory_xact_lock(k)) "
                        "FROM unnest(%s::bigint[]) AS k", (keys,))[0]
        if got:
            return
        self.lock_waits += 1
        self.commit()
        self._begin()
        for key in sorted(set(keys)):
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (key,))

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.db.close()

    def __enter__(self) -> PostgresArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Reads shared with the SQLite archive, a lost server raising StoreError.
    validators = _reading(ArchiveBase.validators)
    is_known_not_article = _reading(ArchiveBase.is_known_not_article)
    article_state = _reading(ArchiveBase.article_state)
    link_duplicates = _reading(ArchiveBase.link_duplicates)
    relink = _reading(ArchiveBase.relink)
    due_for_revisit = _reading(ArchiveBase.due_for_revisit)

    # -- articles ---------------------------------------------------------------
    @_reading
    def store_article(self, record: Mapping[str, Any], *, checked_at: str | None = None) -> StoreResult:
        """Insert or update one story from an Article record (a dict of its fields).

        The same content again only moves ``last_checked_at``; changed content replaces the
        row and adds exactly one revision, whichever worker stores it first.
        """
        record = dict(record)
        line = base.record_line(record)
        if "\\u0000" in line:
            record = without_nul(record)
            line = base.record_line(record)
            log.warning("removed NUL characters from story %s before storing it in PostgreSQL",
                        record.get("article_id"))
        outlet, article_id = record.get("outlet") or "", record.get("article_id")
        if not article_id:
            raise ValueError("an article record needs an article_id")
        digest = content_hash(record)
        fetched_at = record.get("fetched_at") or base.utc_now()
        checked_at = checked_at or fetched_at
        url = record.get("url")
        key = (outlet, article_id)
        try:
            self._lock([_story_key(outlet, article_id), *([_url_key(url)] if url else [])])
            row = self.db.execute(_placeholders(SQL.STORED_VERSION), key).fetchone()
            revision = None
            if row is None or row[0] != digest:
                values = base.version_columns(record, digest, fetched_at, checked_at,
                                              as_json=Jsonb, as_bool=bool)
                inserted = self.db.execute(_UPSERT, [
                    outlet, article_id, record.get("duplicate_of"),
                    *(values[c] for c in _VERSION_COLUMNS), 1, fetched_at]).fetchone()
                revision = inserted[0] if inserted else None
            if revision is None:  # the stored version already has this content
                count = self._row(
                    "UPDATE articles SET last_checked_at=%s WHERE outlet=%s AND article_id=%s "
                    "RETURNING revision_count", (checked_at, *key))[0]
                result = StoreResult("unchanged", count)
            else:
                self.db.execute(
                    "INSERT INTO revisions (outlet, article_id, revision, content_hash, "
                    "updated_at, fetched_at, record) VALUES (%s, %s, %s, %s, %s, %s, %s::json)",
                    (*key, revision, digest, record.get("updated_at"), fetched_at, line))
                result = StoreResult("new" if revision == 1 else "revised", revision)
            self._touch_fetch(record, digest)
        except psycopg.Error as exc:
            raise self._write_failed(exc) from None
        self._pending += 1
        self.maybe_commit()
        return result

    # -- fetch state and discovery ------------------------------------------------
    @_reading
    def record_fetch(self, url: str, *, status: int, fetched_at: str, etag: str | None = None,
                     last_modified: str | None = None, article_id: str | None = None,
                     outlet: str | None = None) -> None:
        """What one fetch of ``url`` answered (any page; articles get their hash later).

        A 304 answer to a revisit is a check: the story's ``last_checked_at`` moves on.
        """
        etag, last_modified = without_nul(etag), without_nul(last_modified)
        try:
            outlets: list[str] = []
            if status == 304 and article_id:
                outlets = [outlet] if outlet else [r[0] for r in self.db.execute(
                    "SELECT outlet FROM articles WHERE article_id=%s", (article_id,))]
            self._lock([_url_key(url), *(_story_key(o, article_id or "") for o in outlets)])
            if outlets:
                self.db.execute("UPDATE articles SET last_checked_at=%s WHERE article_id=%s "
                                "AND outlet = ANY(%s)", (fetched_at, article_id, outlets))
            self.db.execute(_placeholders(SQL.RECORD_FETCH),
                            (url, etag, last_modified, status, fetched_at))
            if article_id:
                self.db.execute(_placeholders(SQL.SET_FETCH_ARTICLE), (article_id, url))
        except psycopg.Error as exc:
            raise self._write_failed(exc) from None
        self.maybe_commit()

    @_reading
    def mark_not_article(self, url: str, article_id: str | None, reason: str) -> None:
        """Remember a page that is no article (a video, a gallery), so it is not fetched again."""
        try:
            self._lock([_url_key(url)])
            self.db.execute(_placeholders(SQL.MARK_NOT_ARTICLE), (url, article_id, reason))
        except psycopg.Error as exc:
            raise self._write_failed(exc) from None
        self.maybe_commit()

    def _days_since(self, column: str) -> str:
        return f"(extract(epoch FROM newscrawl_time(?) - newscrawl_time({column})) / 86400)"

    @_reading
    def last_high_water(self, outlet: str, having: str | None = None) -> str | None:
        """The newest time the listings showed in the runs that finished, or None.

        Site time, not this machine's: a listing's dates compare with it whatever the clocks.
        With ``having``, only runs whose stats count that key (``newscrawl/pages/section``:
        the last run that walked the sections).
        """
        if having is None:
            return self._row(_placeholders(SQL.HIGH_WATER), (outlet,))[0]
        return self._row(_placeholders(SQL.HIGH_WATER + " AND (stats->>?)::numeric > 0"),
                         (outlet, having))[0]

    @_reading
    def fetch_state(self, url: str) -> dict[str, Any] | None:
        with self.db.cursor(row_factory=dict_row) as cur:
            return cur.execute("SELECT * FROM fetch_state WHERE url=%s", (url,)).fetchone()

    @_reading
    def record_discovery(self, url: str, via: str | None, seen_at: str,
                         article_id: str | None = None) -> None:
        try:
            self._lock([_url_key(url)])
            self.db.execute(_placeholders(SQL.RECORD_DISCOVERY),
                            (url, article_id, via, seen_at, via, seen_at))
        except psycopg.Error as exc:
            raise self._write_failed(exc) from None
        self.maybe_commit()

    # -- near-duplicates ------------------------------------------------------------
    @_reading
    def find_original(self, outlet: str, article_id: str, published_at: str | None,
                      body_digest: str | None, signature: Signature | None) -> str | None:
        """The id of the story this one copies (exactly or nearly), or None.

        Of two copies, the one published first is the original; a copy of a copy points at
        the first original. When this story turns out to be older than a stored match, the
        match and its copies are re-pointed at this one. (Across workers, a story is compared
        with what the others have committed.)
        """
        matches: set[str] = set()
        if body_digest:
            matches.update(r[0] for r in self.db.execute(_placeholders(SQL.SAME_BODY),
                                                         (body_digest, outlet, article_id)))
        if signature is not None:
            candidates = self.db.execute(
                "SELECT article_id, signature FROM fingerprints WHERE outlet=%s AND "
                "article_id<>%s AND article_id IN (SELECT article_id FROM fingerprint_bands "
                "WHERE bucket = ANY(%s) AND outlet=%s)",
                (outlet, article_id, signature.bands(), outlet)).fetchall()
            matches.update(aid for aid, blob in candidates
                           if signature.jaccard(Signature.from_bytes(blob)) >= NEAR_DUPLICATE_JACCARD)
        if not matches:
            return None
        # Roots of the matches, with their publication times, from the stored rows.
        roots: dict[str, str | None] = {
            root: published for root, published in self.db.execute(
                "SELECT coalesce(a.duplicate_of, a.article_id), r.published_at FROM articles a "
                "LEFT JOIN articles r ON r.outlet=a.outlet AND "
                "r.article_id=coalesce(a.duplicate_of, a.article_id) "
                "WHERE a.outlet=%s AND a.article_id = ANY(%s)", (outlet, sorted(matches)))}
        roots.pop(article_id, None)
        if not roots:
            return None
        oldest = min(roots, key=lambda aid: (roots[aid] or "", aid))
        if (published_at or "", article_id) < (roots[oldest] or "", oldest):
            # This story is the original: its earlier-stored copies now point at it.
            try:
                copies = [r[0] for r in self.db.execute(
                    "SELECT article_id FROM articles WHERE outlet=%s AND (article_id = ANY(%s) "
                    "OR duplicate_of = ANY(%s))", (outlet, list(roots), list(roots)))]
                self._lock([_story_key(outlet, aid) for aid in copies])
                self.db.execute("UPDATE articles SET duplicate_of=%s WHERE outlet=%s AND "
                                "article_id = ANY(%s)", (article_id, outlet, copies))
            except psycopg.Error as exc:
                raise self._write_failed(exc) from None
            return None
        return oldest

    def _storable(self, text: str) -> str:
        return without_nul(text)

    def _set_duplicate_of(self, outlet: str, article_id: str, original: str) -> None:
        try:
            self._begin()
            self._lock([_story_key(outlet, article_id)])
            self.db.execute(_placeholders(SQL.SET_DUPLICATE_OF), (original, outlet, article_id))
        except psycopg.Error as exc:
            raise self._write_failed(exc) from None

    @_reading
    def add_fingerprint(self, outlet: str, article_id: str, published_at: str | None,
                        signature: Signature) -> None:
        key = (outlet, article_id)
        try:
            self._lock([_story_key(outlet, article_id)])
            old = self.db.execute(_placeholders(SQL.OLD_SIGNATURE), key).fetchone()
            if old is not None:
                self.db.execute("DELETE FROM fingerprint_bands WHERE outlet=%s AND article_id=%s "
                                "AND bucket = ANY(%s)",
                                (*key, Signature.from_bytes(old[0]).bands()))
            self.db.execute(
                "INSERT INTO fingerprints VALUES (%s, %s, %s, %s) ON CONFLICT (outlet, article_id)"
                " DO UPDATE SET published_at=excluded.published_at, signature=excluded.signature",
                (*key, published_at, signature.to_bytes()))
            self.db.execute("INSERT INTO fingerprint_bands SELECT b, %s, %s FROM "
                            "unnest(%s::bigint[]) AS b ON CONFLICT DO NOTHING",
                            (*key, signature.bands()))
        except psycopg.Error as exc:
            raise self._write_failed(exc) from None

    # -- runs ---------------------------------------------------------------------------
    @_reading
    def begin_run(self, outlet: str, arguments: Mapping[str, Any]) -> int:
        self.commit()
        try:  # outside any batch: the run is on record at once
            row = self._row(
                "INSERT INTO runs (outlet, started_at, arguments) VALUES (%s, %s, %s::jsonb) "
                "RETURNING id", (outlet, base.utc_now(),
                                 json.dumps(without_nul(dict(arguments)), default=str)))
        except psycopg.Error as exc:
            raise StoreError(f"cannot write the archive {self.location}: {one_line(exc, first_line=True)}") from None
        return int(row[0])

    @_reading
    def end_run(self, run_id: int, *, reason: str, stats: Mapping[str, Any],
                field_coverage: Mapping[str, float], counts: Mapping[str, int],
                high_water: str | None = None) -> None:
        self.commit()
        try:
            self.db.execute(
                "UPDATE runs SET finished_at=%s, finish_reason=%s, stats=%s::jsonb, "
                "field_coverage=%s::jsonb, new_articles=%s, new_revisions=%s, unchanged=%s, "
                "high_water=%s WHERE id=%s",
                (base.utc_now(), reason, json.dumps(without_nul(dict(stats)), default=str),
                 json.dumps(dict(field_coverage)), counts.get("new", 0), counts.get("revised", 0),
                 counts.get("unchanged", 0), high_water, run_id))
        except psycopg.Error as exc:
            raise StoreError(f"cannot write the archive {self.location}: {one_line(exc, first_line=True)}") from None

    # -- reading --------------------------------------------------------------------------
    @_reading
    def article(self, outlet: str, article_id: str) -> dict[str, Any] | None:
        rows = list(self.iter_articles("outlet=? AND article_id=?", (outlet, article_id)))
        return rows[0] if rows else None

    @_reading
    def iter_articles(self, where: str = "TRUE", params: tuple[Any, ...] = (),
                      order: str = "published_at NULLS FIRST, article_id"
                      ) -> Iterator[dict[str, Any]]:
        """Rows of ``articles`` as Python values; ``where`` may use ``?`` placeholders.

        Read through a server-side cursor, so an archive of any size streams.
        """
        where = "TRUE" if where.strip() == "1" else where
        query = (f"SELECT {_SELECT_ARTICLES} FROM articles WHERE {_placeholders(where)} "
                 f"ORDER BY {order}")
        with self.db.cursor(name=f"articles_{id(self)}_{time.monotonic_ns()}", withhold=True,
                            row_factory=dict_row) as cur:
            cur.itersize = 200
            yield from cur.execute(query, params)

    @_reading
    def revisions(self, outlet: str, article_id: str) -> list[dict[str, Any]]:
        with self.db.cursor(row_factory=dict_row) as cur:
            return cur.execute("SELECT revision, content_hash, updated_at, fetched_at, record "
                               "FROM revisions WHERE outlet=%s AND article_id=%s ORDER BY revision",
                               (outlet, article_id)).fetchall()

    @_reading
    def count(self, table: str) -> int:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        return int(self._row(query)[0])
