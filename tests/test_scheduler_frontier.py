"""The frontier scheduler (newscrawl/frontier.py): memory up to a limit, disk queues beyond it.

Schedulers here are Scrapy's real ones on a real JOBDIR; only the engine is stood in for (the
downloader-aware priority queue asks it for download slots and their active downloads).
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.pqueues import DownloaderAwarePriorityQueue, ScrapyPriorityQueue
from scrapy.utils.test import get_crawler

from newscrawl.scheduler.frontier import FrontierScheduler, KeepOpenDownloaderAwarePriorityQueue
from tests.utils.cli import rows
from tests.utils.client import Client
from tests.utils.crawler import project_crawler

#: newscrawl's priorities: discovery, then four freshness levels (newscrawl/spiders/admission.py).
PRIOS = (1_000_000, 3, 2, 1, 0)
LIMIT = 50
OURS = {"SCHEDULER_PRIORITY_QUEUE": "newscrawl.scheduler.frontier.KeepOpenDownloaderAwarePriorityQueue"}
SCRAPYS = {"SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue"}


class FakeDownloader:
    """What the downloader-aware priority queue asks of the downloader: slot keys, activity."""

    def __init__(self, active: dict[str, int] | None = None) -> None:
        self.slots = {host: SimpleNamespace(active=[None] * n) for host, n in (active or {}).items()}

    def get_slot_key(self, request: Request) -> str:
        return urlsplit(request.url).hostname or ""


def open_scheduler(jobdir: Path | None, cls: type[Scheduler] = FrontierScheduler,
                   memory: int = LIMIT, active: dict[str, int] | None = None,
                   **settings: object) -> Scheduler:
    values = {**OURS, "NEWSCRAWL_FRONTIER_MEMORY": memory, **settings}
    if jobdir is not None:
        values["JOBDIR"] = str(jobdir)
    crawler = get_crawler(Spider, values)
    crawler.spider = Spider(name="frontier-test")
    crawler.engine = SimpleNamespace(downloader=FakeDownloader(active))
    scheduler = cls.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def request(n: int, priority: int, host: str = "example.com", start: bool = False) -> Request:
    return Request(f"https://{host}/story/{n}", priority=priority,
                   meta={"is_start_request": True} if start else {})


def drain(scheduler: Scheduler) -> list[Request]:
    out = []
    while scheduler.has_pending_requests():
        got = scheduler.next_request()
        assert got is not None
        out.append(got)
    assert scheduler.next_request() is None
    return out


def queue_files(jobdir: Path) -> list[Path]:
    """The disk queues' data files (LIFO files, FIFO chunks) under the JOBDIR."""
    return [p for p in (jobdir / "requests.queue").rglob("*")
            if p.is_file() and p.name != "active.json" and p.name != "info.json"]


def test_beyond_the_limit_requests_go_to_disk_and_all_come_back_once_highest_first(tmp_path):
    jobdir = tmp_path / "job"
    scheduler = open_scheduler(jobdir)
    rng = random.Random(3)
    pushed = [request(n, rng.choice(PRIOS)) for n in range(1000)]
    for req in pushed:
        assert scheduler.enqueue_request(req)
        assert len(scheduler.mqs) <= LIMIT
    assert len(scheduler.mqs) == LIMIT and len(scheduler.dqs) == 1000 - LIMIT
    # On disk for real: the queue files hold the pickled requests.
    files = queue_files(jobdir)
    assert files and sum(p.stat().st_size for p in files) > (1000 - LIMIT) * 100
    stats = scheduler.stats.get_stats()
    assert stats["scheduler/enqueued/memory"] == LIMIT
    assert stats["scheduler/enqueued/disk"] == 1000 - LIMIT

    got = drain(scheduler)
    assert sorted(r.url for r in got) == sorted(r.url for r in pushed)  # each once, none lost
    priorities = [r.priority for r in got]
    assert priorities == sorted(priorities, reverse=True)  # across memory and disk
    # Within a priority: those kept in memory first (the first LIMIT pushed), then the disk's.
    first_memory = {r.url for r in pushed[:LIMIT]}
    for prio in PRIOS:
        urls = [r.url for r in got if r.priority == prio]
        in_memory = [u in first_memory for u in urls]
        assert in_memory == sorted(in_memory, reverse=True), prio
    stats = scheduler.stats.get_stats()
    assert stats["scheduler/dequeued/disk"] == 1000 - LIMIT
    assert stats["scheduler/dequeued"] == 1000
    scheduler.close("finished")


