"""Dates as pages give them, turned into ISO 8601 UTC with a Z, second precision.

Pages mix epoch milliseconds (GraphQL payloads), ISO timestamps with an offset (JSON-LD,
``article:published_time``), ``...000Z`` values (``<time datetime>``) and RFC 822 (feeds). Every
function returns ``None`` for a value it cannot read instead of raising: a date is one field of
a record, not a reason to lose the record.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def plausible(when: datetime | None) -> datetime | None:
    """``when`` if it lies in the years a news page can mean (1990-2100), else None."""
    return when if when is not None and _MIN_YEAR <= when.year <= _MAX_YEAR else None


def from_epoch(value: Any) -> datetime | None:
    """Epoch milliseconds (or seconds) as an int, float or numeric string."""
    return plausible(_epoch(value))


def _epoch(value: Any) -> datetime | None:
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
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_iso(value: str, default_tz: timezone = UTC) -> datetime | None:
    """ISO 8601 with ``Z``, ``+08:00``, ``+0800`` or no offset (then ``default_tz``)."""
    return plausible(_iso(value, default_tz))


def _iso(value: str, default_tz: timezone = UTC) -> datetime | None:
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
    return when if when.tzinfo is not None else when.replace(tzinfo=default_tz)


def from_rfc822(value: str) -> datetime | None:
    return plausible(_rfc822(value))


def _rfc822(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_date(value: Any) -> datetime | None:
    """Whatever shape ``value`` has (epoch, ISO, RFC 822), as an aware datetime, or None."""
    readings = _readings(value)
    return next((when for when in readings if plausible(when)), None)


def read_date(value: Any) -> datetime | None:
    """``parse_date``, but a date outside its plausibility window is still read (1970 as
    1970), so that a caller can say why it refuses a date instead of only that it does."""
    readings = _readings(value)
    return next((when for when in readings if plausible(when)), None) or next(
        (when for when in readings if when is not None), None)


def _readings(value: Any) -> list[datetime | None]:
    """``value`` read as epoch, ISO 8601 and RFC 822, in that order (None where it is not)."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [_epoch(value)]
    if not isinstance(value, str) or not value.strip():
        return []
    return [_epoch(value), _iso(value), _rfc822(value)]


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


@dataclass(frozen=True)
class CheckedDate:
    """A date a page gives, checked against when the page was fetched."""

    raw: str
    """The value exactly as found."""
    iso: str | None
    """ISO 8601 UTC, or None when the date is refused."""
    problem: str | None = None
    """Why it is refused: ``unreadable``, ``before_1990`` or ``after_fetch``."""


def checked(value: Any, fetched_at: datetime) -> CheckedDate | None:
    """``value`` as a publication or update time of a page fetched at ``fetched_at``: refused
    (``iso`` None, the raw value kept) when it cannot be read, lies before 1990 (before any
    outlet published online) or after the fetch (no page reports its future); None when
    there is no value at all."""
    raw = raw_string(value)
    if raw is None:
        return None
    when = read_date(value)
    if when is None:
        return CheckedDate(raw, None, "unreadable")
    if when.year < _MIN_YEAR:
        return CheckedDate(raw, None, "before_1990")
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    if when > fetched_at:
        return CheckedDate(raw, None, "after_fetch")
    return CheckedDate(raw, utc_iso(when))
