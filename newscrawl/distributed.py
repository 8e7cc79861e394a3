"""Many workers, one frontier: scrapy-redis for the shared scheduler and duplicate filter.

``NEWSCRAWL_REDIS = "redis://host:6379/0"`` (``newscrawl crawl scmp --redis URL``) switches a
crawl to scrapy-redis: every worker started with the same URL, on any machine, pushes the
requests it finds into one Redis priority queue and takes its next request from there, and a
shared set of request fingerprints keeps a URL from being fetched twice in one run.

What scrapy-redis leaves to us, here:

- **Seeding once.** Workers register in a Redis hash with a heartbeat. The first one to set
  the run's seed key (``SET NX``) yields the start requests (section pages, feeds, sitemaps,
  due revisits) and clears the previous run's fingerprints; the others only take work from the
  queue. The last live worker to leave deletes the seed key, so the next run seeds again; a
  seed key whose workers all died (no heartbeat) is taken over.
- **Leaving when idle.** A worker stays while the queue may still fill (other workers are
  parsing pages) and leaves after ``NEWSCRAWL_IDLE_TIMEOUT`` seconds without work.
- **Losing Redis.** Redis unreachable at start is a one-line error naming the URL (see
  ``check_redis``). Lost mid-run, the scheduler stops the worker cleanly (finish reason
  ``redis_unavailable``): the archive commits what it holds, and the next run fetches the rest.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from newscrawl.messages import mask_password, one_line

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis comes with scrapy-redis
    RedisError = OSError  # type: ignore[assignment,misc]

#: Settings that turn a crawl into a worker of a shared frontier.
REDIS_SETTINGS = {
    "SCHEDULER": "newscrawl.distributed.SharedFrontierScheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
    "SCHEDULER_PERSIST": True,  # one worker leaving must not wipe the others' queue
}


class RedisUnavailable(Exception):
    """Redis cannot be reached; the message is one line naming the (password-masked) URL."""


def check_redis(url: str, timeout: float = 5.0) -> None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
    except (RedisError, ValueError, OSError) as exc:
        raise RedisUnavailable(f"cannot reach Redis at {mask_password(url)}: {one_line(exc)}") from None


def apply_settings(settings: Any, priority: str = "spider") -> None:
    """Switch scheduler and duplicate filter to the shared ones when NEWSCRAWL_REDIS is set."""
    url = settings.get("NEWSCRAWL_REDIS")
    if not url:
        return
    settings.set("REDIS_URL", url, priority=priority)
    for name, value in REDIS_SETTINGS.items():
        if settings.getpriority(name) is None or settings.getpriority(name) <= 20:
            settings.set(name, value, priority=priority)


class SharedFrontierScheduler(Scheduler):
    """scrapy-redis's scheduler, stopping the worker cleanly when Redis goes away."""

    def _lost(self, exc: Exception) -> None:
        if getattr(self, "_closing", False):
            return
        self._closing = True
        log.error("lost Redis (%s); stopping this worker, committed work is kept", exc)
        crawler = getattr(self.spider, "crawler", None)
        if crawler is not None and crawler.engine is not None:
            crawler.stats.inc_value("newscrawl/errors/redis_lost")
            crawler.engine.close_spider(self.spider, "redis_unavailable")

    # Scrapy 2.19's stats take no spider argument; scrapy-redis still passes one.
    def enqueue_request(self, request: Any) -> bool:
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
        except RedisError as exc:
            self._lost(exc)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Any:
        try:
            request = self.queue.pop(self.idle_before_close)
        except RedisError as exc:
            self._lost(exc)
            return None
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        try:
            return super().has_pending_requests()
        except RedisError as exc:
            self._lost(exc)
            return False

    def close(self, reason: str) -> None:
        try:
            super().close(reason)
        except RedisError:
            pass


class Worker:
    """This process's membership of a shared crawl: heartbeat, seeding, idle exit."""

    def __init__(self, crawler: Crawler, url: str, idle_timeout: float, stale_after: float) -> None:
        import redis

        self.crawler = crawler
        self.server = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
        self.name = crawler.spidercls.name
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.idle_timeout = idle_timeout
        self.stale_after = stale_after
        self.workers_key = f"newscrawl:{self.name}:workers"
        self.seed_key = f"newscrawl:{self.name}:seeded"
        self.last_active = time.monotonic()
        self.beat: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        for signal in (signals.response_received, signals.request_scheduled,
                       signals.item_scraped):
            crawler.signals.connect(self.active, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Worker:
        url = crawler.settings.get("NEWSCRAWL_REDIS")
        if not url:
            raise NotConfigured("NEWSCRAWL_REDIS is not set")
        worker = cls(crawler, url, crawler.settings.getfloat("NEWSCRAWL_IDLE_TIMEOUT", 30.0),
                     crawler.settings.getfloat("NEWSCRAWL_WORKER_STALE", 15.0))
        crawler.newscrawl_worker = worker  # type: ignore[attr-defined]
        return worker

    def active(self, *args: Any, **kwargs: Any) -> None:
        self.last_active = time.monotonic()

    def heartbeat(self) -> None:
        try:
            self.server.hset(self.workers_key, self.id, time.time())
            if self.server.get(self.seed_key) is not None:
                self.server.expire(self.seed_key, int(max(self.stale_after * 4, 60)))
        except RedisError as exc:
            log.warning("heartbeat to Redis failed: %s", exc)

    def live_workers(self) -> list[str]:
        now = time.time()
        beats = self.server.hgetall(self.workers_key)
        return [w.decode() for w, t in beats.items() if now - float(t) < self.stale_after]

    def claim_seed(self) -> bool:
        """True for the one worker of this run that must yield the start requests."""
        ttl = int(max(self.stale_after * 4, 60))
        if self.server.set(self.seed_key, self.id, nx=True, ex=ttl):
            self._new_run()
            return True
        holder = (self.server.get(self.seed_key) or b"").decode()
        if holder not in self.live_workers():
            # The seeding worker died and no live worker carries the run on: take over.
            self.server.set(self.seed_key, self.id, ex=ttl)
            log.info("seed key held by %s, which is gone: seeding a new run", holder)
            self._new_run()
            return True
        log.info("worker %s joins the run seeded by %s", self.id, holder)
        return False

    def _new_run(self) -> None:
        # A new run: the previous run's fingerprints would filter this run's listing pages.
        self.server.delete(f"{self.name}:dupefilter")
        self.crawler.stats.set_value("newscrawl/worker/seeded", 1)

    def spider_opened(self, spider: Any) -> None:
        self.heartbeat()
        self.beat = task.LoopingCall(self.heartbeat)
        self.beat.start(max(self.stale_after / 3, 0.5), now=False)

    def spider_idle(self, spider: Any) -> None:
        idle = time.monotonic() - self.last_active
        if idle < self.idle_timeout:
            raise DontCloseSpider
        log.info("worker %s idle for %.0f s: leaving", self.id, idle)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        try:
            self.server.hdel(self.workers_key, self.id)
            others = [w for w in self.live_workers() if w != self.id]
            if not others and reason == "finished":
                self.server.delete(self.seed_key)  # the run is over: the next one seeds
        except RedisError as exc:
            log.warning("could not sign off from Redis: %s", exc)
