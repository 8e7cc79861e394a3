"""Polite retries: ``Retry-After`` honoured, hosts paused, failures backed off and counted.

Scrapy's ``RetryMiddleware`` sends a retry as soon as the failure arrives and ignores
``Retry-After``. ``PoliteRetryMiddleware`` replaces it:

* a 429 or 503 pauses the whole host (its download slot) for as long as ``Retry-After`` says,
  capped by ``NEWSCRAWL_MAX_RETRY_AFTER``, or for an exponential backoff when the header is
  missing; while a host is paused no request is sent to it, other hosts carry on;
* other failures worth retrying (5xx, timeouts, dropped connections, truncated bodies) wait an
  exponential backoff with jitter before the retry is scheduled, without holding the host;
* every retry is counted under ``newscrawl/retries/<reason>`` and ``newscrawl/retries/total``,
  every give-up under ``newscrawl/retries/gave_up`` with one log line naming the URL.

Waiting never blocks the reactor: a paused host is a download slot whose queue is held by a
timer, and a backoff is an awaited timer inside the middleware.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest, NotConfigured
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet import error as tx_error
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from newscrawl.config import ConfigError, FromCrawler, number
from newscrawl.downloadermiddlewares.budget import request_budget
from newscrawl.extraction.dates import from_rfc822

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Downloader, Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)

#: Statuses by which a server says "too many requests, come back later".
THROTTLE_STATUSES = frozenset({429, 503})
#: How often a paused host or a sleeping retry checks whether the crawl is closing.
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """The retry settings, read once and checked."""

    times: int  # retries per request after the first attempt (RETRY_TIMES)
    http_codes: frozenset[int]
    exceptions: tuple[type[BaseException], ...]
    priority_adjust: int
    give_up_level: int
    backoff_base: float  # seconds before the first retry; doubles with each further one
    backoff_max: float
    max_retry_after: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RetryPolicy:
        times = settings.getint("RETRY_TIMES")
        if times < 0:
            raise ConfigError(f"RETRY_TIMES must not be negative (got {times})")
        level = settings.get("RETRY_GIVE_UP_LOG_LEVEL")  # Scrapy's setting, "ERROR"
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            raise ConfigError(f"RETRY_GIVE_UP_LOG_LEVEL {settings.get('RETRY_GIVE_UP_LOG_LEVEL')!r} "
                              "is not a logging level")
        return cls(
            times=times,
            http_codes=frozenset(int(code) for code in settings.getlist("RETRY_HTTP_CODES")),
            exceptions=tuple(load_object(e) if isinstance(e, str) else e
                             for e in settings.getlist("RETRY_EXCEPTIONS")),
            priority_adjust=settings.getint("RETRY_PRIORITY_ADJUST"),
            give_up_level=level,
            backoff_base=number(settings, "NEWSCRAWL_RETRY_BACKOFF_BASE"),
            backoff_max=number(settings, "NEWSCRAWL_RETRY_BACKOFF_MAX"),
            max_retry_after=number(settings, "NEWSCRAWL_MAX_RETRY_AFTER"),
        )

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``failures``-th failure in a row: ``base * 2**(n-1)`` up to
        the maximum, then a random share of 50-100 % of it so that retries do not come back
        in step."""
        if failures < 1 or not self.backoff_base:
            return 0.0
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** min(failures - 1, 32))
        return ceiling * (rng or random).uniform(0.5, 1.0)


def check_settings(settings: BaseSettings) -> None:
    """Raise ``ConfigError`` for retry or budget settings that make no sense, so a caller can
    report them in one line before the crawl starts (the middlewares would raise it later,
    inside Scrapy's start-up)."""
    RetryPolicy.from_settings(settings)
    request_budget(settings)


def retry_after_seconds(response: Response, now: datetime | None = None) -> float | None:
    """The wait a response asks for in ``Retry-After`` (seconds or an HTTP date), or None.

    A date is measured against the response's own ``Date`` header when it has one, so a
    server whose clock is off still gets the wait it meant.
    """
    raw = response.headers.get(b"Retry-After")
    if not raw:
        return None
    text = raw.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    when = from_rfc822(text)
    if when is None:
        return None
    reference = now or _header_date(response) or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def _header_date(response: Response) -> datetime | None:
    raw = response.headers.get(b"Date")
    if not raw:
        return None
    return from_rfc822(raw.decode("latin-1"))


