"""newscrawl's Scrapy add-on: the settings that depend on the outlet and the run.

Listed in ``ADDONS`` (settings.py), so ``scrapy crawl``, Scrapyd and ``newscrawl crawl`` get
the same: before the crawl's settings freeze, it

- names the project in the User-Agent, with ``NEWSCRAWL_CONTACT`` appended when set;
- applies the outlet's ``Politeness`` (concurrency per host, AutoThrottle's target) unless the
  user set those on the command line;
- gives the run its own disk frontier, ``<data-dir>/<outlet>/frontier-<pid>`` (``JOBDIR``), and
  removes it when the engine stops (and those of killed runs when the next one starts);
- switches scheduler and duplicate filter to Redis when ``NEWSCRAWL_REDIS`` is set.

The disk frontier keeps memory flat: a first crawl of a large site lists ~100,000 article
pages before fetching most of them, ~3 KB each in memory (bench/scale_memory.py). Each run
has a directory of its own, so a run never resumes another's queue or duplicate filter:
resuming is the archive's job. Off with ``NEWSCRAWL_DISK_FRONTIER = False``, or when a
``JOBDIR`` or a shared scheduler is set.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from newscrawl.config import FromCrawler, flag, setting
from newscrawl.layout import DataDir, crawl_outlet
from newscrawl.runs.locks import RunLock
from newscrawl.scheduler.shared import use_shared_frontier

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

#: Scrapy's priority of settings.py: what the add-on replaces unless the user set it above.
_PROJECT = 20


class NewscrawlAddon(FromCrawler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.frontier: Path | None = None

    def update_settings(self, settings: BaseSettings) -> None:
        self._user_agent(settings)
        self._politeness(settings)
        use_shared_frontier(settings)
        self._frontier_on_disk(settings)

    @staticmethod
    def _user_agent(settings: BaseSettings) -> None:
        agent = setting(settings, "NEWSCRAWL_USER_AGENT")
        if not agent or (settings.getpriority("USER_AGENT") or 0) > _PROJECT:
            return  # the user's own -s USER_AGENT wins
        contact = setting(settings, "NEWSCRAWL_CONTACT")
        if contact and agent.endswith(")"):
            agent = f"{agent[:-1]}; {contact})"
        settings.set("USER_AGENT", agent, priority="spider")

    def _politeness(self, settings: BaseSettings) -> None:
        from newscrawl.outlets import outlet_of

        outlet = outlet_of(self.crawler)
        if outlet is None:  # a spider of no outlet
            return
        politeness = outlet.politeness
        for name, value in (("CONCURRENT_REQUESTS_PER_DOMAIN", politeness.concurrency_per_domain),
                            ("AUTOTHROTTLE_TARGET_CONCURRENCY", politeness.autothrottle_target)):
            if (settings.getpriority(name) or 0) <= _PROJECT:
                settings.set(name, value, priority="spider")

    def _frontier_on_disk(self, settings: BaseSettings) -> None:
        if not flag(settings, "NEWSCRAWL_DISK_FRONTIER") or settings.get("JOBDIR") \
                or setting(settings, "NEWSCRAWL_REDIS"):
            return
        files = DataDir.from_settings(settings, crawl_outlet(self.crawler))
        if RunLock(files.crawl_lock).holder() is not None:
            return  # another crawl runs: this one will be refused (extensions/archive.py)
        for stale in files.stale_frontiers():  # left by killed runs
            shutil.rmtree(stale, ignore_errors=True)
        self.frontier = files.frontier()
        settings.set("JOBDIR", str(self.frontier), priority="addon")
        self.crawler.signals.connect(self._drop_frontier, signal=signals.engine_stopped)

    def _drop_frontier(self, **_: Any) -> None:
        # After the engine stopped: Scrapy's SpiderState writes into the directory on close.
        if self.frontier is not None:
            shutil.rmtree(self.frontier, ignore_errors=True)  # this run's queue, done with
