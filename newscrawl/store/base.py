"""What the SQLite and the PostgreSQL archive share: the record's columns, the SQL both run,
and the methods whose logic is the same in both.

Statements are written once, with SQLite's ``?`` placeholders; each archive runs them through
its ``_sql`` (PostgreSQL's turns them into ``%s``). How a write is guarded differs (SQLite: one
writer, ``BEGIN IMMEDIATE``; PostgreSQL: advisory locks, and a failed statement rolls the batch
back), so each archive keeps its own write methods around the shared statements.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from newscrawl.records.fingerprints import Signature, body_hash

SCHEMA_VERSION = "1"
JSON_FIELDS = ("subheadline", "authors", "section", "topics", "images", "field_sources")
BOOL_FIELDS = ("is_paywalled", "is_truncated", "is_sponsored")
#: Article record fields stored as columns of ``articles`` under the same name.
RECORD_COLUMNS = ("outlet", "article_id", "kind", "headline", "social_headline", "subheadline",
                  "summary", "authors", "published_at", "published_raw", "updated_at",
                  "updated_raw", "section", "topics", "body", "images", "language",
                  "word_count", "is_paywalled", "is_truncated", "is_sponsored", "http_status",
                  "discovered_via", "parser_version", "field_sources", "duplicate_of")


class RevisitCondition(Protocol):
    """A revisit rule that can say itself in SQL (``newscrawl.spiders.admission.RevisitRule``):
    ``days_since(column)`` renders the days from a ``?`` bound to ``now`` back to a column."""

    def sql(self, days_since: Callable[[str], str], now: str) -> tuple[str, tuple[Any, ...]]: ...


class StoreError(Exception):
    """The archive cannot be opened or written; the message is one line for the user."""


@dataclass(frozen=True)
class StoreResult:
    status: str  # "new", "revised" or "unchanged"
    revision: int


@dataclass(frozen=True)
class ArticleState:
    published_at: str | None
    updated_at: str | None
    last_checked_at: str
    url: str | None = None  # the canonical URL of the stored version


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def version_columns(record: Mapping[str, Any], digest: str, fetched_at: str, checked_at: str, *,
                    as_json: Callable[[Any], Any], as_bool: Callable[[Any], Any]) -> dict[str, Any]:
    """The ``articles`` columns of one version of a story, lists and flags as the store keeps
    them (``as_json``, ``as_bool``)."""
    values: dict[str, Any] = {}
    for name in RECORD_COLUMNS:
        value = record.get(name)
        if name in JSON_FIELDS:
            value = as_json(value if value is not None else
                            ([] if name != "field_sources" else {}))
        elif name in BOOL_FIELDS:
            value = as_bool(bool(value))
        values[name] = value
    values.update(section_path=" > ".join(record.get("section") or []),
                  url=record.get("canonical_url") or record.get("url"),
                  fetched_url=record.get("url"), content_hash=digest,
                  body_hash=body_hash(record.get("body") or ""), fetched_at=fetched_at,
                  last_checked_at=checked_at)
    return values


def record_line(record: Mapping[str, Any]) -> str:
    """A record as one line of JSON, as revisions and the journal keep it."""
    return json.dumps(dict(record), ensure_ascii=False, separators=(",", ":"))


class SQL:
    """The statements both archives run."""

    STORED_VERSION = ("SELECT content_hash, revision_count FROM articles WHERE outlet=? AND "
                      "article_id=?")
    # A stored article's page: its hash, and the status and time of the fetch that stored it
    # unless record_fetch has said already.
    TOUCH_FETCH = (
        "INSERT INTO fetch_state (url, article_id, last_status, last_fetched_at, content_hash,"
        " fetch_count) VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (url) DO UPDATE SET "
        "article_id=excluded.article_id, content_hash=excluded.content_hash, "
        "last_status=coalesce(fetch_state.last_status, excluded.last_status), "
        "last_fetched_at=coalesce(fetch_state.last_fetched_at, excluded.last_fetched_at)")
    RECORD_FETCH = (
        "INSERT INTO fetch_state (url, etag, last_modified, last_status, last_fetched_at,"
        " fetch_count) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (url) DO UPDATE SET "
        "etag=coalesce(excluded.etag, fetch_state.etag), "
        "last_modified=coalesce(excluded.last_modified, fetch_state.last_modified), "
        "last_status=excluded.last_status, last_fetched_at=excluded.last_fetched_at, "
        "fetch_count=fetch_state.fetch_count + 1")
    SET_FETCH_ARTICLE = "UPDATE fetch_state SET article_id=? WHERE url=?"
    MARK_NOT_ARTICLE = (
        "INSERT INTO fetch_state (url, article_id, not_article) VALUES (?, ?, ?) "
        "ON CONFLICT (url) DO UPDATE SET not_article=excluded.not_article, "
        "article_id=coalesce(excluded.article_id, fetch_state.article_id)")
    RECORD_DISCOVERY = (
        "INSERT INTO discovery (url, article_id, first_via, first_seen_at, last_via, "
        "last_seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
        "last_via=excluded.last_via, last_seen_at=excluded.last_seen_at, "
        "article_id=coalesce(excluded.article_id, discovery.article_id), "
        "times_seen=discovery.times_seen + 1")
    SAME_BODY = "SELECT article_id FROM articles WHERE body_hash=? AND outlet=? AND article_id<>?"
    OLD_SIGNATURE = "SELECT signature FROM fingerprints WHERE outlet=? AND article_id=?"
    SET_DUPLICATE_OF = "UPDATE articles SET duplicate_of=? WHERE outlet=? AND article_id=?"
    HIGH_WATER = "SELECT max(high_water) FROM runs WHERE outlet=? AND finish_reason='finished'"


class ArchiveBase:
    """The methods whose logic both archives share; ``db`` is a DB-API connection."""

    db: Any

    @staticmethod
    def _sql(statement: str) -> str:
        """``statement`` in this database's placeholder style."""
        return statement

    def _storable(self, text: str) -> str:
        """``text`` as this database can hold it."""
        return text

    def _set_duplicate_of(self, outlet: str, article_id: str, original: str) -> None:
        raise NotImplementedError

    def find_original(self, outlet: str, article_id: str, published_at: str | None,
                      body_digest: str | None, signature: Signature | None) -> str | None:
        raise NotImplementedError

    def add_fingerprint(self, outlet: str, article_id: str, published_at: str | None,
                        signature: Signature) -> None:
        raise NotImplementedError

    def _touch_fetch(self, record: Mapping[str, Any], digest: str) -> None:
        url = record.get("url")
        if not url:
            return
        self.db.execute(self._sql(SQL.TOUCH_FETCH), (url, record.get("article_id"),
                                                 record.get("http_status"),
                                                 record.get("fetched_at"), digest))

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

    def _days_since(self, column: str) -> str:
        """SQL for the days from a ``?`` time back to ``column`` (both ISO 8601 UTC text)."""
        raise NotImplementedError

    def due_for_revisit(self, outlet: str, now: str,
                        rule: RevisitCondition) -> Iterator[tuple[str, str]]:
        """(article_id, url) of the stories ``rule`` finds due for a check at ``now``,
        freshest first."""
        condition, params = rule.sql(self._days_since, now)
        return iter(self.db.execute(self._sql(
            f"SELECT article_id, url FROM articles WHERE outlet=? AND {condition} "
            "ORDER BY published_at DESC NULLS LAST"), (outlet, *params)).fetchall())

    def article_state(self, outlet: str, article_id: str) -> ArticleState | None:
        """What the archive knows of a story's freshness, or None when it has never stored it."""
        row = self.db.execute(self._sql(
            "SELECT published_at, updated_at, last_checked_at, url FROM articles WHERE outlet=? "
            "AND article_id=?"), (outlet, article_id)).fetchone()
        return ArticleState(*row) if row else None

    # -- near-duplicates ------------------------------------------------------------
    def link_duplicates(self, record: Mapping[str, Any]) -> str | None:
        """Index this story's body and return the id of the story it copies, if any."""
        outlet, article_id = record.get("outlet") or "", record.get("article_id") or ""
        body = self._storable(record.get("body") or "")
        signature = Signature.of(body)
        original = self.find_original(outlet, article_id, record.get("published_at"),
                                      body_hash(body), signature)
        if signature is not None:
            self.add_fingerprint(outlet, article_id, record.get("published_at"), signature)
        return original

    def relink(self, outlet: str, article_id: str) -> str | None:
        """Look for the original of a stored story again, against everything committed now.

        Workers storing a copy and its original at the same moment cannot see each other's
        uncommitted rows; each worker relinks its unlinked stories after its last commit, so
        the later of the two always finds the pair.
        """
        row = self.db.execute(self._sql(
            "SELECT a.published_at, a.body_hash, f.signature FROM articles a LEFT JOIN "
            "fingerprints f ON f.outlet=a.outlet AND f.article_id=a.article_id WHERE "
            "a.outlet=? AND a.article_id=? AND a.duplicate_of IS NULL"),
            (outlet, article_id)).fetchone()
        if row is None:
            return None
        signature = Signature.from_bytes(bytes(row[2])) if row[2] else None
        original = self.find_original(outlet, article_id, row[0], row[1], signature)
        if original:
            self._set_duplicate_of(outlet, article_id, original)
        return original
