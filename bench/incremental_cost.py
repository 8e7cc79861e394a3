"""Benchmark: how many requests does an hourly crawl spend per new or changed article?

A benchmark, not a test. It simulates a day of hourly crawls against a replica on 127.0.0.1:

1. a first, full crawl fills a fresh archive (not counted);
2. then ``--runs`` times (24): the replica clock moves on an hour
   (``POST /__replica__/clock/advance?minutes=60``: what is due is published, some stories
   are edited), the replica's counters are reset, and ``newscrawl crawl`` runs again in the
   same data directory, incremental as by default, with the normal discovery (sections through
   the gateway API, feeds, sitemaps), no delays;
3. after each run: the replica's requests by kind (``GET /__replica__/stats``) and the run's
   ``new_articles`` + ``new_revisions`` from the archive's ``runs`` table.

Requests per new-or-changed article = all requests of the day / all new articles and new
revisions of the day, discovery included; the same ratio per kind of request (robots,
sitemap, feed, section, gateway, article, ...) shows where the cost goes. At the end the
archive is compared with the replica (``/__replica__/articles.json``): a story missing, or
held in an older version, counts as missed, so a crawl cannot look cheap by skipping work.

The crawler's clock. newscrawl decides which archived stories are due for a revisit from
how long they have gone unchanged (``NEWSCRAWL_REVISIT_*``), by the machine's clock. The replica's stories are dated
from its own clock (2026-06-01 on), so on the machine's clock they all look months old and
none is due within a simulated day. The ``site`` series therefore runs each crawl with
newscrawl's ``datetime.now`` moved to the replica's clock (a patch applied in the crawl
process by this script, nothing in newscrawl changes), as a crawl of the real site would
see it (``--clock site``, the default); ``--clock both`` adds a ``wall`` series that runs the
crawls as they are.

Two paces, side by side in one run by default (fresh replica each, same seed): the
replica's own (2,000 items, one every 30 minutes) and scmp.com's (4,000, one every 8
minutes, about 180 a day); the target is checked at scmp.com's.

Missed edits, two ways: at the end, a story the replica lists that the archive lacks or holds
in an older version; and over the day, an edit whose version was live when some run read the
site but that no revision in the archive holds (caught too late, or skipped by a later
edit). Edits replaced before any run came are counted apart: no hourly crawl can see them.

The floor (``floor``): the fewest requests the day could cost a crawl that misses no edit of
a story its monthly sitemap dates, by kind, from the replica's truth; printed next to the
measured figure, it says whether the target can be met at all.

Target: at most 1.2 requests per new or changed article at scmp.com's pace, discovery
included, and no edit missed. Exits 1 when missed, 2 when it could not run.

    .venv/bin/python bench/incremental_cost.py               # both paces, --runs 24
    .venv/bin/python bench/incremental_cost.py --pace scmp   # scmp.com's pace only
    .venv/bin/python bench/incremental_cost.py --pace scmp -s NEWSCRAWL_DISCOVERY=sitemaps

All traffic goes to 127.0.0.1; every crawl process is killed on exit.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import crawl_settings, get_json, machine_and_date, machine_line, run_worker

TARGET = 1.2
#: The replica's own pace (one item every 30 minutes) and scmp.com's (every 8, about 180 a
#: day): (items at the start, minutes between items). The target is checked at scmp.com's.
PACES = {"replica": (2000, 30.0), "scmp": (4000, 8.0)}
KINDS = ("robots", "sitemap", "feed", "section", "gateway", "article", "redirect", "amp", "other")


# -- worker: one crawl, with newscrawl's clock optionally moved to the replica's ----------------
def move_clock(site_now: datetime) -> None:
    """Make ``datetime.now`` in every newscrawl module read the replica's clock."""
    import datetime as dt
    import importlib
    import pkgutil

    import newscrawl

    offset = site_now - dt.datetime.now(UTC)

    class SiteDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return dt.datetime.now(tz) + offset

    for info in pkgutil.walk_packages(newscrawl.__path__, "newscrawl."):
        if ".replica" in info.name:
            continue
        module = importlib.import_module(info.name)
        if getattr(module, "datetime", None) is dt.datetime:
            module.datetime = SiteDatetime  # type: ignore[attr-defined]


