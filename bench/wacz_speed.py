"""Benchmark: what does `newscrawl wacz` cost next to py-wacz's `wacz create`?

A benchmark, not a test. Side by side in one run, on the same WARC files (replica article
pages, gzipped as the replica serves them, written by newscrawl's WARC writer, rotated at
20 MB) and the archive of the same stories:

* **newscrawl wacz**: every file checked whole (lengths, block digests, gzip members), the
  CDXJ index (cdxj_indexer), one page per story from the archive, hashes, the ZIP;
* **wacz create**: py-wacz 0.6 with no page list (it checks nothing: a damaged file is
  packaged);
* **wacz create -d -t**: py-wacz detecting pages and extracting their text (boilerpy3), the
  nearest it has to a page list with text.

Each is the command a user runs (a child process, imports included), best of ``--repeat``.
Target: newscrawl wacz <= 2x `wacz create` (checking and the page list may cost, not more).
Exits 1 when it is missed.

    .venv/bin/python bench/wacz_speed.py              # --articles 3000 --repeat 3
"""

from __future__ import annotations

import argparse
import gzip
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newscrawl.extraction.errors import PageRejected
from newscrawl.items import to_record
from newscrawl.layout import DataDir
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.replica import ReplicaConfig
from newscrawl.replica.pages.article import render_article_page
from newscrawl.replica.world import World
from newscrawl.store import SqliteArchive
from newscrawl.warc import RotatingWarcWriter

BASE = "https://www.scmp.com"
WACZ = str(Path(sys.executable).with_name("wacz"))  # py-wacz's console script


def make_crawl(root: Path, n: int) -> int:
    """WARC files and an archive of ``n`` replica stories; the number of stories stored."""
    world, parser = World(ReplicaConfig(articles=n, seed=3)), ScmpParserV1()
    data = DataDir.of(root, "scmp")
    writer = RotatingWarcWriter(data.warc, "scmp", max_bytes=20_000_000)
    start, stored = datetime(2026, 6, 10, tzinfo=UTC), 0
    with SqliteArchive(data.archive) as archive:
        for i in range(world.count):
            spec = world.spec(i)
            if not spec.is_article:
                continue
            url, html = BASE + spec.path, render_article_page(world, world.content_at(i),
                                                              base=BASE)
            fetched = start + timedelta(seconds=i)
            writer.write_exchange(
                url=url, fetched_at=fetched, method="GET", request_headers=[],
                request_body=b"", protocol="HTTP/1.1", status=200,
                response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                  ("Content-Encoding", "gzip")],
                body=gzip.compress(html.encode()))
            try:
                article = parser.parse(url, html, fetched)
            except PageRejected:
                continue
            article.fetched_at = (fetched + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            archive.store_article(to_record(article))
            stored += 1
    writer.close()
    return stored


def timed(command: list[str], repeat: int) -> tuple[float, str]:
    best, said = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{command[0]} failed: {done.stderr[-500:]}")
        best, said = min(best, elapsed), done.stdout
    return best, said


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--articles", type=int, default=3000)
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stored = make_crawl(root, args.articles)
        files = sorted((root / "scmp" / "warc").iterdir())
        size = sum(p.stat().st_size for p in files)
        ours, said = timed([sys.executable, "-m", "newscrawl.cli", "wacz", "--data-dir", str(root),
                      "--out", str(root / "ours.wacz")], args.repeat)
        plain, _ = timed([WACZ, "create", "-o", str(root / "plain.wacz"), *map(str, files)],
                      args.repeat)
        texts, _ = timed([WACZ, "create", "-d", "-t", "-o", str(root / "text.wacz"),
                       *map(str, files)], args.repeat)
    ratio = ours / plain
    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{stored} stories, {len(files)} WARC files, {size / 1e6:.1f} MB")
    print(said.strip())
    print(f"newscrawl wacz      {ours:6.2f} s  {size / 1e6 / ours:6.1f} MB/s")
    print(f"wacz create         {plain:6.2f} s  {size / 1e6 / plain:6.1f} MB/s")
    print(f"wacz create -d -t   {texts:6.2f} s  {size / 1e6 / texts:6.1f} MB/s")
    verdict = "met" if ratio <= 2 else "missed"
    print(f"summary: newscrawl wacz x{ratio:.2f} the time of wacz create (x{ours / texts:.2f} "
          f"of wacz create -d -t), {size / 1e6:.0f} MB: target <= x2 {verdict}")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
