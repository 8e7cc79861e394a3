"""The ``newscrawl`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


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
    parser = _Parser(prog="newscrawl", description="Crawl news archives (scmp.com first).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    rep = sub.add_parser("replica", help="serve the local scmp.com replica")
    rep.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    rep.add_argument("--port", type=_port, default=8000, help="port; 0 picks a free one")
    rep.add_argument("--articles", type=_positive_int, default=5000,
                     help="items published at the start clock (default 5000)")
    rep.add_argument("--seed", type=int, default=1, help="everything is generated from it")
    rep.add_argument("--crawl-delay", type=_non_negative_float, default=10.0,
                     help="the Crawl-delay robots.txt announces (default 10, as scmp.com)")
    rep.add_argument("--apollo-share", type=_share, default=0.15,
                     help="share of Apollo-generation article pages (default 0.15)")
    rep.add_argument("--faults", default=None, metavar="SPEC",
                     help='fault profile, e.g. "rate=0.2,kinds=500+503+429+reset+truncate+slow"')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "replica":
        return _replica(args, parser)
    parser.error(f"unknown command {args.command!r}")
    return 2


def _replica(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from newscrawl.replica.faults import FaultProfile
    from newscrawl.replica.server import serve_forever
    from newscrawl.replica.world import ReplicaConfig

    try:
        faults = FaultProfile.parse(args.faults)
    except ValueError as exc:
        parser.error(f"--faults: {exc}")
    config = ReplicaConfig(articles=args.articles, seed=args.seed, crawl_delay=args.crawl_delay,
                           apollo_share=args.apollo_share)
    try:
        serve_forever(config, host=args.host, port=args.port, faults=faults)
    except OSError as exc:
        sys.stderr.write(f"newscrawl replica: cannot listen on {args.host}:{args.port}: {exc.strerror}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
