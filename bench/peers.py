"""Benchmark: is newscrawl at least 5x faster than the pipelines a researcher would build instead,
with a better body?

A benchmark, not a test. Side by side in one run, against one replica process, on the same
article pages, with the same concurrency and no delays, each variant in its own process:

* **newscrawl**: ``newscrawl.runs.crawl.run_crawl`` given the URLs, into a fresh archive
  (fetch, parse, clean, validate, de-duplicate, store): the worker of ``crawl_speed.py``, run
  as it runs it;
* **trafilatura**: a Scrapy spider whose callback calls
  ``trafilatura.extract(response.text, url=..., output_format="json", with_metadata=True)``
  (body and metadata, trafilatura's defaults otherwise) and yields the record to Scrapy's JSON
  Lines feed (``FEEDS``): the pipeline people build by hand;
* **news-please**: the same spider calling ``NewsPlease.from_html(html, url=...,
  fetch_images=False)`` (its newspaper, readability, date and language extractors);
* **newspaper4k**: the same spider with ``newspaper.article(url, input_html=html)``
  (``fetch_images`` off);
* **bare Scrapy**: the spider of ``crawl_speed.py`` that fetches and parses nothing: the limit.

The alternatives run with Scrapy's default settings (robots.txt off, default handlers), like
the bare spider, but for newscrawl's ``CONCURRENT_ITEMS`` (Scrapy's default of 100 starts 100
tasks for every response, ~1 ms a page; the same concurrency as newscrawl's). ``fetch_images``
is off in news-please and newspaper4k because with it on they download each page's images
(from the replica here), which is traffic and time no other variant spends. Each alternative blocks the reactor while it extracts, as such spiders do.

Figures per variant, over the article-fetch phase (``harness.ArticlePhaseClock`` inside each
crawl process, first article request to the last response or item): **articles stored per
second** (rows in the archive, lines in the feed; for the bare spider pages fetched, since
it stores nothing), **crawler CPU per article** (the crawl process's own user + system CPU over
the phase, ``getrusage``, as ``crawl_speed.py`` takes it), **peak RSS** of the crawl process,
and **body F1**: token F1 of each stored body against the replica's truth body
(``extraction_quality.body_scores``, the metric of ``bench/extraction_quality.py``), averaged
over all the pages asked for, a page stored by no record counting 0.

The variants alternate over ``--rounds`` rounds (forward, then reversed); news-please and
newspaper4k, 5-10x slower than the rest, run only in the first ``--slow-rounds`` rounds, so
the default run takes about 17 minutes on a quiet machine (1,000 s of crawler CPU). Medians
over rounds. On a shared machine the articles per second move with other processes' load;
CPU per article moves much less and is the figure to compare.

Target: newscrawl's articles/s >= 5 x the fastest alternative's, and newscrawl's mean body F1
above every alternative's. Exits 1 when missed, 2 when the benchmark could not run.

    .venv/bin/python bench/peers.py                       # --pages 2000 --rounds 2 --slow-rounds 1
    .venv/bin/python bench/peers.py --pages 200 --rounds 1   # a quick look while developing
    .venv/bin/python bench/peers.py --variants newscrawl,trafilatura,bare

All traffic goes to 127.0.0.1; the replica and every worker are killed on exit.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import harness
from extraction_quality import body_scores
from harness import (
    ReplicaProcess,
    Worker,
    add_crawl_options,
    machine_and_date,
    machine_line,
    require_libraries,
    system_busy_seconds,
)

TARGET = 5.0
WARMUP_PAGES = 20
CRAWL_SPEED = Path(__file__).resolve().with_name("crawl_speed.py")
VARIANTS = ("newscrawl", "trafilatura", "news-please", "newspaper4k", "bare")
ALTERNATIVES = ("trafilatura", "news-please", "newspaper4k")
SLOW = ("news-please", "newspaper4k")
LABELS = {"newscrawl": "newscrawl", "trafilatura": "trafilatura", "news-please": "news-please",
          "newspaper4k": "newspaper4k", "bare": "bare Scrapy"}
LIBRARIES = {"trafilatura": ("trafilatura", "trafilatura"),
             "news-please": ("newsplease", "news-please"),
             "newspaper4k": ("newspaper", "newspaper4k")}
_ARTICLE_ID = re.compile(r"/article/(\d+)")


# -- the alternatives' extraction, as their users call it ---------------------------------------
def trafilatura_record() -> Callable[[str, str], dict[str, Any]]:
    import trafilatura

    def extract(url: str, html: str) -> dict[str, Any]:
        out = trafilatura.extract(html, url=url, output_format="json", with_metadata=True)
        doc = json.loads(out) if out else {}
        return {"url": url, "title": doc.get("title"), "author": doc.get("author"),
                "date": doc.get("date"), "body": doc.get("text") or ""}

    return extract


def newsplease_record() -> Callable[[str, str], dict[str, Any]]:
    with warnings.catch_warnings():  # newspaper's "nltk is not installed": NLP is not used
        warnings.simplefilter("ignore", UserWarning)
        from newsplease import NewsPlease

    def extract(url: str, html: str) -> dict[str, Any]:
        article = NewsPlease.from_html(html, url=url, fetch_images=False)
        return {"url": url, "title": article.title, "authors": article.authors,
                "date": article.date_publish, "body": article.maintext or ""}

    return extract


def newspaper_record() -> Callable[[str, str], dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import newspaper

    config = newspaper.Config()
    config.fetch_images = False
    config.memorize_articles = False

    def extract(url: str, html: str) -> dict[str, Any]:
        article = newspaper.article(url, input_html=html, config=config, language="en")
        return {"url": url, "title": article.title, "authors": article.authors,
                "date": article.publish_date, "body": article.text or ""}

    return extract


RECORDS = {"trafilatura": trafilatura_record, "news-please": newsplease_record,
           "newspaper4k": newspaper_record}


# -- worker: a Scrapy spider that extracts with one alternative into a JSON Lines feed ----------
def peer_worker(name: str, urls_file: str, phase_file: str, feed_file: str, time_limit: float,
                concurrency: int) -> int:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls: list[str] = json.loads(Path(urls_file).read_text())
    extract = RECORDS[name]()

    class ExtractingSpider(scrapy.Spider):
        name = "peer"

        async def start(self):  # type: ignore[override]
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, errback=self.failed,
                                     dont_filter=True)

        def parse(self, response):  # type: ignore[override]
            yield extract(response.url, response.text)

        def failed(self, failure: Any) -> None:
            self.crawler.stats.inc_value("bench/failed")

    from newscrawl import settings as newscrawl_settings

    # The same concurrency as newscrawl's: requests (above) and items per response (Scrapy's
    # default of 100 starts 100 tasks for every response: ~1 ms a page).
    settings = {**harness.crawl_settings(concurrency, time_limit), "TELNETCONSOLE_ENABLED": False,
                "CONCURRENT_ITEMS": newscrawl_settings.CONCURRENT_ITEMS,
                "BENCH_PHASE_FILE": phase_file, "ROBOTSTXT_OBEY": False, "DOWNLOAD_TIMEOUT": 30,
                "EXTENSIONS": {"harness.ArticlePhaseClock": 0},
                "FEEDS": {feed_file: {"format": "jsonlines", "encoding": "utf8"}}}
    process = CrawlerProcess(settings=settings, install_root_handler=True)
    crawler = process.create_crawler(ExtractingSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(json.dumps({"phase": json.loads(Path(phase_file).read_text()),
                      "failed": stats.get("bench/failed", 0) + stats.get("log_count/ERROR", 0),
                      "requests": stats.get("downloader/request_count", 0),
                      "peak_rss": harness.peak_rss_self(), "process_cpu_s": harness.cpu_with_children()}))
    return 0


# -- what each variant stored -------------------------------------------------------------------
def feed_bodies(feed_file: Path) -> Iterator[tuple[str, str]]:
    """(article id, body) of each line of a JSON Lines feed."""
    if not feed_file.exists():
        return
    with feed_file.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            match = _ARTICLE_ID.search(record.get("url") or "")
            if match:
                yield match.group(1), record.get("body") or ""


def archive_bodies(data_dir: Path) -> Iterator[tuple[str, str]]:
    """(article id, body) of each story in newscrawl's archive, read through its public API."""
    from newscrawl import Archive

    path = data_dir / "scmp" / "archive.sqlite"
    if not path.exists():
        return
    with Archive.open(path) as archive:
        for article in archive.articles():
            yield article.article_id, article.body or ""


