"""Store: every record into the archive (new story, new revision, or just a check).

Also records the crawl run (arguments, stats, field coverage) and where each story was
discovered. The archive commits in batches and once more when the spider closes.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem

from newscrawl.extensions import REPORTED_FIELDS
from newscrawl.items import to_record
from newscrawl.store import StoreError, archive_lost, close_archive, open_archive

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.outcomes: Counter[str] = Counter()
        self.filled: Counter[str] = Counter()
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        config = getattr(spider, "config", None)
        arguments = dict(vars(config)) if config is not None and hasattr(config, "__dict__") else {}
        outlet = getattr(spider, "outlet_name", "") or getattr(spider, "name", "")
        try:
            self.run_id = open_archive(self.crawler).begin_run(outlet, arguments)
        except StoreError as exc:
            archive_lost(self.crawler, exc)

    def process_item(self, item: Any) -> Any:
        record = to_record(item)
        try:
            archive = open_archive(self.crawler)
            result = archive.store_article(record)
            if record.get("url"):
                archive.record_discovery(record["url"], record.get("discovered_via"),
                                         record.get("fetched_at") or "", record.get("article_id"))
        except StoreError as exc:
            archive_lost(self.crawler, exc)
            self.stats.inc_value("newscrawl/dropped/store_unavailable")
            raise DropItem(f"not stored: {exc}", log_level="DEBUG") from None
        self.outcomes[result.status] += 1
        self.stats.inc_value(f"newscrawl/stored/{result.status}")
        for name in REPORTED_FIELDS:
            if record.get(name) not in (None, "", [], {}):
                self.filled[name] += 1
        return item

    def spider_closed(self, spider: Any, reason: str) -> None:
        # After the engine closed the pipelines: the stats are as complete as they get.
        try:
            archive = open_archive(self.crawler)
            if self.run_id is not None:
                total = sum(self.outcomes.values())
                coverage = {name: round(self.filled[name] / total, 4) if total else 0.0
                            for name in REPORTED_FIELDS}
                archive.end_run(self.run_id, reason=reason, stats=self.stats.get_stats(),
                                field_coverage=coverage, counts=self.outcomes,
                                high_water=getattr(spider, "high_water", None))
        except StoreError as exc:
            log.error("%s", exc)
        finally:
            close_archive(self.crawler)
