"""Benchmark: what does paging section listings through Chromium cost, next to the gateway API?

A benchmark, not a test. Side by side in one run, against one replica process, on the same
sections down to the same horizon, with the same concurrency and no delays:

* **api**: ``newscrawl crawl`` with ``NEWSCRAWL_SECTION_PAGINATION=api``: each section page
  over plain HTTP, then the "load more" gateway (``/content-delivery/v2``) page after page;
* **browser**: the same with ``=browser``: each section page opened in Chromium (Debian's
  ``/usr/bin/chromium`` through scrapy-playwright, as ``PLAYWRIGHT_LAUNCH_OPTIONS`` in
  ``newscrawl/settings.py`` says), "Load more" clicked until the horizon; the page's own
  script calls the same gateway.

Both run ``newscrawl.runs.crawl.run_crawl`` with ``NEWSCRAWL_DISCOVERY=sections``, ``--sections``
and ``--since`` (``--days`` before the replica's clock), and the ``harness.SkipArticlePages``
downloader middleware, which drops every article-page request: only listings are walked, and
the cards they yield are counted. A "listing page" is one page worth of cards (20): the
section page itself, then one gateway answer (api) or one click (browser).

Listing pages per second run from the first section request at the downloader to the last
card handed on. Also reported: time to the first section page (Chromium's start included),
CPU in the listing phase of the crawl process and of its children (the Playwright drivers and
Chromium, from /proc), and the replica's CPU per listing page (over the whole crawl).

No target: the figures say what a browser-paged section costs. Exits 2 when it could not run
(no Chromium), 1 when the two modes disagree (different listing pages, or cards more than 5%
apart).

    .venv/bin/python bench/browser_cost.py          # 4 sections, 30 days, replica of 20000 items

All traffic goes to 127.0.0.1; the replica, the crawls and Chromium are killed on exit.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import harness
from harness import ReplicaProcess, Worker, machine_and_date, machine_line

CHROMIUM = Path("/usr/bin/chromium")
SECTIONS = "news/hong-kong,news/china,business,sport"
MODES = ("api", "browser")


# -- worker ------------------------------------------------------------------------------------
def crawl_worker(base: str, data_dir: str, mode: str, sections: str, since: str,
                 phase_file: str, concurrency: int, time_limit: float) -> int:
    import newscrawl.settings as project
    from newscrawl.runs.crawl import run_crawl

    pattern = "/(" + "|".join(re.escape(s) for s in sections.split(",")) + ")$"
    overrides = {
        **harness.crawl_settings(concurrency, time_limit), "NEWSCRAWL_PROGRESS_INTERVAL": 0,
        "NEWSCRAWL_DISCOVERY": "sections",
        "DOWNLOADER_MIDDLEWARES": {**project.DOWNLOADER_MIDDLEWARES,
                                   "harness.SkipArticlePages": 50},
        "EXTENSIONS": {**project.EXTENSIONS, "harness.ArticlePhaseClock": 0},
        "BENCH_PHASE_FILE": phase_file, "BENCH_PHASE_PATTERN": pattern,
    }
    cpu0 = harness.cpu_self()
    result = run_crawl("scmp", {"base_url": base, "data_dir": data_dir, "sections": sections,
                                "since": since, "pagination": mode}, overrides)
    stats = result.stats
    phase = json.loads(Path(phase_file).read_text())
    print(json.dumps({
        "phase": phase, "cpu_s": harness.cpu_self() - cpu0,
        "sections": stats.get("newscrawl/pages/section", 0),
        "api_pages": stats.get("newscrawl/pages/listing_api", 0),
        "clicks": stats.get("newscrawl/pagination/browser_clicks", 0),
        "cards": stats.get("bench/skipped_article_pages", 0),
        "first_skip": stats.get("bench/first_skip"), "last_skip": stats.get("bench/last_skip"),
        "last_skip_cpu": stats.get("bench/last_skip_cpu"),
        "errors": {k: v for k, v in stats.items() if k.startswith("newscrawl/errors/")},
        "browser_count": stats.get("playwright/browser_count", 0),
        "finish_reason": stats.get("finish_reason"),
    }))
    return 0


# -- driver ------------------------------------------------------------------------------------
def run_mode(mode: str, replica: ReplicaProcess, since: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="browser_bench_") as tmp:
        phase_file = str(Path(tmp) / "phase.json")
        replica.get_json("/__replica__/stats/reset", post=True)
        replica_cpu0 = replica.cpu()
        worker = Worker(Path(__file__).resolve(), "--_crawl-worker",
                        [replica.base, str(Path(tmp) / "data"), mode, args.sections, since,
                         phase_file, str(args.concurrency), str(args.time_limit)],
                        time_limit=args.time_limit + 120, what=f"{mode} crawl")
        children_cpu: dict[int, float] = {}
        samples: list[tuple[float, float]] = []  # (perf_counter, CPU of all children so far)
        try:
            for _ in range(int((args.time_limit + 120) / 0.1)):  # bound: samples every 0.1 s
                if not worker.running():
                    break
                for pid in harness.proc_children(worker.pid):
                    try:
                        children_cpu[pid] = harness.proc_cpu_seconds(pid)
                    except OSError:
                        continue
                samples.append((time.perf_counter(), sum(children_cpu.values())))
                time.sleep(0.1)
            result = worker.wait()
        finally:
            worker.close()
        result["replica_cpu_s"] = replica.cpu() - replica_cpu0
        result["children_cpu_s"] = sum(children_cpu.values())
        # perf_counter is CLOCK_MONOTONIC: the worker's marks and these samples share a clock.
        start = result["phase"]["marks"].get("first", 0.0)
        end = result["last_skip"] or result["phase"]["marks"].get("last", start)
        before = [cpu for t, cpu in samples if t <= start]
        after = [cpu for t, cpu in samples if t >= end]
        result["children_phase_cpu_s"] = ((after[0] if after else result["children_cpu_s"])
                                          - (before[-1] if before else 0.0))
        result["replica_requests"] = replica.get_json("/__replica__/stats")["requests"]
    return result


def figures(r: dict[str, Any]) -> dict[str, float]:
    marks = r["phase"]["marks"]
    start = marks.get("first", 0.0)
    end = r["last_skip"] or marks.get("last", start)
    listing_pages = r["sections"] + r["api_pages"] + r["clicks"]
    span = max(end - start, 1e-9)
    return {"listing_pages": listing_pages, "cards": r["cards"], "span": span,
            "pages_per_s": listing_pages / span, "cards_per_s": r["cards"] / span,
            "first_page_s": marks.get("first_response", start) - start,
            "crawl_cpu_ms": 1000 * ((r["last_skip_cpu"] or 0.0) - marks.get("first_cpu", 0.0))
            / max(listing_pages, 1),
            "chromium_cpu_ms": 1000 * r["children_phase_cpu_s"] / max(listing_pages, 1),
            "replica_cpu_ms": 1000 * r["replica_cpu_s"] / max(listing_pages, 1)}


def report(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> bool:
    figs = {m: figures(results[m]) for m in MODES}
    print()
    print(f"  {'':<44}" + "".join(f"{m:>14}" for m in MODES))
    rows = [
        ("listing pages (section pages + more)", lambda m: f"{figs[m]['listing_pages']:.0f}"),
        ("  section pages", lambda m: f"{results[m]['sections']}"),
        ("  gateway answers / Load more clicks",
         lambda m: f"{results[m]['api_pages'] if m == 'api' else results[m]['clicks']}"),
        ("cards handed on (article requests)", lambda m: f"{figs[m]['cards']:.0f}"),
        ("listing phase, s", lambda m: f"{figs[m]['span']:.2f}"),
        ("first section page ready, s", lambda m: f"{figs[m]['first_page_s']:.2f}"),
        ("LISTING PAGES PER SECOND", lambda m: f"{figs[m]['pages_per_s']:.1f}"),
        ("cards per second", lambda m: f"{figs[m]['cards_per_s']:.0f}"),
        ("crawl process CPU ms per listing page", lambda m: f"{figs[m]['crawl_cpu_ms']:.1f}"),
        ("Playwright+Chromium CPU ms per listing page", lambda m: f"{figs[m]['chromium_cpu_ms']:.1f}"),
        ("replica CPU ms per listing page", lambda m: f"{figs[m]['replica_cpu_ms']:.1f}"),
        ("replica requests", lambda m: f"{sum(results[m]['replica_requests'].values())}"),
    ]
    for label, cell in rows:
        print(f"  {label:<44}" + "".join(f"{cell(m):>14}" for m in MODES))
    for m in MODES:
        print(f"  {m}: replica requests by kind {json.dumps(results[m]['replica_requests'], sort_keys=True)}"
              f"; errors {results[m]['errors'] or 'none'}")
    api, browser = figs["api"], figs["browser"]
    ratio = api["pages_per_s"] / browser["pages_per_s"] if browser["pages_per_s"] else float("inf")
    # The browser reads cards from the DOM, the API from JSON: a few may differ at the horizon.
    agree = (api["listing_pages"] == browser["listing_pages"]
             and abs(api["cards"] - browser["cards"]) <= 0.05 * max(api["cards"], 1))
    cost = (browser["crawl_cpu_ms"] + browser["chromium_cpu_ms"]) / max(api["crawl_cpu_ms"], 1e-9)
    print()
    print(f"browser: Chromium pages {browser['pages_per_s']:.1f} listing pages/s "
          f"({browser['cards_per_s']:.0f} cards/s), the gateway API {api['pages_per_s']:.1f} "
          f"pages/s: API x{ratio:.0f} faster, browser x{cost:.0f} the CPU per page; first "
          f"section page {browser['first_page_s']:.1f} s in Chromium vs {api['first_page_s']:.2f} s; "
          f"{browser['listing_pages']:.0f} listing pages, {args.sections} to {args.days:g} days; "
          f"{machine_and_date()}: "
          f"{'OK' if agree else 'MODES DISAGREE'}")
    if not agree:
        print("browser: the two modes found different cards or pages; the rates are not "
              "comparable", file=sys.stderr)
    return agree


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=20000, help="replica size (20000)")
    p.add_argument("--sections", default=SECTIONS, help=f"sections to page ({SECTIONS})")
    p.add_argument("--days", type=float, default=30.0,
                   help="page back this many days before the replica's clock (30)")
    p.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS (16)")
    p.add_argument("--time-limit", type=float, default=240.0,
                   help="seconds each crawl may take at most (240)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not CHROMIUM.exists():
        print(f"browser: {CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    print(f"browser: {machine_line()}; sections {args.sections}, {args.days:g} days", flush=True)
    with ReplicaProcess(args.articles) as replica:
        now = datetime.fromisoformat(replica.get_json("/__replica__/clock")["now"].replace("Z", "+00:00"))
        since = (now - timedelta(days=args.days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        results = {}
        for mode in MODES:
            print(f"{mode} ...", flush=True)
            results[mode] = run_mode(mode, replica, since, args)
    return 0 if report(args, results) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_crawl-worker":
        a = sys.argv[2:]
        raise SystemExit(crawl_worker(a[0], a[1], a[2], a[3], a[4], a[5], int(a[6]), float(a[7])))
    raise SystemExit(main())