def score(bodies: Iterator[tuple[str, str]], truth: dict[str, str]) -> dict[str, Any]:
    """Rows stored for the pages asked for, and mean body F1 over those pages (0 if missing)."""
    f1: dict[str, float] = {}
    for article_id, body in bodies:
        if article_id in truth:
            f1[article_id] = body_scores(body, truth[article_id])[2]
    return {"stored": len(f1), "f1": sum(f1.values()) / len(truth),
            "f1_stored": statistics.mean(f1.values()) if f1 else 0.0}


# -- the driver ---------------------------------------------------------------------------------
def worker_for(variant: str, replica: ReplicaProcess, urls_file: str, tmp: Path,
               args: argparse.Namespace) -> Worker:
    phase_file = str(tmp / "phase.json")
    common = [urls_file, phase_file]
    limits = [str(args.time_limit), str(args.concurrency)]
    if variant == "newscrawl":  # crawl_speed.py's workers, exactly as it runs them
        script, mode = CRAWL_SPEED, "--_newscrawl-worker"
        rest = [*common, str(tmp / "data"), *limits, replica.base, "{}"]
    elif variant == "bare":
        script, mode = CRAWL_SPEED, "--_bare-worker"
        rest = [*common, str(tmp / "data"), *limits, "0"]
    else:
        script, mode = Path(__file__).resolve(), "--_peer-worker"
        rest = [variant, *common, str(tmp / "feed.jsonl"), *limits]
    return Worker(script, mode, rest, time_limit=args.time_limit + 120, what=LABELS[variant])


