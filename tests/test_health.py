"""Health (issue 14): every run measured, and ``newscrawl health`` judging the latest run
against the runs before it."""

from __future__ import annotations

from newscrawl.extensions.archive import ArchiveExtension
from newscrawl.extraction.generic import GENERIC_BODY
from newscrawl.items import Article
from newscrawl.pipelines import StorePipeline
from newscrawl.spiders import ScmpSpider
from tests.utils.crawler import project_crawler


def test_the_store_pipeline_measures_sources_parsers_and_sections(tmp_path) -> None:
    crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_DATA_DIR": str(tmp_path)})
    try:
        store = StorePipeline.from_crawler(crawler)
        for n, (source, section) in enumerate((("next_data", ["News", "China", "Politics"]),
                                               (GENERIC_BODY, ["News", "China"]),
                                               ("dom", ["Business"]))):
            store.process_item(Article(
                url=f"https://www.scmp.com/news/article/330000{n}/x", outlet="scmp",
                article_id=f"330000{n}", headline=f"Story {n}", body=f"Body of story {n}.",
                published_at="2026-06-01T08:00:00Z", fetched_at="2026-06-01T09:00:00Z",
                section=section, parser_version="scmp.V1" if n else "scmp.V2",
                field_sources={"body": source, "headline": "json_ld"}))
        stats = crawler.stats.get_stats()
        assert stats["newscrawl/sources/body/next_data"] == 1
        assert stats[f"newscrawl/sources/body/{GENERIC_BODY}"] == 1
        assert stats["newscrawl/sources/body/dom"] == 1
        assert stats["newscrawl/sources/headline/json_ld"] == 3
        assert stats["newscrawl/parser/scmp.V1"] == 2 and stats["newscrawl/parser/scmp.V2"] == 1
        assert stats["newscrawl/sections/News > China"] == 2
        assert stats["newscrawl/sections/Business"] == 1
        # A field the record lacks has no source counted, whatever field_sources says.
        assert not any(k.startswith("newscrawl/sources/summary/") for k in stats)
    finally:
        ArchiveExtension.of(crawler).close()