def test_a_crawl_like_mix_of_pushes_and_pops_always_pops_the_highest_priority(tmp_path):
    """Requests come and go as in a crawl; every pop is of the highest priority pending."""
    scheduler = open_scheduler(tmp_path / "job")
    rng = random.Random(7)
    pending: Counter[int] = Counter()
    pushed, popped = set(), []
    n = 0
    for _ in range(4000):
        if not pending or rng.random() < 0.52:
            prio = rng.choice(PRIOS)
            req = request(n, prio, start=rng.random() < 0.1)
            n += 1
            assert scheduler.enqueue_request(req)
            pushed.add(req.url)
            pending[prio] += 1
        else:
            got = scheduler.next_request()
            assert got.priority == max(p for p, c in pending.items() if c)
            pending[got.priority] -= 1
            popped.append(got.url)
        assert len(scheduler.mqs) <= LIMIT
    assert scheduler.stats.get_value("scheduler/enqueued/disk") > 100  # it did spill
    popped += [r.url for r in drain(scheduler)]
    assert len(popped) == len(set(popped)) and set(popped) == pushed
    scheduler.close("finished")


def test_several_hosts_all_come_back_once(tmp_path):
    scheduler = open_scheduler(tmp_path / "job", active={"a.example": 3, "b.example": 0})
    hosts = ("a.example", "b.example", "c.example")
    rng = random.Random(11)
    pushed = [request(n, rng.choice(PRIOS), host=rng.choice(hosts)) for n in range(600)]
    for req in pushed:
        scheduler.enqueue_request(req)
    got = drain(scheduler)
    assert sorted(r.url for r in got) == sorted(r.url for r in pushed)
    scheduler.close("finished")


@pytest.mark.parametrize("jobdir", [False, True])
def test_same_order_as_scrapys_scheduler_when_nothing_is_kept_in_memory(tmp_path, jobdir):
    """Without a JOBDIR, or with NEWSCRAWL_FRONTIER_MEMORY = 0, the order is Scrapy's own."""
    orders = []
    for name, cls, settings in (("ours", FrontierScheduler, OURS),
                                ("scrapy", Scheduler, SCRAPYS)):
        scheduler = open_scheduler(tmp_path / name if jobdir else None, cls, memory=0,
                                   active={"a.example": 1}, **settings)
        assert (scheduler.dqs is not None) == jobdir
        rng = random.Random(5)
        order = []
        for n in range(1500):
            if rng.random() < 0.55:
                scheduler.enqueue_request(request(n, rng.choice(PRIOS),
                                                  host=rng.choice(("a.example", "b.example")),
                                                  start=rng.random() < 0.2))
            elif (got := scheduler.next_request()) is not None:
                order.append(got.url)
        order += [r.url for r in drain(scheduler)]
        scheduler.close("finished")
        orders.append(order)
    assert len(orders[0]) > 700 and orders[0] == orders[1]


def test_emptied_disk_queues_stay_open(tmp_path, monkeypatch):
    """The churn this module removes: one disk queue made per priority, not one per request."""
    made = Counter()
    factory = ScrapyPriorityQueue.qfactory

    def counting(self, key):
        made[type(self).__name__] += 1
        return factory(self, key)

    monkeypatch.setattr(ScrapyPriorityQueue, "qfactory", counting)
    for name, settings in (("ours", OURS), ("scrapy", SCRAPYS)):
        jobdir = tmp_path / name
        scheduler = open_scheduler(jobdir, memory=0, **settings)  # every request to disk
        for n in range(200):
            scheduler.enqueue_request(request(n, PRIOS[n % 3]))
            assert scheduler.next_request().url == f"https://example.com/story/{n}"
        if name == "ours":
            assert len(queue_files(jobdir)) == 3  # still there, empty, open
        else:
            assert queue_files(jobdir) == []  # removed as each emptied
        scheduler.close("finished")
        assert queue_files(jobdir) == []  # empty queues leave nothing behind at close
    assert made == {"KeepOpenPriorityQueue": 3, "ScrapyPriorityQueue": 200}


