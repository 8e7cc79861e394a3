"""``newscrawl wacz``: a crawl's WARC files packaged as one WACZ (newscrawl/wacz.py), whose
pages are the stories of the archive: one page per stored version of a story, opening the
capture that version was read from, titled with its headline and holding its body as text.

A version was read from the capture of its URL (``record["url"]``, the URL fetched) that the
WARC writer stamped a moment before the spider stamped the version's ``fetched_at``: the
latest capture of that URL at most ``CAPTURE_LEAD`` before it. A version whose capture is in
none of the files (its crawl ran without ``--warc``) has no page; a capture is the page of one
version at most, the first that claims it. Failures are one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import bisect
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newscrawl.layout import DataDir
    from newscrawl.wacz import Capture, Page, WaczReport, WarcIndex

#: How long before a version's ``fetched_at`` its capture may have been written: the response
#: waits in Scrapy's queues between the WARC writer and the spider (seconds, under load).
CAPTURE_LEAD = timedelta(minutes=5)
#: Both times are cut to the second, by different clocks calls: a second of slack after.
CAPTURE_SLACK = timedelta(seconds=2)


@dataclass
class PageCount:
    pages: int = 0
    without_capture: int = 0  # versions whose capture is in none of the WARC files


def wacz(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.layout import DataDir
    from newscrawl.messages import fail
    from newscrawl.runs.locks import RunLock, lock_holder

    if not args.out.endswith(".wacz"):
        parser.error(f"--out {args.out}: a package's name ends in .wacz (replay tools "
                     "recognise it by that)")
    data_dir = DataDir.of(args.data_dir, args.outlet)
    # The newest WARC file of a running crawl is still being written: wait for it to end.
    lock = RunLock(data_dir.crawl_lock) if data_dir.base.is_dir() else None
    if lock is not None and not lock.acquire():
        return fail("wacz", f"{lock_holder(lock).describe()}; package its WARC files when it ends")
    try:
        report, count = _package(args, data_dir)
    except _Failed as exc:
        return fail("wacz", str(exc))
    finally:
        if lock is not None:
            lock.release()
    print(f"wrote {report.path} ({_size(report.bytes)}): {report.warc_files} WARC file(s) "
          f"({_size(report.warc_bytes)}), {report.records} records indexed, "
          f"{report.pages} pages (stories, one per stored version)")
    if count.without_capture:
        print(f"stored versions without a page: {count.without_capture} (their capture is in "
              "none of these WARC files: crawled without --warc, or the file left out)")
    return 0


class _Failed(Exception):
    """A one-line reason the package was not written."""


def _package(args: argparse.Namespace, data_dir: DataDir) -> tuple[WaczReport, PageCount]:
    # What can be refused at once is, before the (slower) imports and the work.
    paths = _warc_paths(args, data_dir)
    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():
        raise _Failed(f"cannot write {out}: " + ("it is a directory" if out.is_dir()
                                                 else f"no directory {out.parent}"))
    from newscrawl.commands import installed_version
    from newscrawl.messages import one_line
    from newscrawl.store import StoreError, readers
    from newscrawl.wacz import WaczError, WarcIndex, write_wacz
    from newscrawl.warc import DamagedWarc

    try:
        db = readers.connect(args.db or data_dir.archive)
        try:
            index = WarcIndex.build(paths)
            count = PageCount()
            report = write_wacz(
                out, index, story_pages(index.captures, readers.select_revisions(db), count),
                title=args.title or f"{args.outlet} crawl",
                description=_description(args.outlet, index),
                software=f"newscrawl {installed_version()}")
        finally:
            db.close()
    except DamagedWarc as exc:
        raise _Failed(f"{exc} (leave the file out: name the others with --warc)") from None
    except (WaczError, StoreError) as exc:
        raise _Failed(str(exc)) from None
    except OSError as exc:
        if exc.filename and os.fspath(exc.filename) in {os.fspath(p) for p in paths}:
            raise _Failed(f"cannot read {exc.filename}: {exc.strerror}") from None
        raise _Failed(f"cannot write {out}: {exc.strerror or one_line(exc)}") from None
    return report, count


def _warc_paths(args: argparse.Namespace, data_dir: DataDir) -> list[Path]:
    from newscrawl.warc import warc_files  # warcio, not the index and the archive

    try:
        paths = warc_files(args.warc or ([data_dir.warc] if data_dir.warc.is_dir() else []))
    except FileNotFoundError as exc:
        raise _Failed(str(exc)) from None
    if not paths:
        where = ", ".join(args.warc) if args.warc else f"{data_dir.warc}/"
        raise _Failed(f"no WARC files in {where} (crawls keep them with --warc)")
    return paths


def story_pages(captures: Iterable[Capture],
                revisions: Iterable[tuple[str, str, int, str, dict[str, Any]]],
                count: PageCount) -> Iterator[Page]:
    """One page per version of ``revisions`` (outlet, article_id, revision, fetched_at,
    record) whose capture is among ``captures``, in the order given; ``count`` counts."""
    from newscrawl.extraction.dates import parse_utc
    from newscrawl.wacz import Page

    times: dict[str, list[datetime]] = defaultdict(list)
    stamps: dict[tuple[str, datetime], str] = {}
    for capture in captures:
        if capture.is_html_page:
            times[capture.url].append(capture.captured_at)
            stamps[(capture.url, capture.captured_at)] = capture.timestamp
    for found in times.values():
        found.sort()
    claimed: set[tuple[str, datetime]] = set()
    for outlet, article_id, revision, fetched_at, record in revisions:
        url, fetched = record.get("url") or "", parse_utc(fetched_at)
        when = _capture_of(times.get(url, []), fetched)
        if when is None or (url, when) in claimed:
            count.without_capture += 1
            continue
        claimed.add((url, when))
        count.pages += 1
        yield Page(id=f"{outlet}:{article_id}:{revision}", url=url,
                   timestamp=stamps[(url, when)],
                   title=record.get("headline") or url, text=record.get("body") or "",
                   extra={"article_id": article_id, "revision": revision})


def _capture_of(times: list[datetime], fetched: datetime | None) -> datetime | None:
    """The latest of ``times`` (sorted) at most ``CAPTURE_LEAD`` before ``fetched``."""
    if fetched is None:
        return None
    at = bisect.bisect_right(times, fetched + CAPTURE_SLACK) - 1
    return times[at] if at >= 0 and times[at] >= fetched - CAPTURE_LEAD else None


def _description(outlet: str, index: WarcIndex) -> str:
    from warcio.timeutils import timestamp_to_iso_date

    times = sorted(c.timestamp for c in index.captures)
    return (f"What newscrawl's crawls of {outlet} fetched from {timestamp_to_iso_date(times[0])} "
            f"to {timestamp_to_iso_date(times[-1])}: the WARC files of those crawls, their "
            "index, and one page per stored version of a story")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"
