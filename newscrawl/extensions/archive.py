"""The one owner of a crawl's archive: it opens, shares, commits and closes it, records the
run, and holds the crawl lock.

Every component that reads or writes the archive (the spider, the fetch-state middleware, the
de-duplicate and store pipelines) asks this extension for it in ``from_crawler``
(``ArchiveExtension.of(crawler)``) and reports a failure to it (``lost``); none opens one of
its own. Because the lock is taken here, at ``spider_opened``, ``scrapy crawl scmp`` and a
Scrapyd job refuse to run beside another crawl of the same data directory exactly as
``newscrawl crawl`` does: the second closes at once with finish reason ``crawl_in_progress``,
having fetched and written nothing. Workers of a shared frontier (``NEWSCRAWL_REDIS``) take no
lock: they are meant to run together, and Redis coordinates them.

What a run leaves in the ``runs`` table (arguments, stats, field coverage, counts of new,
revised and unchanged stories, the newest time the listings showed) is written when the
spider closes, from the crawl's stats, after every pipeline has finished; the stats gain the
responses by status class then (``newscrawl/responses/<2xx|3xx|4xx|5xx>``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem
from twisted.internet import task

from newscrawl.config import flag, number, setting
from newscrawl.layout import DataDir, crawl_outlet
from newscrawl.records.measures import field_coverage, stored_counts
from newscrawl.runs.locks import RunLock, lock_holder
from newscrawl.store import PostgresArchive, StoreError, open_store

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

    from newscrawl.store import Archive

log = logging.getLogger(__name__)

#: Finish reasons this extension gives a crawl.
IN_PROGRESS = "crawl_in_progress"
STORE_UNAVAILABLE = "store_unavailable"


class ArchiveExtension:
    """Opens the crawl's archive, shares it, commits and closes it, and records the run."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveExtension:
        settings = crawler.settings
        return cls(crawler, target=setting(settings, "NEWSCRAWL_STORE") or None,
                   data_dir=DataDir.of_crawl(crawler),
                   journal=flag(settings, "NEWSCRAWL_JSONL"),
                   commit_items=int(number(settings, "NEWSCRAWL_COMMIT_ITEMS", zero_ok=False,
                                           whole=True)),
                   commit_seconds=number(settings, "NEWSCRAWL_COMMIT_SECONDS"),
                   lock=not setting(settings, "NEWSCRAWL_REDIS"))

    def __init__(self, crawler: Crawler, *, target: str | None, data_dir: DataDir,
                 journal: bool, commit_items: int, commit_seconds: float, lock: bool) -> None:
        self.crawler = crawler
        self.target = target
        self.data_dir = data_dir
        self.journal = journal
        self.commit_items = commit_items
        self.commit_seconds = commit_seconds
        self.lock = RunLock(data_dir.crawl_lock) if lock else None
        self.refused: str | None = None  # why this crawl may not use the archive
        self.run_id: int | None = None
        self.failed = False  # the archive failed during the crawl (logged once)
        self._archive: Archive | None = None
        self._idle_commits: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @staticmethod
    def of(crawler: Crawler) -> ArchiveExtension:
        """The crawl's archive owner, for a component's ``from_crawler``."""
        extension = crawler.get_extension(ArchiveExtension)
        if extension is None:
            raise RuntimeError("newscrawl's pipelines and middlewares need "
                               "newscrawl.extensions.archive.ArchiveExtension in EXTENSIONS")
        return extension

    # -- the archive -----------------------------------------------------------------
    @property
    def archive(self) -> Archive:
        """The crawl's archive, opened on first use; ``StoreError`` when it cannot be."""
        if self._archive is None:
            if self.refused:
                raise StoreError(f"the archive is not open: {self.refused}")
            self._archive = open_store(self.target, self.data_dir, journal=self.journal,
                                       commit_items=self.commit_items,
                                       commit_seconds=self.commit_seconds)
            if isinstance(self._archive, PostgresArchive):
                self._commit_when_idle(self._archive)
        return self._archive

    def lost(self, exc: StoreError) -> None:
        """The archive failed (a lost database server, a full disk): stop the crawl cleanly.

        Logged once, counted (``newscrawl/errors/store_lost``); the crawl closes with finish
        reason ``store_unavailable``. What was committed stays; the next run fetches the rest.
        """
        self.crawler.stats.inc_value("newscrawl/errors/store_lost")
        if self.failed:
            return
        self.failed = True
        log.error("%s; stopping the crawl (committed work is kept)", exc)
        if self.crawler.engine is not None and self.crawler.spider is not None:
            self.crawler.engine.close_spider(self.crawler.spider, STORE_UNAVAILABLE)

    def close(self) -> None:
        """Commit and close the archive (the spider's close does it; tests call it too)."""
        if self._idle_commits is not None and self._idle_commits.running:
            self._idle_commits.stop()
        self._idle_commits = None
        archive, self._archive = self._archive, None
        if archive is not None:
            try:
                archive.close()
            except StoreError as exc:
                log.error("%s", exc)
            # What the archive kept, which a failed batch makes less than what was stored.
            for outcome, count in archive.committed.items():
                self.crawler.stats.set_value(f"newscrawl/committed/{outcome}", count)

    def _commit_when_idle(self, archive: PostgresArchive) -> None:
        """Commit a batch that has waited ``commit_seconds`` even when no item comes to do it.

        A PostgreSQL batch holds locks on the stories it wrote, which other workers may be
        waiting for; a crawl slowed down by a long Crawl-delay must not keep them waiting.
        """
        def commit() -> None:
            try:
                archive.maybe_commit()
            except StoreError as exc:
                self.lost(exc)

        self._idle_commits = task.LoopingCall(commit)
        self._idle_commits.start(max(archive.commit_seconds, 0.1), now=False)

    # -- the run ---------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        if self.lock is not None and not self.lock.acquire():
            self.refused = lock_holder(self.lock).describe()
            log.warning("not crawling %s: %s", self.data_dir.base, self.refused)
            raise CloseSpider(IN_PROGRESS)
        config = getattr(spider, "config", None)
        arguments = config.describe() if config is not None else {}
        try:
            self.run_id = self.archive.begin_run(crawl_outlet(self.crawler), arguments)
        except StoreError as exc:
            self.refused = str(exc)
            self.failed = True
            log.error("%s; not crawling", exc)
            raise CloseSpider(STORE_UNAVAILABLE) from None

    def spider_closed(self, spider: Any, reason: str) -> None:
        # After the engine closed the pipelines: the stats are as complete as they get.
        try:
            if self.run_id is not None and self._archive is not None:
                for name, count in response_classes(self.crawler.stats.get_stats()).items():
                    self.crawler.stats.set_value(f"newscrawl/responses/{name}", count)
                stats = self.crawler.stats.get_stats()
                self.archive.commit()  # the run row counts what is committed, nothing else
                self.archive.end_run(self.run_id, reason=reason, stats=stats,
                                     field_coverage=field_coverage(stats),
                                     counts=dict(self.archive.committed),
                                     high_water=getattr(spider, "high_water", None))
        except StoreError as exc:
            log.error("%s", exc)
        finally:
            self.close()
            if self.lock is not None:
                self.lock.release()


