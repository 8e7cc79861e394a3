"""The SCMP parser's fallback body: when its own sources give none (or one that fails
validation), the generic parser's body of the page stands in, marked ``generic_body``, and
the store pipeline counts it (``newscrawl/fallback/body``).

Pages come from the replica: the redesign's markup (no ``__NEXT_DATA__`` article at the known
path, no Apollo state, no ``data-qa`` body container, no ``articleBody``), also with its
``__NEXT_DATA__`` broken, and a current page whose own body is cut to a line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from newscrawl.extensions.archive import ArchiveExtension
from newscrawl.extraction.generic import GENERIC_BODY
from newscrawl.items import Article
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.pipelines import StorePipeline
from newscrawl.replica import ReplicaConfig, World
from newscrawl.replica.pages.article import render_article_page
from newscrawl.spiders import ScmpSpider
from tests.utils.crawler import project_crawler

BASE = "http://replica.test"
FETCHED_AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return World(ReplicaConfig(articles=60, seed=5, apollo_share=0.3))


def _articles(world: World) -> list[int]:
    return [i for i in range(world.count) if world.spec(i).is_article
            and world.spec(i).variant == "full"]


def _in_order(found: list[str], wanted: list[str]) -> bool:
    """Every paragraph of ``wanted`` is in ``found``, in the same order."""
    rest = iter(found)
    return all(any(paragraph == text for text in rest) for paragraph in wanted)


@pytest.mark.parametrize("broken_next_data", [False, True])
def test_a_page_whose_own_sources_are_gone_keeps_its_body(world: World,
                                                          broken_next_data: bool) -> None:
    indexes = _articles(world)
    assert len(indexes) > 20
    for index in indexes:
        content = world.content_at(index)
        html = render_article_page(world, content, base=BASE, redesigned=True,
                                   malformed_nextdata=broken_next_data)
        record = ScmpParserV1().parse(BASE + content.spec.path, html, FETCHED_AT)
        truth = world.truth(index, BASE)
        assert record.field_sources["body"] == GENERIC_BODY, content.spec.path
        assert record.field_sources["word_count"] == GENERIC_BODY
        paragraphs = record.body.split("\n\n")
        assert _in_order(paragraphs, truth["body"]), content.spec.path
        assert paragraphs[0] != record.headline
        assert record.headline == truth["headline"] and record.article_id == truth["article_id"]


def test_a_body_too_short_to_keep_is_replaced(world: World) -> None:
    index = next(i for i in _articles(world) if world.spec(i).generation == "nextjs")
    content = world.content_at(index)
    html = render_article_page(world, content, base=BASE)
    truth = world.truth(index, BASE)
    own = ScmpParserV1().parse(BASE + content.spec.path, html, FETCHED_AT)
    assert own.field_sources["body"] == "next_data"
    # The story in __NEXT_DATA__ cut to one word: a body the validate pipeline would reject.
    start = html.index(_NEXT_DATA) + len(_NEXT_DATA)
    end = html.index("</script>", start)
    data = json.loads(html[start:end])
    nodes = data["props"]["pageProps"]["payload"]["data"]["article"]["body"]["json"]
    data["props"]["pageProps"]["payload"]["data"]["article"]["body"]["json"] = [
        {"type": "p", "children": [{"type": "text", "data": "Cut."}]}]
    assert len(nodes) > 3
    damaged = html[:start] + json.dumps(data) + html[end:]
    record = ScmpParserV1().parse(BASE + content.spec.path, damaged, FETCHED_AT)
    assert record.field_sources["body"] == GENERIC_BODY
    assert _in_order(record.body.split("\n\n"), truth["body"])  # the DOM still has them
    assert record.headline == own.headline and record.published_at == own.published_at


_NEXT_DATA = '<script id="__NEXT_DATA__" type="application/json">'


def test_the_store_pipeline_counts_fallback_bodies(tmp_path) -> None:
    crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_DATA_DIR": str(tmp_path)})
    try:
        store = StorePipeline.from_crawler(crawler)
        for n, source in enumerate(("next_data", GENERIC_BODY, GENERIC_BODY, "dom")):
            store.process_item(Article(
                url=f"https://www.scmp.com/news/article/330000{n}/x", outlet="scmp",
                article_id=f"330000{n}", headline=f"Story {n}", body=f"Body of story {n}.",
                published_at="2026-06-01T08:00:00Z", fetched_at="2026-06-01T09:00:00Z",
                field_sources={"body": source}))
        assert crawler.stats.get_value("newscrawl/fallback/body") == 2
        assert crawler.stats.get_value("newscrawl/filled/body") == 4
    finally:
        ArchiveExtension.of(crawler).close()
