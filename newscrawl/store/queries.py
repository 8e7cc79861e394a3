"""Reading the archive for people: full-text search, research extracts, coverage statistics.

Plain SQL over the documented schema (docs/archive.md), so what these commands print can be
reproduced with sqlite3, datasette or pandas.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscrawl.store.sqlite import JSON_FIELDS, StoreError, decode_row

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


def connect(path: str | Path) -> sqlite3.Connection:
    """Open an existing archive read-only; a missing or broken file is a one-line StoreError."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f"no archive at {path} (crawl first, or give --data-dir)")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.execute("SELECT count(*) FROM articles").fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the archive {path}: {exc}") from None
    return db


@dataclass(frozen=True)
class Hit:
    article_id: str
    published_at: str | None
    headline: str | None
    url: str
    snippet: str


def search(db: sqlite3.Connection, query: str, limit: int = 20) -> list[Hit]:
    """Best matches first (BM25, headline weighted above summary above body).

    The query is FTS5 syntax ("hong kong" AND housing, "exact phrase", pref*); text that is
    not valid syntax is searched as plain words.
    """
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


def select_articles(db: sqlite3.Connection, *, since: str | None = None,
                    until: str | None = None, section: str | None = None) -> Iterator[dict[str, Any]]:
    """Articles published in [since, until) whose section path starts with ``section``."""
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
    cur = db.execute(f"SELECT * FROM articles WHERE {' AND '.join(where)} "  # noqa: S608
                     "ORDER BY published_at, article_id", params)
    names = [c[0] for c in cur.description]
    for row in cur:
        yield decode_row(dict(zip(names, row, strict=True)))


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


def coverage_report(db: sqlite3.Connection) -> str:
    """Counts by day and by section, and the fill rate of every field, as a text table."""
    total = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    revisions = db.execute("SELECT count(*) FROM revisions").fetchone()[0]
    copies = db.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0]
    runs = db.execute("SELECT count(*), max(finished_at) FROM runs").fetchone()
    lines = [f"{total} articles, {revisions} revisions, {copies} linked near-duplicates, "
             f"{runs[0]} runs (last finished {runs[1] or 'never'})", "", "articles by day:"]
    for day, n in db.execute("SELECT substr(published_at, 1, 10) AS day, count(*) FROM articles "
                             "GROUP BY day ORDER BY day"):
        lines.append(f"  {day or '(no date)':<34} {n:>7}")
    lines += ["", "articles by section:"]
    for section, n in db.execute("SELECT section_path, count(*) FROM articles GROUP BY "
                                 "section_path ORDER BY count(*) DESC, section_path"):
        lines.append(f"  {section or '(none)':<34} {n:>7}")
    lines += ["", "field fill rate:"]
    for name in COVERAGE_FIELDS:
        empty = "'[]'" if name in JSON_FIELDS else "''"
        filled = db.execute(f"SELECT count(*) FROM articles WHERE {name} IS NOT NULL "  # noqa: S608
                            f"AND {name} <> {empty}").fetchone()[0]
        lines.append(f"  {name:<34} {filled / total if total else 0:>7.1%}")
    return "\n".join(lines)
