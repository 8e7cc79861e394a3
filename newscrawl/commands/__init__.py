"""The handlers of ``newscrawl`` subcommands, by what they work on (``cli.py`` parses the
arguments and dispatches)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newscrawl.outlets.spec import Outlet


def installed_version() -> str:
    """newscrawl's version, as installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newscrawl")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def registered_outlet(name: str, parser: argparse.ArgumentParser) -> Outlet:
    """The registered outlet ``name``; an unknown one is a usage error (exit 2, one line)."""
    from newscrawl.outlets import get_outlet

    try:
        return get_outlet(name)
    except KeyError as exc:
        parser.error(str(exc.args[0]))
        raise  # parser.error exits