def crawl_worker(base: str, data_dir: str, clock: str, site_now: str, concurrency: int,
                 time_limit: float, extra: str) -> int:
    if clock == "site":
        move_clock(datetime.fromisoformat(site_now.replace("Z", "+00:00")))
    from newscrawl.runs.crawl import run_crawl

    overrides = {**crawl_settings(concurrency, time_limit), "NEWSCRAWL_PROGRESS_INTERVAL": 0,
                 **json.loads(extra)}
    result = run_crawl("scmp", {"base_url": base, "data_dir": data_dir, "pagination": "api"},
                       overrides)
    stats = result.stats
    print(json.dumps({k: v for k, v in stats.items()
                      if k.startswith(("newscrawl/", "finish_reason", "downloader/request_count",
                                       "elapsed_time_seconds"))}, default=str))
    return 0


# -- the driver --------------------------------------------------------------------------------
def last_run(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT new_articles, new_revisions, unchanged, finish_reason FROM runs "
                           "ORDER BY id DESC LIMIT 1").fetchone()
    return {"new": row[0] or 0, "revised": row[1] or 0, "unchanged": row[2] or 0,
            "reason": row[3]}


def missed(base: str, db: Path) -> dict[str, int]:
    """Stories the replica lists that the archive lacks, or holds in an older version."""
    listed = get_json(base, "/__replica__/articles.json")["articles"]
    with sqlite3.connect(db) as conn:
        held = dict(conn.execute("SELECT article_id, updated_at FROM articles"))
    out: dict[str, Any] = {"listed": len(listed), "missing": 0, "stale": 0, "examples": []}
    for article in listed:
        if article["article_id"] not in held:
            out["missing"] += 1
            out["examples"].append(f"{article['url']} missing")
        elif (held[article["article_id"]] or "") < article["updated_at"]:
            out["stale"] += 1
            out["examples"].append(f"{article['url']} held as of {held[article['article_id']]}, "
                                   f"updated {article['updated_at']} (published "
                                   f"{article['published_at']})")
    del out["examples"][5:]
    return out


def edits_unseen(world: Any, db: Path, run_ms: list[int]) -> dict[str, Any]:
    """The day's edits a run could have seen (the version was live when some run read the
    site) that no revision in the archive holds: missed, even if a later version was caught.
    An edit replaced by the next one before any run came is counted apart (no hourly crawl
    can see it)."""
    from newscrawl.replica.world import iso

    with sqlite3.connect(db) as conn:
        held = set(conn.execute("SELECT article_id, updated_at FROM revisions"))
    first, last = run_ms[0] - 3_600_000, run_ms[-1]
    out: dict[str, Any] = {"edits": 0, "unseen": 0, "between_runs": 0, "examples": []}
    lookback = world.count_at(first - 49 * 3_600_000)  # edits come within 48 h (world.py)
    for index in range(lookback, world.count_at(last)):
        spec = world.spec(index)
        if not spec.is_article:
            continue
        times = spec.update_ms
        for n, edited in enumerate(times):
            if not first < edited <= last:
                continue
            out["edits"] += 1
            until = times[n + 1] if n + 1 < len(times) else None
            if not any(edited <= t and (until is None or t < until) for t in run_ms):
                out["between_runs"] += 1
            elif (str(spec.article_id), iso(edited)) not in held:
                out["unseen"] += 1
                out["examples"].append(f"{spec.article_id} edit of {iso(edited)} (published "
                                       f"{iso(spec.published_ms)}) never archived")
    del out["examples"][5:]
    return out


