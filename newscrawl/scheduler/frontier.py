"""The crawl's pending requests: in memory while there are few, on disk beyond that.

With a ``JOBDIR`` (newscrawl's add-on sets one per run, ``newscrawl/addon.py``) Scrapy's scheduler pickles every request into a disk queue,
one per priority, and its priority queues close and remove a queue (file, directory, info
file) as soon as it empties. A crawl whose queue hovers near empty, as most do once discovery
is over, then creates and removes a disk queue for nearly every request: ≈1.6 ms of CPU per
page in ``bench/crawl_speed.py``. Two changes here remove that churn:

- :class:`FrontierScheduler` keeps requests in memory while the memory queue holds fewer than
  ``NEWSCRAWL_FRONTIER_MEMORY`` of them and pushes to the disk queues beyond that, so memory
  stays bounded (≈3 KB a request) on a 100,000-article crawl and nothing is pickled in the
  common case;
- :class:`KeepOpenPriorityQueue` and :class:`KeepOpenDownloaderAwarePriorityQueue` (Scrapy's
  two priority queues, for ``SCHEDULER_PRIORITY_QUEUE``) keep a priority's queue open when it
  empties instead of closing and removing it; newscrawl uses a handful of priorities
  (discovery, four freshness levels), so a handful of queues stay open.

Order. :meth:`FrontierScheduler.next_request` pops from whichever of the two stores holds the
request of higher priority (the one that store would pop next), memory on a tie, as Scrapy
does (with Scrapy's own priority queues, which cannot tell, memory always goes first). So
across memory and disk, higher priorities still go first; within one priority, the requests
held in memory go before those on disk (each part in its queue's own order, LIFO by
default): an approximation of the single queue's order, which only matters once more than
``NEWSCRAWL_FRONTIER_MEMORY`` requests are pending. With the downloader-aware priority queue
(Scrapy's default), each store picks its download slot by downloader activity as Scrapy does,
and the scheduler compares the priorities of those two picks.

Nothing is lost: every request pushed is popped once. When the crawl closes with requests
still pending (a timeout, a stop), those in memory are written to the disk queues first, so a
crawl resumed from the same ``JOBDIR`` gets them all back (Scrapy keeps only unserializable
requests in memory, and loses those; so does this).

Without a ``JOBDIR`` the scheduler is Scrapy's. The distributed mode (``--redis``) sets its own
``SCHEDULER`` (``newscrawl.scheduler.shared.REDIS_SETTINGS``), which wins over this one.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.core.scheduler import Scheduler
from scrapy.pqueues import DownloaderAwarePriorityQueue, ScrapyPriorityQueue, _path_safe

from newscrawl.config import number

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request

log = logging.getLogger(__name__)


class KeepOpenPriorityQueue(ScrapyPriorityQueue):
    """Scrapy's priority queue (one queue per priority), whose emptied queues stay open.

    Scrapy closes a priority's queue as soon as it empties, and a disk queue removes its files
    and directory when closed empty; the next request of that priority creates them again. Here
    a queue is made once per priority and closed with the priority queue. The order is
    Scrapy's: the highest priority first, other requests before start requests of the same
    priority.
    """

    def pop(self) -> Request | None:
        while self.curprio is not None:
            prio = self.curprio
            for queues in (self.queues, self._start_queues):
                q = queues.get(prio)
                if q is not None and len(q):
                    request = q.pop()
                    if not len(q) and not self._pending_at(prio):
                        self._update_curprio()
                    return request
            self._update_curprio()  # nothing left at curprio: move on
        return None

    def _pending_at(self, prio: int) -> bool:
        return any(len(q) for queues in (self.queues, self._start_queues)
                   if (q := queues.get(prio)) is not None)

    def next_priority(self) -> int | None:
        """The priority (Scrapy's sign: lower goes first) of what ``pop`` returns next."""
        prios = [p for queues in (self.queues, self._start_queues) for p, q in queues.items()
                 if len(q)]
        return min(prios) if prios else None

    def peek(self) -> Request | None:
        prio = self.next_priority()
        if prio is None:
            return None
        for queues in (self.queues, self._start_queues):
            q = queues.get(prio)
            if q is not None and len(q):
                return q.peek()  # type: ignore[attr-defined]
        return None  # pragma: no cover - next_priority found one

    def close(self) -> list[int]:
        active = {p for queues in (self.queues, self._start_queues) for p, q in queues.items()
                  if len(q)}
        for queues in (self.queues, self._start_queues):
            for q in queues.values():
                q.close()  # an empty disk queue removes its files here
            queues.clear()
        self.curprio = None
        return sorted(active)


class KeepOpenDownloaderAwarePriorityQueue(DownloaderAwarePriorityQueue):
    """Scrapy's downloader-aware priority queue (the default), with :class:`KeepOpenPriorityQueue`
    per download slot, and emptied slots kept open too (up to ``idle_slots_kept`` of them, so a
    crawl of many hosts does not hold a file per host and priority).

    The order is Scrapy's: among the slots holding requests, the one with the fewest active
    downloads (round-robin on ties), and within it the highest priority.
    """

    idle_slots_kept = 32

    def pqfactory(self, slot: str, startprios: Iterable[int] = ()) -> ScrapyPriorityQueue:
        return KeepOpenPriorityQueue(
            self.crawler, self.downstream_queue_cls, self.key + "/" + _path_safe(slot),
            startprios, start_queue_cls=self._start_queue_cls)

    def _busy_slots(self) -> list[str]:
        return [slot for slot, queue in self.pqueues.items() if len(queue)]

    def _slot_for_pop(self, *, update_state: bool) -> str | None:
        busy = self._busy_slots()
        if not busy:
            return None
        return self._next_slot(self._downloader_interface.stats(busy), update_state=update_state)

    def pop(self) -> Request | None:
        slot = self._slot_for_pop(update_state=True)
        if slot is None:
            return None
        queue = self.pqueues[slot]
        request = queue.pop()
        if not len(queue) and len(self.pqueues) - len(self._busy_slots()) > self.idle_slots_kept:
            self._drop_slot(slot)
        return request

    def _drop_slot(self, slot: str) -> None:
        self.pqueues.pop(slot).close()
        if self.key:
            with suppress(OSError):  # left alone if its queues did not remove all their files
                Path(self.key, _path_safe(slot)).rmdir()

    def next_priority(self) -> int | None:
        """The priority (Scrapy's sign: lower goes first) of what ``pop`` returns next."""
        slot = self._slot_for_pop(update_state=False)
        return None if slot is None else self.pqueues[slot].next_priority()  # type: ignore[attr-defined]

    def peek(self) -> Request | None:
        slot = self._slot_for_pop(update_state=False)
        return None if slot is None else self.pqueues[slot].peek()

    def close(self) -> dict[str, list[int]]:
        active = {}
        for slot, queue in list(self.pqueues.items()):
            prios = queue.close()
            if prios:
                active[slot] = prios
            elif self.key:
                with suppress(OSError):
                    Path(self.key, _path_safe(slot)).rmdir()
        self.pqueues.clear()
        return active


def next_priority(pq: Any) -> int | None:
    """The priority of the request ``pq.pop()`` returns next, for the priority queues above;
    None when empty, or for another class (Scrapy's own): then memory goes first, as in
    Scrapy's scheduler."""
    method = getattr(pq, "next_priority", None)
    return method() if method is not None else None


class FrontierScheduler(Scheduler):
    """Scrapy's scheduler, keeping up to ``NEWSCRAWL_FRONTIER_MEMORY`` requests in memory before
    using the disk queues of its ``JOBDIR``. See the module's docstring for the order."""

    memory_limit: int  # NEWSCRAWL_FRONTIER_MEMORY

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler = super().from_crawler(crawler)
        scheduler.memory_limit = int(number(crawler.settings, "NEWSCRAWL_FRONTIER_MEMORY",
                                            whole=True))
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        if self.dqs is None:
            return super().enqueue_request(request)
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        assert self.stats is not None
        if len(self.mqs) < self.memory_limit or not self._dqpush(request):
            self._mqpush(request)
            self.stats.inc_value("scheduler/enqueued/memory")
        else:
            self.stats.inc_value("scheduler/enqueued/disk")
        self.stats.inc_value("scheduler/enqueued")
        return True

    def next_request(self) -> Request | None:
        if self.dqs is not None and len(self.dqs) and len(self.mqs):
            on_disk, in_memory = next_priority(self.dqs), next_priority(self.mqs)
            if on_disk is not None and in_memory is not None and on_disk < in_memory:
                request = self.dqs.pop()
                if request is not None:
                    assert self.stats is not None
                    self.stats.inc_value("scheduler/dequeued/disk")
                    self.stats.inc_value("scheduler/dequeued")
                    return request
        return super().next_request()  # memory first, then disk: Scrapy's order

    def close(self, reason: str) -> Any:
        if self.dqs is not None and len(self.mqs):
            self._spill_memory()
        return super().close(reason)

    def _spill_memory(self) -> None:
        """Write the requests still in memory to the disk queues, for a resumed crawl.

        Pushed back in reverse of the order they would have been popped, so that LIFO disk
        queues (Scrapy's default) give them back in that order (FIFO ones, in reverse).
        """
        pending = []
        while (request := self.mqs.pop()) is not None:
            pending.append(request)
        kept = 0
        for request in reversed(pending):
            if self._dqpush(request):
                kept += 1
        if kept < len(pending):
            log.warning("%d pending requests could not be written to the disk queue (not "
                        "serializable) and are dropped at close", len(pending) - kept)
        log.info("%d pending requests moved from memory to the disk queue at close", kept)
