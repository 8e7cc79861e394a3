"""Benchmark: what writing exports as records costs. Stories per second exported from one
SQLite archive, side by side in one run, on the same archive:

* **records**: ``newscrawl export``'s reader, ``select_records`` (each story's latest
  ``revisions`` record, joined to its ``articles`` row for ``duplicate_of``, ``revision``
  and ``first_fetched_at``), written by ``export``;
* **rows**: the ``articles`` rows themselves (``select_articles``, JSON columns decoded), the
  reader exports used before they wrote records, written by the same ``export``.

Each format is timed alternately (records, rows, rows, records, ...), best of ``--rounds``.
Prints stories per second and the ratio records / rows per format; exits 1 when records are
slower than half the rows' speed (the record path must stay the same order of cost).

    .venv/bin/python bench/export_speed.py            # --stories 5000 --rounds 3
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from harness import machine_and_date  # first: it puts the project root on sys.path

from newscrawl.store import SqliteArchive
from newscrawl.store.export import export
from newscrawl.store.readers import select_articles, select_records


def build(path: Path, stories: int) -> None:
    """An archive of ``stories`` stories of about 600 words each (no crawl needed)."""
    with SqliteArchive(path) as archive:
        for i in range(stories):
            body = "\n\n".join(f"Paragraph {p} of story {i}, on the harbour and the housing "
                                 "authority's quota, as the council heard it. " * 4
                                 for p in range(10))
            archive.store_article({
                "url": f"https://www.scmp.com/news/article/{3_000_000 + i}/x?utm=a",
                "canonical_url": f"https://www.scmp.com/news/article/{3_000_000 + i}/x",
                "outlet": "scmp", "article_id": str(3_000_000 + i), "kind": "article",
                "headline": f"Headline {i}", "subheadline": ["one", "two"],
                "summary": "A summary.", "authors": ["A B"], "section": ["News", "China"],
                "published_at": f"2026-05-{1 + i % 28:02d}T08:00:00Z",
                "updated_at": f"2026-05-{1 + i % 28:02d}T09:00:00Z", "topics": ["Housing"],
                "body": body, "word_count": len(body.split()), "language": "en",
                "images": [{"url": f"https://img/{i}.jpg", "caption": "A caption",
                            "credit": "Photo"}],
                "fetched_at": "2026-06-02T00:00:00Z", "http_status": 200,
                "parser_version": "scmp.V1", "field_sources": {"headline": "next_data"},
            })


def timed(db: sqlite3.Connection, reader, fmt: str, out: Path) -> float:
    start = time.perf_counter()
    count = export(reader(db), fmt, out)
    return count / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="newscrawl-export-") as tmp:
        path = Path(tmp) / "archive.sqlite"
        build(path, args.stories)
        db = sqlite3.connect(path)
        print(f"{machine_and_date()}; {args.stories} stories")
        for fmt in ("jsonl", "csv", "parquet"):
            best = {"records": 0.0, "rows": 0.0}
            for n in range(args.rounds):
                order = ["records", "rows"] if n % 2 == 0 else ["rows", "records"]
                for name in order:
                    reader = select_records if name == "records" else select_articles
                    rate = timed(db, reader, fmt, Path(tmp) / f"x.{fmt}")
                    best[name] = max(best[name], rate)
            ratio = best["records"] / best["rows"]
            ok &= ratio >= 0.5
            print(f"export_speed: {fmt}: records {best['records']:,.0f}/s, rows "
                  f"{best['rows']:,.0f}/s, records/rows x{ratio:.2f}")
        db.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