def run_variant(variant: str, replica: ReplicaProcess, urls_file: str, truth: dict[str, str],
                args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="peers_") as tmp_name:
        tmp = Path(tmp_name)
        cpu0, busy0, t0 = replica.cpu(), system_busy_seconds(), time.perf_counter()
        worker = worker_for(variant, replica, urls_file, tmp, args)
        try:
            result = worker.wait()
        finally:
            worker.close()
        result["replica_cpu_s"] = replica.cpu() - cpu0
        result["other_load"] = harness.other_load(
            busy0, t0, result["replica_cpu_s"] + result["process_cpu_s"])
        if variant == "newscrawl":
            result.update(score(archive_bodies(tmp / "data"), truth))
        elif variant == "bare":
            result.update({"stored": 0, "f1": 0.0, "f1_stored": 0.0, "limit": True})
        else:
            result.update(score(feed_bodies(tmp / "feed.jsonl"), truth))
    return result


def fetched(result: dict[str, Any]) -> int:
    return int(result["phase"]["statuses"].get("200", 0))


def articles(result: dict[str, Any]) -> int:
    """Articles stored; the bare spider stores nothing, so its pages fetched stand in."""
    return fetched(result) if result.get("limit") else int(result["stored"])


def articles_per_s(result: dict[str, Any]) -> float:
    phase_s = result["phase"]["phase_s"]
    return articles(result) / phase_s if phase_s else 0.0


def cpu_ms_per_article(result: dict[str, Any]) -> float:
    return 1000 * result["phase"]["phase_cpu_s"] / max(articles(result), 1)


