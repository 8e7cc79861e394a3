"""Store: every record into the archive (new story, new revision, or just a check), and where
each story was discovered.

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
        return item

    def count(self, record: dict[str, Any], status: str) -> None:
        """What the run's measurements need from one stored record (a few dict updates: this
        runs per item)."""
        inc = self.stats.inc_value
        inc(f"newscrawl/stored/{status}")
        for key in record_counts(record):
            inc(key)
        published = record.get("published_at")
        if published:  # ISO 8601 UTC: the newest sorts last
            self.stats.max_value(NEWEST_PUBLISHED, published)
