"""Is a record a usable article? Pure functions, no Scrapy (used by the validate pipeline and
by ``newscrawl reparse``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from newscrawl.extraction.dates import parse_utc

REQUIRED = ("url", "article_id", "headline", "body", "published_at")
EARLIEST = "1990-01-01T00:00:00Z"  # before any outlet published online
CLOCK_SKEW = timedelta(days=1)  # a page's time zone slip, not a date in the future


def problems(record: Mapping[str, Any], min_body_chars: int) -> list[str]:
    """Why this record is not a usable article (empty when it is)."""
    found = [f"missing_{name}" for name in REQUIRED
             if name != "body" and not record.get(name)]
    fetched = parse_utc(record.get("fetched_at") or "") or datetime.now(UTC)
    for name in ("published_at", "updated_at"):
        value = record.get(name)
        if not value:
            continue
        when = parse_utc(value)
        if when is None:
            found.append(f"bad_{name}")
        elif value < EARLIEST:
            found.append(f"{name}_too_old")
        elif when > fetched + CLOCK_SKEW:
            found.append(f"{name}_in_future")
    published, updated = record.get("published_at"), record.get("updated_at")
    if published and updated and updated < published and "bad_updated_at" not in found:
        found.append("updated_before_published")
    body_found = body_problem(record.get("body") or "", min_body_chars,
                              bool(record.get("is_paywalled") or record.get("is_truncated")))
    if body_found:
        found.append(body_found)
    return found


def body_problem(body: str, min_body_chars: int, short_ok: bool) -> str | None:
    """Why ``body`` is no usable body (None when it is): missing, or shorter than
    ``min_body_chars`` on a page that does not say it is cut short (``short_ok``)."""
    if not body:
        return "missing_body"
    if len(body) < min_body_chars and not short_ok:
        return "body_too_short"
    return None
