"""The loop behind ``newscrawl run``: crawl an outlet every interval, in the foreground.

Meant for a supervisor (systemd, a container, tmux): it holds the outlet's schedule lock,
``<data-dir>/<outlet>/schedule.lock``, for its whole life, so a second loop on the same data
directory stops at once, and runs ``newscrawl.schedule.run_every`` with one crawl per slot.

Each crawl is a child process, ``python -m newscrawl.cli crawl <outlet> ...``: Scrapy's
reactor cannot be started twice in one process, and a fresh process per run keeps the loop's
memory flat however long it lives. The child takes the crawl lock itself, so a crawl started
by hand (or by cron) and the loop never overlap: whichever comes second says so and exits 0.
The child's output is passed through; the loop adds one line per crawl (exit code, duration,
the crawl's last line).

Stopping: SIGTERM or SIGINT (Ctrl+C) ends the loop after the current crawl, and the crawl is
asked to stop with one SIGTERM, on which Scrapy closes gracefully (requests in flight finish,
the archive commits). A second signal asks the crawl again, which makes Scrapy stop at once.
The child runs in a process group of its own, so a Ctrl+C in a terminal reaches it only
through the loop, once.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from newscrawl.schedule import LockHolder, RunLock, RunLockHeld, run_every

log = logging.getLogger(__name__)

#: How long a crawl may take to stop after a second signal before it is killed.
KILL_AFTER_SECONDS = 30.0


def schedule_lock_path(data_dir: str | os.PathLike[str], outlet: str) -> Path:
    """The lock a ``newscrawl run`` loop for ``outlet`` into ``data_dir`` holds for its life."""
    return Path(data_dir) / outlet / "schedule.lock"


def lock_holder(lock: RunLock, patience: float = 1.0) -> LockHolder:
    """Who holds ``lock`` (which we failed to take), waiting a moment for it to say so.

    A process writes its pid into the file just after it takes the lock; a process that finds
    the lock taken in between would otherwise report "pid unknown".
    """
    deadline = time.monotonic() + patience
    while True:
        holder = lock.holder()
        if holder is None or holder.pid is not None or time.monotonic() >= deadline:
            return holder or LockHolder(None, None)
        time.sleep(0.02)


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
                 stop: threading.Event | None = None) -> None:
        self.outlet = outlet
        self.crawl_args = list(crawl_args)
        self.data_dir = Path(data_dir)
        self.interval = interval
        self.max_runs = max_runs
        self.stop = stop or threading.Event()
        self.result = LoopResult()

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "newscrawl.cli", "crawl", self.outlet, *self.crawl_args]

    def run(self) -> LoopResult:
        """Crawl until stopped (or ``max_runs`` crawls), holding the schedule lock throughout.

        ``RunLockHeld``, naming the holder, when another loop holds it.
        """
        import tempfile

        lock = RunLock(schedule_lock_path(self.data_dir, self.outlet))
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
        if code != 0:
            self.result.failed += 1
            raise CrawlFailed(f"crawl {number} ended with {ending}")

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


__all__ = ["CrawlFailed", "CrawlLoop", "LoopResult", "lock_holder", "schedule_lock_path"]
