"""`newscrawl run`: the crawl loop against a replica, its locks, and stopping it with SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from newscrawl.runs.locks import RunLock
from tests.utils.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]


def loop_command(base_url: str, data_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "newscrawl.cli", "run", "scmp", "--base-url", base_url,
            "--data-dir", str(data_dir), "--pagination", "api",
            "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=WARNING", *extra]


def runs(data_dir: Path) -> list[tuple]:
    with sqlite3.connect(data_dir / "scmp" / "archive.sqlite") as db:
        return db.execute("SELECT id, finished_at, finish_reason FROM runs ORDER BY id").fetchall()


def stored(data_dir: Path) -> int:
    if not (data_dir / "scmp" / "archive.sqlite").exists():
        return 0
    with sqlite3.connect(data_dir / "scmp" / "archive.sqlite") as db:
        try:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is being created
            return 0


def test_run_crawls_every_interval_and_stops_after_runs(fresh_replica, tmp_path):
    done = subprocess.run(loop_command(fresh_replica.base_url, tmp_path, "--every", "2s",
                                       "--runs", "2"),
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [reason for _, _, reason in runs(tmp_path)] == ["finished", "finished"]
    assert all(finished for _, finished, _ in runs(tmp_path))
    # One line per crawl: exit code, duration and the crawl's own last line.
    for number in (1, 2):
        assert f"crawl {number}: exit 0 in " in done.stderr
    assert "articles written to" in done.stderr.split("crawl 2: exit 0 in ")[1].splitlines()[0]
    # Then the verdict of newscrawl health on the run it left.
    assert "crawl 1: health scmp: healthy (run 1 ended " in done.stderr
    assert "crawl 2: health scmp: healthy (run 2 ended " in done.stderr
    assert "stopping as asked" in done.stderr


def test_a_second_loop_on_the_same_data_dir_stops_at_once(replica, tmp_path):
    command = loop_command(replica.base_url, tmp_path, "--every", "1h", "--runs", "1")
    started = time.monotonic()
    loops = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT) for _ in range(2)]
    ended: dict[int, float] = {}
    while len(ended) < 2 and time.monotonic() - started < 90:
        for index, loop in enumerate(loops):
            if index not in ended and loop.poll() is not None:
                ended[index] = time.monotonic() - started
        time.sleep(0.05)
    outputs = [loop.communicate(timeout=10) for loop in loops]
    assert all(loop.returncode == 0 for loop in loops), [err[-2000:] for _, err in outputs]
    busy = [i for i, (out, _) in enumerate(outputs) if "in progress" in out]
    assert len(busy) == 1, outputs
    loser, winner = busy[0], 1 - busy[0]
    out = outputs[loser][0]
    assert out.count("\n") == 1
    assert out.startswith(f"newscrawl run: a run is already in progress (pid {loops[winner].pid} "
                          "since ")
    assert ended[loser] < 10  # at once, not after the other loop's crawl
    assert "crawl 1: exit 0" in outputs[winner][1]
    assert [reason for _, _, reason in runs(tmp_path)] == ["finished"]


def test_a_crawl_while_another_runs_says_so_in_one_line_and_exits_0(replica, tmp_path):
    with RunLock(tmp_path / "scmp" / "crawl.lock"):  # a crawl of this data dir is running
        crawl = run_cli("crawl", "scmp", "--base-url", replica.base_url, "--data-dir",
                        str(tmp_path))
        assert crawl.returncode == 0, crawl.stderr
        assert crawl.stdout.count("\n") == 1
        assert crawl.stdout.startswith(
            f"newscrawl crawl: a run is already in progress (pid {os.getpid()} since ")
        # The loop's crawl meets the same lock: the slot is logged and the loop carries on.
        loop = subprocess.run(loop_command(replica.base_url, tmp_path, "--every", "1s",
                                           "--runs", "1"),
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert loop.returncode == 0, loop.stderr[-2000:]
    assert "exit 0 in" in loop.stderr
    assert f"newscrawl crawl: a run is already in progress (pid {os.getpid()} " in loop.stderr
    assert not (tmp_path / "scmp" / "archive.sqlite").exists()


def test_sigterm_stops_the_crawl_gracefully_then_the_loop(tmp_path):
    # A Crawl-delay of 0.2 s makes the crawl take a minute: it is surely running when stopped.
    with ReplicaServer(ReplicaConfig(articles=300, seed=3, crawl_delay=0.2)) as replica:
        loop = subprocess.Popen(loop_command(replica.base_url, tmp_path, "--every", "1h"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=ROOT)
        crawl_lock = RunLock(tmp_path / "scmp" / "crawl.lock")
        # Stopped once it has stored articles: a signal while Scrapy is still opening the
        # spider stops it without closing it (its run then stays unfinished, as if killed).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not stored(tmp_path):
            time.sleep(0.2)
        holder = crawl_lock.holder()
        assert holder is not None and holder.pid != loop.pid, "the crawl never started"
        loop.send_signal(signal.SIGTERM)
        out, err = loop.communicate(timeout=60)
    assert loop.returncode == 0, err[-3000:]
    assert "SIGTERM received" in err and f"asking crawl 1 (pid {holder.pid}) to stop" in err
    assert "crawl 1: exit 0 in" in err and "stopping as asked" in err
    # Scrapy closed gracefully: the run was recorded as shut down, the archive committed.
    [(_, finished, reason)] = runs(tmp_path)
    assert finished and reason == "shutdown"
    assert 0 < stored(tmp_path) < 250  # stopped in the middle
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"the crawl (pid {holder.pid}) outlived its loop")
    for lock in ("crawl.lock", "schedule.lock"):
        assert RunLock(tmp_path / "scmp" / lock).holder() is None


def test_bad_interval_is_one_line_and_exit_2(tmp_path):
    for every in ("1x", "0s", "10"):
        done = run_cli("run", "--every", every, "--data-dir", str(tmp_path))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "--every" in done.stderr
    missing = run_cli("run", "--data-dir", str(tmp_path))
    assert missing.returncode == 2 and "--every" in missing.stderr
    bad_option = run_cli("run", "--every", "1h", "--since", "yesterday", "--data-dir",
                         str(tmp_path))
    assert bad_option.returncode == 2 and bad_option.stderr.count("\n") == 1
    assert not (tmp_path / "scmp").exists()
