"""The run lock between real processes, and the run loop with real and fake clocks."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl.runs.locks import LockHolder, RunLock, RunLockHeld
from newscrawl.runs.loop import ScheduleSummary, parse_interval, run_every

ROOT = Path(__file__).resolve().parents[1]

HOLD = textwrap.dedent("""
    import json, sys, time
    from newscrawl.runs.locks import RunLock
    lock = RunLock(sys.argv[1])
    print(json.dumps({"acquired": lock.acquire()}), flush=True)
    time.sleep(60)
""")

TRY = textwrap.dedent("""
    import json, sys
    from dataclasses import asdict
    from newscrawl.runs.locks import RunLock
    lock = RunLock(sys.argv[1])
    acquired = lock.acquire()
    holder = None if acquired else lock.holder()
    print(json.dumps({"acquired": acquired, "holder": holder and asdict(holder),
                      "message": holder and holder.describe()}))
""")

LOOP = textwrap.dedent("""
    import json, logging, sys, time
    from dataclasses import asdict
    from newscrawl.runs.loop import run_every
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    runs = []
    def job():
        runs.append(1)
        print(f"run {len(runs)}", flush=True)
        time.sleep(float(sys.argv[3]))
    summary = run_every(float(sys.argv[2]), job, sys.argv[1])
    print(json.dumps(asdict(summary)), flush=True)