def floor(world: Any, run_ms: list[int], edits: dict[str, Any]) -> dict[str, Any]:
    """The fewest requests a day of hourly runs that misses no edit of a dated story could
    spend, by kind, from the replica's truth (``world.py``: every edit comes within 48 hours
    of publication; the monthly sitemaps list articles and galleries, the renamed ones at their
    old slug; the news sitemap lists the articles at their own URL):

    - article: one fetch per new article and per edit version live at a run, and one per new
      gallery (listed by the monthly files at an /article/ URL, fetched once to learn so);
    - the list of the new stories every run: the news sitemap;
    - every run, each monthly file holding a story still inside its edit window (a version
      may live through one run only, and only that file dates it): none can be skipped.

    The alternative list, the current month's file, costs a redirect per renamed new story
    instead of the news sitemap. Edits of stories whose monthly entry has no ``lastmod`` need
    more (cards of section pages), left out: this is a floor."""
    from newscrawl.replica.pages.sitemaps import UPDATE_WINDOW_MS
    from newscrawl.replica.world import HKT

    def month(index: int) -> str:  # the replica's monthly files hold Hong Kong months
        return datetime.fromtimestamp(world.spec(index).published_ms / 1000, HKT).strftime("%Y%m")

    first = run_ms[0] - 3_600_000
    new = [world.spec(i) for i in range(world.count_at(first), world.count_at(run_ms[-1]))]
    files = sum(len({month(i) for i in range(world.count_at(t - UPDATE_WINDOW_MS),
                                             world.count_at(t))}) for t in run_ms)
    renamed = sum(1 for s in new if s.is_article and s.old_slug)
    article = (sum(1 for s in new if s.is_article) + edits["edits"] - edits["between_runs"]
               + sum(1 for s in new if s.kind == "gallery"))
    changes = article - sum(1 for s in new if s.kind == "gallery")
    lists = min(len(run_ms), renamed)
    return {"article": article, "lists": lists, "files": files, "changes": changes,
            "renamed": renamed, "ratio": (article + lists + files) / max(changes, 1)}


def series(clock: str, pace: str, args: argparse.Namespace) -> dict[str, Any]:
    from newscrawl.replica import ReplicaConfig
    from newscrawl.replica.server import ReplicaServer

    articles, minutes_per_item = PACES[pace] if pace in PACES else (args.articles,
                                                                    args.minutes_per_item)
    config = ReplicaConfig(articles=articles, seed=args.seed, crawl_delay=0,
                           minutes_per_item=minutes_per_item,
                           news_sitemap=not args.no_news_sitemap)
    label = f"{pace} pace, {clock} clock"
    run_ms: list[int] = []
    script = Path(__file__).resolve()
    runs = []
    with ReplicaServer(config) as replica, tempfile.TemporaryDirectory(prefix="incr_") as tmp:
        base = replica.base_url
        data_dir = str(Path(tmp) / "data")
        db = Path(data_dir) / "scmp" / "archive.sqlite"

        def crawl(what: str) -> dict[str, Any]:
            now = get_json(base, "/__replica__/clock")["now"]
            return run_worker(script, "--_crawl-worker",
                              [base, data_dir, clock, now, str(args.concurrency),
                               str(args.time_limit), json.dumps(dict(args.set))],
                              time_limit=args.time_limit + 60, what=what)

        t0 = time.monotonic()
        crawl(f"{label}: first crawl")
        first = last_run(db)
        print(f"  {label}: first crawl stored {first['new']} articles "
              f"({time.monotonic() - t0:.0f} s)", flush=True)
        for hour in range(1, args.runs + 1):  # bound: --runs
            changes = get_json(base, "/__replica__/clock/advance?minutes=60", post=True)
            world = replica.world
            published = [int(i) for i in changes["published"]]
            new_articles = sum(1 for i in published
                               if (idx := world.index_of(i)) is not None
                               and world.spec(idx).is_article)
            get_json(base, "/__replica__/stats/reset", post=True)
            t = time.monotonic()
            run_ms.append(world.now_ms)
            stats = crawl(f"{label}: run {hour}")
            served = get_json(base, "/__replica__/stats")
            run = last_run(db)
            runs.append({"hour": hour, "requests": served["requests"],
                         "not_modified": served["not_modified"], "total": served["total"],
                         "new": run["new"], "revised": run["revised"], "reason": run["reason"],
                         "replica_published": len(published), "replica_new_articles": new_articles,
                         "replica_updated": len(changes["updated"]), "wall_s": time.monotonic() - t,
                         "revisits_due": stats.get("newscrawl/revisits/due", 0),
                         "revisits_changed": stats.get("newscrawl/revisits/changed", 0)})
            if hour == 1 or hour % 6 == 0:
                print(f"  {label}: hour {hour}: {served['total']} requests, {run['new']} new, "
                      f"{run['revised']} revised", flush=True)
        edits = edits_unseen(replica.world, db, run_ms)
        return {"clock": clock, "pace": pace, "name": f"{pace}/{clock}", "first": first,
                "config": f"{articles} items, 1 per {minutes_per_item:g} min",
                "runs": runs, "missed": missed(base, db), "edits": edits,
                "floor": floor(replica.world, run_ms, edits)}


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    runs = result["runs"]
    by_kind: Counter[str] = Counter()
    for run in runs:
        by_kind.update(run["requests"])
    changed = sum(r["new"] + r["revised"] for r in runs)
    total = sum(by_kind.values())
    return {"by_kind": by_kind, "total": total, "changed": changed,
            "new": sum(r["new"] for r in runs), "revised": sum(r["revised"] for r in runs),
            "not_modified": sum(r["not_modified"] for r in runs),
            "truth_changed": sum(r["replica_new_articles"] + r["replica_updated"] for r in runs),
            "ratio": total / changed if changed else float("inf"),
            "revisits_due": sum(r["revisits_due"] for r in runs),
            "revisits_changed": sum(r["revisits_changed"] for r in runs),
            "wall_s": sum(r["wall_s"] for r in runs)}


