"""Full-text search of the archive: FTS5 on SQLite, the ``search_vector`` column on
PostgreSQL, one query syntax and the same ranking on both."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

    from newscrawl.store.readers import Connection


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


