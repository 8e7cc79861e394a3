"""``newscrawl health``: the verdict on an outlet's latest run (newscrawl/health/), printed as
lines or one JSON object, and its exit code: 0 healthy, 1 degraded, 2 broken."""

from __future__ import annotations

import argparse
import json
import sys


def health(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.commands.archive import archive_db
    from newscrawl.health import assess
    from newscrawl.store import StoreError

    try:
        verdict = assess(archive_db(args), args.outlet, runs=args.runs)
    except StoreError as exc:  # no archive: no finished run either
        sys.stderr.write(f"newscrawl health: broken: {exc}\n")
        return 2
    print(json.dumps(verdict.as_json(), ensure_ascii=False) if args.json
          else "\n".join(verdict.lines()))
    return verdict.exit_code
