"""Where crawled articles are kept: the SQLite archive (the embedded default) or PostgreSQL.

``archive_paths`` says where an outlet's files live under a data directory; ``open_store``
opens the archive a target names (a ``postgresql://`` URL, a SQLite path, or nothing for the
default path), for use outside a crawl; ``open_archive`` opens the archive of a running crawl
(``NEWSCRAWL_STORE``) once and shares it between the components that write to it (the
de-duplicator, the store pipeline, the fetch-state middleware).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.messages import mask_password
from newscrawl.store.base import StoreError, StoreResult
from newscrawl.store.postgres import PostgresArchive, is_postgres_url
from newscrawl.store.sqlite import SqliteArchive

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["Archive", "PostgresArchive", "SqliteArchive", "StoreError", "StoreResult",
           "archive_lost", "archive_paths", "is_postgres_url", "mask_password", "open_archive",
           "open_store"]

log = logging.getLogger(__name__)

Archive = SqliteArchive | PostgresArchive


def archive_paths(data_dir: str | Path, outlet: str) -> tuple[Path, Path]:
    """The archive database and its JSON Lines journal for ``outlet`` under ``data_dir``."""
    base = Path(data_dir) / outlet
    return base / "archive.sqlite", base / "articles.jsonl"


def open_store(target: str | os.PathLike[str] | None, outlet: str,
               data_dir: str | Path = "data", *, journal: bool = True,
               commit_items: int = 500, commit_seconds: float = 1.0) -> Archive:
    """The archive ``target`` names: a PostgreSQL URL (``postgresql://`` or ``postgres://``),
    a SQLite file, or, when empty, ``<data_dir>/<outlet>/archive.sqlite``.

    A SQLite archive keeps its JSON Lines journal at ``<data_dir>/<outlet>/articles.jsonl``
    (unless ``journal`` is false); a PostgreSQL one has none. Raises ``StoreError`` (one line,
    password masked) when the archive cannot be opened.
    """
    if is_postgres_url(target):
        return PostgresArchive(str(target), commit_items=commit_items,
                               commit_seconds=commit_seconds)
    database, jsonl = archive_paths(data_dir, outlet)
    if target:
        database = Path(target)
    return SqliteArchive(database, jsonl if journal else None, commit_items=commit_items,
                         commit_seconds=commit_seconds)


def open_archive(crawler: Crawler) -> Archive:
    """The crawl's archive, opened on first use and shared for the rest of the crawl."""
    archive = getattr(crawler, "_newscrawl_archive", None)
    if archive is None:
        settings = crawler.settings
        outlet = getattr(crawler.spidercls, "outlet_name", "") or crawler.spidercls.name
        archive = open_store(
            settings.get("NEWSCRAWL_STORE") or None, outlet,
            settings.get("NEWSCRAWL_DATA_DIR") or "data",
            journal=settings.getbool("NEWSCRAWL_JSONL", True),
            commit_items=settings.getint("NEWSCRAWL_COMMIT_ITEMS", 500),
            commit_seconds=settings.getfloat("NEWSCRAWL_COMMIT_SECONDS", 1.0))
        crawler._newscrawl_archive = archive  # type: ignore[attr-defined]  # noqa: SLF001
        if isinstance(archive, PostgresArchive):
            _commit_when_idle(crawler, archive)
    return archive


def _commit_when_idle(crawler: Crawler, archive: PostgresArchive) -> None:
    """Commit a batch that has waited ``commit_seconds`` even when no item comes to do it.

    A PostgreSQL batch holds locks on the stories it wrote, which other workers may be waiting
    for; a crawl slowed down by a long Crawl-delay must not keep them waiting.
    """
    from twisted.internet import task

    def commit() -> None:
        try:
            archive.maybe_commit()
        except StoreError as exc:
            archive_lost(crawler, exc)

    loop = task.LoopingCall(commit)
    loop.start(max(archive.commit_seconds, 0.1), now=False)
    crawler._newscrawl_idle_commits = loop  # type: ignore[attr-defined]  # noqa: SLF001


def archive_lost(crawler: Crawler, exc: StoreError) -> None:
    """The archive failed (a lost database server, a full disk): stop the crawl cleanly.

    Logged once, counted (``newscrawl/errors/store_lost``); the crawl closes with finish
    reason ``store_unavailable``. What was committed stays; the next run fetches the rest.
    """
    crawler.stats.inc_value("newscrawl/errors/store_lost")
    if getattr(crawler, "_newscrawl_archive_lost", False):
        return
    crawler._newscrawl_archive_lost = True  # type: ignore[attr-defined]  # noqa: SLF001
    log.error("%s; stopping the crawl (committed work is kept)", exc)
    if crawler.engine is not None and crawler.spider is not None:
        crawler.engine.close_spider(crawler.spider, "store_unavailable")


def close_archive(crawler: Crawler) -> None:
    loop = getattr(crawler, "_newscrawl_idle_commits", None)
    if loop is not None and loop.running:
        loop.stop()
        crawler._newscrawl_idle_commits = None  # type: ignore[attr-defined]  # noqa: SLF001
    archive = getattr(crawler, "_newscrawl_archive", None)
    if archive is not None:
        crawler._newscrawl_archive = None  # type: ignore[attr-defined]  # noqa: SLF001
        try:
            archive.close()
        except StoreError as exc:
            log.error("%s", exc)
