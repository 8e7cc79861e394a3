"""De-duplicate: one record per story, and copies of a story linked to their original.

- The same story reached twice in one crawl (tracking parameters, an AMP copy, an old slug:
  all carry the story's id) is dropped after the first, counted as ``duplicate_in_run``.
- A story whose body is an exact or near copy of another story under another id (a wire copy,
  a syndicated republication) is kept and linked: ``duplicate_of`` names the original, the
  one published first. Near copies are found by MinHash signatures over word shingles, looked
  up in the archive's band index (newscrawl.records.fingerprints), so memory does not grow with it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawl.extensions.archive import ArchiveUser
from newscrawl.idset import IdSet
from newscrawl.store import StoreError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from newscrawl.extensions.archive import ArchiveExtension


class DedupePipeline(ArchiveUser):
    def __init__(self, crawler: Crawler, owner: ArchiveExtension) -> None:
        super().__init__(crawler, owner)
        # Per outlet, the stories met in this run and those stored without an original so far
        # (ids as bits: memory does not grow with each story, newscrawl.idset).
        self.seen: defaultdict[str, IdSet] = defaultdict(IdSet)
        self.unlinked: defaultdict[str, IdSet] = defaultdict(IdSet)

    def close_spider(self) -> None:
        """After the last commit, look again for originals other processes stored meanwhile."""
        if not self.unlinked:
            return
        try:
            archive = self.owner.archive
            archive.commit()
            linked = sum(archive.relink(outlet, article_id) is not None
                         for outlet, ids in self.unlinked.items() for article_id in ids)
            archive.commit()
        except StoreError as exc:
            self.owner.lost(exc)
            return
        if linked:
            self.stats.inc_value("newscrawl/duplicates/linked", linked)
            self.stats.inc_value("newscrawl/duplicates/linked_late", linked)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        outlet = adapter.get("outlet") or ""
        story = adapter.get("article_id") or adapter.get("canonical_url") or adapter.get("url") or ""
        if story in self.seen[outlet]:
            self.stats.inc_value("newscrawl/dropped/duplicate_in_run")
            raise DropItem(f"{adapter.get('url')} is story {story} again", log_level="DEBUG")
        self.seen[outlet].add(story)
        try:
            original = self.owner.archive.link_duplicates(adapter)
        except StoreError as exc:
            raise self.not_stored(exc) from None
        if original is None:
            self.unlinked[outlet].add(story)
        if "duplicate_of" in adapter:
            adapter["duplicate_of"] = original
        if original:
            self.stats.inc_value("newscrawl/duplicates/linked")
        return item
