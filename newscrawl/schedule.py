"""Running a crawl again and again, never twice at once: a run lock and a foreground loop.

``RunLock`` is an ``fcntl.flock`` on a file: the kernel drops it when the holding process
exits, however it exits, so a crashed or killed run never leaves a stale lock behind. The file
also says who holds it (pid and start time) for the message a second run prints.

``run_every`` is the loop behind a "crawl every hour" command: it runs the job at fixed slots
(start, start + interval, ...), takes the lock for each run, logs one line per run, carries on
after a job that raises, and stops cleanly on SIGTERM or SIGINT. It is meant to run in the
foreground under a supervisor (systemd, a container, tmux), which restarts it if it dies.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from newscrawl.messages import one_line

log = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_interval(text: str) -> float:
    """``"90s"``, ``"30m"``, ``"1h"``, ``"2d"``, ``"1w"`` or a sum like ``"1h30m"``, in seconds.

    ``ValueError`` with a one-line message for anything else, zero included.
    """
    if not isinstance(text, str):
        raise ValueError(f"interval {text!r} is not text like 90s, 30m, 1h or 2d")
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        hint = " (a unit is needed: s, m, h, d or w)" if compact.replace(".", "", 1).isdigit() \
            else ""
        raise ValueError(f"interval {text!r} is not like 90s, 30m, 1h, 2d or 1h30m{hint}")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"interval {text!r} must be longer than zero")
    return seconds


# -- the lock ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    started_at: str | None  # ISO 8601 UTC

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "pid unknown"
        return f"a run is already in progress ({who}" + (
            f" since {self.started_at})" if self.started_at else ")")


class RunLockHeld(RuntimeError):
    """``with RunLock(path):`` found the lock taken; the message names the holder."""


class RunLock:
    """An exclusive, non-blocking lock on ``path`` for the length of one run.

    ``acquire()`` returns False when another process (or another ``RunLock`` on the same
    file in this process) holds it; ``holder()`` then says who. The lock goes with the
    process: no stale lock survives a crash or a SIGKILL. The file is never deleted (deleting
    a flock file lets two processes lock two different files of the same name). A child made
    with ``os.fork`` shares the lock while it lives; ``subprocess`` children do not.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        self._fd = fd
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = (json.dumps({"pid": os.getpid(), "started_at": started}) + "\n").encode()
        # One write then a truncate: a reader sees the new first line or the old one, never a
        # half-written one (it reads only up to the first newline).
        os.pwrite(fd, line, 0)
        os.ftruncate(fd, len(line))
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def holder(self) -> LockHolder | None:
        """Who holds the lock, as written in the file; None if nobody does."""
        if self._fd is not None:
            return self._read()
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._read() or LockHolder(None, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def _read(self) -> LockHolder | None:
        try:
            with open(self.path, "rb") as stream:
                first = stream.readline()
            data = json.loads(first)
            return LockHolder(int(data["pid"]), str(data["started_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def __enter__(self) -> RunLock:
        if not self.acquire():
            holder = self.holder() or LockHolder(None, None)
            raise RunLockHeld(holder.describe())
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# -- the loop ---------------------------------------------------------------------------------
@dataclass
class ScheduleSummary:
    runs: int = 0  # jobs started
    failed: int = 0  # jobs that raised
    skipped_locked: int = 0  # slots skipped because another process held the lock
    skipped_late: int = 0  # slots missed because a run outlasted them


def run_every(interval_seconds: float, job: Callable[[], Any],
              lock_path: str | os.PathLike[str], stop_event: threading.Event | None = None,
              clock: Any = time) -> ScheduleSummary:
    """Run ``job()`` at ``start``, ``start + interval``, ... until stopped.

    Each run holds ``RunLock(lock_path)``; a slot whose lock another process holds is logged
    and skipped. A job that raises is logged (one line; the traceback at DEBUG) and the loop
    goes on. A run that outlasts one or more slots makes the loop skip them, not catch up.
    The loop stops, after the current run, when ``stop_event`` is set or the process gets
    SIGTERM or SIGINT (a second signal interrupts the run itself with KeyboardInterrupt);
    handlers are installed only when called from the main thread, and restored on return.

    ``clock`` is ``time`` or a stand-in with ``monotonic()``, ``time()`` and ``sleep()``; on
    the real clock the loop waits on ``stop_event`` instead of sleeping, so a signal ends the
    wait at once.
    """
    if interval_seconds <= 0:
        raise ValueError(f"interval must be positive, not {interval_seconds}")
    stop = stop_event or threading.Event()
    lock = RunLock(lock_path)
    summary = ScheduleSummary()
    restore = _install_handlers(stop)
    try:
        start = clock.monotonic()
        slot = 0
        while not stop.is_set():
            level, outcome = _run_once(job, lock, clock, summary, slot)
            if stop.is_set():
                log.log(level, "%s; stopping as asked", outcome)
                break
            now = clock.monotonic()
            due = int((now - start) // interval_seconds) + 1  # the first slot still ahead
            late = max(0, due - slot - 1)
            summary.skipped_late += late
            slot = due
            delay = start + slot * interval_seconds - now
            when = datetime.fromtimestamp(clock.time() + delay, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            log.log(level, "%s; next run at %s%s", outcome, when,
                     f" ({late} slot(s) skipped: the run outlasted them)" if late else "")
            if clock is time:
                stop.wait(delay)
            else:
                clock.sleep(delay)
    finally:
        lock.release()
        restore()
    return summary


def _run_once(job: Callable[[], Any], lock: RunLock, clock: Any, summary: ScheduleSummary,
              slot: int) -> tuple[int, str]:
    """Run the job once under the lock: the log level and line saying how it went."""
    if not lock.acquire():
        summary.skipped_locked += 1
        holder = lock.holder() or LockHolder(None, None)
        return logging.WARNING, f"slot {slot + 1} skipped: {holder.describe()}"
    summary.runs += 1
    number = summary.runs
    began = clock.monotonic()
    try:
        job()
    except Exception as exc:
        summary.failed += 1
        log.debug("run %d failed", number, exc_info=True)
        reason = f"{type(exc).__name__}: {one_line(exc)}" if str(exc).strip() else type(exc).__name__
        return logging.ERROR, f"run {number} failed after {clock.monotonic() - began:.1f} s: {reason}"
    finally:
        lock.release()
    return logging.INFO, f"run {number} done in {clock.monotonic() - began:.1f} s"


def _install_handlers(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # asked twice: stop the run itself too
            raise KeyboardInterrupt
        log.info("%s received: stopping after the current run",
                 signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


__all__ = ["LockHolder", "RunLock", "RunLockHeld", "ScheduleSummary", "parse_interval",
           "run_every"]