ROWS: list[tuple[str, Callable[[dict[str, Any]], float], str]] = [
    ("article pages fetched (200)", lambda r: fetched(r), "{:.0f}"),
    ("articles stored", lambda r: r["stored"], "{:.0f}"),
    ("article phase, s", lambda r: r["phase"]["phase_s"], "{:.1f}"),
    ("articles/s (bare: pages/s)", articles_per_s, "{:.1f}"),
    ("crawler CPU ms/article", cpu_ms_per_article, "{:.2f}"),
    ("  of it in the parse process, ms/article",
     lambda r: 1000 * r["phase"].get("phase_children_cpu_s", 0.0) / max(articles(r), 1), "{:.2f}"),
    ("crawler CPU busy, % of one core",
     lambda r: 100 * r["phase"]["phase_cpu_s"] / max(r["phase"]["phase_s"], 1e-9), "{:.0f}"),
    ("crawl process peak RSS, MB", lambda r: r["peak_rss"] / 1e6, "{:.0f}"),
    ("parse process peak RSS, MB",
     lambda r: r["phase"].get("children_peak_rss", 0) / 1e6, "{:.0f}"),
    ("body F1, mean over pages", lambda r: r["f1"], "{:.3f}"),
    ("body F1, mean over stored", lambda r: r["f1_stored"], "{:.3f}"),
    ("other CPU (processes, kernel), % core", lambda r: 100 * r["other_load"], "{:.0f}"),
]


