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
import logging
import time
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from newscrawl.messages import mask_password, one_line
from newscrawl.store import base, statements
from newscrawl.store.base import ArchiveBase, StoreError

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
def placeholders(statement: str) -> str:
    """SQLite's ``?`` placeholders (of a shared statement, a caller's WHERE clause) as
    psycopg's ``%s``."""
    return statement.replace("%", "%%").replace("?", "%s")


class PostgresArchive(ArchiveBase):
    """One worker's connection to the shared archive; ``SqliteArchive``'s methods and answers.

    Reads see this worker's uncommitted batch and what the others have committed.
    """

    #: No JSON Lines journal: the revisions table is the record of every version.
    journal_path = None
    _sql = staticmethod(placeholders)
    _json = "?::json"

    @staticmethod
    def _as_json(value: Any) -> Any:
        return Jsonb(value)

    @staticmethod
    def _as_bool(value: bool) -> Any:
        return value

    def __init__(self, url: str, *, commit_items: int = 500, commit_seconds: float = 1.0,
                 connect_timeout: int = 10) -> None:
        self.url = url
        self.location = mask_password(url)
        super().__init__(commit_items=commit_items, commit_seconds=commit_seconds)
        #: How many times a write found a story or URL held by another worker and waited.
        self.lock_waits = 0
        try:
            self.db = connect(url, connect_timeout=connect_timeout)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the archive {self.location}: {one_line(exc, first_line=True)}") from None
        try:
            self._ensure_schema()
            self.renew_signatures()
        except psycopg.Error as exc:
            self.db.close()
            raise StoreError(f"cannot open the archive {self.location}: {one_line(exc, first_line=True)}") from None
        except StoreError:
            self.db.close()
            raise

    def _ensure_schema(self) -> None:
        if self._schema_version() is not None and self._has_newest_table():
            return  # no DDL on a live archive: it would wait for every writer's transaction
        with self.db.transaction():
            # Workers starting together: one creates the tables, the others wait for it.
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            if self._schema_version() is None or not self._has_newest_table():
                self.db.execute(_schema())
                self.db.execute("INSERT INTO meta VALUES ('schema_version', %s) "
                                "ON CONFLICT (key) DO NOTHING", (statements.SCHEMA_VERSION,))

    def _has_newest_table(self) -> bool:
        """Whether the schema has its newest table (an older archive gains it once)."""
        return self._row("SELECT to_regclass('dated')")[0] is not None

    def _schema_version(self) -> str | None:
        if self._row("SELECT to_regclass('meta')")[0] is None:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return row[0] if row else None

    # -- transactions -----------------------------------------------------------
    _errors = (psycopg.Error,)

    def _hold(self, keys: list[base.Key]) -> None:
        self._lock([_lock_key(*key) for key in keys])

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
                        "FROM unnest(?::bigint[]) AS k", (keys,))[0]
        if got:
            return
        self.lock_waits += 1
        self.commit()
        self._begin()
        for key in sorted(set(keys)):
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (key,))

    def _storable(self, value: Any) -> Any:
        if isinstance(value, dict) and "article_id" in value and "\\u0000" in statements.record_line(value):
            log.warning("removed NUL characters from story %s before storing it in PostgreSQL",
                        value.get("article_id"))
        return without_nul(value)

    def _days_since(self, column: str) -> str:
        return f"(extract(epoch FROM newscrawl_time(?) - newscrawl_time({column})) / 86400)"

    def _stats_count(self, key: str) -> tuple[str, str]:
        return "(stats->>?)::numeric > 0", key

    # Every read and write of the shared logic: a lost server is a StoreError.
    maybe_commit = _reading(ArchiveBase.maybe_commit)
    commit = _reading(ArchiveBase.commit)
    store_article = _reading(ArchiveBase.store_article)
    record_fetch = _reading(ArchiveBase.record_fetch)
    mark_not_article = _reading(ArchiveBase.mark_not_article)
    record_discovery = _reading(ArchiveBase.record_discovery)
    fetch_state = _reading(ArchiveBase.fetch_state)
    validators = _reading(ArchiveBase.validators)
    is_known_not_article = _reading(ArchiveBase.is_known_not_article)
    due_for_revisit = _reading(ArchiveBase.due_for_revisit)
    article_state = _reading(ArchiveBase.article_state)
    mark_dated = _reading(ArchiveBase.mark_dated)
    last_high_water = _reading(ArchiveBase.last_high_water)
    link_duplicates = _reading(ArchiveBase.link_duplicates)
    find_original = _reading(ArchiveBase.find_original)
    relink = _reading(ArchiveBase.relink)
    add_fingerprint = _reading(ArchiveBase.add_fingerprint)
    begin_run = _reading(ArchiveBase.begin_run)
    end_run = _reading(ArchiveBase.end_run)
    finished_runs = _reading(ArchiveBase.finished_runs)
    remeasure_run = _reading(ArchiveBase.remeasure_run)
    article = _reading(ArchiveBase.article)
    count = _reading(ArchiveBase.count)

    # -- reading --------------------------------------------------------------------------
    @_reading
    def iter_articles(self, where: str = "1=1", params: tuple[Any, ...] = (),
                      order: str = "published_at NULLS FIRST, article_id"
                      ) -> Iterator[dict[str, Any]]:
        """Rows of ``articles`` as Python values; ``where`` may use ``?`` placeholders.

        Read through a server-side cursor, so an archive of any size streams.
        """
        query = (f"SELECT {_SELECT_ARTICLES} FROM articles WHERE {placeholders(where)} "
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
