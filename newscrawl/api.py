"""Reading an archive from Python: ``from newscrawl import Archive``.

    from newscrawl import Archive

    with Archive.open("data/scmp/archive.sqlite") as archive:     # or a postgresql:// URL
        for story in archive.articles(since="2026-05-01", section="news/china"):
            print(story.published_at, story.headline)
        hits = archive.search('"housing authority" AND quota')
        versions = archive.revisions(hits[0].article_id)

Read-only (a crawl may be writing the archive meanwhile). Records are ``Article`` objects, as
the parsers made them (``images`` as ``ImageRef``); revisions hold the whole record of each
version. No Scrapy is imported.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from newscrawl.items import Article, ImageRef
from newscrawl.store import readers
from newscrawl.store.postgres import placeholders
from newscrawl.store.search import Hit, search

_ARTICLE_FIELDS = {f.name for f in dataclasses.fields(Article)}


@dataclass(frozen=True)
class Revision:
    revision: int
    fetched_at: str
    updated_at: str | None
    content_hash: str
    article: Article


def to_article(record: Mapping[str, Any]) -> Article:
    """An ``Article`` from a record or an ``articles`` row (whose ``url`` is the canonical
    one and ``fetched_url`` the one fetched)."""
    values = {k: v for k, v in record.items() if k in _ARTICLE_FIELDS}
    if "fetched_url" in record:
        values["url"] = record["fetched_url"] or record.get("url")
    values["images"] = [ImageRef(**image) if isinstance(image, Mapping) else image
                        for image in values.get("images") or []]
    return Article(**values)


class Archive:
    """A read-only view of one archive (SQLite file or PostgreSQL database)."""

    def __init__(self, db: readers.Connection, location: str) -> None:
        self.db = db
        self.location = location

    @classmethod
    def open(cls, target: str | Path) -> Archive:
        """Open ``target`` read-only; ``StoreError`` (one line) when it is no archive."""
        return cls(readers.connect(target), str(target))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def articles(self, *, since: str | date | None = None, until: str | date | None = None,
                 section: str | None = None, outlet: str | None = None) -> Iterator[Article]:
        """Stories published in [since, until) (dates or ISO times), in a section and its
        subsections (``news/china`` or ``News > China``), oldest first."""
        rows = readers.select_records(self.db, since=_iso(since), until=_iso(until),
                                       section=section)
        for row in rows:
            if outlet is None or row.get("outlet") == outlet:
                yield to_article(row)

    def article(self, article_id: str, outlet: str | None = None) -> Article | None:
        """The latest version of one story."""
        rows = self._query("SELECT record FROM revisions WHERE article_id=?"
                           + (" AND outlet=?" if outlet else "")
                           + " ORDER BY revision DESC LIMIT 1",
                           (article_id, *([outlet] if outlet else [])))
        return to_article(_record(rows[0][0])) if rows else None

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        """Full-text search, best first (FTS5 syntax; ``newscrawl search`` does the same)."""
        return search(self.db, query, limit)

    def revisions(self, article_id: str, outlet: str | None = None) -> list[Revision]:
        """Every distinct version of one story, oldest first."""
        rows = self._query("SELECT revision, fetched_at, updated_at, content_hash, record FROM "
                           "revisions WHERE article_id=?" + (" AND outlet=?" if outlet else "")
                           + " ORDER BY revision", (article_id, *([outlet] if outlet else [])))
        return [Revision(r[0], r[1], r[2], r[3], to_article(_record(r[4]))) for r in rows]

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if not isinstance(self.db, sqlite3.Connection):
            sql = placeholders(sql)
        return [tuple(row) for row in self.db.execute(sql, params).fetchall()]


def _record(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str | bytes) else dict(value)


def _iso(value: str | date | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


# -- what changed between two versions -------------------------------------------------------
#: Fields a change report leaves out: they differ between any two fetches.
_NOT_CONTENT = ("fetched_at", "http_status", "discovered_via", "field_sources",
                "parser_version", "url", "revision", "first_fetched_at")


def changed_fields(old: Article, new: Article) -> list[str]:
    """The fields whose values differ between two versions (fetch details aside)."""
    a, b = dataclasses.asdict(old), dataclasses.asdict(new)
    return [name for name in a if name not in _NOT_CONTENT and a[name] != b[name]]


def diff(old: Revision, new: Revision) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: the fields, each field's old and new value, and
    a unified diff of the body by paragraph."""
    fields = changed_fields(old.article, new.article)
    before, after = dataclasses.asdict(old.article), dataclasses.asdict(new.article)
    body = list(difflib.unified_diff(
        old.article.body.split("\n\n"), new.article.body.split("\n\n"),
        f"revision {old.revision}", f"revision {new.revision}", lineterm="", n=1))
    return {"article_id": new.article.article_id, "from": old.revision, "to": new.revision,
            "fields": {name: {"from": before[name], "to": after[name]} for name in fields
                       if name not in ("body", "word_count")},
            "changed": fields, "body_diff": body}