class ArchiveUser:
    """A component that reads or writes the crawl's archive through its owner, the extension:
    ``self.owner.archive`` to use it, ``self.owner.lost(exc)`` when it fails."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, ArchiveExtension.of(crawler))

    def __init__(self, crawler: Crawler, owner: ArchiveExtension) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.owner = owner

    def not_stored(self, exc: StoreError) -> DropItem:
        """The archive failed under an item: the crawl stops (what was committed is kept) and
        the item is a counted drop; raise what this returns."""
        self.owner.lost(exc)
        self.stats.inc_value("newscrawl/dropped/store_unavailable")
        return DropItem(f"not stored: {exc}", log_level="DEBUG")


def committed_articles(stats: dict[str, Any]) -> int | None:
    """The records of a run its archive committed (new, revised or checked); None before
    the archive closed."""
    counts = [int(v) for k, v in stats.items() if k.startswith("newscrawl/committed/")]
    return sum(counts) if counts else None


def response_classes(stats: dict[str, Any]) -> dict[str, int]:
    """The run's responses by status class (``2xx`` ... ``5xx``), from Scrapy's counts per
    status (``downloader/response_status_count/<status>``)."""
    prefix = "downloader/response_status_count/"
    classes: dict[str, int] = {}
    for key, value in stats.items():
        status = key.removeprefix(prefix)
        if key.startswith(prefix) and status.isdigit() and isinstance(value, int):
            name = f"{status[0]}xx"
            classes[name] = classes.get(name, 0) + value
    return dict(sorted(classes.items()))


__all__ = ["ArchiveExtension", "ArchiveUser", "committed_articles", "field_coverage",
           "response_classes", "stored_counts"]
