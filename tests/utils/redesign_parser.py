"""A parser version for the replica's redesign (docs/replica.md, "The redesign"), as a user
would ship one when the site changes: ``ScmpParserV2`` subclasses V1 and reads the story
from its new place in ``__NEXT_DATA__`` (``props.pageProps.initialState.story.data``, keys
renamed) where V1 read it from ``payload.data.article``. ``versions(redesigned_at)`` is what an
entry point of the ``newscrawl.parsers`` group gives: V1 valid until the redesign, and V2.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from newscrawl.extraction import scripts
from newscrawl.extraction.cascade import Source, field
from newscrawl.extraction.html import absolute_url, dedupe_images
from newscrawl.items import ImageRef
from newscrawl.outlets.scmp.page import ScmpPage
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.outlets.scmp.sources import ContentSource

STORY_PATH = ("props", "pageProps", "initialState", "story", "data")
_ACCESS = {"PLUS": ["plus"], "METERED": ["metered"], "FREE": []}


class StorySource(ContentSource):
    """The redesign's story data, read through V1's readers under V1's key names."""

    @cached_property
    def story(self) -> dict[str, Any]:
        start = scripts.script_start_by_id(self.page.text, "__NEXT_DATA__")
        data = scripts.seek_json(self.page.text, STORY_PATH, start) if start >= 0 else None
        return data if isinstance(data, dict) else {}

    @cached_property
    def keys(self) -> dict[str, Any]:
        story = self.story
        names = {"entityId": "id", "headline": "title", "socialHeadline": "socialTitle",
                 "summary": "standfirst", "publishedDate": "firstPublishedAt",
                 "updatedDate": "lastUpdatedAt", "body": "blocks", "__typename": "__typename"}
        keys: dict[str, Any] = {old: story[new] for old, new in names.items() if new in story}
        keys["authors"] = [{"name": b.get("displayName")} for b in story.get("bylines") or []]
        keys["sections"] = [{"name": s.get("label")} for s in story.get("sectionPath") or []]
        keys["topics"] = [{"name": t.get("label")} for t in story.get("tags") or []]
        keys["types"] = [{"name": "opinion"}] if story.get("contentType") == "OPINION" else []
        if story.get("access") in _ACCESS:
            keys["paywallTypes"] = _ACCESS[story["access"]]
        keys["sponsorType"] = story.get("sponsor")
        return keys

    def get(self, key: str) -> Any:
        return self.keys.get(key)

    def has(self, key: str) -> bool:
        return key in self.keys

    def body_nodes(self) -> Any:
        return self.get("body")

    @field("images")
    def images(self) -> list[ImageRef]:
        """The lead picture of ``media``, then the body's pictures in body order."""
        lead = [m for m in self.story.get("media") or [] if m.get("role") == "lead"][:1]
        images = [ImageRef(url=url, caption=m.get("caption") or None,
                           credit=m.get("credit") or None)
                  for m in lead if (url := absolute_url(self.page.url, m.get("src") or ""))]
        return dedupe_images([*images, *self._body[1]])

    @field("subheadline")
    def subheadline(self) -> list[str]:
        return [" ".join(str(p).split()) for p in self.story.get("keyPoints") or [] if p]


class ScmpParserV2(ScmpParserV1):
    """SCMP article pages after the redesign. The story data is still the page's Next.js
    data, so it is still the source ``next_data`` (``field_sources`` names it so, and the
    run's body sources keep their name): V1's cascade, read from the new place."""

    version = "scmp.V2"
    valid_until = None

    def sources(self, page: ScmpPage) -> dict[str, Source | None]:
        sources = super().sources(page)
        story = StorySource(page)
        if story.story:
            sources["next_data"] = story
        return sources


def versions(redesigned_at: datetime) -> tuple[ScmpParserV1, ScmpParserV2]:
    """V1, valid until the redesign, and V2 after it."""
    ended = ScmpParserV1()
    ended.valid_until = redesigned_at
    return ended, ScmpParserV2()
