"""``newscrawl health``: the verdict on an outlet's latest run (newscrawl/health/), printed as
lines or one JSON object, and its exit code: 0 healthy, 1 degraded, 2 broken; ``--html FILE``
also writes it as a page with plots (newscrawl/health/html.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.messages import fail

if TYPE_CHECKING:
    from newscrawl.health import Verdict


def health(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.health import assess_archive
    from newscrawl.layout import DataDir
    from newscrawl.store import StoreError

    # A postgresql:// URL is passed on as it is (a Path would fold its "//").
    target = args.db or DataDir.of(args.data_dir, args.outlet).archive
    try:
        verdict = assess_archive(target, args.outlet, runs=args.runs)
    except StoreError as exc:  # no archive: no finished run either
        fail("health", f"broken: {exc}", 2)
        if args.html:
            _page_of_no_archive(args, exc)
        return 2
    print(json.dumps(verdict.as_json(), ensure_ascii=False) if args.json
          else "\n".join(verdict.lines()))
    if args.html and not _write_page(args.html, target, verdict, runs=args.runs):
        return 2
    return verdict.exit_code


def _write_page(path: str, target: str | Path, verdict: Verdict, *, runs: int) -> bool:
    """Write the page; a one-line error and False when the archive or the file fail."""
    from newscrawl.health import html
    from newscrawl.store import StoreError, readers

    try:
        db = readers.connect(target)
        try:
            page = html.page(db, verdict, runs=runs)
        finally:
            db.close()
        html.write_page(path, page)
    except StoreError as exc:
        fail("health", f"cannot draw the page: {exc}")
        return False
    except OSError as exc:
        fail("health", f"cannot write {path}: {exc.strerror or exc}")
        return False
    return True


def _page_of_no_archive(args: argparse.Namespace, exc: Exception) -> None:
    """A page that says broken, so a page left by an earlier healthy run is not taken for
    today's."""
    from newscrawl.health import html
    from newscrawl.health.judge import BROKEN, Finding, Verdict

    verdict = Verdict(args.outlet, None, 0, [Finding("archive", "archive", None, None, BROKEN,
                                                     str(exc))])
    try:
        html.write_page(args.html, html.render(verdict, [], ([], {})))
    except OSError as write_error:
        fail("health", f"cannot write {args.html}: {write_error.strerror or write_error}")
