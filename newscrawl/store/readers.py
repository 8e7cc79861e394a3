"""Opening an archive to read it, and reading its articles: the same answers from a SQLite
file and a PostgreSQL database (the readers of ``newscrawl search``, ``export`` and ``stats``).

Plain SQL over the documented schema (docs/archive.md), so what these commands print can be
reproduced with sqlite3, datasette, psql or pandas.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.messages import mask_password, one_line
from newscrawl.store.base import StoreError
from newscrawl.store.postgres import ARTICLE_COLUMNS, is_postgres_url, placeholders
from newscrawl.store.sqlite import decode_row

if TYPE_CHECKING:
    import psycopg

    Connection = sqlite3.Connection | psycopg.Connection

__all__ = ["Connection", "connect", "first", "select_articles", "select_revisions"]


def connect(path: str | Path) -> Connection:
    """Open an existing archive read-only: a SQLite file, or a ``postgresql://`` URL (given as
    a string); a missing or broken archive is a one-line StoreError."""
    if is_postgres_url(path):
        return _connect_postgres(str(path))
    path = Path(path)
    if not path.exists():
        raise StoreError(f"no archive at {path} (crawl first, or give --data-dir)")
    try:
        return _open_sqlite(path, "mode=ro")
    except sqlite3.Error as exc:
        # On read-only media (a mounted snapshot, a DVD) SQLite cannot make the WAL's
        # shared-memory file beside the archive, and nothing can change the file: it is
        # read as immutable.
        if not isinstance(exc, sqlite3.OperationalError) or os.access(path.parent, os.W_OK):
            raise StoreError(f"cannot read the archive {path}: {exc}") from None
    try:
        return _open_sqlite(path, "immutable=1")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the archive {path}: {exc}") from None


def _open_sqlite(path: Path, mode: str) -> sqlite3.Connection:
    """The archive opened by URI with ``mode`` and read once (a file that is no archive, or
    is damaged, fails here rather than at the first query)."""
    db = sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True)
    try:
        db.execute("SELECT count(*) FROM articles").fetchone()
    except sqlite3.Error:
        db.close()
        raise
    return db


def _connect_postgres(url: str) -> psycopg.Connection:
    import psycopg

    from newscrawl.store.postgres import connect as connect_postgres

    try:
        db = connect_postgres(url, read_only=True)
    except psycopg.Error as exc:
        raise StoreError(f"cannot read the archive {mask_password(url)}: {one_line(exc, first_line=True)}") from None
    if first(db, "SELECT to_regclass('articles')")[0] is None:
        db.close()
        raise StoreError(f"no archive in {mask_password(url)} (crawl into it first)")
    return db


def first(db: Connection, query: str) -> Any:
    """The first row of a query that always returns one (an aggregate)."""
    return db.execute(query).fetchone()


def select_articles(db: Connection, *, since: str | None = None,
                    until: str | None = None, section: str | None = None) -> Iterator[dict[str, Any]]:
    """Articles published in [since, until) whose section path starts with ``section``."""
    where, params = _filters(since, until, section)
    if not isinstance(db, sqlite3.Connection):
        yield from _select_postgres(db, placeholders(where), params)
        return
    cur = db.execute(f"SELECT * FROM articles WHERE {where} ORDER BY published_at, article_id",
                     params)
    names = [c[0] for c in cur.description]
    for row in cur:
        yield decode_row(dict(zip(names, row, strict=True)))


def _filters(since: str | None, until: str | None,
             section: str | None) -> tuple[str, list[str]]:
    """The WHERE clause (``?`` placeholders) and parameters of an extract's filters."""
    where, params = ["1=1"], []
    if since:
        where.append("published_at >= ?")
        params.append(since)
    if until:
        where.append("published_at < ?")
        params.append(until)
    if section:
        # "news/china" or "News > China" both select News > China and its subsections.
        names = [part.strip() for part in section.replace(">", "/").split("/") if part.strip()]
        where.append("(lower(section_path) = ? OR lower(section_path) LIKE ? ESCAPE '\\')")
        path = " > ".join(names).lower()
        params += [path, path.replace("%", "\\%").replace("_", "\\_") + " > %"]
    return " AND ".join(f"({w})" for w in where), params


def _select_postgres(db: psycopg.Connection, where: str,
                     params: list[str]) -> Iterator[dict[str, Any]]:
    # jsonb and boolean columns arrive as Python values.
    from psycopg.rows import dict_row

    # A server-side cursor in a read-only transaction: an extract of any size streams.
    with db.transaction(), db.cursor(name="newscrawl_export", row_factory=dict_row) as cur:
        cur.itersize = 500
        yield from cur.execute(
            f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles WHERE {where} "
            "ORDER BY published_at NULLS FIRST, article_id", params)


_REVISIONS = ("SELECT outlet, article_id, revision, fetched_at, record FROM revisions "
              "ORDER BY outlet, article_id, revision")


def select_revisions(db: Connection) -> Iterator[tuple[str, str, int, str, dict[str, Any]]]:
    """Every stored version of every story, by story and revision: ``(outlet, article_id,
    revision, fetched_at, record)``, the record (the whole Article) as a dict."""
    if isinstance(db, sqlite3.Connection):
        for outlet, article_id, revision, fetched_at, record in db.execute(_REVISIONS):
            yield outlet, article_id, revision, fetched_at, json.loads(record)
        return
    with db.transaction(), db.cursor(name="newscrawl_revisions") as cur:
        cur.itersize = 500
        for outlet, article_id, revision, fetched_at, record in cur.execute(_REVISIONS):
            yield (outlet, article_id, revision, fetched_at,
                   record if isinstance(record, dict) else json.loads(record))
