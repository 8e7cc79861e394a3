"""What the user reads when something goes wrong: one line per error, no password in it.

Every component that reports a failure to a person (a CLI error, a log line naming a server)
goes through these, so a driver's multi-line error or a URL's password never reaches a
terminal or a log file.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit, urlunsplit

_PASSWORD_PARAM = re.compile(r"(?i)(^|&)(password=)[^&]*")


def one_line(error: object, limit: int = 300, *, first_line: bool = False) -> str:
    """An exception (or any text) as one line, whitespace collapsed, at most ``limit``
    characters; the exception's class name when it says nothing.

    ``first_line`` keeps only the first non-blank line: database drivers put hints and
    context on the lines below the message (libpq does).
    """
    lines = [line for line in str(error).splitlines() if line.strip()]
    if first_line:
        lines = lines[:1]
    text = " ".join(" ".join(lines).split())
    return text[:limit] or type(error).__name__


def mask_password(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` query parameter)
    replaced by ``***``; a URL without one comes back unchanged."""
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hosts}"
    query = _PASSWORD_PARAM.sub(r"\1\2***", parts.query)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def fail(command: str, message: object, code: int = 1) -> int:
    """Write ``newscrawl COMMAND: MESSAGE`` (one line) to stderr; return the exit code, so a
    command ends with ``return fail(...)``."""
    sys.stderr.write(f"newscrawl {command}: {one_line(message, 1000)}\n")
    return code
