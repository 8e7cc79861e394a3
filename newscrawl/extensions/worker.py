"""This process's membership of a shared crawl (``--redis``): heartbeat, seeding once per run,
leaving when idle. The shared scheduler itself is ``newscrawl.scheduler.shared``."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

from newscrawl.config import number
from newscrawl.scheduler.shared import RedisError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


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
            raise NotConfigured  # no message: Scrapy would log a switched-off option as a warning
        worker = cls(crawler, url, number(crawler.settings, "NEWSCRAWL_IDLE_TIMEOUT"),
                     number(crawler.settings, "NEWSCRAWL_WORKER_STALE", zero_ok=False))
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
        return [_text(w) for w, t in beats.items() if now - float(t) < self.stale_after]

    def claim_seed(self) -> bool:
        """True for the one worker of this run that must yield the start requests."""
        ttl = int(max(self.stale_after * 4, 60))
        if self.server.set(self.seed_key, self.id, nx=True, ex=ttl):
            self._new_run()
            return True
        holder = _text(self.server.get(self.seed_key) or b"")
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


def _text(value: bytes | str) -> str:
    """A Redis reply as text (redis-py answers bytes unless told to decode)."""
    return value.decode() if isinstance(value, bytes) else value
