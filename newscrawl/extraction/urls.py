"""URL hygiene shared by the crawl machinery: tracking parameters out, the rest untouched."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def strip_tracking(url: str, names: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> str:
    """Remove query parameters named in ``names`` or starting with one of ``prefixes``;
    keep the order and encoding of the others, and the fragment."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in names and not k.startswith(prefixes)]
    return urlunsplit(parts._replace(query=urlencode(kept)))
