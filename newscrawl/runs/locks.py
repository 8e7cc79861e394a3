"""Never two runs at once: a lock per data directory that dies with its process.

``RunLock`` is an ``fcntl.flock`` on a file: the kernel drops it when the holding process
exits, however it exits, so a crashed or killed run never leaves a stale lock behind. The file
also says who holds it (pid and start time) for the message a second run prints. A crawl
holds ``<data-dir>/<outlet>/crawl.lock`` (``newscrawl.extensions.archive`` takes it, so every
way of starting a crawl does); a ``newscrawl run`` loop holds ``schedule.lock`` for its life.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from dataclasses import dataclass

from newscrawl.extraction.dates import utc_now


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
        line = (json.dumps({"pid": os.getpid(), "started_at": utc_now()}) + "\n").encode()
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


__all__ = ["LockHolder", "RunLock", "RunLockHeld", "lock_holder"]
