"""Small real filesystems for storage faults: a tmpfs that fills up, one made read-only.

Mounted with ``mount -t tmpfs`` (the tests run as root, see ``tests/utils/system.py``), so
SQLite, the journal and the log meet a real ENOSPC or EROFS, not a mock of one.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"mount {' '.join(args)} failed: {done.stderr.strip()}")


@contextmanager
def small_filesystem(size: str) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` (``"2m"``), unmounted and removed afterwards."""
    point = Path(tempfile.mkdtemp(prefix="newscrawl-fs-"))
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point))
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=30)
        point.rmdir()


def make_read_only(point: Path) -> None:
    """Remount a ``small_filesystem`` read-only."""
    _mount("-o", "remount,ro", str(point))
