"""The archive commands: search, export, stats, check, datasette, history, diff, schema.

Each reads the archive ``--db`` or ``--data-dir``/``--outlet`` names; a failure is one line on
stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from newscrawl.messages import fail


def archive_db(args: argparse.Namespace) -> Any:
    """A read-only connection to the archive ``--db`` or ``--data-dir``/``--outlet`` names."""
    from newscrawl.layout import DataDir
    from newscrawl.store import readers

    # A postgresql:// URL is passed on as it is (a Path would fold its "//").
    return readers.connect(args.db or DataDir.of(args.data_dir, args.outlet).archive)


def reading(command: Callable[[argparse.Namespace, Any], None]) -> Callable[..., int]:
    """An archive command: its connection opened, its failures one line and exit 1."""
    def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
        from newscrawl.messages import one_line
        from newscrawl.store import StoreError

        try:
            command(args, archive_db(args))
        except StoreError as exc:
            return fail(args.command, exc)
        except BrokenPipeError:
            raise  # stdout closed by its reader: main() ends quietly
        except OSError as exc:
            path = exc.filename or getattr(args, "out", None) or "the output"
            return fail(args.command, f"cannot write {path}: "
                        f"{exc.strerror or one_line(exc)}")
        return 0
    return run


@reading
def search(args: argparse.Namespace, db: Any) -> None:
    import json
    from dataclasses import asdict

    from newscrawl.store.search import search

    hits = search(db, args.query, args.limit)
    for hit in hits:
        if args.json:
            print(json.dumps(asdict(hit), ensure_ascii=False))
        else:
            print(f"{(hit.published_at or '')[:10]}  {hit.article_id}  {hit.headline}\n"
                  f"    {hit.url}\n    {hit.snippet}")
    if not hits and not args.json:
        print(f"no article matches {args.query!r}")


@reading
def export(args: argparse.Namespace, db: Any) -> None:
    from newscrawl.store import StoreError
    from newscrawl.store.export import export
    from newscrawl.store.readers import select_records

    rows = select_records(db, since=args.since, until=args.until, section=args.section)
    try:
        count = export(rows, args.format, args.out, make_parents=args.parents)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    # The records may be on stdout: the count goes where a reader of them will not trip on it.
    print(f"{count} articles written to {'stdout' if args.out == '-' else args.out} "
          f"({args.format})", file=sys.stderr if args.out == "-" else sys.stdout)


@reading
def stats(args: argparse.Namespace, db: Any) -> None:
    from newscrawl.store.report import coverage_report

    print(coverage_report(db))


def schema(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import json

    from newscrawl.records.schema import article_schema, records_markdown

    print(records_markdown() if args.markdown else json.dumps(article_schema(), indent=2),
          end="" if args.markdown else "\n")
    return 0


def datasette(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import importlib.util
    import json
    import tempfile
    from pathlib import Path

    from newscrawl.layout import DataDir
    from newscrawl.store import is_postgres_url
    from newscrawl.store.datasette import metadata

    target = args.db or str(DataDir.of(args.data_dir, args.outlet).archive)
    if is_postgres_url(target):
        parser.error("datasette serves SQLite files; export from PostgreSQL first")
    path = Path(target)
    text = json.dumps(metadata(path.stem), indent=2, ensure_ascii=False)
    if args.metadata_out:
        Path(args.metadata_out).write_text(text + "\n", encoding="utf-8")
        print(f"datasette metadata written to {args.metadata_out} (datasette {path} -m "
              f"{args.metadata_out})")
        return 0
    if not path.exists():
        return fail("datasette", f"no archive at {path} (crawl first, or give --data-dir)")
    if importlib.util.find_spec("datasette") is None:
        return fail("datasette", "datasette is not installed: pip install 'datasette>=0.65'")
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as meta:
        meta.write(text)
        meta.flush()
        return _serve([sys.executable, "-m", "datasette", "serve", str(path), "-m", meta.name,
                       "--host", args.host, "--port", str(args.port)])


def _serve(command: list[str]) -> int:
    """Run a server in the foreground until it ends; a SIGTERM to newscrawl stops it too
    (Ctrl-C reaches both: they share the terminal's process group)."""
    import signal
    import subprocess

    server = subprocess.Popen(command)
    previous = signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        return server.wait()
    except KeyboardInterrupt:
        return server.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from pathlib import Path

    from newscrawl.layout import DataDir
    from newscrawl.runs.locks import RunLock, lock_holder
    from newscrawl.store import StoreError, is_postgres_url
    from newscrawl.store.check import check, repair

    files = DataDir.of(args.data_dir, args.outlet)
    target = args.db or files.archive
    journal = files.journal if Path(str(target)) == files.archive else None
    lock = RunLock(files.crawl_lock) if args.repair and not is_postgres_url(target) else None
    if lock is not None and not lock.acquire():
        return fail("check", f"not repairing while a crawl runs: "
                    f"{lock_holder(lock).describe()}")
    try:
        report = check(target, journal)
        if args.repair and not report.ok and not is_postgres_url(target):
            report = repair(Path(target), journal, report)
    except StoreError as exc:
        return fail("check", exc)
    finally:
        if lock is not None:
            lock.release()
    print(report.describe())
    if not report.ok and not args.repair:
        print(f"repair: newscrawl check --data-dir {args.data_dir} --outlet {args.outlet} --repair"
              if not args.db else f"repair: newscrawl check --db {args.db} --repair")
    return 0 if report.ok else 1


def _versions(args: argparse.Namespace, db: Any) -> list[Any]:
    from newscrawl.api import Archive
    from newscrawl.store import StoreError

    versions = Archive(db, "").revisions(args.article_id, args.outlet)
    if not versions:
        raise StoreError(f"no story {args.article_id} in the archive")
    return versions


@reading
def history(args: argparse.Namespace, db: Any) -> None:
    import json

    from newscrawl.api import diff

    versions = _versions(args, db)
    if not args.json:
        print(f"story {args.article_id}: {len(versions)} version(s)")
    for before, version in zip([None, *versions], versions, strict=False):
        change = diff(before, version) if before is not None else None
        if args.json:
            print(json.dumps({"revision": version.revision, "fetched_at": version.fetched_at,
                              "updated_at": version.updated_at,
                              "headline": version.article.headline,
                              "changed": change["changed"] if change else []},
                             ensure_ascii=False))
            continue
        what = f"changed: {', '.join(change['changed']) or 'nothing a reader sees'}" \
            if change else f"first: {version.article.headline}"
        print(f"  rev {version.revision:<3} fetched {version.fetched_at}  updated "
              f"{version.updated_at or '-'}  {what}")


@reading
def diff(args: argparse.Namespace, db: Any) -> None:
    import json

    from newscrawl.api import diff
    from newscrawl.store import StoreError

    versions = {v.revision: v for v in _versions(args, db)}
    if args.revisions and len(args.revisions) != 2:
        raise StoreError("give two revision numbers, or none for the last two")
    wanted = args.revisions or sorted(versions)[-2:]
    if len(wanted) < 2:
        raise StoreError(f"story {args.article_id} has one version only")
    missing = [n for n in wanted if n not in versions]
    if missing:
        raise StoreError(f"story {args.article_id} has no revision {missing[0]} "
                         f"(it has {', '.join(map(str, sorted(versions)))})")
    change = diff(versions[wanted[0]], versions[wanted[1]])
    if args.json:
        print(json.dumps(change, ensure_ascii=False))
        return
    print(f"story {args.article_id}: revision {wanted[0]} -> {wanted[1]}; changed: "
          f"{', '.join(change['changed']) or 'nothing a reader sees'}")
    for name, values in change["fields"].items():
        print(f"--- {name}\n-{json.dumps(values['from'], ensure_ascii=False)}\n"
              f"+{json.dumps(values['to'], ensure_ascii=False)}")
    for line in change["body_diff"]:
        print(line)
