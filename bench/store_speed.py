"""Benchmark: is storing ever the bottleneck? Articles per second into the SQLite archive.

A benchmark, not a test. Side by side in one run, on the same records:

* **parse**: the SCMP parser on replica article pages (the producer of records; pages are
  rendered up front so only parsing is timed), in articles per second;
* **store**: ``SqliteArchive.store_article`` with every index, the FTS5 index, the revision
  table and the JSON Lines journal on (batched transactions, as in a crawl);
* **pipelines**: clean + validate + de-duplicate (MinHash lookup and index) + store, the
  whole item path of a crawl, through the real pipeline classes;
* **re-store**: the same records again (a revisit of unchanged articles: checks only);
* **bare insert**: the same JSON into a table with no index, for scale.

Target: store >= 2,000 articles/s, and store / parse >= 1 (the archive keeps up with the
parser, let alone the network). Exits 1 when a target is missed.

    .venv/bin/python bench/store_speed.py              # --articles 5000
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from newscrawl.extraction.errors import PageRejected
from newscrawl.layout import DataDir
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.replica import ReplicaConfig
from newscrawl.replica.pages.article import render_article_page
from newscrawl.replica.world import World
from newscrawl.store import SqliteArchive

BASE = "https://www.scmp.com"


def make_pages(n: int) -> list[tuple[str, str]]:
    world = World(ReplicaConfig(articles=n, seed=3))
    pages = []
    for i in range(world.count):
        spec = world.spec(i)
        if spec.is_article:
            pages.append((BASE + spec.path,
                          render_article_page(world, world.content_at(i), base=BASE)))
    return pages


def parse_all(pages: list[tuple[str, str]]) -> tuple[list[dict], float]:
    parser, fetched = ScmpParserV1(), datetime(2026, 6, 10, tzinfo=UTC)
    records, start = [], time.perf_counter()
    for url, html in pages:
        try:
            article = parser.parse(url, html, fetched)
        except PageRejected:
            continue
        article.outlet, article.fetched_at, article.http_status = "scmp", "2026-06-10T00:00:00Z", 200
        records.append(article)
    return records, time.perf_counter() - start


def time_store(records: list[dict], directory: Path) -> tuple[float, float]:
    files = DataDir.of(directory, "scmp")
    db, journal = files.archive, files.journal
    with SqliteArchive(db, journal) as archive:
        start = time.perf_counter()
        for record in records:
            archive.store_article(record)
        archive.commit()
        first = time.perf_counter() - start
        start = time.perf_counter()
        for record in records:
            archive.store_article(record)
        archive.commit()
        again = time.perf_counter() - start
    return first, again


def time_pipelines(articles: list, directory: Path) -> float:
    import harness  # noqa: F401 - puts the project root on sys.path

    from newscrawl.extensions.archive import ArchiveExtension
    from newscrawl.pipelines.clean import CleanPipeline
    from newscrawl.pipelines.dedupe import DedupePipeline
    from newscrawl.pipelines.store import StorePipeline
    from newscrawl.pipelines.validate import ValidatePipeline
    from newscrawl.spiders import ScmpSpider
    from tests.utils.crawler import project_crawler

    crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_DATA_DIR": str(directory)})
    chain = [cls.from_crawler(crawler) for cls in (CleanPipeline, ValidatePipeline, DedupePipeline,
                                                   StorePipeline)]
    start = time.perf_counter()
    for article in articles:
        item = article
        for pipeline in chain:
            item = pipeline.process_item(item)
    ArchiveExtension.of(crawler).close()
    return time.perf_counter() - start


def time_bare(records: list[dict], directory: Path) -> float:
    db = sqlite3.connect(directory / "bare.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (record TEXT)")
    start = time.perf_counter()
    db.execute("BEGIN")
    for n, record in enumerate(records, 1):
        db.execute("INSERT INTO t VALUES (?)", (json.dumps(record, ensure_ascii=False),))
        if n % 500 == 0:
            db.execute("COMMIT")
            db.execute("BEGIN")
    db.execute("COMMIT")
    db.close()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()

    print(f"rendering {args.articles} replica items ...", file=sys.stderr)
    pages = make_pages(args.articles)
    articles, parse_s = parse_all(pages)
    records = [asdict(a) for a in articles]
    n = len(records)
    size = sum(len(r["body"]) for r in records) / n
    with tempfile.TemporaryDirectory() as tmp:
        store_s, again_s = time_store(records, Path(tmp) / "a")
        pipe_s = time_pipelines(articles, Path(tmp) / "b")
        bare_s = time_bare(records, Path(tmp))
        db_size = (Path(tmp) / "a" / "scmp" / "archive.sqlite").stat().st_size

    rate = {name: n / seconds for name, seconds in
            (("parse", parse_s), ("store", store_s), ("re-store", again_s),
             ("pipelines", pipe_s), ("bare insert", bare_s))}
    print(f"machine: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; {n} articles, "
          f"mean body {size:,.0f} chars, archive {db_size / 1e6:.1f} MB")
    for name, value in rate.items():
        print(f"  {name:<12} {value:>9,.0f} articles/s   ({1000 / value:.3f} ms per article)")
    ratio = rate["store"] / rate["parse"]
    pipeline_ratio = rate["pipelines"] / rate["parse"]
    ok = rate["store"] >= 2000 and ratio >= 1
    print(f"summary: store {rate['store']:,.0f} art/s (target 2,000) = x{ratio:.1f} the parser's "
          f"{rate['parse']:,.0f} art/s; full pipelines {rate['pipelines']:,.0f} art/s "
          f"(x{pipeline_ratio:.1f} parser); unchanged re-store {rate['re-store']:,.0f} art/s; "
          f"bare insert {rate['bare insert']:,.0f} art/s: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
