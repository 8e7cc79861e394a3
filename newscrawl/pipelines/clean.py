"""Clean: Unicode NFC, whitespace and quotes, furniture that slipped through, pull quotes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from newscrawl.cleaning import Furniture, clean_body, clean_list, clean_text
from newscrawl.extraction.text import word_count

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

TEXT_FIELDS = ("headline", "social_headline", "summary")
LIST_FIELDS = ("subheadline", "authors", "topics")


class CleanPipeline:
    def __init__(self, crawler: Crawler, furniture: Furniture) -> None:
        self.stats = crawler.stats
        self.furniture = furniture

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        from newscrawl.outlets import get_outlet

        name = getattr(crawler.spidercls, "outlet_name", "")
        furniture = get_outlet(name).furniture if name else Furniture()
        return cls(crawler, furniture)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in TEXT_FIELDS:
            if adapter.get(name) is not None:
                adapter[name] = clean_text(adapter[name]) or None
        for name in LIST_FIELDS:
            if name in adapter:
                adapter[name] = clean_list(adapter.get(name))
        body, removed = clean_body(adapter.get("body"), self.furniture)
        if removed:
            self.stats.inc_value("newscrawl/cleaned/paragraphs_removed", len(removed))
            log.info("removed %d furniture or repeated paragraphs from %s: %r", len(removed),
                     adapter.get("url"), [p[:60] for p in removed])
        adapter["body"] = body
        if "word_count" in adapter:
            adapter["word_count"] = word_count(body)
        for image in adapter.get("images") or []:
            image_adapter = ItemAdapter(image)
            for name in ("caption", "credit"):
                if image_adapter.get(name):
                    image_adapter[name] = clean_text(image_adapter[name]) or None
        return item
