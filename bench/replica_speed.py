"""Benchmark: does the replica serve article pages at least twice as fast as Scrapy fetches them?

A benchmark, not a test. It shows, side by side in one run, that the local scmp.com replica is
never the bottleneck of a crawl benchmark on this machine:

* The replica runs as its own process (``python -m newscrawl.cli replica``), exactly as a
  benchmark would use it. Its CPU time is read from ``/proc/<pid>/stat`` around each phase.
* Phase 1, plain Scrapy: a minimal spider (defined below, run with ``CrawlerProcess`` in a
  separate process, 16 concurrent requests, default download handlers and gzip) fetches
  ``--pages`` distinct article pages and parses nothing. We record wall time, pages/s and the
  spider process's own CPU seconds.
* Phase 2, replica capacity: an aiohttp load generator (separate process, 32 connections,
  gzip accepted, bodies left compressed) fetches another ``--pages`` distinct article pages.
  We record wall pages/s and the replica's CPU seconds, hence pages per replica-CPU-second.

Every page is fetched once, in one phase only, so every measured page is cold (rendered and
gzipped for the first time; the replica only keeps a small LRU of rendered pages).

The target: replica capacity (pages per replica-CPU-second) / Scrapy pages/s >= 2.0. The script
also measures start-up (CLI process start to first article page; in-process time to build a
100,000-article ``ReplicaServer`` and serve its first page), which must stay under 2 s. It
exits 1 when a target is missed, so the figures cannot be misread.

Run from the project root::

    .venv/bin/python bench/replica_speed.py            # --pages 2000 --articles 20000

All traffic goes to 127.0.0.1; the replica process is killed on exit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness
from harness import ReplicaProcess, cpu_self, http_get, run_worker, system_busy_seconds

SCRIPT = Path(__file__).resolve()  # run again as a worker: ``SCRIPT --_scrapy-worker ...``
TARGET_RATIO = 2.0
STARTUP_LIMIT_S = 2.0
WARMUP_PAGES = 20  # rendered before the phases: builds the per-process page chrome


# -- worker: plain Scrapy -------------------------------------------------------------------
def scrapy_worker(urls_file: str, time_limit: float) -> int:
    """Fetch every URL in ``urls_file`` with a minimal Scrapy spider; print JSON figures."""
    t_process = time.perf_counter()
    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    urls: list[str] = json.loads(Path(urls_file).read_text())
    marks: dict[str, float] = {}
    counts = {"pages": 0, "errors": 0, "statuses": {}}

    def finish_if_done() -> None:
        if counts["pages"] + counts["errors"] == len(urls) and "t1" not in marks:
            marks["t1"], marks["cpu1"] = time.perf_counter(), cpu_self()

    class FetchOnly(scrapy.Spider):
        name = "replica_speed"

        async def start(self):  # type: ignore[override]
            marks["t0"], marks["cpu0"] = time.perf_counter(), cpu_self()
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, errback=self.failed,
                                     dont_filter=True)

        def parse(self, response):  # type: ignore[override]
            counts["pages"] += 1
            key = str(response.status)
            counts["statuses"][key] = counts["statuses"].get(key, 0) + 1
            finish_if_done()

        def failed(self, failure):
            counts["errors"] += 1
            finish_if_done()

    settings = {
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "CLOSESPIDER_TIMEOUT": time_limit,  # bound: the crawl stops after this many seconds
        "DOWNLOAD_TIMEOUT": 30,
    }
    process = CrawlerProcess(settings=settings, install_root_handler=True)
    crawler = process.create_crawler(FetchOnly)
    closed: dict[str, Any] = {}

    def on_closed(spider: scrapy.Spider, reason: str) -> None:
        closed["reason"] = reason
        closed["t"], closed["cpu"] = time.perf_counter(), cpu_self()

    crawler.signals.connect(on_closed, signal=signals.spider_closed)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    t1, cpu1 = marks.get("t1", closed.get("t", 0.0)), marks.get("cpu1", closed.get("cpu", 0.0))
    print(json.dumps({
        "pages": counts["pages"], "errors": counts["errors"], "statuses": counts["statuses"],
        "wall_s": t1 - marks.get("t0", t1), "cpu_s": cpu1 - marks.get("cpu0", cpu1),
        "process_cpu_s": cpu_self(), "process_wall_s": time.perf_counter() - t_process,
        "close_reason": closed.get("reason"),
        "wire_bytes": stats.get("downloader/response_bytes", 0),
        "gzip_responses": stats.get("httpcompression/response_count", 0),
        "decoded_bytes": stats.get("httpcompression/response_bytes", 0),
    }))
    return 0


# -- worker: aiohttp load generator -----------------------------------------------------------
def loadgen_worker(urls_file: str, concurrency: int, time_limit: float) -> int:
    """Fetch every URL with ``concurrency`` connections as fast as possible; print JSON."""
    import asyncio

    import aiohttp

    urls: list[str] = json.loads(Path(urls_file).read_text())
    out: dict[str, Any] = {"pages": 0, "errors": 0, "statuses": {}, "wire_body_bytes": 0,
                           "gzip_responses": 0}

    async def main() -> None:
        pending = iter(urls)  # shared by the workers: each URL is fetched exactly once
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                         auto_decompress=False,
                                         headers={"Accept-Encoding": "gzip, deflate"}) as session:
            async def worker() -> None:
                for url in pending:
                    try:
                        async with session.get(url, allow_redirects=False) as resp:
                            body = await resp.read()
                    except (aiohttp.ClientError, TimeoutError):
                        out["errors"] += 1
                        continue
                    out["pages"] += 1
                    out["statuses"][str(resp.status)] = out["statuses"].get(str(resp.status), 0) + 1
                    out["wire_body_bytes"] += len(body)
                    if resp.headers.get("Content-Encoding") == "gzip":
                        out["gzip_responses"] += 1

            t0, cpu0 = time.perf_counter(), cpu_self()
            try:
                async with asyncio.timeout(time_limit):  # bound: stop after time_limit seconds
                    await asyncio.gather(*(worker() for _ in range(concurrency)))
                out["timed_out"] = False
            except TimeoutError:
                out["timed_out"] = True
            out["wall_s"], out["cpu_s"] = time.perf_counter() - t0, cpu_self() - cpu0

    asyncio.run(main())
    out["process_cpu_s"] = cpu_self()
    print(json.dumps(out))
    return 0


# -- worker: in-process start-up --------------------------------------------------------------
def startup_worker(articles: int) -> int:
    """Time imports, building+starting a ReplicaServer and serving its first article page."""
    t0 = time.perf_counter()
    from newscrawl.replica import ReplicaConfig
    from newscrawl.replica.server import ReplicaServer

    t_import = time.perf_counter()
    server = ReplicaServer(ReplicaConfig(articles=articles, crawl_delay=0)).start()
    t_started = time.perf_counter()
    try:
        world = server.world
        path = world.spec(world.count - 1).path
        body = http_get(server.base_url + path)
        t_page = time.perf_counter()
    finally:
        server.stop()
    print(json.dumps({"articles": articles, "import_s": t_import - t0,
                      "build_start_s": t_started - t_import, "first_page_s": t_page - t_started,
                      "build_to_first_page_s": t_page - t_import, "page_bytes": len(body)}))
    return 0


def probe_path(articles: int) -> str:
    """The newest article's path, computed from the same world the CLI replica serves."""
    from newscrawl.replica.world import ReplicaConfig, World

    world = World(ReplicaConfig(articles=articles, crawl_delay=0))
    for index in range(world.count - 1, max(world.count - 200, 0) - 1, -1):  # bound: 200 items
        spec = world.spec(index)
        if spec.kind in ("article", "opinion"):
            return spec.path
    raise RuntimeError("no article among the newest 200 items")