def test_pending_requests_in_memory_survive_a_close_for_a_resumed_crawl(tmp_path):
    jobdir = tmp_path / "job"
    scheduler = open_scheduler(jobdir)
    pushed = [request(n, PRIOS[n % len(PRIOS)]) for n in range(300)]
    for req in pushed:
        scheduler.enqueue_request(req)
    first = [scheduler.next_request() for _ in range(20)]
    assert len(scheduler.mqs) > 0  # some still in memory when the crawl stops
    scheduler.close("shutdown")

    resumed = open_scheduler(jobdir)
    assert len(resumed) == 280
    rest = drain(resumed)
    assert sorted(r.url for r in first + rest) == sorted(r.url for r in pushed)
    priorities = [r.priority for r in rest]
    assert priorities == sorted(priorities, reverse=True)
    resumed.close("finished")


def test_unserializable_requests_stay_in_memory_even_beyond_the_limit(tmp_path):
    scheduler = open_scheduler(tmp_path / "job", memory=5)
    for n in range(10):
        scheduler.enqueue_request(request(n, 0))
    odd = Request("https://example.com/odd", callback=lambda response: None, priority=3)
    assert scheduler.enqueue_request(odd)
    assert len(scheduler.mqs) == 6 and scheduler.stats.get_value("scheduler/unserializable") == 1
    got = drain(scheduler)
    assert got[0] is odd and len(got) == 11
    scheduler.close("finished")


def test_a_negative_memory_limit_is_refused(tmp_path):
    with pytest.raises(ValueError, match="NEWSCRAWL_FRONTIER_MEMORY"):
        open_scheduler(tmp_path / "job", memory=-1)


def test_project_settings_use_it_and_the_shared_frontier_still_wins():
    from newscrawl.runs.crawl import project_settings
    from newscrawl.spiders import ScmpSpider

    settings = project_settings({})
    assert settings["SCHEDULER"] == "newscrawl.scheduler.frontier.FrontierScheduler"
    assert settings["SCHEDULER_PRIORITY_QUEUE"] == \
        "newscrawl.scheduler.frontier.KeepOpenDownloaderAwarePriorityQueue"
    assert issubclass(KeepOpenDownloaderAwarePriorityQueue, DownloaderAwarePriorityQueue)
    # What a crawl does: the add-on switches to Redis, and then keeps no disk frontier.
    shared = project_crawler(ScmpSpider, {"NEWSCRAWL_REDIS": "redis://127.0.0.1:6379/0"}).settings
    assert shared["SCHEDULER"] == "newscrawl.scheduler.shared.SharedFrontierScheduler"
    assert not shared.get("JOBDIR")


def test_a_crawl_that_spills_to_disk_archives_every_article(replica, tmp_path):
    """A real crawl of the replica with room for only 20 requests in memory."""
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl.cli", "crawl", "scmp", "--base-url", replica.base_url,
         "--data-dir", str(tmp_path), "--pagination", "api",
         "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", "-s", "NEWSCRAWL_FRONTIER_MEMORY=20", "-v"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    listed = {a["article_id"] for a in Client(replica.base_url).json(
        "/__replica__/articles.json")["articles"]}
    stored = {row[0] for row in rows(tmp_path, "SELECT article_id FROM articles")}
    assert stored == listed
    stats = {key: int(value) for key, value in
             re.findall(r"'(scheduler/[a-z/]+)': (\d+)", result.stderr)}
    assert stats["scheduler/enqueued/disk"] > 100, stats  # it did use the disk
    assert stats["scheduler/dequeued/disk"] == stats["scheduler/enqueued/disk"]
    assert stats["scheduler/dequeued"] == stats["scheduler/enqueued"]
    assert not list((tmp_path / "scmp").glob("frontier-*"))  # the run's queue is removed
