"""The loop behind ``newscrawl run``: crawl an outlet every interval, in the foreground.

Meant for a supervisor (systemd, a container, tmux): it holds the outlet's schedule lock,
``<data-dir>/<outlet>/schedule.lock``, for its whole life, so a second loop on the same data
directory stops at once, and runs ``run_every`` with one crawl per slot.

Each crawl is a child process, ``python -m newscrawl.cli crawl <outlet> ...``: Scrapy's
reactor cannot be started twice in one process, and a fresh process per run keeps the loop's
memory flat however long it lives. The child takes the crawl lock itself, so a crawl started
by hand (or by cron) and the loop never overlap: whichever comes second says so and exits 0.
The child's output is passed through; the loop adds one line per crawl (exit code, duration,
the crawl's last line) and, when given a ``health`` judge, the verdict on the run that crawl
left (``newscrawl health``; a warning when degraded, an error when broken).

Stopping: SIGTERM or SIGINT (Ctrl+C) ends the loop after the current crawl, and the crawl is
asked to stop with one SIGTERM, on which Scrapy closes gracefully (requests in flight finish,
the archive commits). A second signal asks the crawl again, which makes Scrapy stop at once.
The child runs in a process group of its own, so a Ctrl+C in a terminal reaches it only
through the loop, once.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from newscrawl.extraction.dates import utc_iso
from newscrawl.layout import DataDir
from newscrawl.messages import one_line
from newscrawl.runs.locks import LockHolder, RunLock, RunLockHeld, lock_holder

if TYPE_CHECKING:
    from newscrawl.health import Verdict

log = logging.getLogger(__name__)

#: How long a crawl may take to stop after a second signal before it is killed.
KILL_AFTER_SECONDS = 30.0

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
            when = utc_iso(datetime.fromtimestamp(clock.time() + delay, UTC))
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


class CrawlFailed(RuntimeError):
    """A crawl process that exited with a non-zero status."""


@dataclass
class LoopResult:
    runs: int = 0  # crawls started
    failed: int = 0  # crawls that exited non-zero
    last_failed: bool = False


class CrawlLoop:
    """Run ``newscrawl crawl <outlet> <crawl_args>`` every ``interval`` seconds."""

    def __init__(self, outlet: str, crawl_args: Sequence[str], *, data_dir: str | os.PathLike[str],
                 interval: float, max_runs: int | None = None,
                 stop: threading.Event | None = None,
                 health: Callable[[], Verdict] | None = None) -> None:
        self.outlet = outlet
        self.crawl_args = list(crawl_args)
        self.data_dir = Path(data_dir)
        self.interval = interval
        self.max_runs = max_runs
        self.stop = stop or threading.Event()
        self.health = health
        self.result = LoopResult()

    @property
    def command(self) -> list[str]:
        # The loop judges each crawl itself (log_health), at the log level the verdict asks.
        return [sys.executable, "-m", "newscrawl.cli", "crawl", self.outlet, "--no-health",
                *self.crawl_args]

    def run(self) -> LoopResult:
        """Crawl until stopped (or ``max_runs`` crawls), holding the schedule lock throughout.

        ``RunLockHeld``, naming the holder, when another loop holds it.
        """
        import tempfile

        lock = RunLock(DataDir.of(self.data_dir, self.outlet).schedule_lock)
        if not lock.acquire():
            raise RunLockHeld(lock_holder(lock).describe())
        try:
            # run_every takes a lock around each run. The schedule lock (held here for the
            # loop's life) and each crawl's own crawl lock already keep every other run out,
            # so its per-run lock is a private file that nobody else can contend for.
            with tempfile.TemporaryDirectory(prefix="newscrawl-run-") as private:
                run_every(self.interval, self.crawl_once, Path(private) / "run.lock", self.stop)
        finally:
            lock.release()
        return self.result

    def crawl_once(self) -> None:
        """One crawl as a child process; raises ``CrawlFailed`` when it exits non-zero."""
        self.result.runs += 1
        number = self.result.runs
        began = time.monotonic()
        # Its own process group: a terminal's Ctrl+C reaches the loop, which forwards it once.
        child = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, process_group=0)
        last: dict[str, str] = {}
        tees = [threading.Thread(target=_tee, args=(child.stdout, sys.stdout, last, "stdout"),
                                 daemon=True),
                threading.Thread(target=_tee, args=(child.stderr, sys.stderr, last, "stderr"),
                                 daemon=True)]
        for tee in tees:
            tee.start()
        try:
            code = self._wait(child)
        except BaseException:  # a second signal (KeyboardInterrupt): the crawl must not linger
            log.warning("stopping crawl %d (pid %d) at once", number, child.pid)
            _stop_now(child)
            raise
        finally:
            for tee in tees:
                tee.join(timeout=5)
        took = time.monotonic() - began
        if self.max_runs is not None and number >= self.max_runs:
            self.stop.set()
        said = (last.get("stdout") if code == 0 else None) or last.get("stderr") \
            or last.get("stdout") or "no output"
        ending = f"exit {code}" if code >= 0 else f"killed by {signal.Signals(-code).name}"
        self.result.last_failed = code != 0
        log.log(logging.INFO if code == 0 else logging.ERROR, "crawl %d: %s in %.1f s: %s",
                number, ending, took, said)
        self.log_health(number)
        if code != 0:
            self.result.failed += 1
            raise CrawlFailed(f"crawl {number} ended with {ending}")

    def log_health(self, number: int) -> None:
        """The verdict on the run a crawl left: one line, then one per finding."""
        if self.health is None:
            return
        try:
            verdict = self.health()
        except Exception as exc:  # the verdict is a report; the loop carries on without it
            log.warning("crawl %d: health not judged: %s", number, one_line(exc))
            return
        level = {0: logging.INFO, 1: logging.WARNING}.get(verdict.exit_code, logging.ERROR)
        for line in verdict.lines():
            log.log(level, "crawl %d: %s", number, line)

    def _wait(self, child: subprocess.Popen[bytes]) -> int:
        """The child's exit status; asks it to stop (once) when the loop is told to stop."""
        forwarded = False
        while True:
            try:
                return child.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
            if self.stop.is_set() and not forwarded:
                log.info("asking crawl %d (pid %d) to stop", self.result.runs, child.pid)
                _signal(child, signal.SIGTERM)
                forwarded = True


def _signal(child: subprocess.Popen[bytes], signum: int) -> None:
    try:
        child.send_signal(signum)
    except ProcessLookupError:
        pass


def _stop_now(child: subprocess.Popen[bytes]) -> None:
    """Second request: Scrapy stops at once on a second SIGTERM; kill it if it does not."""
    if child.poll() is not None:
        return
    _signal(child, signal.SIGTERM)
    try:
        child.wait(timeout=KILL_AFTER_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _tee(source: IO[bytes] | None, sink: IO[str], last: dict[str, str], name: str) -> None:
    """Copy a child's stream to ours line by line, remembering its last non-empty line."""
    if source is None:
        return
    out = getattr(sink, "buffer", None)
    for line in source:
        text = line.decode("utf-8", "replace").strip()
        if text:
            last[name] = text
        try:
            if out is not None:
                out.write(line)
            else:
                sink.write(line.decode("utf-8", "replace"))
            sink.flush()
        except (OSError, ValueError):  # our own stream closed: keep draining the child's
            pass
    source.close()


__all__ = ["CrawlFailed", "CrawlLoop", "LoopResult", "ScheduleSummary", "parse_interval",
           "run_every"]
