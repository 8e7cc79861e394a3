"""Where crawled articles are kept: the SQLite archive (the embedded default) or PostgreSQL.

``open_store`` opens the archive a target names (a ``postgresql://`` URL, a SQLite path, or
nothing for the outlet's default path under its data directory). No Scrapy here: a crawl's
archive is opened and shared by ``newscrawl.extensions.archive.ArchiveExtension``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from newscrawl.store.base import ArchiveBase, StoreError, StoreResult
from newscrawl.store.postgres import PostgresArchive, is_postgres_url
from newscrawl.store.sqlite import SqliteArchive

if TYPE_CHECKING:
    from newscrawl.layout import DataDir

__all__ = ["Archive", "PostgresArchive", "SqliteArchive", "StoreError", "StoreResult",
           "is_postgres_url", "open_store"]

#: What a crawl writes to and a reader reads: either archive, one interface (``base.py``).
Archive = ArchiveBase


def open_store(target: str | os.PathLike[str] | None, data_dir: DataDir, *,
               journal: bool = True, commit_items: int = 500,
               commit_seconds: float = 1.0) -> Archive:
    """The archive ``target`` names: a PostgreSQL URL (``postgresql://`` or ``postgres://``),
    a SQLite file, or, when empty, the outlet's ``archive.sqlite`` under ``data_dir``.

    A SQLite archive keeps its JSON Lines journal at the outlet's ``articles.jsonl`` (unless
    ``journal`` is false); a PostgreSQL one has none. Raises ``StoreError`` (one line,
    password masked) when the archive cannot be opened.
    """
    if is_postgres_url(target):
        return PostgresArchive(str(target), commit_items=commit_items,
                               commit_seconds=commit_seconds)
    return SqliteArchive(target or data_dir.archive, data_dir.journal if journal else None,
                         commit_items=commit_items, commit_seconds=commit_seconds)
