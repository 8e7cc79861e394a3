"""Benchmark: is the SCMP parser at least 10x faster than trafilatura, with a better body?

A benchmark, not a test. Side by side in one run, on the same replica article pages (fetched
once over HTTP from a replica process, so every extractor reads the bytes a crawl gets):

* **newscrawl**: ``ScmpParserV1.parse(url, html, fetched_at)``, the outlet's parser alone
  (no clean pipeline);
* **trafilatura**: ``trafilatura.extract(html, url=url, favor_precision=True)``;
* **newspaper4k**: ``newspaper.Article(url)``, ``download(input_html=html)``, ``parse()``,
  ``.text``.

Pages: ``--pages`` article and opinion pages, at least ``--apollo`` of them of the Apollo
generation and the rest Next.js (the replica also mixes in pages whose ``__NEXT_DATA__`` is
broken or missing, metered and SCMP Plus pages). Each extractor parses every page once after
one warm-up page; per page we take its CPU time (``time.process_time``) and wall time, and
report the median CPU time of each generation's pages too.

Body F1: token-level F1 (lower-cased ``\\w+`` tokens, counted as a multiset, as in SQuAD) of
the extracted body against the truth body, ``"\\n\\n".join(truth["body"])`` from
``/__replica__/truth/<id>.json``. An extractor that returns nothing scores 0.

Targets: newscrawl's median CPU time per page <= trafilatura's / 10, and newscrawl's mean body
F1 > trafilatura's. Exits 1 when missed, 2 when it could not run (e.g. the comparison
libraries are missing: ``pip install trafilatura newspaper4k``).

    .venv/bin/python bench/extraction_quality.py                    # --pages 300 --apollo 100

All traffic goes to 127.0.0.1; the replica process is killed on exit.
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import harness
from harness import ReplicaProcess, machine_and_date, machine_line, require_libraries

TARGET_SPEEDUP = 10.0
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def body_scores(extracted: str, truth: str) -> tuple[float, float, float]:
    """Token-level (precision, recall, F1) of ``extracted`` against ``truth``."""
    got, want = tokens(extracted or ""), tokens(truth)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


# -- the extractors ----------------------------------------------------------------------------
def newscrawl_extractor() -> Callable[[str, str], str]:
    from newscrawl.extraction.errors import PageRejected
    from newscrawl.outlets.scmp.parser import ScmpParserV1

    parser, fetched = ScmpParserV1(), datetime.now(UTC)

    def extract(url: str, html: str) -> str:
        try:
            return parser.parse(url, html, fetched).body
        except PageRejected:
            return ""

    return extract


def trafilatura_extractor() -> Callable[[str, str], str]:
    import trafilatura

    def extract(url: str, html: str) -> str:
        return trafilatura.extract(html, url=url, favor_precision=True) or ""

    return extract


def newspaper_extractor() -> Callable[[str, str], str]:

    with warnings.catch_warnings():  # "nltk is not installed": its NLP features are not used
        warnings.simplefilter("ignore", UserWarning)
        import newspaper

    config = newspaper.Config()
    config.fetch_images = False
    config.memorize_articles = False

    def extract(url: str, html: str) -> str:
        article = newspaper.Article(url, config=config, language="en")
        article.download(input_html=html)
        article.parse()
        return article.text or ""

    return extract


EXTRACTORS = {"newscrawl": newscrawl_extractor, "trafilatura": trafilatura_extractor,
              "newspaper4k": newspaper_extractor}


# -- pages ------------------------------------------------------------------------------------
def pick_pages(replica: ReplicaProcess, n_pages: int, n_apollo: int, seed: int,
               time_limit: float) -> list[dict[str, Any]]:
    """``n_pages`` pages with their truth: ``n_apollo`` Apollo pages, the rest Next.js."""
    urls = harness.article_urls(replica.base)
    random.Random(seed).shuffle(urls)
    want = {"apollo": n_apollo, "nextjs": n_pages - n_apollo}
    pages: list[dict[str, Any]] = []
    deadline = time.monotonic() + time_limit
    for url in urls:  # bound: the replica's article list, and the time limit
        if not any(want.values()) or time.monotonic() > deadline:
            break
        article_id = re.search(r"/article/(\d+)", url)
        if not article_id:
            continue
        truth = replica.get_json(f"/__replica__/truth/{article_id.group(1)}.json")
        if want.get(truth["generation"], 0) <= 0:
            continue
        want[truth["generation"]] -= 1
        html = harness.http_get(url).decode("utf-8")
        pages.append({"url": url, "html": html, "truth": "\n\n".join(truth["body"]),
                      "generation": truth["generation"],
                      "plus": truth["is_truncated"], "kind": truth["kind"]})
    if any(want.values()):
        raise SystemExit(f"could not find enough pages of each generation (missing {want}); "
                         "raise --articles")
    return pages


def measure(name: str, extract: Callable[[str, str], str],
            pages: list[dict[str, Any]]) -> dict[str, Any]:
    extract(pages[0]["url"], pages[0]["html"])  # warm-up: lazy imports, caches, models
    cpu, wall, f1, precision, recall = [], [], [], [], []
    by_generation: dict[str, list[float]] = {}
    cpu_by_generation: dict[str, list[float]] = {}
    for page in pages:
        c0, w0 = time.process_time(), time.perf_counter()
        body = extract(page["url"], page["html"])
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        p, r, f = body_scores(body, page["truth"])
        precision.append(p)
        recall.append(r)
        f1.append(f)
        by_generation.setdefault(page["generation"], []).append(f)
        cpu_by_generation.setdefault(page["generation"], []).append(cpu[-1])
    return {"name": name, "cpu_median": statistics.median(cpu),
            "cpu_p90": statistics.quantiles(cpu, n=10)[-1], "wall_median": statistics.median(wall),
            "cpu_total": sum(cpu), "f1": statistics.mean(f1), "f1_median": statistics.median(f1),
            "f1_min": min(f1), "precision": statistics.mean(precision),
            "recall": statistics.mean(recall),
            "f1_by_generation": {g: statistics.mean(v) for g, v in by_generation.items()},
            "cpu_by_generation": {g: statistics.median(v) for g, v in cpu_by_generation.items()},
            "perfect": sum(1 for f in f1 if f >= 0.999)}


def report(args: argparse.Namespace, pages: list[dict[str, Any]],
           results: dict[str, dict[str, Any]]) -> bool:
    ours, traf = results["newscrawl"], results["trafilatura"]
    generations = Counter(p["generation"] for p in pages)
    print()
    names = list(results)
    print(f"  {'':<30}" + "".join(f"{n:>16}" for n in names))
    rows = [
        ("median CPU ms/page", lambda r: f"{1000 * r['cpu_median']:.2f}"),
        ("p90 CPU ms/page", lambda r: f"{1000 * r['cpu_p90']:.2f}"),
        ("median wall ms/page", lambda r: f"{1000 * r['wall_median']:.2f}"),
        *[(f"median CPU ms, {g} pages",
           lambda r, g=g: f"{1000 * r['cpu_by_generation'].get(g, float('nan')):.2f}")
          for g in sorted(generations)],
        ("speed vs newscrawl (median CPU)", lambda r: f"x{r['cpu_median'] / ours['cpu_median']:.1f}"),
        ("body F1, mean", lambda r: f"{r['f1']:.3f}"),
        ("body F1, median", lambda r: f"{r['f1_median']:.3f}"),
        ("body F1, worst page", lambda r: f"{r['f1_min']:.3f}"),
        ("precision, mean", lambda r: f"{r['precision']:.3f}"),
        ("recall, mean", lambda r: f"{r['recall']:.3f}"),
        *[(f"body F1, {g} pages ({generations[g]})",
           lambda r, g=g: f"{r['f1_by_generation'].get(g, float('nan')):.3f}")
          for g in sorted(generations)],
        ("pages with F1 >= 0.999", lambda r: f"{r['perfect']}"),
    ]
    for label, cell in rows:
        print(f"  {label:<30}" + "".join(f"{cell(results[n]):>16}" for n in names))
    speedup = traf["cpu_median"] / ours["cpu_median"]
    ok_speed = speedup >= args.target
    ok_f1 = ours["f1"] > traf["f1"]
    ok = ok_speed and ok_f1
    np_part = ""
    if "newspaper4k" in results:
        news = results["newspaper4k"]
        np_part = (f"; newspaper4k {1000 * news['cpu_median']:.1f} ms "
                   f"(x{news['cpu_median'] / ours['cpu_median']:.0f}), F1 {news['f1']:.3f}")
    print()
    print(f"extraction: newscrawl {1000 * ours['cpu_median']:.2f} ms/page median CPU, F1 "
          f"{ours['f1']:.3f}; trafilatura(favor_precision) {1000 * traf['cpu_median']:.1f} ms "
          f"(x{speedup:.0f} slower, target x{args.target:.0f}), F1 {traf['f1']:.3f}{np_part}; "
          f"{len(pages)} pages ({', '.join(f'{n} {g}' for g, n in sorted(generations.items()))}); "
          f"{machine_and_date()}: "
          f"{'PASS' if ok else 'TARGET MISSED'}")
    return ok


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=300, help="pages in all (300)")
    p.add_argument("--apollo", type=int, default=100, help="of which Apollo-generation (100)")
    p.add_argument("--articles", type=int, default=5000, help="replica size (5000)")
    p.add_argument("--target", type=float, default=TARGET_SPEEDUP, help="speed-up to reach (10)")
    p.add_argument("--skip-newspaper", action="store_true", help="leave newspaper4k out")
    p.add_argument("--seed", type=int, default=11, help="which pages are picked")
    p.add_argument("--time-limit", type=float, default=120.0,
                   help="seconds for fetching the pages at most (120)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not 0 <= args.apollo <= args.pages or args.pages < 2:
        raise SystemExit("--pages must be at least 2 and --apollo between 0 and --pages")
    require_libraries("extraction", {"trafilatura": "trafilatura", "newspaper": "newspaper4k"},
                      "pip install trafilatura newspaper4k")
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("newspaper").setLevel(logging.ERROR)
    print(f"extraction: {machine_line()}; {args.pages} pages ({args.apollo} Apollo)", flush=True)
    with ReplicaProcess(args.articles) as replica:
        pages = pick_pages(replica, args.pages, args.apollo, args.seed, args.time_limit)
    results = {}
    for name, factory in EXTRACTORS.items():
        if name == "newspaper4k" and args.skip_newspaper:
            continue
        print(f"{name} ...", flush=True)
        results[name] = measure(name, factory(), pages)
    return 0 if report(args, pages, results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