def report(args: argparse.Namespace, results: list[dict[str, Any]]) -> bool:
    sums = {r["name"]: summarize(r) for r in results}
    by_name = {r["name"]: r for r in results}
    names = list(sums)
    print()
    print(f"  {args.runs} hourly runs; requests per new-or-changed article, by kind of request")
    print(f"  {'':<34}" + "".join(f"{n:>22}" for n in names))

    def row(label: str, cell: Any) -> None:
        print(f"  {label:<34}" + "".join(f"{cell(sums[n], by_name[n]):>22}" for n in names))

    row("new articles + new revisions", lambda s, r: f"{s['new']} + {s['revised']} = {s['changed']}")
    row("replica: published arts + edits", lambda s, r: f"{s['truth_changed']}")
    row("requests in all", lambda s, r: f"{s['total']}")
    for kind in KINDS:
        if any(s["by_kind"].get(kind) for s in sums.values()):
            row(f"  {kind}", lambda s, r, k=kind: f"{s['by_kind'].get(k, 0)} "
                f"({s['by_kind'].get(k, 0) / max(s['changed'], 1):.2f})")
    row("  of which article 304s", lambda s, r: f"{s['not_modified']}")
    row("revisits: due by age / changed", lambda s, r: f"{s['revisits_due']} / {s['revisits_changed']}")
    row("REQUESTS PER NEW-OR-CHANGED", lambda s, r: f"{s['ratio']:.2f}")
    row("missed at the end (missing/stale)", lambda s, r: "{missing}/{stale} of {listed}".format(
        **r["missed"]))
    row("edits of the day never archived", lambda s, r: "{unseen} of {edits}".format(**r["edits"]))
    row("  (replaced before a run came)", lambda s, r: f"{r['edits']['between_runs']}")
    for result in results:
        for example in result["missed"]["examples"] + result["edits"]["examples"]:
            print(f"    {result['name']}, missed: {example}")
    row("floor, no dated edit missed", lambda s, r: f"{r['floor']['ratio']:.2f}")
    row("  article + lists + monthly files", lambda s, r: "{article} + {lists} + {files}".format(
        **r["floor"]))
    row("crawl wall time, s (all runs)", lambda s, r: f"{s['wall_s']:.0f}")
    main_name = next((n for n in names if n == "scmp/site"), names[0])
    main, main_result = sums[main_name], by_name[main_name]
    # A stale story is an edit never archived too: count it once.
    lost = main_result["missed"]["missing"] + main_result["edits"]["unseen"]
    ok = main["ratio"] <= args.target and not lost
    discovery = main["total"] - main["by_kind"].get("article", 0)
    kinds = ", ".join(f"{k} {main['by_kind'][k] / max(main['changed'], 1):.2f}" for k in KINDS
                      if main["by_kind"].get(k))
    others = "".join(f"; {n} x{sums[n]['ratio']:.2f} ({by_name[n]['edits']['unseen']} edits "
                     f"missed)" for n in names if n != main_name)
    config = by_name[main_name]["config"]
    print()
    print(f"incremental: {main['ratio']:.2f} requests per new-or-changed article at {main_name} "
          f"(target {args.target}) over {args.runs} hourly runs, {main['changed']} new or "
          f"changed, {main['total']} requests ({discovery} discovery), {lost} edits missed; per "
          f"kind: {kinds}{others}; replica {config}"
          f"{', no news sitemap' if args.no_news_sitemap else ''}"
          f"{'; settings ' + ' '.join('='.join(kv) for kv in args.set) if args.set else ''}; "
          f"{machine_and_date()}: {'PASS' if ok else 'TARGET MISSED'}")
    return ok


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pace", choices=("both", *PACES, "custom"), default="both",
                   help="the replica's pace (2,000 items, one per 30 min), scmp.com's (4,000, "
                        "one per 8 min), both side by side (the default), or custom: "
                        "--articles and --minutes-per-item")
    p.add_argument("--articles", type=int, default=2000,
                   help="replica size at the start, with --pace custom (2000)")
    p.add_argument("--runs", type=int, default=24, help="hourly runs (24)")
    p.add_argument("--minutes-per-item", type=float, default=30.0,
                   help="the replica's mean spacing of publications, with --pace custom (30)")
    p.add_argument("--no-news-sitemap", action="store_true",
                   help="a replica without the Google News sitemap (MARKUP.md: it may be gone)")
    p.add_argument("--clock", choices=("both", "site", "wall"), default="site",
                   help="which clock newscrawl runs on (site; wall adds a series per pace)")
    p.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS (16)")
    p.add_argument("--target", type=float, default=TARGET, help="ratio to stay under (1.2)")
    p.add_argument("--seed", type=int, default=1, help="the replica's seed")
    p.add_argument("--time-limit", type=float, default=300.0,
                   help="seconds one crawl may take at most (300)")
    p.add_argument("--json", type=Path, default=None, help="also write per-run figures here")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   type=lambda text: tuple(text.split("=", 1)),
                   help="a setting for every crawl (all of them, the first included), to try "
                        "a policy: -s NEWSCRAWL_DISCOVERY=sitemaps")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paces = tuple(PACES) if args.pace == "both" else (args.pace,)
    print(f"incremental: {machine_line()}; {args.runs} hourly runs; paces "
          + ", ".join(f"{p} ({PACES[p][0]} items, 1 per {PACES[p][1]:g} min)" if p in PACES
                      else f"custom ({args.articles} items, 1 per {args.minutes_per_item:g} min)"
                      for p in paces)
          + f"{', no news sitemap' if args.no_news_sitemap else ''}"
          f"{'; settings ' + ' '.join('='.join(kv) for kv in args.set) if args.set else ''}",
          flush=True)
    clocks = ("site", "wall") if args.clock == "both" else (args.clock,)
    results = [series(clock, pace, args) for pace in paces for clock in clocks]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if report(args, results) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_crawl-worker":
        a = sys.argv[2:]
        raise SystemExit(crawl_worker(a[0], a[1], a[2], a[3], int(a[4]), float(a[5]), a[6]))
    raise SystemExit(main())
