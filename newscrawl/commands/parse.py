"""``newscrawl parse``: one page (a file, a gzip file, or a URL) read by the parser of the
outlet that claims it, else the generic parser, printed as its JSON record."""

from __future__ import annotations

import argparse

from newscrawl.commands import registered_outlet
from newscrawl.messages import fail


def parse(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import json
    import urllib.request
    from dataclasses import asdict
    from datetime import UTC, datetime
    from pathlib import Path

    from newscrawl.extraction.errors import PageRejected
    from newscrawl.outlets import GENERIC, parser_for_page

    if args.outlet not in (None, GENERIC):
        registered_outlet(args.outlet, parser)  # an unknown name is a usage error before any fetch
    if args.page.startswith(("http://", "https://")):
        url = args.url or args.page
        try:
            with urllib.request.urlopen(args.page, timeout=30) as resp:
                html = resp.read().decode(resp.headers.get_content_charset() or "utf-8", "replace")
                url = args.url or resp.url
        except OSError as exc:
            return fail("parse", f"cannot fetch {args.page}: {exc}")
    else:
        path = Path(args.page)
        if not args.url:
            parser.error("--url is required for a saved page")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return fail("parse", f"cannot read {path}: {exc.strerror}")
        try:
            raw = _gunzip(raw) if raw[:2] == b"\x1f\x8b" else raw
        except ValueError as exc:
            return fail("parse", f"{path}: {exc}")
        html, url = raw.decode("utf-8", "replace"), args.url
    fetched_at = datetime.now(UTC)
    try:
        article = parser_for_page(url, fetched_at, args.outlet).parse(url, html, fetched_at)
    except PageRejected as exc:
        return fail("parse", f"no article record ({exc.reason}): {exc}")
    print(json.dumps(asdict(article), ensure_ascii=False, indent=2))
    return 0


#: The most a page given to ``newscrawl parse`` may be, decompressed (no news page is near it).
MAX_PAGE_BYTES = 64 * 2**20


def _gunzip(data: bytes, limit: int = MAX_PAGE_BYTES) -> bytes:
    """A gzip file's content, refused (``ValueError``) beyond ``limit`` bytes: a small file
    can decompress to gigabytes."""
    import zlib

    stream = zlib.decompressobj(wbits=31)
    try:
        content = stream.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"not a readable gzip file ({exc})") from None
    if len(content) > limit:
        raise ValueError(f"decompresses to more than {limit // 2**20} MB, more than any page; "
                         "not parsed")
    return content
