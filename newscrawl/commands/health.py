"""``newscrawl health``: the verdict on an outlet's latest run (newscrawl/health/), printed as
lines or one JSON object, and its exit code: 0 healthy, 1 degraded, 2 broken."""

from __future__ import annotations

import argparse
import json

from newscrawl.messages import fail


def health(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.health import assess_archive
    from newscrawl.layout import DataDir
    from newscrawl.store import StoreError

    # A postgresql:// URL is passed on as it is (a Path would fold its "//").
    target = args.db or DataDir.of(args.data_dir, args.outlet).archive
    try:
        verdict = assess_archive(target, args.outlet, runs=args.runs)
    except StoreError as exc:  # no archive: no finished run either
        return fail("health", f"broken: {exc}", 2)
    print(json.dumps(verdict.as_json(), ensure_ascii=False) if args.json
          else "\n".join(verdict.lines()))
    return verdict.exit_code
