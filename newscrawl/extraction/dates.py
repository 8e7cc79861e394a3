"""Dates as pages give them, turned into ISO 8601 UTC with a Z, second precision.

Pages mix epoch milliseconds (GraphQL payloads), ISO timestamps with an offset (JSON-LD,
``article:published_time``), ``...000Z`` values (``<time datetime>``) and RFC 822 (feeds). Every
function returns ``None`` for a value it cannot read instead of raising: a date is one field of
a record, not a reason to lose the record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"
# Epoch values below this are seconds, above it milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 100_000_000_000
_MIN_YEAR, _MAX_YEAR = 1990, 2100


def utc_iso(when: datetime) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (naive ones are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime(ISO_UTC)


def from_epoch(value: Any) -> datetime | None:
    """Epoch milliseconds (or seconds) as an int, float or numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").replace(".", "", 1).isdigit():
            return None
        value = float(text)
    if not isinstance(value, int | float) or value <= 0:
        return None
    seconds = value / 1000 if value >= _MS_THRESHOLD else value
    try:
        when = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return when if _MIN_YEAR <= when.year <= _MAX_YEAR else None


def from_iso(value: str, default_tz: timezone = UTC) -> datetime | None:
    """ISO 8601 with ``Z``, ``+08:00``, ``+0800`` or no offset (then ``default_tz``)."""
    text = value.strip()
    if len(text) < 10:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python < 3.11 style offsets without a colon ("+0800") and a space separator.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=default_tz)
    return when if _MIN_YEAR <= when.year <= _MAX_YEAR else None


def from_rfc822(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when if _MIN_YEAR <= when.year <= _MAX_YEAR else None


def parse_date(value: Any) -> datetime | None:
    """Whatever shape ``value`` has (epoch, ISO, RFC 822), as an aware datetime, or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return from_epoch(value) or from_iso(value) or from_rfc822(value)


def to_utc_iso(value: Any) -> str | None:
    """``value`` (epoch ms, ISO with offset, RFC 822) as ``YYYY-MM-DDTHH:MM:SSZ``, or None."""
    when = parse_date(value)
    return utc_iso(when) if when else None


def raw_and_iso(value: Any) -> tuple[str, str] | None:
    """The twins of a date field: (the value as found, as text; ISO 8601 UTC), or None when
    either cannot be had."""
    iso = to_utc_iso(value)
    raw = raw_string(value)
    return (raw, iso) if iso and raw else None


def raw_string(value: Any) -> str | None:
    """A date value exactly as found, as text ("1780300800000", "2026-06-01T16:00:00+08:00")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def parse_utc(value: str | None) -> datetime | None:
    """An ISO 8601 time (``...Z``, any offset, or a bare date taken as UTC) as an aware UTC
    datetime; None for anything else. The reading twin of ``utc_iso``: no plausibility window,
    so a validator can still say a date is too old."""
    if not isinstance(value, str) or len(value.strip()) < 10:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def utc_now() -> str:
    """Now, as ``utc_iso`` writes it."""
    return utc_iso(datetime.now(UTC))