def report(args: argparse.Namespace, variants: list[str],
           rounds: list[dict[str, dict[str, Any]]]) -> bool:
    def med(variant: str, key: Callable[[dict[str, Any]], float]) -> float:
        return statistics.median(key(r[variant]) for r in rounds if variant in r)

    runs = {v: sum(1 for r in rounds if v in r) for v in variants}
    print()
    print(f"  {'':<38}" + "".join(f"{LABELS[v]:>14}" for v in variants))
    print(f"  {'rounds run':<38}" + "".join(f"{runs[v]:>14}" for v in variants))
    for label, key, fmt in ROWS:
        print(f"  {label:<38}" + "".join(f"{fmt.format(med(v, key)):>14}" for v in variants))
    alternatives = [v for v in ALTERNATIVES if v in variants]
    if "newscrawl" not in variants or not alternatives:
        print("\npeers: no ratio without newscrawl and at least one alternative")
        return False
    ours = med("newscrawl", articles_per_s)
    ours_cpu = med("newscrawl", cpu_ms_per_article)
    ours_f1 = med("newscrawl", lambda r: r["f1"])
    print()
    for v in alternatives:
        print(f"  newscrawl / {LABELS[v]}: x{ours / med(v, articles_per_s):.1f} articles/s, "
              f"x{med(v, cpu_ms_per_article) / ours_cpu:.1f} less CPU per article, "
              f"body F1 {ours_f1:.3f} vs {med(v, lambda r: r['f1']):.3f}")
    if "bare" in variants:
        print(f"  newscrawl / bare Scrapy: x{ours / med('bare', articles_per_s):.2f} pages/s, "
              f"{ours_cpu:.2f} vs {med('bare', cpu_ms_per_article):.2f} ms CPU per page")
    fastest = max(alternatives, key=lambda v: med(v, articles_per_s))
    speedup = ours / med(fastest, articles_per_s)
    cpu_ratio = med(fastest, cpu_ms_per_article) / ours_cpu
    best_f1 = max(med(v, lambda r: r["f1"]) for v in alternatives)
    # newscrawl may fetch a few pages twice (one read from fallbacks is asked again once, the
    # revisit rule's RetryRule): complete when every variant got every page.
    complete = all(fetched(r[v]) >= args.pages for r in rounds for v in r)
    ok = speedup >= args.target and ours_f1 > best_f1 and complete
    verdict = "PASS" if ok else "TARGET MISSED" if complete else "INCOMPLETE"
    noise = max(r[v]["other_load"] for r in rounds for v in r)
    if noise > harness.NOISY_LOAD:
        verdict += f" (noisy: other processes used up to {100 * noise:.0f}% of a core)"
    print()
    print(f"peers: newscrawl {ours:.1f} articles/s = x{speedup:.1f} the fastest alternative "
          f"({LABELS[fastest]}, {med(fastest, articles_per_s):.1f}/s; target x{args.target:.0f}), "
          f"x{cpu_ratio:.1f} less crawler CPU per article ({ours_cpu:.2f} vs "
          f"{med(fastest, cpu_ms_per_article):.2f} ms); body F1 {ours_f1:.3f} vs best "
          f"alternative {best_f1:.3f}; {args.pages} pages, {len(rounds)} rounds "
          f"({args.slow_rounds} for news-please/newspaper4k), concurrency {args.concurrency}; "
          f"{machine_and_date()}: {verdict}")
    return ok


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_crawl_options(p, "the fast variants")
    p.add_argument("--slow-rounds", type=int, default=1,
                   help="of which news-please and newspaper4k run in the first N (1)")
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help=f"which to run, comma-separated ({','.join(VARIANTS)})")
    p.add_argument("--target", type=float, default=TARGET,
                   help="articles/s of newscrawl over the fastest alternative to reach (5)")
    p.add_argument("--time-limit", type=float, default=2400.0,
                   help="seconds each crawl may take at most (2400: news-please needs 7 minutes "
                        "of CPU for 2,000 pages, and far longer on a shared machine)")
    p.add_argument("--seed", type=int, default=7, help="which pages are picked")
    args = p.parse_args(argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        p.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if args.pages < 1 or args.rounds < 1 or args.concurrency < 1 or args.slow_rounds < 1:
        p.error("--pages, --rounds, --slow-rounds and --concurrency must be at least 1")
    return args


def truth_bodies(replica: ReplicaProcess, urls: list[str]) -> dict[str, str]:
    """The truth body of each page, by article id, from ``/__replica__/truth/<id>.json``."""
    truth = {}
    for url in urls:  # bound: --pages
        match = _ARTICLE_ID.search(url)
        if not match:
            raise SystemExit(f"peers: no article id in {url}")
        record = replica.get_json(f"/__replica__/truth/{match.group(1)}.json")
        truth[match.group(1)] = "\n\n".join(record["body"])
    return truth


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM as an exception: the ``finally`` blocks then end the worker and the replica.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    variants = [v for v in VARIANTS if v in args.variants]
    require_libraries("peers", dict(LIBRARIES[v] for v in variants if v in LIBRARIES),
                      "pip install -e '.[bench]'")
    print(f"peers: {machine_line()}; {args.pages} pages, {args.rounds} rounds "
          f"({args.slow_rounds} for news-please/newspaper4k), concurrency {args.concurrency}",
          flush=True)
    with ReplicaProcess(args.articles) as replica, \
            tempfile.NamedTemporaryFile("w", suffix=".json") as urls_fh:
        urls = harness.article_urls(replica.base)
        random.Random(args.seed).shuffle(urls)  # the pages crawl_speed.py picks with this seed
        if len(urls) < WARMUP_PAGES + args.pages:
            raise SystemExit(f"replica lists {len(urls)} article pages; raise --articles")
        for url in urls[:WARMUP_PAGES]:  # builds the replica's page furniture once
            harness.http_get(url)
        picked = urls[WARMUP_PAGES:WARMUP_PAGES + args.pages]
        truth = truth_bodies(replica, picked)
        json.dump(picked, urls_fh)
        urls_fh.flush()
        rounds = []
        for n in range(args.rounds):  # bound: --rounds
            order = variants if n % 2 == 0 else list(reversed(variants))
            results = {}
            for variant in order:
                if variant in SLOW and n >= args.slow_rounds:
                    continue
                print(f"round {n + 1}: {LABELS[variant]} ...", flush=True)
                results[variant] = run_variant(variant, replica, urls_fh.name, truth, args)
                r = results[variant]
                print(f"  {articles_per_s(r):.1f} articles/s, {cpu_ms_per_article(r):.2f} ms "
                      f"CPU/article, F1 {r['f1']:.3f}", flush=True)
            rounds.append(results)
    return 0 if report(args, variants, rounds) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_peer-worker":
        a = sys.argv[2:]
        raise SystemExit(peer_worker(a[0], a[1], a[2], a[3], float(a[4]), int(a[5])))
    raise SystemExit(main())
