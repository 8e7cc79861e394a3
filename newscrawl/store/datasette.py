"""The archive in datasette: labels, column descriptions and canned queries.

``datasette archive.sqlite`` already finds the full-text index (``articles_fts`` is declared
as datasette looks for it), so ``?_search=`` works out of the box; ``newscrawl datasette``
adds this metadata: what every column means (from ``newscrawl/items.py``), which column
labels a row, and the queries researchers ask first.
"""

from __future__ import annotations

from typing import Any

from newscrawl.records.fields import ARCHIVE_COLUMNS, field_docs

QUERIES = {
    "latest_stories": {
        "title": "Latest stories",
        "description": "The newest originals (syndicated copies left out).",
        "sql": "SELECT published_at, headline, section_path, url, article_id FROM articles "
               "WHERE duplicate_of IS NULL ORDER BY published_at DESC LIMIT 200",
    },
    "revisions_of_a_story": {
        "title": "Revisions of a story",
        "description": "Every distinct version the archive kept of one story, oldest first.",
        "sql": "SELECT revision, fetched_at, updated_at, json_extract(record, '$.headline') "
               "AS headline, length(json_extract(record, '$.body')) AS body_chars, "
               "content_hash FROM revisions WHERE article_id = :article_id ORDER BY revision",
    },
    "stories_by_section_and_day": {
        "title": "Stories by section and day",
        "sql": "SELECT substr(published_at, 1, 10) AS day, section_path, count(*) AS stories "
               "FROM articles GROUP BY day, section_path ORDER BY day DESC, stories DESC",
    },
    "failed_stories": {
        "title": "Failed stories",
        "description": "Stories that failed or were stored degraded, and whether they are lost.",
        "sql": "SELECT article_id, url, reason, attempts, first_failed_at, last_failed_at, "
               "lost_at FROM failures ORDER BY last_failed_at DESC",
    },
}


def article_columns() -> dict[str, str]:
    """What each column of ``articles`` means: a record's field under its own name, or one the
    archive adds. The record's ``canonical_url`` is the column ``url`` and its ``revision`` is
    ``revision_count``: neither is a column of its own."""
    docs = {name: doc for name, doc in field_docs().items()
            if name not in ("canonical_url", "revision")}
    docs.update(ARCHIVE_COLUMNS)
    docs["url"] = "The story's canonical URL (the URL fetched is in fetched_url)."
    return docs


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for an archive served under the name ``database``."""
    return {
        "title": "newscrawl archive",
        "description_html": "One row per story in <code>articles</code>, every distinct "
                            "version in <code>revisions</code>; search with the box above "
                            "the articles table.",
        "databases": {database: {
            "tables": {
                "articles": {
                    "label_column": "headline",
                    "description": "One row per story: its latest version.",
                    "columns": article_columns(),
                    "fts_table": "articles_fts", "fts_pk": "id",
                    "sort_desc": "published_at",
                },
                "revisions": {"description": "Every distinct version of every story, in "
                                             "order; record is the whole Article record."},
                "fetch_state": {"description": "What the last fetch of each URL answered."},
                "discovery": {"description": "Where and when each URL was first and last "
                                             "seen."},
                "runs": {"description": "One row per crawl: arguments, Scrapy stats, field "
                                        "coverage, counts."},
                "failures": {"description": "Stories that failed or were stored degraded, "
                                            "asked for again until archived or lost."},
                "dated": {"description": "Stories an archive sitemap lists with a lastmod: "
                                         "their edits are dated there."},
                "articles_fts": {"hidden": True},
            },
            "queries": QUERIES,
        }},
    }
