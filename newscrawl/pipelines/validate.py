"""Validate: the fields a researcher relies on are there and sane, or the item is rejected.

A rejected item is dropped with its reason counted in the stats and written, whole, as one
line of ``<data-dir>/<outlet>/rejects.jsonl``: nothing disappears silently.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from newscrawl.items import to_record

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

REQUIRED = ("url", "article_id", "headline", "body", "published_at")
EARLIEST = "1990-01-01T00:00:00Z"  # before any outlet published online
CLOCK_SKEW = timedelta(days=1)  # a page's time zone slip, not a date in the future


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, AttributeError):
        return None


def problems(record: dict[str, Any], min_body_chars: int) -> list[str]:
    """Why this record is not a usable article (empty when it is)."""
    found = [f"missing_{name}" for name in REQUIRED
             if name != "body" and not record.get(name)]
    fetched = _parse(record.get("fetched_at") or "") or datetime.now(UTC)
    for name in ("published_at", "updated_at"):
        value = record.get(name)
        if not value:
            continue
        when = _parse(value)
        if when is None:
            found.append(f"bad_{name}")
        elif value < EARLIEST:
            found.append(f"{name}_too_old")
        elif when > fetched + CLOCK_SKEW:
            found.append(f"{name}_in_future")
    published, updated = record.get("published_at"), record.get("updated_at")
    if published and updated and updated < published and "bad_updated_at" not in found:
        found.append("updated_before_published")
    body = record.get("body") or ""
    short_ok = record.get("is_paywalled") or record.get("is_truncated")
    if not body:
        found.append("missing_body")
    elif len(body) < min_body_chars and not short_ok:
        found.append("body_too_short")
    return found


class ValidatePipeline:
    def __init__(self, crawler: Crawler, rejects: Path, min_body_chars: int) -> None:
        self.stats = crawler.stats
        self.rejects_path = rejects
        self.min_body_chars = min_body_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        settings = crawler.settings
        outlet = getattr(crawler.spidercls, "outlet_name", "") or crawler.spidercls.name
        rejects = Path(settings.get("NEWSCRAWL_DATA_DIR") or "data") / outlet / "rejects.jsonl"
        return cls(crawler, rejects, settings.getint("NEWSCRAWL_MIN_BODY_CHARS", 200))

    def process_item(self, item: Any) -> Any:
        record = to_record(item)
        found = problems(record, self.min_body_chars)
        if not found:
            return item
        reason = found[0]
        self.stats.inc_value(f"newscrawl/dropped/{reason}")
        self.stats.inc_value("newscrawl/dropped/invalid")
        self.rejects_path.parent.mkdir(parents=True, exist_ok=True)
        with self.rejects_path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"url": record.get("url"), "reasons": found,
                                  "rejected_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                  "record": record}, ensure_ascii=False) + "\n")
        raise DropItem(f"invalid article {record.get('url')}: {', '.join(found)}",
                       log_level="WARNING")
