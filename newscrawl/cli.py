"""The ``newscrawl`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from newscrawl.commands import installed_version, registered_outlet
from newscrawl.messages import fail

if TYPE_CHECKING:
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range 0-65535")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def _share(text: str) -> float:
    value = _non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    from newscrawl.commands import archive as archive_commands
    from newscrawl.commands import health as health_command
    from newscrawl.commands import parse as parse_command
    from newscrawl.commands import wacz as wacz_command

    parser = _Parser(prog="newscrawl", description="Crawl news archives (scmp.com first).")
    parser.add_argument("--version", action="version", version=f"newscrawl {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    rep = sub.add_parser("replica", help="serve the local scmp.com replica (or, with --corpus, "
                         "a directory of saved pages as one site)")
    rep.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    rep.add_argument("--port", type=_port, default=8000, help="port; 0 picks a free one")
    rep.add_argument("--corpus", metavar="DIR", help="serve the saved pages of DIR (and its "
                     "index.json) as one news site instead of the scmp.com replica")
    # None: not given (the scmp.com replica's defaults apply; --corpus refuses them).
    rep.add_argument("--articles", type=_positive_int, default=None,
                     help="items published at the start clock (default 5000)")
    rep.add_argument("--seed", type=int, default=None, help="everything is generated from it "
                     "(default 1)")
    rep.add_argument("--crawl-delay", type=_non_negative_float, default=10.0,
                     help="the Crawl-delay robots.txt announces (default 10, as scmp.com)")
    rep.add_argument("--apollo-share", type=_share, default=None,
                     help="share of Apollo-generation article pages (default 0.15)")
    rep.add_argument("--no-news-sitemap", action="store_true",
                     help="serve no Google News sitemap (MARKUP.md: it may be gone)")
    rep.add_argument("--faults", default=None, metavar="SPEC",
                     help='fault profile, e.g. "rate=0.2,kinds=500+503+429+reset+truncate+slow"')
    rep.add_argument("--redesigned", action="store_true",
                     help="serve article pages in the markup of the redesign from the start "
                          "(as after POST /__replica__/redesign)")
    rep.set_defaults(func=_replica)

    def crawl_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--base-url", help="crawl this site instead of the outlet's own "
                       "(a replica or a mirror)")
        p.add_argument("--site", metavar="URL", help="crawl a site no outlet module describes "
                       "(its sitemaps, feeds and sections are found at the start of the run)")
        p.add_argument("--name", help="the outlet name of --site (default: its host, dots as _)")
        p.add_argument("--outlets", metavar="FILE", help="an outlets.toml whose entries are "
                       "outlets too (also NEWSCRAWL_OUTLETS)")
        p.add_argument("--sections", help="comma-separated section paths, e.g. news/china,business")
        when = p.add_mutually_exclusive_group()
        when.add_argument("--days", type=_positive_float, help="how many days back to crawl")
        when.add_argument("--since", help="crawl articles published since this date (YYYY-MM-DD)")
        p.add_argument("--max-articles", type=_positive_int, help="stop after this many articles")
        p.add_argument("--data-dir", default=None, help="where outputs go (default data/)")
        p.add_argument("--pagination", choices=("auto", "api", "browser"),
                       help="how section pages are paged (default auto)")
        p.add_argument("--urls", help="comma-separated article URLs (or /paths) to fetch as "
                       "given, besides the sections")
        p.add_argument("--full", action="store_true", default=None,
                       help="walk every listing to the horizon again (default: incremental)")
        p.add_argument("--warc", action="store_true", default=None,
                       help="keep every fetched response in <data-dir>/<outlet>/warc/")
        p.add_argument("--redis", metavar="URL", help="share the frontier with other workers "
                       "through Redis, e.g. redis://host:6379/0")
        p.add_argument("--store", metavar="PATH_OR_URL", help="the archive: an SQLite path "
                       "(default <data-dir>/<outlet>/archive.sqlite) or postgresql://...")
        p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                       help="any Scrapy setting, as for scrapy crawl")
        p.add_argument("-v", "--verbose", action="store_true", default=None,
                       help="Scrapy's log on stderr too (it always goes to "
                       "<data-dir>/<outlet>/logs/)")

    crawl = sub.add_parser("crawl", help="crawl an outlet (the real site by default)")
    crawl.add_argument("outlet", nargs="?", help="registered outlet name (default scmp; "
                       "with --site, the site's outlet name)")
    crawl_options(crawl)
    crawl.add_argument("--no-health", action="store_true",
                       help="end the summary without the verdict of newscrawl health "
                       "(newscrawl run judges each crawl itself)")
    crawl.set_defaults(func=_crawl)

    demo = sub.add_parser("demo", help="start the replica and crawl it: the whole job, offline")
    demo.add_argument("--articles", type=_positive_int, default=300,
                      help="size of the replica (default 300)")
    demo.add_argument("--data-dir", default="data/demo", help="where outputs go (default data/demo)")
    demo.set_defaults(func=_demo)

    parse = sub.add_parser("parse", help="run the outlet parser (or the generic one) on one "
                           "saved or fetched page")
    parse.add_argument("page", help="a saved .html (or .html.gz) file, or a URL to fetch")
    parse.add_argument("--url", help="the page's URL (required for a saved file)")
    parse.add_argument("--outlet", default=None,
                       help="outlet whose parser to use, or generic (default: the outlet whose "
                       "domains claim the URL, else the generic parser)")
    parse.set_defaults(func=parse_command.parse)

    def archive_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--outlet", default="scmp", help="whose archive (default scmp)")
        p.add_argument("--data-dir", default="data", help="where crawls wrote it (default data/)")
        p.add_argument("--db", help="the archive: a SQLite file (default "
                       "<data-dir>/<outlet>/archive.sqlite) or a postgresql:// URL")

    search = sub.add_parser("search", help="full-text search over the archive")
    search.add_argument("query", help='words, "a phrase", AND/OR/NOT, prefix*')
    search.add_argument("--limit", type=_positive_int, default=20, help="hits to show (default 20)")
    search.add_argument("--json", action="store_true", help="one JSON object per hit")
    archive_options(search)
    search.set_defaults(func=archive_commands.search)

    export = sub.add_parser("export", help="write a research extract of the archive")
    export.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    export.add_argument("--since", type=_iso_date, help="published on or after (YYYY-MM-DD)")
    export.add_argument("--until", type=_iso_date, help="published before (YYYY-MM-DD)")
    export.add_argument("--section", help="a section and its subsections, e.g. news/china")
    export.add_argument("--out", required=True, help="the file to write, or - for stdout "
                        "(JSON Lines and CSV)")
    export.add_argument("--parents", action="store_true",
                        help="create the --out directory when it does not exist")
    archive_options(export)
    export.set_defaults(func=archive_commands.export)

    schema = sub.add_parser("schema", help="print the JSON Schema of a record (a journal line, "
                            "a feed item)")
    schema.add_argument("--markdown", action="store_true",
                        help="print docs/records.md instead: every field and what it means")
    schema.set_defaults(func=archive_commands.schema)

    datasette = sub.add_parser("datasette", help="serve the archive in datasette, with column "
                               "descriptions, labels and canned queries")
    datasette.add_argument("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)")
    datasette.add_argument("--port", type=int, default=8001, help="port (8001; 0: any free)")
    datasette.add_argument("--metadata-out", metavar="FILE",
                           help="write the metadata JSON to FILE and exit (for datasette -m)")
    archive_options(datasette)
    datasette.set_defaults(func=archive_commands.datasette)

    history = sub.add_parser("history", help="the versions of one story, and what changed in each")
    history.add_argument("article_id")
    history.add_argument("--json", action="store_true", help="one JSON object per version")
    archive_options(history)
    history.set_defaults(func=archive_commands.history)

    diff = sub.add_parser("diff", help="what changed between two versions of a story (default: "
                          "the last two): fields, and the body as a unified diff by paragraph")
    diff.add_argument("article_id")
    diff.add_argument("revisions", nargs="*", type=_positive_int, metavar="REV",
                      help="two revision numbers (default: the last two)")
    diff.add_argument("--json", action="store_true", help="the change as one JSON object")
    archive_options(diff)
    diff.set_defaults(func=archive_commands.diff)

    check = sub.add_parser("check", help="check the archive and its journal (exit 1 when "
                           "damaged); --repair mends what can be mended")
    check.add_argument("--repair", action="store_true",
                       help="rewrite the journal, rebuild the full-text index, or rebuild a "
                       "damaged file from the journal (what is replaced is kept beside it)")
    archive_options(check)
    check.set_defaults(func=archive_commands.check)

    stats = sub.add_parser("stats", help="archive counts by day and section, field fill rates")
    archive_options(stats)
    stats.set_defaults(func=archive_commands.stats)

    wacz = sub.add_parser("wacz", help="package a crawl's WARC files as a WACZ for "
                          "ReplayWeb.page or pywb, the archive's stories as its pages")
    wacz.add_argument("outlet", nargs="?", default="scmp", help="whose crawl (default scmp)")
    wacz.add_argument("--out", required=True, metavar="FILE.wacz", help="the package to write")
    wacz.add_argument("--data-dir", default="data", help="where crawls wrote it (default data/)")
    wacz.add_argument("--db", help="the archive whose stories are the pages (default "
                      "<data-dir>/<outlet>/archive.sqlite) or a postgresql:// URL")
    wacz.add_argument("--warc", nargs="+", metavar="PATH", help="WARC files or directories "
                      "of them (default <data-dir>/<outlet>/warc/)")
    wacz.add_argument("--title", help="the package's title (default '<outlet> crawl')")
    wacz.set_defaults(func=wacz_command.wacz)

    run = sub.add_parser("run", help="crawl an outlet every --every, in the foreground "
                         "(for systemd or a container)")
    run.add_argument("outlet", nargs="?", help="registered outlet name (default scmp)")
    run.add_argument("--every", required=True, type=_interval, metavar="INTERVAL",
                     help="time from one crawl's start to the next: 90s, 30m, 1h, 1h30m, 1d")
    run.add_argument("--runs", type=_positive_int, help="stop after this many crawls")
    first_crawl_option = len(run._actions)
    crawl_options(run)
    # Handed on to each `newscrawl crawl` the loop starts.
    run.set_defaults(crawl_actions=run._actions[first_crawl_option:], func=_run)

    health = sub.add_parser("health", help="judge the latest run against the runs before it "
                            "(exit 0 healthy, 1 degraded, 2 broken)")
    health.add_argument("outlet", nargs="?", default="scmp", help="whose archive (default scmp)")
    health.add_argument("--data-dir", default="data", help="where crawls wrote it (default data/)")
    health.add_argument("--db", help="the archive: a SQLite file or a postgresql:// URL")
    health.add_argument("--runs", type=_positive_int, default=20,
                        help="baseline: this many runs before the latest (default 20)")
    health.add_argument("--json", action="store_true", help="the verdict as one JSON object")
    health.add_argument("--html", metavar="FILE", help="also write the verdict and plots of "
                        "the runs as one self-contained HTML page")
    health.set_defaults(func=health_command.health)

    reparse = sub.add_parser("reparse", help="rebuild the archive's fields from the WARC files "
                             "of earlier crawls with the current parser, fetching nothing")
    reparse.add_argument("--warc", nargs="+", metavar="PATH",
                         help="WARC files or directories of them, read in the order given "
                         "(default <data-dir>/<outlet>/warc/)")
    reparse.add_argument("--site", metavar="URL", help="the site a --site crawl crawled (its "
                         "outlet named by --outlet)")
    reparse.add_argument("--outlets", metavar="FILE", help="an outlets.toml whose entries are "
                         "outlets too")
    archive_options(reparse)
    reparse.set_defaults(func=_reparse)
    return parser


def _interval(text: str) -> float:
    from newscrawl.runs.loop import parse_interval

    try:
        return parse_interval(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _iso_date(text: str) -> str:
    from newscrawl.extraction.dates import parse_utc, utc_iso

    when = parse_utc(text)
    if when is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-05-01")
    return utc_iso(when)


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args, parser))
        sys.stdout.flush()
    except BrokenPipeError:
        # Read by `| head`, which closed the pipe: that is the reader's choice, not an error.
        # Python flushes stdout again at exit; point it at /dev/null so that is quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


def _replica(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.replica.faults import FaultProfile

    try:
        faults = FaultProfile.parse(args.faults)
    except ValueError as exc:
        parser.error(f"--faults: {exc}")
    try:
        if args.corpus is not None:
            _serve_corpus(args, parser, faults)
        else:
            _serve_scmp(args, faults)
    except ValueError as exc:  # a corpus that cannot be served (CorpusError)
        return fail("replica", exc, 2)
    except OSError as exc:
        return fail("replica", f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
    return 0


def _serve_scmp(args: argparse.Namespace, faults: Any) -> None:
    from newscrawl.replica.server import serve_forever
    from newscrawl.replica.world import ReplicaConfig

    config = ReplicaConfig(articles=5000 if args.articles is None else args.articles,
                           seed=1 if args.seed is None else args.seed,
                           crawl_delay=args.crawl_delay,
                           apollo_share=0.15 if args.apollo_share is None else args.apollo_share,
                           news_sitemap=not args.no_news_sitemap, redesigned=args.redesigned)
    serve_forever(config, host=args.host, port=args.port, faults=faults)


def _serve_corpus(args: argparse.Namespace, parser: argparse.ArgumentParser, faults: Any) -> None:
    from newscrawl.replica.corpus.server import serve_corpus_forever
    from newscrawl.replica.corpus.site import CorpusConfig

    given = [flag for flag, value in (("--articles", args.articles), ("--seed", args.seed),
                                      ("--apollo-share", args.apollo_share),
                                      ("--no-news-sitemap", args.no_news_sitemap or None),
                                      ("--redesigned", args.redesigned or None))
             if value is not None]
    if given:
        parser.error(f"--corpus serves saved pages: {', '.join(given)} do not apply")
    serve_corpus_forever(CorpusConfig(directory=args.corpus, crawl_delay=args.crawl_delay),
                         host=args.host, port=args.port, faults=faults)


def _crawl(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.runs.crawl import CrawlError, resolve_outlet, run_crawl

    overrides = _setting_overrides(args, parser)
    try:
        name = resolve_outlet(args.outlet, site=args.site, site_name=args.name,
                              outlets=args.outlets)
        result = run_crawl(name, _crawl_options(args), overrides, terminal=True,
                           verbose=bool(args.verbose), health=not args.no_health)
    except CrawlError as exc:
        # Exit code 0 (another crawl holds the lock) is news, not an error.
        (sys.stdout if exc.exit_code == 0 else sys.stderr).write(f"newscrawl crawl: {exc}\n")
        return exc.exit_code
    # The summary goes to stdout whatever the log level (the log itself went to a file).
    print(result.summary, "", sep="\n")
    if result.log_file is not None:
        print(f"the crawl's log: {result.log_file}")
    print(f"{result.articles} articles stored in {result.store}" if result.store
          else f"{result.articles} articles written to {result.output}")
    if result.health:  # the summary ends with the verdict of `newscrawl health`
        print("", *result.health, sep="\n")
    if result.failure:
        return fail("crawl", result.failure)
    return 0


def _demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.runs.crawl import CrawlError, run_demo

    try:
        result = run_demo(articles=args.articles, data_dir=args.data_dir)
    except CrawlError as exc:
        return fail("demo", exc, exc.exit_code)
    print(result.describe())
    return 0


def _setting_overrides(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for item in args.set:
        name, eq, value = item.partition("=")
        if not eq or not name:
            parser.error(f"-s {item!r}: expected NAME=VALUE")
        overrides[name] = value
    return overrides


def _crawl_argv(args: argparse.Namespace) -> list[str]:
    """The crawl options given to ``newscrawl run``, as arguments for ``newscrawl crawl``."""
    argv: list[str] = []
    for action in args.crawl_actions:
        value = getattr(args, action.dest, None)
        if value in (None, False, []):
            continue
        flag = max(action.option_strings, key=len)  # the long form takes "=value" safely
        if action.nargs == 0:
            argv.append(flag)
        else:
            argv.extend(f"{flag}={item}" for item in (value if isinstance(value, list) else [value]))
    return argv


def _crawl_options(args: argparse.Namespace) -> dict[str, Any]:
    """The crawl options of ``newscrawl crawl`` (or ``run``) by name, as ``run_crawl`` takes."""
    from newscrawl.runs.crawl import OPTION_SETTINGS

    return {name: getattr(args, name, None) for name in OPTION_SETTINGS}


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import logging

    from newscrawl.config import ConfigError, CrawlConfig
    from newscrawl.health import assess_archive
    from newscrawl.runs.crawl import CrawlError, project_settings, resolve_outlet
    from newscrawl.runs.locks import RunLockHeld
    from newscrawl.runs.loop import CrawlLoop

    try:
        name = resolve_outlet(args.outlet, site=args.site, site_name=args.name,
                              outlets=args.outlets)
    except CrawlError as exc:
        return fail("run", exc, exc.exit_code)
    outlet = registered_outlet(name, parser)
    # Nonsense is refused once, here, rather than by every crawl of the loop.
    try:
        settings = project_settings(_crawl_options(args), _setting_overrides(args, parser))
        config = CrawlConfig.from_settings(outlet, settings)
    except ConfigError as exc:
        return fail("run", exc, 2)
    problem = config.data_dir.writable()
    if problem:
        return fail("run", f"cannot write the data directory ({problem})")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    archive = settings.get("NEWSCRAWL_STORE") or config.data_dir.archive
    loop = CrawlLoop(outlet.name, _crawl_argv(args), data_dir=config.data_dir.root,
                     interval=args.every, max_runs=args.runs,
                     health=lambda: assess_archive(archive, outlet.name))
    try:
        result = loop.run()
    except RunLockHeld as exc:
        print(f"newscrawl run: {exc}")
        return 0
    except KeyboardInterrupt:  # asked twice to stop: the crawl was stopped at once
        return 130
    # With --runs (a container's one-off, a test) the last crawl's outcome is the answer.
    return 1 if args.runs and result.last_failed else 0


def _reparse(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.layout import DataDir
    from newscrawl.runs.crawl import CrawlError, resolve_outlet
    from newscrawl.runs.reparse import ReparseError, reparse_into

    try:
        name = resolve_outlet(None if args.site else args.outlet, site=args.site,
                              site_name=args.outlet if args.site else None, outlets=args.outlets)
    except CrawlError as exc:
        return fail("reparse", exc, exc.exit_code)
    outlet = registered_outlet(name, parser)
    try:
        target, report = reparse_into(outlet, DataDir.of(args.data_dir, outlet.name),
                                      warc=args.warc, db=args.db)
    except ReparseError as exc:
        return fail("reparse", exc)
    print(f"reparsed into {target}\n{report.describe()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
