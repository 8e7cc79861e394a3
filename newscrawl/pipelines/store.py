"""Store: every record into the archive (new story, new revision, or just a check), and where
each story was discovered. The item leaves with its ``revision`` and ``first_fetched_at`` set,
as the archive's journal line and ``revisions`` row of it have them.

The archive (``ArchiveExtension``) commits in batches and once more when the spider closes,
and records the run from the stats this pipeline keeps (``newscrawl.records.measures``, which
reparse shares): ``newscrawl/stored/<outcome>`` and,
per reported field, ``newscrawl/filled/<field>`` and ``newscrawl/sources/<field>/<source>``
(from the record's ``field_sources``), ``newscrawl/parser/<version>``,
``newscrawl/sections/<section>`` (its first two levels, as the summary shows them),
``newscrawl/fallback/body`` for each record whose body came from the generic parser's fallback
(``field_sources["body"]`` is ``generic_body`` from an outlet's own parser), and
``newscrawl/newest/published_at``, the newest publication time of the records stored. They
land in the run's ``stats`` in the ``runs`` table, where ``newscrawl health`` reads them.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.statscollectors import StatsCollector

from newscrawl.extensions.archive import ArchiveUser
from newscrawl.items import to_record
from newscrawl.records.measures import NEWEST_PUBLISHED, record_counts
from newscrawl.store import StoreError


class StorePipeline(ArchiveUser):
    def process_item(self, item: Any) -> Any:
        record = to_record(item)
        try:
            archive = self.owner.archive
            result = archive.store_article(record)
            if record.get("url"):
                archive.record_discovery(record["url"], record.get("discovered_via"),
                                         record.get("fetched_at") or "", record.get("article_id"))
        except StoreError as exc:
            raise self.not_stored(exc) from None
        self.count(record, result.status)
        # The item goes on to the feeds saying which version it is, as its journal line does.
        adapter = ItemAdapter(item)
        adapter["revision"], adapter["first_fetched_at"] = result.revision, result.first_fetched_at
        return item

    def count(self, record: dict[str, Any], status: str) -> None:
        """What the run's measurements need from one stored record (a few dict updates: this
        runs per item)."""
        self._add_one([f"newscrawl/stored/{status}", *record_counts(record)])
        published = record.get("published_at")
        if published:  # ISO 8601 UTC: the newest sorts last
            self.stats.max_value(NEWEST_PUBLISHED, published)

    def _add_one(self, keys: list[str]) -> None:
        """One more of each key, as ``inc_value`` counts. When the collector's ``inc_value`` is
        Scrapy's own, into its dict at once: Scrapy 2.19 routes each call of it, and each
        attribute read inside it, through Python-level hooks (about 4 µs a call, and a record
        counts about 30 keys). Any other collector gets its own ``inc_value`` calls."""
        if type(self.stats).inc_value is StatsCollector.inc_value:
            values = self.stats.get_stats()
            for key in keys:
                values[key] = values.get(key, 0) + 1
        else:
            for key in keys:
                self.stats.inc_value(key)
