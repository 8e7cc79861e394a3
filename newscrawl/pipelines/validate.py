"""Validate: the fields a researcher relies on are there and sane, or the item is rejected.

A rejected item is dropped with its reason counted in the stats and written, whole, as one
line of ``<data-dir>/<outlet>/rejects.jsonl``: nothing disappears silently.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawl.config import number
from newscrawl.extraction.dates import utc_now
from newscrawl.items import to_record
from newscrawl.layout import DataDir
from newscrawl.records.validation import problems

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.crawler import Crawler

class ValidatePipeline:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler, DataDir.of_crawl(crawler).rejects,
                   int(number(crawler.settings, "NEWSCRAWL_MIN_BODY_CHARS", whole=True)))

    def __init__(self, crawler: Crawler, rejects: Path, min_body_chars: int) -> None:
        self.stats = crawler.stats
        self.rejects_path = rejects
        self.min_body_chars = min_body_chars

    def process_item(self, item: Any) -> Any:
        # Read in place: a whole copy of the record (to_record) only for a reject's line.
        found = problems(ItemAdapter(item), self.min_body_chars)
        if not found:
            return item
        record = to_record(item)
        reason = found[0]
        self.stats.inc_value(f"newscrawl/dropped/{reason}")
        self.stats.inc_value("newscrawl/dropped/invalid")
        self.rejects_path.parent.mkdir(parents=True, exist_ok=True)
        with self.rejects_path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"url": record.get("url"), "reasons": found,
                                  "rejected_at": utc_now(),
                                  "record": record}, ensure_ascii=False) + "\n")
        raise DropItem(f"invalid article {record.get('url')}: {', '.join(found)}",
                       log_level="WARNING")