""")


def spawn(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def contend(lock_path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", TRY, str(lock_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=30, check=True).stdout
    return json.loads(out)


# -- parse_interval ---------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "seconds"), [
    ("1h", 3600), ("30m", 1800), ("90s", 90), ("2d", 172_800), ("1w", 604_800),
    ("1h30m", 5400), (" 1H 30M ", 5400), ("0.5s", 0.5), ("1.5h", 5400),
])
def test_parse_interval(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize(("text", "message"), [
    ("", "not like"), ("hourly", "not like"), ("1x", "not like"), ("h1", "not like"),
    ("-5m", "not like"), ("1h-30m", "not like"), ("90", "a unit is needed"),
    ("0s", "longer than zero"), ("0h0m", "longer than zero"), (3600, "not text"),
])
def test_parse_interval_refuses(text, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_interval(text)
    assert "\n" not in str(err.value)


# -- the lock ---------------------------------------------------------------------------------
def test_two_processes_contend_and_a_sigkill_frees_the_lock(tmp_path):
    lock_path = tmp_path / "locks" / "scmp.lock"
    holder = spawn(HOLD, lock_path)
    try:
        assert json.loads(holder.stdout.readline()) == {"acquired": True}
        seen = contend(lock_path)
        assert seen["acquired"] is False
        assert seen["holder"]["pid"] == holder.pid
        started = datetime.fromisoformat(seen["holder"]["started_at"].replace("Z", "+00:00"))
        assert abs((datetime.now(UTC) - started).total_seconds()) < 60
        assert seen["message"] == (f"a run is already in progress (pid {holder.pid} since "
                                   f"{seen['holder']['started_at']})")
        # This process sees the same, through its own RunLock.
        mine = RunLock(lock_path)
        assert mine.acquire() is False
        assert mine.holder() == LockHolder(holder.pid, seen["holder"]["started_at"])
        with pytest.raises(RunLockHeld, match=f"pid {holder.pid} since"):
            with RunLock(lock_path):
                pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        # No cleanup ran, yet the lock is free: the kernel dropped it with the process.
        assert RunLock(lock_path).holder() is None
        assert contend(lock_path)["acquired"] is True
    finally:
        holder.kill()
        holder.wait(10)
        holder.stdout.close()
        holder.stderr.close()


def test_lock_in_one_process(tmp_path):
    path = tmp_path / "run.lock"
    first, second = RunLock(path), RunLock(path)
    assert first.holder() is None
    assert first.acquire() and first.held
    assert first.acquire()  # already ours
    assert second.acquire() is False  # another open file: flock says no, even in-process
    assert second.holder().pid == os.getpid()
    assert first.holder().pid == os.getpid()
    first.release()
    first.release()  # idempotent
    assert path.exists() and path.read_bytes() == b""
    assert second.holder() is None
    with second:
        assert second.held and first.acquire() is False
    assert not second.held and first.acquire()
    first.release()


def test_holder_file_with_stale_or_broken_content(tmp_path):
    path = tmp_path / "run.lock"
    path.write_text('{"pid": 1, "started_at": "2020-01-01T00:00:00Z"}\ntrailing old bytes\n')
    lock = RunLock(path)
    assert lock.holder() is None  # nobody holds the flock, whatever the file says
    assert lock.acquire()
    assert lock.holder().pid == os.getpid()
    assert path.read_text().count("\n") == 1  # the stale tail is gone
    lock.release()
    assert LockHolder(None, None).describe() == "a run is already in progress (pid unknown)"


# -- the loop ---------------------------------------------------------------------------------
def test_runs_n_times_and_survives_a_failing_job(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="newscrawl.runs.loop")
    stop = threading.Event()
    calls: list[float] = []

    def job() -> None:
        calls.append(time.monotonic())
        if len(calls) == 5:
            stop.set()
        if len(calls) == 2:
            raise RuntimeError("the site is down\nfor maintenance")
        assert RunLock(tmp_path / "run.lock").holder().pid == os.getpid()

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    started = time.monotonic()
    summary = run_every(0.1, job, tmp_path / "run.lock", stop_event=stop)
    elapsed = time.monotonic() - started
    assert summary == ScheduleSummary(runs=5, failed=1)
    assert 0.35 < elapsed < 5
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert all(0.05 < gap < 1.0 for gap in gaps), gaps  # slots 0.1 s apart
    lines = [r for r in caplog.records if r.name == "newscrawl.runs.loop" and
             r.levelno >= logging.INFO]
    assert len(lines) == 5  # one line per run
    failed = lines[1]
    assert failed.levelno == logging.ERROR
    assert failed.getMessage().startswith(
        "run 2 failed after 0.0 s: RuntimeError: the site is down for maintenance; next run at ")
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)
    assert lines[-1].getMessage().endswith("stopping as asked")
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert RunLock(tmp_path / "run.lock").holder() is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_780_000_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_slots_are_fixed_and_a_long_run_skips_the_ones_it_outlasted(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="newscrawl.runs.loop")
    clock, stop = FakeClock(), threading.Event()
    durations, starts = [1.0, 25.0, 2.0, 0.0], []

    def job() -> None:
        starts.append(clock.now)
        clock.now += durations[len(starts) - 1]
        if len(starts) == len(durations):
            stop.set()

    summary = run_every(10, job, tmp_path / "run.lock", stop_event=stop, clock=clock)
    assert starts == [1000, 1010, 1040, 1050]
    assert clock.sleeps == [9, 5, 8]
    assert summary == ScheduleSummary(runs=4, skipped_late=2)
    assert "2 slot(s) skipped: the run outlasted them" in caplog.text
    assert "next run at 2026-05-28T20:44:00Z (2 slot(s)" in caplog.text  # epoch 1_780_001_040


def test_a_slot_whose_lock_is_held_is_skipped(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="newscrawl.runs.loop")
    other = RunLock(tmp_path / "run.lock")
    assert other.acquire()
    stop, ran = threading.Event(), []

    class StopAfterThreeSleeps(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            if len(self.sleeps) == 3:
                stop.set()

    clock = StopAfterThreeSleeps()
    summary = run_every(60, lambda: ran.append(1), tmp_path / "run.lock", stop_event=stop,
                        clock=clock)
    other.release()
    assert ran == [] and summary.skipped_locked == 3 and summary.runs == 0
    assert f"slot 1 skipped: a run is already in progress (pid {os.getpid()} since" \
        in caplog.text


def test_bad_interval_is_refused(tmp_path):
    with pytest.raises(ValueError, match="positive"):
        run_every(0, lambda: None, tmp_path / "run.lock")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_loop_cleanly_after_the_current_run(tmp_path, signum):
    lock_path = tmp_path / "run.lock"
    loop = spawn(LOOP, lock_path, 0.2, 0.3)
    try:
        assert loop.stdout.readline().strip() == "run 1"
        assert loop.stdout.readline().strip() == "run 2"  # now inside run 2's job
        assert contend(lock_path)["holder"]["pid"] == loop.pid
        loop.send_signal(signum)
        out, err = loop.communicate(timeout=10)
    finally:
        loop.kill()
    assert loop.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary == {"runs": 2, "failed": 0, "skipped_locked": 0, "skipped_late": 1}
    assert f"{signal.Signals(signum).name} received: stopping after the current run" in err
    assert re.search(r"run 2 done in 0\.\d s; stopping as asked", err), err
    assert contend(lock_path)["acquired"] is True


def test_a_second_signal_interrupts_the_run(tmp_path):
    loop = spawn(LOOP, tmp_path / "run.lock", 60, 30)
    try:
        assert loop.stdout.readline().strip() == "run 1"
        started = time.monotonic()
        loop.send_signal(signal.SIGINT)
        time.sleep(0.3)
        loop.send_signal(signal.SIGINT)
        _, err = loop.communicate(timeout=10)
    finally:
        loop.kill()
    assert time.monotonic() - started < 5
    assert loop.returncode != 0 and "KeyboardInterrupt" in err
    assert contend(tmp_path / "run.lock")["acquired"] is True
