"""Clean, validate and de-duplicate pipelines on single items, in a real Scrapy crawler."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector

from newscrawl.extensions.archive import ArchiveExtension
from newscrawl.items import Article, ImageRef, to_record
from newscrawl.pipelines import CleanPipeline, DedupePipeline, StorePipeline, ValidatePipeline
from newscrawl.records.cleaning import clean_body, clean_text
from newscrawl.spiders import ScmpSpider
from tests.utils.crawler import project_crawler

BODY = ("Officials said the plan would cost HK$2 billion over five years. "
        "Critics called it too little, too late.\n\n"
        "The scheme starts in January and covers 40,000 households.\n\n"
        "Lawmakers will debate the bill next week.")


def article(**fields) -> Article:
    base = Article(url="https://www.scmp.com/news/hong-kong/article/3300001/plan",
                   canonical_url="https://www.scmp.com/news/hong-kong/article/3300001/plan",
                   outlet="scmp", article_id="3300001", headline="Plan unveiled",
                   authors=["Jane Doe"], published_at="2026-06-01T08:00:00Z",
                   updated_at="2026-06-01T08:00:00Z", section=["News", "Hong Kong"],
                   body=BODY, images=[ImageRef("https://img/1.jpg", "A  caption", "Photo")],
                   word_count=len(BODY.split()), fetched_at="2026-06-02T00:00:00Z")
    return replace(base, **fields)


@pytest.fixture()
def crawler(tmp_path):
    crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_DATA_DIR": str(tmp_path)})
    yield crawler
    ArchiveExtension.of(crawler).close()


def test_clean_removes_furniture_pull_quotes_and_normalises(crawler):
    dirty = ("Officials said the plan would cost HK$2 billion over five years. Critics called it "
             "too little, too late.\n\nAdvertisement\n\n\u201cCritics called it too little, too "
             "late.\u201d\n\nREAD MORE: Another story entirely\n\nThe scheme starts in January "
             "and covers 40,000\u00a0households.\n\nThe scheme starts in January and covers "
             "40,000 households.\n\nLawmakers will debate the bill ne\u200bxt week.")
    item = article(body=dirty, headline="  Plan\u00a0 unveiled ", authors=["Jane Doe", "Jane Doe"],
                   summary="It\u2032s cafe\u0301 & more")
    cleaned = CleanPipeline.from_crawler(crawler).process_item(item)
    assert cleaned.body == BODY
    assert cleaned.headline == "Plan unveiled" and cleaned.authors == ["Jane Doe"]
    assert cleaned.summary == "It\u2019s caf\u00e9 & more"  # NFC, prime as apostrophe
    assert cleaned.word_count == len(BODY.split())
    assert cleaned.images[0].caption == "A caption"
    assert crawler.stats.get_value("newscrawl/cleaned/paragraphs_removed") == 4


def test_clean_keeps_clean_text_exactly():
    text = "He said: \u201cIt\u2019s \u2018done\u2019.\u201d \U0001F600 \u05e2\u05d1\u05e8\u05d9\u05ea"
    assert clean_text(text) == text
    assert clean_body(BODY) == (BODY, [])


@pytest.mark.parametrize(("raw", "clean"), [
    ("It''s ‘‘in’’ quotes", "It”s “in” quotes"),
    ("`Tis a 5′ wall, a 2″ gap, „low‚ and acute´", "‘Tis a 5’ wall, a 2” gap, “low‘ and acute’"),
    ("soft\u00adhyphen and\u200b zero  width\n", "softhyphen and zero width"),
    # A record holds decoded text: an entity left in it is what the page printed.
    ("Caf\u0065\u0301 &amp; more", "Caf\u00e9 &amp; more"),
    # A zero-width joiner inside an emoji sequence is part of it; elsewhere it goes.
    ("family \U0001F468\u200D\U0001F469\u200D\U0001F467, flag \U0001F3F3\uFE0F\u200D\U0001F308",
     "family \U0001F468\u200D\U0001F469\u200D\U0001F467, flag \U0001F3F3\uFE0F\u200D\U0001F308"),
    ("zero\u200dwidth joiner", "zerowidth joiner"),
])
def test_clean_unifies_stand_in_quotes_and_spacing(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize(("fields", "reason"), [
    ({"headline": None}, "missing_headline"),
    ({"article_id": None}, "missing_article_id"),
    ({"published_at": None}, "missing_published_at"),
    ({"published_at": "2027-01-01T00:00:00Z"}, "published_at_in_future"),
    ({"published_at": "1970-01-01T00:00:00Z"}, "published_at_too_old"),
    ({"published_at": "yesterday"}, "bad_published_at"),
    ({"updated_at": "2026-05-01T00:00:00Z"}, "updated_before_published"),
    ({"body": ""}, "missing_body"),
    ({"body": "Too short."}, "body_too_short"),
])
def test_validate_rejects_with_a_reason_and_keeps_the_record(crawler, tmp_path, fields, reason):
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem):
        pipeline.process_item(article(**fields))
    assert crawler.stats.get_value(f"newscrawl/dropped/{reason}") == 1
    rejects = (tmp_path / "scmp" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    line = json.loads(rejects[-1])
    assert line["reasons"][0] == reason and line["record"]["url"] == article().url


def test_validate_lets_a_short_paywalled_body_through(crawler):
    item = article(body="Only the first paragraph is served.", is_truncated=True,
                   is_paywalled=True)
    assert ValidatePipeline.from_crawler(crawler).process_item(item) is item


def test_dedupe_drops_a_story_seen_twice_and_links_copies(crawler):
    dedupe, store = DedupePipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)
    original = article(body="\n\n".join(f"Paragraph {i} about the harbour tunnel toll plan and "
                                        f"what {i * 7} drivers said about it on Monday."
                                        for i in range(12)))
    store.process_item(dedupe.process_item(original))
    with pytest.raises(DropItem):
        dedupe.process_item(article(url=original.url + "?utm_source=rss_feed"))
    copy = article(article_id="3300099", url="https://www.scmp.com/news/article/3300099/copy",
                   published_at="2026-06-01T10:00:00Z", updated_at="2026-06-01T10:00:00Z",
                   body="HONG KONG \u2014 " + original.body.rsplit("\n\n", 1)[0])
    assert store.process_item(dedupe.process_item(copy)).duplicate_of == "3300001"
    # A copy found before its original is re-pointed once the original arrives.
    early = article(article_id="3299990", url="https://www.scmp.com/news/article/3299990/first",
                    published_at="2026-06-01T07:00:00Z", updated_at="2026-06-01T07:00:00Z",
                    body=original.body)
    assert store.process_item(dedupe.process_item(early)).duplicate_of is None
    archive = ArchiveExtension.of(crawler).archive
    assert archive.article("scmp", "3300001")["duplicate_of"] == "3299990"
    assert archive.article("scmp", "3300099")["duplicate_of"] == "3299990"
    unrelated = article(article_id="3300200", url="https://www.scmp.com/news/article/3300200/u",
                        body="\n\n".join(f"A different story {i} on typhoon signal number "
                                         f"{i} and school closures across the city."
                                         for i in range(12)))
    assert dedupe.process_item(unrelated).duplicate_of is None
    assert crawler.stats.get_value("newscrawl/dropped/duplicate_in_run") == 1


def test_store_says_which_version_each_item_is(crawler):
    """The item goes on to the feeds with the ``revision`` and ``first_fetched_at`` its
    journal line has: a page fetched again unchanged keeps the revision it had."""
    store = StorePipeline.from_crawler(crawler)
    first = store.process_item(article())
    assert (first.revision, first.first_fetched_at) == (1, "2026-06-02T00:00:00Z")
    again = store.process_item(article(fetched_at="2026-06-03T00:00:00Z"))
    assert (again.revision, again.first_fetched_at) == (1, "2026-06-02T00:00:00Z")
    edited = store.process_item(article(fetched_at="2026-06-04T00:00:00Z",
                                        body=BODY + "\n\nA correction was added."))
    assert (edited.revision, edited.first_fetched_at) == (2, "2026-06-02T00:00:00Z")
    archive = ArchiveExtension.of(crawler).archive
    archive.commit()
    lines = [json.loads(x) for x in archive.journal_path.read_text(encoding="utf-8").splitlines()]
    assert [(x["revision"], x["first_fetched_at"]) for x in lines] == \
        [(1, "2026-06-02T00:00:00Z"), (2, "2026-06-02T00:00:00Z")]


def test_an_entity_a_page_prints_is_decoded_once(crawler):
    """A page that prints "AT&amp;T" (its HTML says ``AT&amp;amp;T``) keeps it through the
    parser and the clean pipeline: decoded once, by the parser, never again."""
    from datetime import UTC, datetime

    from newscrawl.outlets.scmp.parser import ScmpParserV1
    from newscrawl.replica import ReplicaConfig, World
    from newscrawl.replica.pages.article import render_article_page

    world = World(ReplicaConfig(articles=40, seed=1))
    content = next(world.content_at(i) for i in range(world.count)
                   if world.spec(i).kind == "article" and world.spec(i).generation == "nextjs"
                   and world.spec(i).variant == "full")
    html = render_article_page(world, content, base="http://127.0.0.1:8000")
    first = content.paragraphs[0].split()[0]
    assert html.count(f">{first} ") + html.count(f'"{first} ') >= 2  # in the DOM and the JSON
    html = html.replace(f">{first} ", ">AT&amp;amp;T ").replace(f'"{first} ', '"AT&amp;amp;T ')
    article = ScmpParserV1().parse("http://127.0.0.1:8000" + content.spec.path, html,
                                   datetime.now(UTC))
    assert article.body.startswith("AT&amp;T ")
    cleaned = CleanPipeline.from_crawler(crawler).process_item(article)
    assert cleaned.body.startswith("AT&amp;T ")


def test_a_record_is_what_asdict_gives_and_shares_nothing_with_its_item():
    item = article(subheadline=["First point"], field_sources={"body": "dom"})
    record = to_record(item)
    assert record == asdict(item) and list(record) == list(asdict(item))
    assert record["images"] == [{"url": "https://img/1.jpg", "caption": "A  caption",
                                 "credit": "Photo"}]
    record["images"][0]["caption"], record["authors"][0] = "changed", "changed"
    record["field_sources"]["body"] = "changed"
    assert item.images[0].caption == "A  caption" and item.authors == ["Jane Doe"]
    assert item.field_sources == {"body": "dom"}


class InspectedStats(MemoryStatsCollector):
    """A collector of its own (as a statsd or Prometheus one would be): its inc_value runs."""

    def inc_value(self, key, count=1, start=0, spider=None):
        self.set_value("test/inc_calls", self.get_value("test/inc_calls", 0) + 1)
        super().inc_value(key, count, start)


def test_the_store_counts_the_same_into_any_stats_collector(tmp_path):
    counted = []
    for name, stats_class in (("scrapy", "scrapy.statscollectors.MemoryStatsCollector"),
                              ("own", "tests.test_pipelines.InspectedStats")):
        crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_DATA_DIR": str(tmp_path / name),
                                               "STATS_CLASS": stats_class})
        store = StorePipeline.from_crawler(crawler)
        store.process_item(article())
        store.process_item(article())  # the same content again: unchanged
        ArchiveExtension.of(crawler).close()
        stats = crawler.stats.get_stats()
        counted.append({k: v for k, v in stats.items() if k.startswith(("newscrawl/stored/",
                                                                          "newscrawl/filled/",
                                                                          "newscrawl/sources/",
                                                                          "newscrawl/sections/",
                                                                          "newscrawl/parser/"))})
        if name == "own":  # its inc_value saw every key the store counted
            assert stats["test/inc_calls"] >= sum(counted[-1].values())
    assert counted[0] == counted[1]
    assert counted[0]["newscrawl/stored/new"] == 1 and counted[0]["newscrawl/stored/unchanged"] == 1
    assert counted[0]["newscrawl/filled/headline"] == 2
    assert counted[0]["newscrawl/sections/News > Hong Kong"] == 2
