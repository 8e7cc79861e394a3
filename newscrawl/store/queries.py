"""Reading the archive for people: full-text search, research extracts, coverage statistics.

Plain SQL over the documented schema (docs/archive.md), so what these commands print can be
reproduced with sqlite3, datasette, psql or pandas. Every function takes the connection
``connect`` returns, to a SQLite file or a PostgreSQL database, and answers the same way on
both; search uses FTS5 on SQLite and the ``search_vector`` column on PostgreSQL.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.messages import mask_password, one_line
from newscrawl.store.base import JSON_FIELDS, StoreError
from newscrawl.store.postgres import ARTICLE_COLUMNS, is_postgres_url
from newscrawl.store.sqlite import decode_row

if TYPE_CHECKING:
    import psycopg

    Connection = sqlite3.Connection | psycopg.Connection

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
#: Columns of an extract, in order (the Article fields plus what the archive knows).
EXPORT_COLUMNS = ("article_id", "url", "fetched_url", "outlet", "kind", "headline",
                  "social_headline", "subheadline", "summary", "authors", "published_at",
                  "published_raw", "updated_at", "updated_raw", "section", "section_path",
                  "topics", "body", "images", "language", "word_count", "is_paywalled",
                  "is_truncated", "is_sponsored", "duplicate_of", "revision_count",
                  "first_fetched_at", "fetched_at", "last_checked_at", "parser_version",
                  "discovered_via", "content_hash")
#: Fields whose fill rate ``newscrawl stats`` reports.
COVERAGE_FIELDS = ("url", "article_id", "kind", "headline", "social_headline", "subheadline",
                   "summary", "authors", "published_at", "updated_at", "section", "topics",
                   "body", "images", "language", "duplicate_of")


def connect(path: str | Path) -> Connection:
    """Open an existing archive read-only: a SQLite file, or a ``postgresql://`` URL (given as
    a string); a missing or broken archive is a one-line StoreError."""
    if is_postgres_url(path):
        return _connect_postgres(str(path))
    path = Path(path)
    if not path.exists():
        raise StoreError(f"no archive at {path} (crawl first, or give --data-dir)")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.execute("SELECT count(*) FROM articles").fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the archive {path}: {exc}") from None
    return db


def _connect_postgres(url: str) -> psycopg.Connection:
    import psycopg

    from newscrawl.store.postgres import connect as connect_postgres

    try:
        db = connect_postgres(url, read_only=True)
    except psycopg.Error as exc:
        raise StoreError(f"cannot read the archive {mask_password(url)}: {one_line(exc, first_line=True)}") from None
    if _first(db, "SELECT to_regclass('articles')")[0] is None:
        db.close()
        raise StoreError(f"no archive in {mask_password(url)} (crawl into it first)")
    return db


def _first(db: Connection, query: str) -> Any:
    """The first row of a query that always returns one (an aggregate)."""
    return db.execute(query).fetchone()


@dataclass(frozen=True)
class Hit:
    article_id: str
    published_at: str | None
    headline: str | None
    url: str
    snippet: str


def search(db: Connection, query: str, limit: int = 20) -> list[Hit]:
    """Best matches first (BM25, headline weighted above summary above body).

    The query is FTS5 syntax ("hong kong" AND housing, "exact phrase", pref*); text that is
    not valid syntax is searched as plain words. On PostgreSQL the same syntax is translated
    to a tsquery (English stemming), ranked by ``ts_rank`` with the same weights.
    """
    if not isinstance(db, sqlite3.Connection):
        return _search_postgres(db, query, limit)
    sql = ("SELECT a.article_id, a.published_at, a.headline, a.url, "
           "snippet(articles_fts, 2, '[', ']', '…', 12) FROM articles_fts "
           "JOIN articles a ON a.id = articles_fts.rowid WHERE articles_fts MATCH ? "
           "ORDER BY bm25(articles_fts, 10.0, 4.0, 1.0) LIMIT ?")
    try:
        rows = db.execute(sql, (query, limit)).fetchall()
    except sqlite3.OperationalError:
        words = " ".join('"' + w.replace('"', '""') + '"' for w in query.split())
        if not words:
            return []
        rows = db.execute(sql, (words, limit)).fetchall()
    return [Hit(*row) for row in rows]


# An FTS5 query's parts: "phrases", parentheses, and words (operators and prefix* included).
_FTS5_TOKEN = re.compile(r'"[^"]*"?|[()]|[^\s()"]+')
# ts_rank's weights for D, C, B, A: body 1, summary 4, headline 10, as bm25() is given.
_RANK = "ts_rank('{0.1, 0.1, 0.4, 1.0}', a.search_vector, q.query, 1)"
_SNIPPET = ("'StartSel=[, StopSel=], MaxWords=12, MinWords=4, MaxFragments=1, "
            "FragmentDelimiter=…'")


def tsquery_from_fts5(query: str) -> str:
    """An FTS5 query (AND, OR, NOT, "phrases", prefix*, parentheses) in to_tsquery syntax.

    Each word or phrase becomes a quoted lexeme that PostgreSQL's parser normalises (a phrase
    or a hyphenated word becomes a <-> sequence); words side by side are ANDed, as in FTS5.
    """
    out: list[str] = []
    for token in _FTS5_TOKEN.findall(query):
        operator = {"AND": "&", "OR": "|", "NOT": "& !"}.get(token)
        if operator:
            out.append(operator)
            continue
        if token in "()":
            term = token
        else:
            prefix = not token.startswith('"') and token.endswith("*")
            text = token.strip('"').rstrip("*") if prefix else token.strip('"')
            if not text.strip():
                continue
            term = "'" + text.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if prefix else "")
        if out and out[-1] not in ("&", "|", "& !", "(") and term != ")":
            out.append("&")  # words side by side
        out.append(term)
    return " ".join(out)


def _search_postgres(db: psycopg.Connection, query: str, limit: int) -> list[Hit]:
    import psycopg

    sql = ("WITH q AS (SELECT PARSE('english', %s) AS query), "
           f"hits AS (SELECT a.id, {_RANK} AS rank FROM articles a, q "
           "WHERE a.search_vector @@ q.query ORDER BY rank DESC, a.id LIMIT %s) "
           "SELECT a.article_id, a.published_at, a.headline, a.url, "
           # The snippet is cut from the start of the body: a megabyte is slow to mark up.
           f"ts_headline('english', left(a.body, 100000), q.query, {_SNIPPET}) "
           "FROM hits JOIN articles a USING (id), q ORDER BY hits.rank DESC, a.id")
    try:
        rows = db.execute(sql.replace("PARSE", "to_tsquery"), (tsquery_from_fts5(query), limit))
    except psycopg.errors.SyntaxError:
        # Not FTS5 syntax: plain words (websearch_to_tsquery accepts any text).
        words = " ".join('"' + w.replace('"', " ") + '"' for w in query.split())
        if not words:
            return []
        rows = db.execute(sql.replace("PARSE", "websearch_to_tsquery"), (words, limit))
    return [Hit(*row) for row in rows.fetchall()]


def select_articles(db: Connection, *, since: str | None = None,
                    until: str | None = None, section: str | None = None) -> Iterator[dict[str, Any]]:
    """Articles published in [since, until) whose section path starts with ``section``."""
    if not isinstance(db, sqlite3.Connection):
        yield from _select_postgres(db, since=since, until=until, section=section)
        return
    where, params = ["1"], []
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
    cur = db.execute(f"SELECT * FROM articles WHERE {' AND '.join(where)} "
                     "ORDER BY published_at, article_id", params)
    names = [c[0] for c in cur.description]
    for row in cur:
        yield decode_row(dict(zip(names, row, strict=True)))


def _select_postgres(db: psycopg.Connection, *, since: str | None, until: str | None,
                     section: str | None) -> Iterator[dict[str, Any]]:
    # The same filters as for SQLite; jsonb and boolean columns arrive as Python values.
    from psycopg.rows import dict_row

    where, params = ["TRUE"], []
    if since:
        where.append("published_at >= %s")
        params.append(since)
    if until:
        where.append("published_at < %s")
        params.append(until)
    if section:
        names = [part.strip() for part in section.replace(">", "/").split("/") if part.strip()]
        where.append("(lower(section_path) = %s OR lower(section_path) LIKE %s ESCAPE '\\')")
        path = " > ".join(names).lower()
        params += [path, path.replace("%", "\\%").replace("_", "\\_") + " > %"]
    # A server-side cursor in a read-only transaction: an extract of any size streams.
    with db.transaction(), db.cursor(name="newscrawl_export", row_factory=dict_row) as cur:
        cur.itersize = 500
        yield from cur.execute(
            f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles WHERE {' AND '.join(where)} "
            "ORDER BY published_at NULLS FIRST, article_id", params)


def export(rows: Iterator[dict[str, Any]], fmt: str, out: Path) -> int:
    """Write ``rows`` to ``out`` as JSON Lines, CSV (lists as JSON) or Parquet; return count."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    records = ({name: row.get(name) for name in EXPORT_COLUMNS} for row in rows)
    count = 0
    if fmt == "jsonl":
        with out.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    elif fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            for record in records:
                writer.writerow({k: json.dumps(v, ensure_ascii=False) if k in JSON_FIELDS else v
                                 for k, v in record.items()})
                count += 1
    else:
        count = _write_parquet(records, out)
    return count


