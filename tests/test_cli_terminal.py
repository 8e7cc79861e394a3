"""What `newscrawl crawl` shows a person (issue 15, the terminal): a live progress line on a
terminal, plain lines without one, Scrapy's log in a file (on stderr with -v), the summary on
stdout at any log level, and a closed pipe that ends quietly."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from tests.utils.cli import crawl, run_cli


@pytest.fixture(scope="module")
def small_replica():
    with ReplicaServer(ReplicaConfig(articles=60, seed=4, crawl_delay=0)) as server:
        yield server


def crawl_command(replica, data_dir, *extra: str) -> list[str]:
    return [sys.executable, "-m", "newscrawl.cli", "crawl", "scmp", "--base-url",
            replica.base_url, "--data-dir", str(data_dir), "--pagination", "api", *extra]


def test_a_terminal_gets_one_live_progress_line(small_replica, tmp_path):
    primary, secondary = pty.openpty()
    process = subprocess.Popen(crawl_command(small_replica, tmp_path), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=secondary, text=True)
    os.close(secondary)
    shown = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the crawl closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    out, _ = process.communicate(timeout=60)
    os.close(primary)
    assert process.returncode == 0, shown.decode(errors="replace")[-2000:]
    text = shown.decode("utf-8", errors="replace")
    assert "fetched" in text and "stored" in text and "queued" in text and "pages/min" in text
    assert "\x1b[" in text  # redrawn in place (cursor moves), not a scroll of lines
    assert "[scrapy" not in text  # Scrapy's log went to its file, not over the line
    assert "field fill rate" in out and "articles written to" in out
    logs = list((tmp_path / "scmp" / "logs").glob("crawl-*.log"))
    assert len(logs) == 1 and "Spider closed (finished)" in logs[0].read_text()


def test_without_a_terminal_plain_lines_and_the_summary_at_warning(small_replica, tmp_path):
    result = run_cli("crawl", "scmp", "--base-url", small_replica.base_url, "--data-dir",
                     str(tmp_path), "--pagination", "api", "-s", "LOG_LEVEL=WARNING",
                     "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0.5")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "field fill rate" in result.stdout  # the summary, whatever the log level
    assert "\x1b[" not in result.stderr
    others = [line for line in result.stderr.splitlines()
              if not line.startswith("progress: fetched ")]
    assert not others, others[:20]
    verbose = run_cli("crawl", "scmp", "--base-url", small_replica.base_url, "--data-dir",
                      str(tmp_path / "v"), "--pagination", "api", "-v")
    assert "Spider closed (finished)" in verbose.stderr  # -v: the log on stderr too
    assert "field fill rate" in verbose.stdout


def test_a_closed_pipe_ends_quietly(small_replica, tmp_path):
    crawl(small_replica, tmp_path)
    for command in (["stats"], ["search", "hong kong", "--limit", "50"],
                    ["export", "--format", "jsonl", "--out", "/dev/stdout"]):
        reader = subprocess.Popen(
            [sys.executable, "-m", "newscrawl.cli", *command, "--data-dir", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert reader.stdout is not None
        reader.stdout.read(10)
        reader.stdout.close()  # as `| head -c 10` does
        _, err = reader.communicate(timeout=60)
        assert reader.returncode == 0 and err == b"", (command, err)
