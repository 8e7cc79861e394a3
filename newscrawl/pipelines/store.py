"""Store: every record into the archive (new story, new revision, or just a check), and where
each story was discovered.

The archive (``ArchiveExtension``) commits in batches and once more when the spider closes,
and records the run from the stats this pipeline keeps: ``newscrawl/stored/<outcome>`` and,
per reported field, ``newscrawl/filled/<field>``, and ``newscrawl/fallback/body`` for each
record whose body came from the generic parser's fallback (``field_sources["body"]`` is
``generic_body``).
"""

from __future__ import annotations

from typing import Any

from newscrawl.extensions.archive import ArchiveUser
from newscrawl.extraction.generic.body import is_fallback_body
from newscrawl.items import REPORTED_FIELDS, to_record
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
        self.stats.inc_value(f"newscrawl/stored/{result.status}")
        for name in REPORTED_FIELDS:
            if record.get(name) not in (None, "", [], {}):
                self.stats.inc_value(f"newscrawl/filled/{name}")
        if is_fallback_body(record.get("field_sources") or {}, record.get("parser_version")):
            self.stats.inc_value("newscrawl/fallback/body")  # the outlet's parser needed it
        return item
