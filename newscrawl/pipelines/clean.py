"""Clean: Unicode NFC, whitespace and quotes, furniture that slipped through, pull quotes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from newscrawl.outlets import outlet_of
from newscrawl.records.cleaning import Furniture, clean_record

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


class CleanPipeline:
    """Cleans every article's text (``newscrawl.records.cleaning``) with the outlet's furniture
    rules, counting and logging what it removed."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        outlet = outlet_of(crawler)  # a spider of no outlet: generic cleaning only
        return cls(crawler, outlet.furniture if outlet else Furniture())

    def __init__(self, crawler: Crawler, furniture: Furniture) -> None:
        self.stats = crawler.stats
        self.furniture = furniture

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        removed = clean_record(adapter, self.furniture)
        if removed:
            self.stats.inc_value("newscrawl/cleaned/paragraphs_removed", len(removed))
            log.info("removed %d furniture or repeated paragraphs from %s: %r", len(removed),
                     adapter.get("url"), [p[:60] for p in removed])
        return item
