"""Benchmark: does a crawl of 100,000 articles stay under 300 MB, with memory that does not grow?

A benchmark, not a test, and a long one (about 15-25 minutes on 2 cores; ``--max-articles``
shortens it). One replica process serves ``--items`` items (106,000 by default: about 100,000
of them are articles or opinion pieces, the rest videos and galleries); one ``newscrawl crawl``
process crawls all of it with the normal discovery (sections through the gateway API, feeds,
sitemaps) into a fresh archive, with no delays and ``--concurrency`` requests in flight.

While it runs, the driver samples every ``--interval`` seconds (bounded by ``--time-limit``):

* the crawl process's resident memory (``VmRSS``) and its peak so far (``VmHWM``), from
  ``/proc/<pid>/status``, and the resident memory of its child processes, if any;
* the number of articles committed to the archive (``SELECT count(*) FROM articles``);
* the replica's requests by kind.

It reports RSS when the archive passes each of ``--milestones`` (10k, 50k, 100k), the peak,
pages per second between milestones (does the crawl slow down as the archive grows?), and
a side-by-side ratio RSS(last milestone) / RSS(first milestone).

Targets: peak RSS < 300 MB, and RSS at the last milestone no more than 10% above RSS at the
first (state on disk, not in memory). Exits 1 when a target is missed or the crawl did not
reach the last milestone, 2 when it could not run.

    .venv/bin/python bench/scale_memory.py                        # 106,000 items, ~100k articles
    .venv/bin/python bench/scale_memory.py --items 12000 --milestones 2000,5000,10000   # a quick look
    .venv/bin/python bench/scale_memory.py --profile /tmp/prof    # plus a py-spy profile of the crawl
    .venv/bin/python bench/scale_memory.py -s 'JOBDIR={data_dir}/job'   # try a setting

All traffic goes to 127.0.0.1; the replica and the crawl are killed on exit.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
from harness import ROOT, ReplicaProcess, machine_and_date, machine_line, proc_children, proc_memory

RSS_LIMIT = 300e6
GROWTH_LIMIT = 0.10


def archive_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return -1  # the schema is not there yet, or the database is busy: try again later


class Crawl:
    """``newscrawl crawl scmp`` in its own session; ``close`` ends it and its children."""

    def __init__(self, base: str, data_dir: Path, args: argparse.Namespace) -> None:
        cmd = [sys.executable, "-m", "newscrawl.cli", "crawl", "scmp", "--base-url", base,
               "--data-dir", str(data_dir), "--pagination", "api",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
               "-s", f"CONCURRENT_REQUESTS={args.concurrency}",
               "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
               "-s", "LOG_LEVEL=INFO", "-s", "NEWSCRAWL_PROGRESS_INTERVAL=60",
               "-s", f"CLOSESPIDER_TIMEOUT={int(args.time_limit)}"]  # bound inside the crawl too
        if args.max_articles:
            cmd += ["--max-articles", str(args.max_articles)]
        for setting in args.set:
            cmd += ["-s", setting.replace("{data_dir}", str(data_dir))]
        self.log = tempfile.NamedTemporaryFile(prefix="scale_crawl_", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pid = self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM (Scrapy closes the spider and commits), then SIGKILL after 60 s."""
        if self.proc.poll() is not None:
            return
        os.killpg(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(10)

    def tail(self, n: int = 3000) -> str:
        return Path(self.log.name).read_text(errors="replace")[-n:]

    def close(self) -> None:
        self.stop()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def sample(pid: int) -> dict[str, int] | None:
    try:
        mem = proc_memory(pid)
    except OSError:
        return None
    return {"rss": mem.get("VmRSS", 0), "hwm": mem.get("VmHWM", 0),
            "children": harness.rss_sum(proc_children(pid))}


def passed_milestones(out: dict[str, Any], ahead: list[int], count: int, elapsed: float,
                      mem: dict[str, int]) -> int:
    """Record (and print) the milestones ``count`` articles have passed; how many."""
    passed = 0
    for milestone in ahead:
        if count < milestone:
            break
        out["milestones"].append({"milestone": milestone, "articles": count,
                                  "t": round(elapsed, 1), **mem})
        print(f"  {count:>7} articles at {elapsed:6.0f} s: RSS {mem['rss'] / 1e6:.0f} MB, "
              f"peak so far {mem['hwm'] / 1e6:.0f} MB, children {mem['children'] / 1e6:.0f} MB",
              flush=True)
        passed += 1
    return passed


def run(args: argparse.Namespace) -> dict[str, Any]:
    milestones = sorted(args.milestones)
    out: dict[str, Any] = {"milestones": [], "timeline": []}
    with ReplicaProcess(args.items) as replica, \
            tempfile.TemporaryDirectory(prefix="scale_") as tmp:
        data_dir = Path(tmp) / "data"
        db = data_dir / "scmp" / "archive.sqlite"
        replica.get_json("/__replica__/stats/reset", post=True)
        crawl = Crawl(replica.base, data_dir, args)
        spy = None
        t0 = time.monotonic()
        cpu_replica0 = replica.cpu()
        next_milestone = 0
        last_timeline = -1e9
        peak = {"rss": 0, "hwm": 0, "children": 0}
        try:
            if args.profile is not None:
                args.profile.mkdir(parents=True, exist_ok=True)
                spy = harness.PySpy(crawl.pid, args.profile / "scale_crawl")
            limit = args.time_limit + 120
            for _ in range(int(limit / args.interval) + 2):  # bound: samples
                elapsed = time.monotonic() - t0
                if not crawl.running() or elapsed > limit:
                    break
                mem = sample(crawl.pid)
                count = archive_count(db)
                if mem is not None:
                    for key in peak:
                        peak[key] = max(peak[key], mem[key])
                    if count >= 0 and elapsed - last_timeline >= args.timeline_every:
                        out["timeline"].append({"t": round(elapsed, 1), "articles": count, **mem})
                        last_timeline = elapsed
                    next_milestone += passed_milestones(out, milestones[next_milestone:],
                                                        count, elapsed, mem)
                time.sleep(args.interval)
            out["timed_out"] = crawl.running()
            final_mem = sample(crawl.pid)
            if final_mem is not None:
                peak["hwm"] = max(peak["hwm"], final_mem["hwm"])
            crawl.stop()
            out["crawl_exit"] = crawl.proc.returncode
            out["crawl_log_tail"] = crawl.tail()
        finally:
            crawl.close()
            if spy is not None:
                spy.wait()
        out["elapsed_s"] = time.monotonic() - t0
        out["replica_cpu_s"] = replica.cpu() - cpu_replica0
        out["peak"] = peak
        out["final_articles"] = archive_count(db)
        out["replica_stats"] = {k: v for k, v in replica.get_json("/__replica__/stats").items()
                                if k != "article_fetches"}
        try:
            with sqlite3.connect(db) as conn:
                row = conn.execute("SELECT stats FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            stats = json.loads(row[0]) if row and row[0] else {}
        except sqlite3.Error:
            stats = {}
        out["crawl_stats"] = {k: v for k, v in stats.items()
                              if k.startswith(("memusage/", "finish_reason", "elapsed_time",
                                               "item_scraped", "downloader/request_count",
                                               "scheduler/enqueued", "newscrawl/pages/"))}
        out["db_bytes"] = sum(p.stat().st_size for p in db.parent.glob("archive.sqlite*"))
        if spy is not None:
            out["profile"] = spy.table(30)
            out["profile_raw"] = str(spy.raw)
    return out


def report(args: argparse.Namespace, out: dict[str, Any]) -> bool:
    ms = out["milestones"]
    print()
    print(f"  {'articles in archive':>20}  {'at s':>7}  {'RSS MB':>7}  {'peak MB':>8}  "
          f"{'children MB':>11}  {'pages/s since previous':>22}")
    prev_t, prev_n = 0.0, 0
    for m in ms:
        rate = (m["articles"] - prev_n) / max(m["t"] - prev_t, 1e-9)
        print(f"  {m['articles']:>20}  {m['t']:>7.0f}  {m['rss'] / 1e6:>7.0f}  "
              f"{m['hwm'] / 1e6:>8.0f}  {m['children'] / 1e6:>11.0f}  {rate:>22.0f}")
        prev_t, prev_n = m["t"], m["articles"]
    peak = out["peak"]
    reached = len(ms) == len(args.milestones)
    first, last = (ms[0], ms[-1]) if ms else (None, None)
    growth = (last["rss"] / first["rss"] - 1) if first and last and first["rss"] else float("nan")
    stats = out["crawl_stats"]
    requests = out["replica_stats"].get("requests", {})
    print()
    print(f"  crawl: {out['final_articles']} articles in {out['elapsed_s']:.0f} s "
          f"({out['final_articles'] / max(out['elapsed_s'], 1e-9):.0f} articles/s overall), "
          f"finish reason {stats.get('finish_reason', '?')}, exit {out.get('crawl_exit')}"
          f"{', TIME LIMIT REACHED' if out.get('timed_out') else ''}")
    print(f"  replica requests by kind: {json.dumps(requests, sort_keys=True)}; replica CPU "
          f"{out['replica_cpu_s']:.0f} s")
    print(f"  Scrapy memusage/max {stats.get('memusage/max', 0) / 1e6:.0f} MB; peak VmHWM "
          f"{peak['hwm'] / 1e6:.0f} MB; children peak {peak['children'] / 1e6:.0f} MB; archive "
          f"{out['db_bytes'] / 1e6:.0f} MB on disk")
    if first and last:
        print(f"  side by side: RSS at {last['articles']} articles / RSS at {first['articles']} = "
              f"x{last['rss'] / first['rss']:.2f} ({100 * growth:+.0f}%, limit "
              f"+{100 * GROWTH_LIMIT:.0f}%)")
    ok_peak = peak["hwm"] < RSS_LIMIT
    ok_growth = reached and growth <= GROWTH_LIMIT
    ok = ok_peak and ok_growth and not out.get("timed_out")
    verdict = "PASS" if ok else "TARGET MISSED" if reached else "INCOMPLETE"
    at = ", ".join(f"{m['milestone'] // 1000}k {m['rss'] / 1e6:.0f} MB" for m in ms)
    print()
    print(f"scale: {out['final_articles']} articles in {out['elapsed_s'] / 60:.1f} min; RSS {at}; "
          f"peak {peak['hwm'] / 1e6:.0f} MB (limit {RSS_LIMIT / 1e6:.0f}); growth first->last "
          f"milestone {100 * growth:+.0f}% (limit +{100 * GROWTH_LIMIT:.0f}%); concurrency "
          f"{args.concurrency}{'; ' + ' '.join(args.set) if args.set else ''}; "
          f"{machine_and_date()}: {verdict}")
    if not reached:
        print(f"scale: the archive reached {out['final_articles']} articles, not "
              f"{args.milestones[-1]}; crawl log tail:\n{out['crawl_log_tail']}", file=sys.stderr)
    return ok


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--items", type=int, default=106_000,
                   help="replica size in items (106000: about 100,000 articles)")
    p.add_argument("--milestones", type=lambda s: [int(x) for x in s.split(",")],
                   default=[10_000, 50_000, 100_000], help="article counts to report RSS at")
    p.add_argument("--max-articles", type=int, default=None, help="passed to the crawl")
    p.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS (16)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between samples (1)")
    p.add_argument("--timeline-every", type=float, default=30.0,
                   help="seconds between timeline points kept (30)")
    p.add_argument("--time-limit", type=float, default=2700.0,
                   help="seconds the crawl may take at most (2700)")
    p.add_argument("--profile", type=Path, default=None, metavar="DIR",
                   help="record a py-spy profile of the crawl process into DIR")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a setting for the crawl, to try a fix ({data_dir} is replaced by the "
                        "crawl's data directory): -s JOBDIR={data_dir}/job")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"scale: {machine_line()}; replica of {args.items} items, milestones "
          f"{args.milestones}, concurrency {args.concurrency}", flush=True)
    out = run(args)
    ok = report(args, out)
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in out.items() if k != "crawl_log_tail"},
                                        indent=1))
    if "profile" in out:
        print(f"\nprofile of the crawl process (py-spy, raw stacks in {out['profile_raw']}):\n"
              f"{out['profile']}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