def run_phase(replica: ReplicaProcess, mode: str, urls: list[str], extra: list[str],
              time_limit: float, what: str) -> dict[str, Any]:
    """Run one worker against fresh URLs; add the replica's CPU seconds and request stats."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(urls, fh)
    try:
        replica.get_json("/__replica__/stats/reset", post=True)
        cpu0, busy0, t0 = replica.cpu(), system_busy_seconds(), time.perf_counter()
        result = run_worker(SCRIPT, mode, [fh.name, *extra, str(time_limit)],
                            time_limit=time_limit + 120, what=what)
        result["replica_cpu_s"] = replica.cpu() - cpu0
        # What the rest of the machine used meanwhile (other jobs make wall figures noisy).
        result["other_load"] = harness.other_load(
            busy0, t0, result["replica_cpu_s"] + result["process_cpu_s"])
        stats = replica.get_json("/__replica__/stats")
    finally:
        os.unlink(fh.name)
    fetches = stats.get("article_fetches", {})
    result["replica_article_requests"] = stats.get("requests", {}).get("article", 0)
    result["cold_pages"] = sum(1 for n in fetches.values() if n == 1)
    result["refetched_pages"] = sum(1 for n in fetches.values() if n > 1)
    return result


# -- report ----------------------------------------------------------------------------------
def _rate(pages: float, seconds: float) -> float:
    return pages / seconds if seconds > 0 else float("inf")


def _ms(seconds: float, pages: int) -> float:
    return 1000 * seconds / pages if pages else float("nan")


def report(args: argparse.Namespace, scrapy_r: dict[str, Any], load_r: dict[str, Any],
           cli_startup: dict[str, float], inproc: dict[str, Any]) -> bool:
    s_pages, l_pages = scrapy_r["pages"], load_r["pages"]
    scrapy_pps = _rate(s_pages, scrapy_r["wall_s"])
    load_pps = _rate(l_pages, load_r["wall_s"])
    capacity = _rate(l_pages, load_r["replica_cpu_s"])
    capacity_ratio = capacity / scrapy_pps
    load_ratio = load_pps / scrapy_pps
    scrapy_capacity = _rate(s_pages, scrapy_r["cpu_s"])
    decoded_mean = scrapy_r["decoded_bytes"] / max(scrapy_r["gzip_responses"], 1) or float("nan")
    wire_mean = load_r["wire_body_bytes"] / max(l_pages, 1)
    gzip_share = (scrapy_r["gzip_responses"] + load_r["gzip_responses"]) / max(s_pages + l_pages, 1)
    startup_cli = cli_startup["first_page_s"]
    startup_inproc = inproc["build_to_first_page_s"]

    rows = [
        ("", "plain Scrapy (phase 1)", "load generator (phase 2)"),
        ("pages fetched (cold, distinct)", f"{s_pages} ({scrapy_r['cold_pages']})",
         f"{l_pages} ({load_r['cold_pages']})"),
        ("errors / non-200", f"{scrapy_r['errors']} / {_non200(scrapy_r)}",
         f"{load_r['errors']} / {_non200(load_r)}"),
        ("wall time, s", f"{scrapy_r['wall_s']:.2f}", f"{load_r['wall_s']:.2f}"),
        ("pages/s (wall)", f"{scrapy_pps:.0f}", f"{load_pps:.0f}"),
        ("client CPU ms/page", f"{_ms(scrapy_r['cpu_s'], s_pages):.2f}",
         f"{_ms(load_r['cpu_s'], l_pages):.2f}"),
        ("replica CPU ms/page (server side)", f"{_ms(scrapy_r['replica_cpu_s'], s_pages):.2f}",
         f"{_ms(load_r['replica_cpu_s'], l_pages):.2f}"),
        ("other processes, % of one core", f"{100 * scrapy_r['other_load']:.0f}",
         f"{100 * load_r['other_load']:.0f}"),
        ("replica CPU busy, % of one core",
         f"{100 * scrapy_r['replica_cpu_s'] / scrapy_r['wall_s']:.0f}",
         f"{100 * load_r['replica_cpu_s'] / load_r['wall_s']:.0f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for label, a, b in rows:
        print(f"  {label:<{width}}  {a:>24}  {b:>24}")
    print()
    print(f"  replica capacity (pages per replica-CPU-second): {capacity:.0f} pages/s")
    print(f"  ratio capacity / Scrapy pages/s:                 x{capacity_ratio:.2f} "
          f"(target x{args.target:.1f}: {'PASS' if capacity_ratio >= args.target else 'MISSED'})")
    print(f"  ratio load generator / Scrapy pages/s:           x{load_ratio:.2f}")
    print(f"  Scrapy capacity (pages per Scrapy-CPU-second):   {scrapy_capacity:.0f} pages/s; "
          f"replica capacity / that: x{capacity / scrapy_capacity:.2f} (stricter, for information)")
    if scrapy_r["replica_cpu_s"] > 0.8 * scrapy_r["wall_s"]:
        print("  note: the replica was over 80% busy in phase 1, so it may have held Scrapy back")
    print(f"  mean article page: {decoded_mean / 1024:.0f} KB decoded, {wire_mean / 1024:.0f} KB "
          f"gzipped ({100 * wire_mean / decoded_mean:.0f}%); gzip share of responses "
          f"{100 * gzip_share:.0f}%")
    print(f"  Scrapy process: {scrapy_r['process_cpu_s']:.2f} s CPU in all "
          f"({scrapy_r['process_wall_s']:.2f} s wall incl. start-up), close reason "
          f"{scrapy_r['close_reason']}")
    print(f"  start-up, CLI replica ({args.articles} articles): URL printed "
          f"{cli_startup['url_s']:.2f} s, first article page {startup_cli:.2f} s after spawn")
    print(f"  start-up, in-process ReplicaServer ({inproc['articles']} articles): import "
          f"{inproc['import_s']:.2f} s, build+start {inproc['build_start_s']:.3f} s, first page "
          f"{inproc['first_page_s']:.3f} s, build to first page {startup_inproc:.3f} s "
          f"(limit {STARTUP_LIMIT_S:.0f} s: "
          f"{'PASS' if max(startup_cli, startup_inproc) < STARTUP_LIMIT_S else 'MISSED'})")

    ok_ratio = capacity_ratio >= args.target
    ok_startup = max(startup_cli, startup_inproc) < STARTUP_LIMIT_S
    ok_pages = (scrapy_r["errors"] == load_r["errors"] == 0 and s_pages == l_pages == args.pages
                and _non200(scrapy_r) == _non200(load_r) == 0)
    verdict = "OK" if ok_ratio and ok_startup and ok_pages else "TARGET MISSED"
    noise = max(scrapy_r["other_load"], load_r["other_load"])
    if noise > harness.NOISY_LOAD:
        verdict += f" (noisy: other processes used {100 * noise:.0f}% of a core)"
        print(f"  note: other processes used up to {100 * noise:.0f}% of a core during a phase; "
              "wall figures are unreliable, the CPU-per-page figures less so")
    print()
    print(f"replica_speed: replica serves {capacity:.0f} pages/s per CPU-second "
          f"(x{capacity_ratio:.1f} of plain Scrapy's {scrapy_pps:.0f} pages/s, target "
          f"x{args.target:.1f}); load generator {load_pps:.0f} pages/s wall (x{load_ratio:.1f}); "
          f"replica {_ms(load_r['replica_cpu_s'], l_pages):.2f} ms CPU/page, Scrapy "
          f"{_ms(scrapy_r['cpu_s'], s_pages):.2f} ms CPU/page; {args.pages} cold pages/phase, "
          f"{decoded_mean / 1024:.0f} KB/page, gzip {100 * gzip_share:.0f}%; start-up "
          f"{startup_cli:.2f} s CLI, {startup_inproc:.2f} s in-process (100k); "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{datetime.now(UTC):%Y-%m-%d}: {verdict}")
    if not ok_pages:
        print("replica_speed: some pages failed or were short; the figures are not comparable",
              file=sys.stderr)
    return ok_ratio and ok_startup and ok_pages


def _non200(result: dict[str, Any]) -> int:
    return sum(n for status, n in result["statuses"].items() if status != "200")


# -- main ----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=2000, help="distinct pages per phase (2000)")
    p.add_argument("--articles", type=int, default=20000, help="replica size (20000)")
    p.add_argument("--concurrency", type=int, default=32, help="load generator connections (32)")
    p.add_argument("--target", type=float, default=TARGET_RATIO, help="ratio to reach (2.0)")
    p.add_argument("--startup-articles", type=int, default=100_000,
                   help="size of the in-process start-up replica (100000)")
    p.add_argument("--time-limit", type=float, default=300.0,
                   help="seconds each phase may take at most (300)")
    p.add_argument("--seed", type=int, default=7, help="shuffles which pages each phase gets")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.pages < 1 or args.concurrency < 1:
        raise SystemExit("--pages and --concurrency must be at least 1")
    print(f"replica_speed: {os.cpu_count()} CPUs ({harness.cpu_model()}), Python "
          f"{platform.python_version()}, {args.pages} pages/phase, replica of {args.articles} "
          f"articles", flush=True)

    inproc = run_worker(SCRIPT, "--_startup-worker", [str(args.startup_articles)],
                        time_limit=120, what="in-process start-up")
    probe = probe_path(args.articles)
    replica = ReplicaProcess(args.articles)
    try:
        replica.wait_ready(probe=probe)
        cli_startup = {"url_s": replica.t_url, "first_page_s": replica.t_ready}
        listing = replica.get_json("/__replica__/articles.json")
        urls = [a["url"] for a in listing["articles"]
                if not a["url"].endswith(probe) and a["url"].startswith("http://127.0.0.1:")]
        random.Random(args.seed).shuffle(urls)
        needed = WARMUP_PAGES + 2 * args.pages
        if len(urls) < needed:
            raise SystemExit(f"replica lists {len(urls)} article pages; need {needed}: "
                             "raise --articles or lower --pages")
        warmup, rest = urls[:WARMUP_PAGES], urls[WARMUP_PAGES:]
        phase1, phase2 = rest[:args.pages], rest[args.pages:2 * args.pages]
        for url in warmup:  # builds the page chrome so phase 1 does not pay for it
            http_get(url)
        print(f"replica up: {replica.base}, {len(urls)} article pages listed; "
              f"phase 1 (plain Scrapy, 16 concurrent)...", flush=True)
        scrapy_r = run_phase(replica, "--_scrapy-worker", phase1, [], args.time_limit,
                             "Scrapy phase")
        print(f"phase 2 (aiohttp load generator, {args.concurrency} connections)...", flush=True)
        load_r = run_phase(replica, "--_loadgen-worker", phase2, [str(args.concurrency)],
                           args.time_limit, "load generator phase")
    finally:
        replica.close()
    ok = report(args, scrapy_r, load_r, cli_startup, inproc)
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_scrapy-worker":
        raise SystemExit(scrapy_worker(sys.argv[2], float(sys.argv[3])))
    if len(sys.argv) > 1 and sys.argv[1] == "--_loadgen-worker":
        raise SystemExit(loadgen_worker(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    if len(sys.argv) > 1 and sys.argv[1] == "--_startup-worker":
        raise SystemExit(startup_worker(int(sys.argv[2])))
    raise SystemExit(main())