_TIMEOUTS = (DownloadTimeoutError, TimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError)
_RESETS = (tx_error.ConnectionLost, tx_error.ConnectionDone, tx_error.ConnectionAborted,
           ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
_REFUSED = (tx_error.ConnectError, ConnectionRefusedError)


def failure_reason(exception: BaseException) -> str:
    """A short name for why a download failed, used in stats: ``timeout``, ``reset``,
    ``dataloss``, ``connect``, ``dns``, or the exception's class name in snake case.

    Scrapy wraps Twisted's errors (a reset arrives as ``DownloadFailedError`` caused by
    ``ResponseNeverReceived([ConnectionLost])``), so the whole chain is looked at.
    """
    chain = list(_exception_chain(exception))
    names = {type(e).__name__ for e in chain}
    if "ResponseDataLossError" in names or "_DataLoss" in names:
        return "dataloss"
    if any(isinstance(e, _TIMEOUTS) for e in chain):
        return "timeout"
    if any(isinstance(e, _RESETS) for e in chain):
        return "reset"
    if "CannotResolveHostError" in names or any(isinstance(e, tx_error.DNSLookupError) for e in chain):
        return "dns"
    if "DownloadConnectionRefusedError" in names or any(isinstance(e, _REFUSED) for e in chain):
        return "connect"
    return _snake(type(exception).__name__)


def _exception_chain(exception: BaseException) -> Any:
    seen: set[int] = set()
    todo = [exception]
    while todo:
        exc = todo.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        yield exc
        if exc.__cause__ is not None:
            todo.append(exc.__cause__)
        if exc.__context__ is not None and not exc.__suppress_context__:
            todo.append(exc.__context__)
        for reason in getattr(exc, "reasons", None) or ():  # twisted.web ResponseFailed
            if isinstance(reason, Failure) and isinstance(reason.value, BaseException):
                todo.append(reason.value)


def _snake(name: str) -> str:
    name = name.removesuffix("Error") or name
    return "".join("_" + c.lower() if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


def crawl_is_closing(crawler: Crawler) -> bool:
    """Whether the engine has begun closing the spider.

    Scrapy has no public flag or signal for this; the engine's slot carries a ``closing``
    Deferred from the moment ``close_spider_async`` starts waiting for requests in progress.
    """
    engine = crawler.engine
    if engine is None or not getattr(engine, "running", True):
        return True
    slot = getattr(engine, "_slot", None)
    return slot is None or getattr(slot, "closing", None) is not None


async def sleep(seconds: float) -> None:
    """Wait without blocking the reactor (asyncio or not)."""
    done: Deferred[None] = Deferred()
    call_later(seconds, done.callback, None)
    await maybe_deferred_to_future(done)


class HostPauses:
    """Holds hosts' download slots shut until a given time.

    The downloader sends a slot's queued requests from ``_process_queue``, which does nothing
    while the slot has a pending ``latercall`` (Scrapy's own download delay works that way).
    A pause is such a timer: it ticks at most every ``POLL_SECONDS``, so a later pause can
    extend it and a closing crawl can drop what waits instead of waiting it out. The slot is
    Scrapy's, keyed by host (or ``download_slot`` meta), so other hosts are untouched.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.until: dict[str, float] = {}  # slot key -> monotonic time the pause ends
        self.armed: dict[str, Slot] = {}  # the slot object each pause's timer sits on

    @property
    def downloader(self) -> Downloader:
        assert self.crawler.engine is not None
        return self.crawler.engine.downloader

    def slot_key(self, request: Request) -> str:
        return self.downloader.get_slot_key(request)

    def remaining(self, key: str) -> float:
        return max(0.0, self.until.get(key, 0.0) - monotonic())

    def pause(self, request: Request, seconds: float) -> None:
        """Send nothing more to the request's host for ``seconds`` (or longer, if it is
        already paused for longer)."""
        if seconds <= 0:
            return
        key, slot = self.downloader._get_slot(request)  # no public accessor
        self.until[key] = max(self.until.get(key, 0.0), monotonic() + seconds)
        self._arm(key, slot)

    def hold(self, request: Request) -> None:
        """Re-apply a pause to a slot Scrapy recreated (it drops idle slots after a minute)."""
        if not self.until:
            return
        key = self.slot_key(request)
        if key not in self.until:
            return
        if self.remaining(key) <= 0:
            self._forget(key)
            return
        key, slot = self.downloader._get_slot(request)
        if self.armed.get(key) is not slot:
            self._arm(key, slot)

    def _arm(self, key: str, slot: Slot) -> None:
        if slot.latercall is not None:
            # Scrapy's delay timer or our own; either way the queue is re-checked when ours
            # ends, and _process_queue then applies the slot's delay again.
            slot.latercall.cancel()
        slot.latercall = call_later(min(self.remaining(key), POLL_SECONDS), self._tick, key, slot)
        self.armed[key] = slot

    def _tick(self, key: str, slot: Slot) -> None:
        slot.latercall = None
        if crawl_is_closing(self.crawler):
            self._drop_queued(key, slot)
            self._forget(key)
            return
        if self.remaining(key) > 0:
            self._arm(key, slot)
            return
        self._forget(key)
        log.debug("resuming requests to %s", key)
        self.downloader._process_queue(slot)  # what Scrapy's own timer calls

    def _forget(self, key: str) -> None:
        self.until.pop(key, None)
        self.armed.pop(key, None)

    def _drop_queued(self, key: str, slot: Slot) -> None:
        """The crawl is closing: fail what waits for a paused host rather than send it early
        or keep the crawl open until the pause ends."""
        stats = self.crawler.stats
        while slot.queue:
            request, waiting = slot.queue.popleft()
            assert stats is not None
            stats.inc_value("newscrawl/backoff/dropped_on_close")
            waiting.errback(Failure(IgnoreRequest(
                f"crawl closing while {key} is paused; not sending {request.url}")))


class PoliteRetryMiddleware(FromCrawler):
    """Retries like Scrapy's ``RetryMiddleware`` (same settings and ``dont_retry``,
    ``max_retry_times`` meta), but with ``Retry-After``, per-host pauses and backoff."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        super().__init__(crawler)
        self.policy = RetryPolicy.from_settings(crawler.settings)
        self.pauses = HostPauses(crawler)
        self.throttled: dict[str, int] = {}  # slot key -> 429/503 answers in a row
        self.rng = random.Random()
        # The pause starts when the answer arrives, before the downloader frees the
        # connection and sends the host's next queued request; process_response runs after.
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    def process_request(self, request: Request) -> None:
        self.pauses.hold(request)
        return None

    def _response_downloaded(self, response: Response, request: Request) -> None:
        # Politeness first: a host that asks for a pause gets it whether or not this request
        # is retried (dont_retry, retries spent).
        if response.status in THROTTLE_STATUSES:
            self._pause_host(request, response)
        else:
            self.throttled.pop(self.pauses.slot_key(request), None)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False):
            return response
        if response.status in self.policy.http_codes:
            reason = f"http_{response.status}"
        elif "dataloss" in response.flags:  # DOWNLOAD_FAIL_ON_DATALOSS = False
            reason = "dataloss"
        else:
            return response
        retry = self._retry_request(request, reason)
        if retry is None:
            return response
        if response.status not in THROTTLE_STATUSES:  # those wait for their host's pause
            await self._back_off(retry)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.policy.exceptions):
            return None
        retry = self._retry_request(request, failure_reason(exception))
        if retry is None:
            return None
        await self._back_off(retry)
        return retry

    def _pause_host(self, request: Request, response: Response) -> None:
        key = self.pauses.slot_key(request)
        self.throttled[key] = self.throttled.get(key, 0) + 1
        asked = retry_after_seconds(response)
        if asked is None:
            seconds, why = self.policy.backoff(self.throttled[key], self.rng), "backoff"
        else:
            seconds, why = min(asked, self.policy.max_retry_after), "Retry-After"
            if asked > self.policy.max_retry_after:
                self.stats.inc_value("newscrawl/backoff/retry_after_capped")
                why = f"Retry-After {asked:.0f} s capped by NEWSCRAWL_MAX_RETRY_AFTER"
        if seconds <= 0:
            return
        self.stats.inc_value("newscrawl/backoff/host_pauses")
        self.stats.max_value("newscrawl/backoff/longest_pause", round(seconds, 3))
        log.info("%s answered %d: pausing %s for %.1f s (%s)", response.url, response.status,
                 key, seconds, why)
        self.pauses.pause(request, seconds)

    def _retry_request(self, request: Request, reason: str) -> Request | None:
        """A copy of ``request`` to send again, counted in the stats, or None when its retries
        are spent (logged once with the URL)."""
        failures = request.meta.get("retry_times", 0) + 1
        allowed = request.meta.get("max_retry_times", self.policy.times)
        if failures > allowed:
            self.stats.inc_value("newscrawl/retries/gave_up")
            log.log(self.policy.give_up_level, "gave up on %s after %d failed attempts (last: %s)",
                    request.url, failures, reason)
            return None
        retry = request.copy()
        retry.meta["retry_times"] = failures
        retry.dont_filter = True
        retry.priority = request.priority + request.meta.get("priority_adjust",
                                                             self.policy.priority_adjust)
        self.stats.inc_value(f"newscrawl/retries/{reason}")
        self.stats.inc_value("newscrawl/retries/total")
        log.debug("retrying %s (retry %d of %d): %s", request.url, failures, allowed, reason)
        return retry

    async def _back_off(self, retry: Request) -> None:
        """Wait before handing the retry back to the scheduler; give up waiting if the crawl
        closes (the retry then goes to the scheduler, which keeps it only in a JOBDIR)."""
        deadline = monotonic() + self.policy.backoff(retry.meta["retry_times"], self.rng)
        while (left := deadline - monotonic()) > 0 and not crawl_is_closing(self.crawler):
            await sleep(min(left, POLL_SECONDS))
