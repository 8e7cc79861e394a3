"""The record's columns and the SQL both archives run, written once with SQLite's ``?``
placeholders (each archive's ``_sql`` puts them in its own style)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from newscrawl.records.fingerprints import body_hash

SCHEMA_VERSION = "1"
JSON_FIELDS = ("subheadline", "authors", "section", "topics", "images", "field_sources")
BOOL_FIELDS = ("is_paywalled", "is_truncated", "is_sponsored")
#: Article record fields stored as columns of ``articles`` under the same name.
RECORD_COLUMNS = ("outlet", "article_id", "kind", "headline", "social_headline", "subheadline",
                  "summary", "authors", "published_at", "published_raw", "updated_at",
                  "updated_raw", "section", "topics", "body", "images", "language",
                  "word_count", "is_paywalled", "is_truncated", "is_sponsored", "http_status",
                  "discovered_via", "parser_version", "field_sources", "duplicate_of")
#: Written by every version; a new version keeps the story's first fetch time and its
#: duplicate link (the de-duplicator's decision, not the page's).
VERSION_COLUMNS = (*(c for c in RECORD_COLUMNS if c not in ("outlet", "article_id",
                                                            "duplicate_of")),
                   "section_path", "url", "fetched_url", "content_hash", "body_hash",
                   "fetched_at", "last_checked_at")
_INSERT_COLUMNS = ("outlet", "article_id", "duplicate_of", *VERSION_COLUMNS, "revision_count",
                   "first_fetched_at")


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
    # A new version replaces the row only when its content differs, and says its revision.
    UPSERT = (
        f"INSERT INTO articles ({', '.join(_INSERT_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)}) "
        "ON CONFLICT (outlet, article_id) DO UPDATE SET "
        + ", ".join(f"{c}=excluded.{c}" for c in VERSION_COLUMNS)
        + ", revision_count=articles.revision_count + 1 "
        "WHERE articles.content_hash <> excluded.content_hash "
        "RETURNING revision_count, first_fetched_at")
    CHECKED = ("UPDATE articles SET last_checked_at=? WHERE outlet=? AND article_id=? "
               "RETURNING revision_count, first_fetched_at")
    ADD_REVISION = ("INSERT INTO revisions (outlet, article_id, revision, content_hash, "
                    "updated_at, fetched_at, record) VALUES (?, ?, ?, ?, ?, ?, {json})")
    PUT_FINGERPRINT = ("INSERT INTO fingerprints VALUES (?, ?, ?, ?) ON CONFLICT (outlet, "
                       "article_id) DO UPDATE SET published_at=excluded.published_at, "
                       "signature=excluded.signature")
    DROP_BAND = "DELETE FROM fingerprint_bands WHERE bucket=? AND outlet=? AND article_id=?"
    ADD_BAND = "INSERT INTO fingerprint_bands VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
    RECORD_FAILURE = (
        "INSERT INTO failures (outlet, article_id, url, reason, first_failed_at, "
        "last_failed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (outlet, article_id) DO UPDATE "
        "SET url=excluded.url, reason=excluded.reason, last_failed_at=excluded.last_failed_at, "
        "attempts=failures.attempts + 1")
    CLEAR_FAILURE = "DELETE FROM failures WHERE outlet=? AND article_id=?"
    MARK_DATED = "INSERT INTO dated VALUES (?, ?) ON CONFLICT (outlet, article_id) DO NOTHING"
    MARK_UNDATED = "DELETE FROM dated WHERE outlet=? AND article_id=?"
    #: Whether the ``articles`` row in hand is dated by an archive sitemap (``dated``).
    DATED = ("EXISTS (SELECT 1 FROM dated WHERE dated.outlet=articles.outlet "
             "AND dated.article_id=articles.article_id)")
    FAILURES = ("SELECT article_id, url, reason, attempts, first_failed_at, last_failed_at "
                "FROM failures WHERE outlet=? AND lost_at IS NULL ORDER BY last_failed_at")
    MARK_LOST = "UPDATE failures SET lost_at=? WHERE outlet=? AND article_id=?"
    BEGIN_RUN = ("INSERT INTO runs (outlet, started_at, arguments) VALUES (?, ?, {json}) "
                 "RETURNING id")
    END_RUN = ("UPDATE runs SET finished_at=?, finish_reason=?, stats={json}, "
               "field_coverage={json}, new_articles=?, new_revisions=?, unchanged=?, "
               "high_water=? WHERE id=?")
    FINISHED_RUNS = ("SELECT id, started_at, finished_at, stats FROM runs WHERE outlet=? "
                     "AND finished_at IS NOT NULL ORDER BY id")
    REMEASURE_RUN = "UPDATE runs SET stats={json}, field_coverage={json} WHERE id=?"


def marks(values: list[Any] | tuple[Any, ...] | set[Any]) -> str:
    """``?, ?, ?``: one placeholder per value, for ``IN (...)``."""
    return ", ".join("?" for _ in values)
