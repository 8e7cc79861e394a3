"""Where a crawl keeps its files: one recipe for every path under a data directory.

Everything an outlet's crawls write lives in ``<data-dir>/<outlet>/``::

    archive.sqlite       the archive (unless NEWSCRAWL_STORE names another, or PostgreSQL)
    articles.jsonl       the journal: one line per new or changed revision
    rejects.jsonl        records that failed validation, whole, with their reasons
    robots/              robots.txt copies kept between runs
    warc/                every response of --warc crawls
    logs/                the Scrapy log of each `newscrawl crawl` (crawl-<UTC time>.log)
    frontier-<pid>/      the pending requests of a running crawl (removed when it ends)
    crawl.lock           held by the crawl that is running
    schedule.lock        held by a ``newscrawl run`` loop for its life

Components ask a ``DataDir`` for a path instead of joining names themselves, so a data
directory given any way (``--data-dir``, ``-s NEWSCRAWL_DATA_DIR=``, ``-a data_dir=``) moves
every file at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DataDir:
    """The files of one outlet under one data directory."""

    root: Path
    outlet: str

    @classmethod
    def of(cls, root: str | os.PathLike[str], outlet: str) -> DataDir:
        return cls(Path(root), outlet)

    @classmethod
    def from_settings(cls, settings: Any, outlet: str) -> DataDir:
        """The data directory a crawl's settings name (``NEWSCRAWL_DATA_DIR``)."""
        from newscrawl.config import setting

        return cls(Path(setting(settings, "NEWSCRAWL_DATA_DIR")), outlet)

    @classmethod
    def of_crawl(cls, crawler: Any) -> DataDir:
        """The files of the outlet a crawler crawls (its spider's ``outlet_name``)."""
        return cls.from_settings(crawler.settings, crawl_outlet(crawler))

    @property
    def base(self) -> Path:
        return self.root / self.outlet

    def writable(self) -> str | None:
        """None when the outlet's directory exists (or was made) and takes a file; else why
        not, in words (a read-only disk, a file where a directory should be, ...)."""
        probe = self.base / f".write-test-{os.getpid()}"
        try:
            self.base.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            return f"{exc.filename or self.base}: {exc.strerror or exc}"
        return None

    @property
    def archive(self) -> Path:
        return self.base / "archive.sqlite"

    @property
    def journal(self) -> Path:
        return self.base / "articles.jsonl"

    @property
    def rejects(self) -> Path:
        return self.base / "rejects.jsonl"

    @property
    def robots(self) -> Path:
        return self.base / "robots"

    @property
    def warc(self) -> Path:
        return self.base / "warc"

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    @property
    def crawl_lock(self) -> Path:
        return self.base / "crawl.lock"

    @property
    def schedule_lock(self) -> Path:
        return self.base / "schedule.lock"

    def frontier(self, pid: int | None = None) -> Path:
        """The pending-request queue of the crawl process ``pid`` (this one by default)."""
        return self.base / f"frontier-{os.getpid() if pid is None else pid}"

    def stale_frontiers(self) -> list[Path]:
        """Queues left by crawl processes that no longer run (killed ones)."""
        stale = []
        for path in self.base.glob("frontier-*"):
            pid = path.name.removeprefix("frontier-")
            if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
                stale.append(path)
        return stale


def crawl_outlet(crawler: Any) -> str:
    """The name of the outlet a crawler crawls: its spider's ``outlet_name`` (a spider of no
    outlet: its name)."""
    spidercls = crawler.spidercls
    return getattr(spidercls, "outlet_name", "") or spidercls.name
