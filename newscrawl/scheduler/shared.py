"""Many workers, one frontier: scrapy-redis for the shared scheduler and duplicate filter.

``NEWSCRAWL_REDIS = "redis://host:6379/0"`` (``newscrawl crawl scmp --redis URL``) switches a
crawl to scrapy-redis: every worker started with the same URL, on any machine, pushes the
requests it finds into one Redis priority queue and takes its next request from there, and a
shared set of request fingerprints keeps a URL from being fetched twice in one run.

What scrapy-redis leaves to us, here and in ``newscrawl.extensions.worker``:

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
from typing import Any

from redis.exceptions import RedisError
from scrapy_redis.scheduler import Scheduler

from newscrawl.messages import mask_password, one_line

log = logging.getLogger(__name__)


#: Settings that turn a crawl into a worker of a shared frontier.
REDIS_SETTINGS = {
    "SCHEDULER": "newscrawl.scheduler.shared.SharedFrontierScheduler",
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
        raise RedisUnavailable(f"cannot reach Redis at {mask_password(url)}: {one_line(exc, first_line=True)}") from None


def use_shared_frontier(settings: Any, priority: str = "spider") -> None:
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
