"""Benchmark: crawl throughput with 1, 2 and 3 workers sharing one Redis frontier.

A benchmark, not a test. For each worker count, side by side in one run:

* a fresh replica process (``newscrawl replica``, ``--articles``, Crawl-delay 0) and a fresh
  ``redis-server`` on free loopback ports;
* N ``newscrawl crawl scmp --redis URL --store ARCHIVE`` worker processes started together,
  each with its own data directory, all writing one archive (an SQLite file by default,
  ``--store postgresql://...`` to use a PostgreSQL server);
* the clock runs from starting the workers until the archive holds every article the replica
  lists (the workers' idle wait at the end is not counted).

Printed: articles per second for each N, the ratio to one worker, article pages fetched more
than once (must be 0). The machine's core count bounds what more workers can give: on 2 cores
the replica and the workers share them. Exit 1 if an article is missing or fetched twice.

    .venv/bin/python bench/workers_speed.py            # --articles 2000 --workers 1,2,3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def stored(store: str) -> int:
    if store.startswith("postgres"):
        import psycopg

        try:
            with psycopg.connect(store) as db:
                return db.execute("SELECT count(*) FROM articles").fetchone()[0]
        except psycopg.Error:  # the first worker has not created the tables yet
            return 0
    if not Path(store).exists():
        return 0
    try:
        with sqlite3.connect(store, timeout=1) as db:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def one_setting(n: int, articles: int, store_url: str | None, limit: float) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"workers{n}-"))
    procs: list[subprocess.Popen] = []
    try:
        port, redis_port = free_port(), free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "newscrawl.cli", "replica", "--port", str(port),
             "--articles", str(articles), "--crawl-delay", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(redis_port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/robots.txt")
        listed = json.load(urllib.request.urlopen(base + "/__replica__/articles.json"))["count"]
        store = store_url or str(tmp / "archive.sqlite")
        if store.startswith("postgres"):
            import psycopg

            with psycopg.connect(store, autocommit=True) as db:  # start from an empty archive
                for table in ("articles", "revisions", "fetch_state", "discovery", "runs",
                              "fingerprints", "fingerprint_bands", "meta"):
                    db.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        start = time.monotonic()
        workers = [subprocess.Popen(
            [sys.executable, "-m", "newscrawl.cli", "crawl", "scmp", "--base-url", base,
             "--data-dir", str(tmp / f"w{i}"), "--redis", f"redis://127.0.0.1:{redis_port}/0",
             "--store", store, "--pagination", "api", "-s", "NEWSCRAWL_IDLE_TIMEOUT=5",
             "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=WARNING"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(n)]
        procs.extend(workers)
        done = 0
        while time.monotonic() - start < limit:
            done = stored(store)
            if done >= listed:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - start
        for worker in workers:
            worker.wait(timeout=120)
        stats = json.load(urllib.request.urlopen(base + "/__replica__/stats"))
        twice = sum(1 for n_fetch in stats["article_fetches"].values() if n_fetch > 1)
        return {"workers": n, "listed": listed, "stored": done, "seconds": elapsed,
                "rate": done / elapsed, "fetched_twice": twice,
                "codes": [w.returncode for w in workers]}
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--store", help="postgresql://... (default: one SQLite file)")
    parser.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        print("redis-server is missing: apt-get install redis-server", file=sys.stderr)
        return 2
    results = [one_setting(int(n), args.articles, args.store, args.time_limit)
               for n in args.workers.split(",")]
    base = results[0]["rate"]
    print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}; replica {args.articles} items, archive "
          f"{'PostgreSQL' if args.store else 'SQLite (one shared file)'}")
    ok = True
    for r in results:
        print(f"  {r['workers']} worker(s): {r['stored']}/{r['listed']} articles in "
              f"{r['seconds']:.1f} s = {r['rate']:.0f} articles/s, x{r['rate'] / base:.2f} of one "
              f"worker; pages fetched twice: {r['fetched_twice']}; exit codes {r['codes']}")
        ok &= r["stored"] == r["listed"] and r["fetched_twice"] == 0
    print("summary: " + ", ".join(f"{r['workers']}w {r['rate']:.0f} art/s (x{r['rate'] / base:.2f})"
                                  for r in results) + (": PASS" if ok else ": FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
