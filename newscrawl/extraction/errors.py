"""Why a page gave no record. The crawl counts each reason; nothing is dropped silently."""

from __future__ import annotations


class PageRejected(Exception):
    """Base: the page produced no article record. ``reason`` is a short stats key."""

    reason = "rejected"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.reason = reason


class NotAnArticle(PageRejected):
    """A recognised page that is not an article (video, gallery, topic, author...)."""

    reason = "not_article"


class ExtractionFailed(PageRejected):
    """An article page whose content could not be extracted (broken, empty, unknown shape)."""

    reason = "extraction_failed"