def _write_parquet(records: Iterator[dict[str, Any]], out: Path, batch: int = 2000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    image = pa.struct([("url", pa.string()), ("caption", pa.string()), ("credit", pa.string())])
    types = {"subheadline": pa.list_(pa.string()), "authors": pa.list_(pa.string()),
             "section": pa.list_(pa.string()), "topics": pa.list_(pa.string()),
             "images": pa.list_(image), "word_count": pa.int64(), "revision_count": pa.int64(),
             "is_paywalled": pa.bool_(), "is_truncated": pa.bool_(), "is_sponsored": pa.bool_()}
    schema = pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_COLUMNS])
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        chunk: list[dict[str, Any]] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= batch:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                count += len(chunk)
                chunk = []
        if chunk or count == 0:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            count += len(chunk)
    return count


def coverage_report(db: Connection) -> str:
    """Counts by day and by section, and the fill rate of every field, as a text table."""
    # The same SQL on both: SQLite sorts NULL first, PostgreSQL is told to.
    nulls_first = "" if isinstance(db, sqlite3.Connection) else " NULLS FIRST"
    total = _first(db, "SELECT count(*) FROM articles")[0]
    revisions = _first(db, "SELECT count(*) FROM revisions")[0]
    copies = _first(db, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")[0]
    runs = _first(db, "SELECT count(*), max(finished_at) FROM runs")
    lines = [f"{total} articles, {revisions} revisions, {copies} linked near-duplicates, "
             f"{runs[0]} runs (last finished {runs[1] or 'never'})", "", "articles by day:"]
    for day, n in db.execute("SELECT substr(published_at, 1, 10) AS day, count(*) FROM articles "
                             f"GROUP BY day ORDER BY day{nulls_first}"):
        lines.append(f"  {day or '(no date)':<34} {n:>7}")
    lines += ["", "articles by section:"]
    for section, n in db.execute("SELECT section_path, count(*) FROM articles GROUP BY "
                                 "section_path ORDER BY count(*) DESC, section_path"):
        lines.append(f"  {section or '(none)':<34} {n:>7}")
    lines += ["", "field fill rate:"]
    for name in COVERAGE_FIELDS:
        empty = "'[]'" if name in JSON_FIELDS else "''"
        filled = _first(db, f"SELECT count(*) FROM articles WHERE {name} IS NOT NULL "
                            f"AND {name} <> {empty}")[0]
        lines.append(f"  {name:<34} {filled / total if total else 0:>7.1%}")
    return "\n".join(lines)
