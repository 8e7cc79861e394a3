"""The ``newscrawl`` command run as a user runs it (a child process), and the archive it leaves."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newscrawl.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


def crawl(replica, data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    result = run_cli("crawl", "scmp", "--base-url", replica.base_url, "--data-dir", str(data_dir),
                     "--pagination", "api", "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def rows(data_dir: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(data_dir / "scmp" / "archive.sqlite") as db:
        return db.execute(sql, params).fetchall()


def journal(data_dir: Path) -> list[dict]:
    text = (data_dir / "scmp" / "articles.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]
