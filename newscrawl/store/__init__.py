"""Where crawled articles are kept: the SQLite archive (the embedded default).

``archive_paths`` says where an outlet's files live under a data directory; ``open_archive``
opens the archive of a running crawl once and shares it between the components that write to
it (the de-duplicator, the store pipeline, the fetch-state middleware).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.store.sqlite import SqliteArchive, StoreError, StoreResult

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["SqliteArchive", "StoreError", "StoreResult", "archive_paths", "open_archive"]


def archive_paths(data_dir: str | Path, outlet: str) -> tuple[Path, Path]:
    """The archive database and its JSON Lines journal for ``outlet`` under ``data_dir``."""
    base = Path(data_dir) / outlet
    return base / "archive.sqlite", base / "articles.jsonl"


def open_archive(crawler: Crawler) -> SqliteArchive:
    """The crawl's archive, opened on first use and shared for the rest of the crawl."""
    archive = getattr(crawler, "_newscrawl_archive", None)
    if archive is None:
        settings = crawler.settings
        outlet = getattr(crawler.spidercls, "outlet_name", "") or crawler.spidercls.name
        database, journal = archive_paths(settings.get("NEWSCRAWL_DATA_DIR") or "data", outlet)
        if settings.get("NEWSCRAWL_STORE"):
            database = Path(settings.get("NEWSCRAWL_STORE"))
        archive = SqliteArchive(
            database, journal if settings.getbool("NEWSCRAWL_JSONL", True) else None,
            commit_items=settings.getint("NEWSCRAWL_COMMIT_ITEMS", 500),
            commit_seconds=settings.getfloat("NEWSCRAWL_COMMIT_SECONDS", 1.0))
        crawler._newscrawl_archive = archive  # type: ignore[attr-defined]  # noqa: SLF001
    return archive


def close_archive(crawler: Crawler) -> None:
    archive = getattr(crawler, "_newscrawl_archive", None)
    if archive is not None:
        archive.close()
        crawler._newscrawl_archive = None  # type: ignore[attr-defined]  # noqa: SLF001
