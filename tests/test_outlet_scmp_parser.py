"""The SCMP parser against a whole replica world, bad input, and the generic helpers under it.

Every item of a 300-article replica world is rendered (page, AMP copy, page with a broken
``__NEXT_DATA__``) and parsed; each record is compared with the replica's truth field by
field. The parser itself never sees the replica: only this test imports it.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from newscrawl.extraction import dates, jsonld, scripts
from newscrawl.extraction.errors import ExtractionFailed, NotAnArticle, PageRejected
from newscrawl.extraction.meta import language_code
from newscrawl.extraction.text import normalize_space, split_credit, word_count
from newscrawl.items import Article
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.replica import ReplicaConfig, World
from newscrawl.replica.pages.article import render_amp_page, render_article_page
from newscrawl.replica.world import BOILERPLATE_STRINGS

BASE = "http://127.0.0.1:8000"
FETCHED_AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
EXACT_FIELDS = ("article_id", "headline", "published_at", "canonical_url")
OTHER_FIELDS = ("kind", "social_headline", "subheadline", "summary", "authors", "updated_at",
                "section", "topics", "body", "images", "language", "word_count",
                "is_paywalled", "is_truncated", "is_sponsored")
SOURCES = {"next_data", "json_ld", "dom", "apollo", "meta", "url"}


def _as_truth(article: Article, name: str) -> Any:
    """An Article field in the shape of the replica's truth record."""
    if name == "body":
        return article.body.split("\n\n") if article.body else []
    if name == "images":
        return [{"url": i.url, "caption": i.caption, "credit": i.credit} for i in article.images]
    return getattr(article, name)


@dataclass
class Run:
    """Records of one rendering of every item, compared with the truth."""

    articles: int = 0
    matches: Counter = field(default_factory=Counter)
    misses: dict[str, list[tuple[int, Any, Any]]] = field(default_factory=dict)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (index, kind, reason)
    records: dict[int, Article] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def rate(self, name: str) -> float:
        return self.matches[name] / self.articles if self.articles else 0.0


def _run(world: World, render) -> Run:
    parser = ScmpParserV1()
    run = Run()
    for index in range(world.count):
        spec = world.spec(index)
        page = render(world, index)
        if page is None:
            continue
        url, html = page
        truth = world.truth(index, BASE)
        started = time.perf_counter()
        try:
            article = parser.parse(url, html, FETCHED_AT)
        except PageRejected as exc:
            run.seconds.append(time.perf_counter() - started)
            run.rejected.append((index, spec.kind, exc.reason))
            continue
        run.seconds.append(time.perf_counter() - started)
        run.sizes.append(len(html))
        run.records[index] = article
        if not spec.is_article:
            run.rejected.append((index, spec.kind, "parsed"))
            continue
        run.articles += 1
        for name in EXACT_FIELDS + OTHER_FIELDS:
            got, want = _as_truth(article, name), truth[name]
            if got == want:
                run.matches[name] += 1
            else:
                run.misses.setdefault(name, []).append((index, got, want))
    return run


def _page(world: World, index: int) -> tuple[str, str]:
    content = world.content_at(index)
    return BASE + content.spec.path, render_article_page(world, content, base=BASE)


def _amp(world: World, index: int) -> tuple[str, str] | None:
    content = world.content_at(index)
    if not content.spec.is_article:
        return None
    return BASE + "/amp" + content.spec.path, render_amp_page(world, content, base=BASE)


def _broken_next_data(world: World, index: int) -> tuple[str, str] | None:
    content = world.content_at(index)
    if content.spec.generation != "nextjs":
        return None
    html = render_article_page(world, content, base=BASE, malformed_nextdata=True)
    return BASE + content.spec.path, html


@pytest.fixture(scope="module")
def world() -> World:
    return World(ReplicaConfig(articles=300, seed=1))


@pytest.fixture(scope="module")
def pages(world: World) -> Run:
    return _run(world, _page)


@pytest.fixture(scope="module")
def amp_pages(world: World) -> Run:
    return _run(world, _amp)


@pytest.fixture(scope="module")
def broken_pages(world: World) -> Run:
    return _run(world, _broken_next_data)


def _report(title: str, run: Run) -> str:
    lines = [f"{title}: {run.articles} articles, median parse "
             f"{statistics.median(run.seconds) * 1000:.2f} ms "
             f"(mean {statistics.fmean(run.seconds) * 1000:.2f} ms, "
             f"pages {statistics.median(run.sizes) / 1024:.0f} KB median)"]
    for name in EXACT_FIELDS + OTHER_FIELDS:
        lines.append(f"  {name:16s} {run.rate(name) * 100:6.2f}%")
    return "\n".join(lines)


def _assert_rates(run: Run, exact: tuple[str, ...] = EXACT_FIELDS,
                  others: tuple[str, ...] = OTHER_FIELDS) -> None:
    assert run.articles > 200
    for name in exact:
        assert run.rate(name) == 1.0, (name, run.misses.get(name, [])[:3])
    for name in others:
        assert run.rate(name) >= 0.99, (name, run.rate(name), run.misses.get(name, [])[:3])


# -- the replica world ----------------------------------------------------------------------


def test_every_article_page_matches_the_truth(pages: Run, capsys) -> None:
    with capsys.disabled():
        print("\n" + _report("SCMP parser, replica pages", pages))
    _assert_rates(pages)


def test_amp_copies_match_the_truth(amp_pages: Run, capsys) -> None:
    with capsys.disabled():
        print("\n" + _report("SCMP parser, AMP copies", amp_pages))
    _assert_rates(amp_pages)


def test_broken_next_data_falls_back_to_the_dom(broken_pages: Run, capsys) -> None:
    with capsys.disabled():
        print("\n" + _report("SCMP parser, Next.js pages with a broken __NEXT_DATA__",
                             broken_pages))
    _assert_rates(broken_pages)
    # Where the script is cut inside the article, nothing of it is used; an article that
    # decodes on its own may still be read from it.
    bodies = Counter(record.field_sources["body"] for record in broken_pages.records.values())
    assert set(bodies) <= {"dom", "next_data"} and bodies["dom"] > len(broken_pages.records) / 2


def test_video_and_gallery_pages_are_not_articles(world: World, pages: Run) -> None:
    expected = {i for i in range(world.count) if not world.spec(i).is_article}
    assert expected, "the world has no video or gallery"
    rejected = {index: (kind, reason) for index, kind, reason in pages.rejected}
    assert set(rejected) == expected
    for kind, reason in rejected.values():
        assert reason == kind  # "video" -> reason "video", "gallery" -> "gallery"


def test_no_boilerplate_reaches_a_body(pages: Run, amp_pages: Run, broken_pages: Run) -> None:
    for run in (pages, amp_pages, broken_pages):
        for index, record in run.records.items():
            for text in BOILERPLATE_STRINGS:
                assert text not in record.body, (index, text)


def test_field_sources_name_known_sources(pages: Run, world: World) -> None:
    for index, record in pages.records.items():
        assert set(record.field_sources.values()) <= SOURCES, record.field_sources
        expected_body = {"nextjs": "next_data", "apollo": "apollo"}[world.spec(index).generation]
        if world.spec(index).variant == "full":
            assert record.field_sources["body"] == expected_body
        assert record.parser_version == "scmp.V1" and record.outlet == "scmp"
        assert record.word_count == len(record.body.split())


def test_parse_time(pages: Run, capsys) -> None:
    median_ms = statistics.median(pages.seconds) * 1000
    with capsys.disabled():
        print(f"\nmedian parse time per page: {median_ms:.2f} ms")
    # A loose guard against an accidental second parse of the page; the benchmark measures.
    assert median_ms < 25


# -- bad input ---------------------------------------------------------------------------------


def _bad_inputs(world: World) -> dict[str, str]:
    url, html = _page(world, next(i for i in range(world.count) if world.spec(i).is_article))
    return {
        "empty": "",
        "blank": "  \n ",
        "bare_html": "<html></html>",
        "random_bytes": bytes(range(256)).decode("latin-1") * 20,
        "random_utf8": os.urandom(4000).decode("utf-8", "replace"),
        "first_half": html[: len(html) // 2],
        "last_half": html[len(html) // 2:],
        "xml_declaration": '<?xml version="1.0" encoding="iso-8859-1"?><html><body><p>x</p>'
                           "</body></html>",
        "nul_characters": "<html><body>\x00\x00<p>x</p></body></html>",
        "another_site": (
            '<!DOCTYPE html><html lang="en"><head><title>Example News</title>'
            '<meta property="og:site_name" content="Example News"/>'
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Other",'
            ' "articleBody": "Text of another publisher.", "publisher": {"name": "Example"}}'
            "</script></head><body><h1>Other</h1><p>Text of another publisher.</p></body></html>"
        ),
        "json_instead_of_html": '{"props": {"pageProps": {}}}',
    }


@pytest.mark.parametrize("name", ["empty", "blank", "bare_html", "random_bytes", "random_utf8",
                                  "first_half", "last_half", "xml_declaration",
                                  "nul_characters", "another_site", "json_instead_of_html"])
@pytest.mark.parametrize("url", [
    BASE + "/news/china/article/3200008/some-story",
    "https://example.com/2026/06/01/story.html",
])
def test_bad_input_is_rejected_never_crashes(world: World, name: str, url: str) -> None:
    html = _bad_inputs(world)[name]
    with pytest.raises((ExtractionFailed, NotAnArticle)):
        ScmpParserV1().parse(url, html, FETCHED_AT)


def test_rejection_reasons(world: World) -> None:
    parser = ScmpParserV1()
    bad = _bad_inputs(world)
    url = BASE + "/news/china/article/3200008/some-story"
    cases = {"empty": "empty_page", "bare_html": "no_article_data", "first_half": "truncated_page",
             "random_bytes": "not_html", "another_site": "not_scmp"}
    for name, reason in cases.items():
        with pytest.raises(ExtractionFailed) as caught:
            parser.parse(url, bad[name], FETCHED_AT)
        assert caught.value.reason == reason, name
    for path, reason in (("/video/news/3200114/a-video", "video"), ("/topics/hong-kong", "topic"),
                         ("/author/jane-doe", "author"), ("/live", "listing")):
        with pytest.raises(NotAnArticle) as caught:
            parser.parse(BASE + path, "<html></html>", FETCHED_AT)
        assert caught.value.reason == reason


def test_parser_imports_neither_scrapy_nor_the_replica() -> None:
    code = ("import sys, newscrawl.outlets.scmp.parser; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted') "
            "or m.startswith('newscrawl.replica')]; print(bad); assert not bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- generic helpers ---------------------------------------------------------------------------


def test_jsonld_blocks_tolerate_broken_ones() -> None:
    blocks = [
        '{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, '
        '{"@type": "NewsArticle", "headline": "A"}]}',
        '{"@type": "BreadcrumbList", "itemListElement": [],}',  # trailing comma
        "<!-- {\"@type\": \"Organization\", \"name\": \"SCMP\"} -->",
        '{"@type": "ImageObject", "caption": "line\nbreak"}',  # raw newline in a string
        '{"@type": "NewsArticle", "headline": ',  # cut short: skipped
        "",
    ]
    objects = jsonld.parse_blocks(blocks)
    assert [jsonld.types_of(o)[0] for o in objects] == [
        "WebPage", "NewsArticle", "BreadcrumbList", "Organization", "ImageObject"]
    assert jsonld.find_by_type(objects, "NewsArticle")[0]["headline"] == "A"


@pytest.mark.parametrize("author, names", [
    ({"@type": "Person", "name": "Jun Mai"}, ["Jun Mai"]),
    ([{"@type": "Person", "name": "Alcott Wei"}, {"name": "Jun Mai"}], ["Alcott Wei", "Jun Mai"]),
    ('{"@type":"Person","name":"Jun Mai"}', ["Jun Mai"]),
    ('[{"@type":"Person","name":"A B"},{"@type":"Person","name":"C D"}]', ["A B", "C D"]),
    ("Reuters", ["Reuters"]),
    (None, []),
])
def test_jsonld_author_shapes(author: Any, names: list[str]) -> None:
    assert jsonld.person_names(author) == names


@pytest.mark.parametrize("value, iso", [
    (1780300800000, "2026-06-01T08:00:00Z"),
    ("1780300800000", "2026-06-01T08:00:00Z"),
    (1780300800, "2026-06-01T08:00:00Z"),
    ("2026-06-01T16:00:00+08:00", "2026-06-01T08:00:00Z"),
    ("2026-06-01T16:00:00+0800", "2026-06-01T08:00:00Z"),
    ("2026-06-01T08:00:00.000Z", "2026-06-01T08:00:00Z"),
    ("Mon, 01 Jun 2026 08:00:00 GMT", "2026-06-01T08:00:00Z"),
    ("yesterday", None), (True, None), (None, None), (-5, None),
])
def test_dates_to_utc_iso(value: Any, iso: str | None) -> None:
    assert dates.to_utc_iso(value) == iso


@pytest.mark.parametrize("title, caption, credit", [
    ("Residents queue near the clinic. Photo: Sam Tsang", "Residents queue near the clinic.",
     "Sam Tsang"),
    ("Officials gather in Beijing. Photos: AFP", "Officials gather in Beijing.", "AFP"),
    ("Photo: Handout", None, "Handout"),
    ("A caption without a credit.", "A caption without a credit.", None),
    ("The site (File photo: Reuters)", "The site", "Reuters"),
    (None, None, None),
])
def test_split_credit(title: str | None, caption: str | None, credit: str | None) -> None:
    assert split_credit(title) == (caption, credit)


def test_text_helpers() -> None:
    assert normalize_space("  a\u00a0 b\n\tc\u200b ") == "a b c"
    assert word_count("one two\n\nthree") == 3
    assert language_code("en-GB") == "en" and language_code("zh_HK") == "zh"
    assert language_code("") is None


def test_script_search() -> None:
    page = ('<html><head><script>var x = document.getElementById("__NEXT_DATA__");</script>'
            '<script type="application/ld+json">{"a": 1}</script></head><body>'
            '<script>window.__APOLLO_STATE__ = {"ROOT_QUERY": {}};</script>'
            '<script id="__NEXT_DATA__" type="application/json">'
            '{"props": {"pageProps": {"config": {"article": 0}, "payload": {"data": '
            '{"article": {"headline": "H"}}}}}}</script></body></html>')
    next_data = scripts.script_start_by_id(page, "__NEXT_DATA__")
    assert scripts.script_content(page, next_data).startswith('{"props"')
    assert scripts.scripts_by_type(page, "application/ld+json") == ['{"a": 1}']
    apollo = scripts.assigned_start(page, "__APOLLO_STATE__")
    assert scripts.decode_at(page, apollo) == {"ROOT_QUERY": {}}
    start = scripts.script_start_by_id(page, "__NEXT_DATA__")
    path = ("props", "pageProps", "payload", "data", "article")
    assert scripts.seek_json(page, path, start) == {"headline": "H"}
    assert scripts.seek_json_last(page, path[2:], start) == {"headline": "H"}
    assert scripts.seek_json(page, ("props", "nothing"), start) is scripts.MISSING


# -- damaged pages -----------------------------------------------------------------------------

_ODD_VALUES = (None, "", "x", 0, 1.5, True, [], {}, [None], [1, "a"], {"json": "x"},
               {"type": "json", "json": None}, {"type": "id", "id": "nope"}, {"__ref": 5},
               [{"value": None}], [{"name": 5}], '{"name": [1]}', {"type": ["p"]})


def _mutate(value: Any, rng: random.Random) -> None:
    """Replace about one value in ten, at any depth, by a value of an odd shape."""
    items = (list(value.items()) if isinstance(value, dict)
             else list(enumerate(value)) if isinstance(value, list) else [])
    for key, child in items:
        if rng.random() < 0.1:
            value[key] = rng.choice(_ODD_VALUES)
        else:
            _mutate(child, rng)


def _parse_or_reject(url: str, html: str) -> str:
    try:
        ScmpParserV1().parse(url, html, FETCHED_AT)
    except PageRejected as exc:
        assert exc.reason != "parser_error", exc  # a shape the parser does not survive
        return exc.reason
    return "ok"


def test_damaged_markup_never_crashes(world: World) -> None:
    rng = random.Random(7)
    outcomes = Counter()
    for index in range(0, world.count, 10):
        url, html = _page(world, index)
        for _ in range(5):
            damaged = html
            for _ in range(rng.randint(1, 4)):
                a = rng.randrange(len(damaged) - 20)
                b = a + rng.choice((1, 5, 50, 500, 5000))
                if rng.random() < 0.5:
                    damaged = damaged[:a] + damaged[b:]
                else:
                    damaged = damaged[:a] + rng.choice('"{}<>[],') + damaged[a:]
            if not damaged.rstrip().endswith("</html>"):
                damaged += "</body></html>"
            outcomes[_parse_or_reject(url, damaged)] += 1
    assert outcomes["ok"] > sum(outcomes.values()) / 2, outcomes


_JSON_SCRIPTS = (r'(<script id="__NEXT_DATA__" type="application/json">)(.*?)(</script>)',
                 r"(window\.__APOLLO_STATE__ = )(\{.*?\})(;</script>)",
                 r'(<script type="application/ld\+json">)(.*?)(</script>)')


def test_odd_json_shapes_never_crash(world: World) -> None:
    """Every value of __NEXT_DATA__, __APOLLO_STATE__ and JSON-LD may come in another shape."""
    rng = random.Random(5)
    for index in range(0, world.count, 7):
        url, html = _page(world, index)
        for _ in range(4):
            damaged = html
            for pattern in _JSON_SCRIPTS:
                def mutate(match: re.Match) -> str:
                    data = json.loads(match.group(2))
                    _mutate(data, rng)
                    return match.group(1) + json.dumps(data) + match.group(3)
                damaged = re.sub(pattern, mutate, damaged, flags=re.S)
            _parse_or_reject(url, damaged)


@pytest.mark.parametrize("depth", [500, 100_000])
def test_a_next_data_nested_too_deep_falls_back_to_the_dom(world: World, depth: int) -> None:
    """Issue 17, item 6: such a page raised RecursionError and was dropped; a broken
    ``__NEXT_DATA__`` (invalid JSON) already fell back to the DOM, and so does this one."""
    index = next(i for i in range(world.count) if world.spec(i).kind == "article"
                 and world.spec(i).generation == "nextjs" and world.spec(i).variant == "full"
                 and world.spec(i).access == "free")
    url, html = _page(world, index)
    deep = '{"type":"div","children":[' * depth + '{"type":"text","data":"x"}' + "]}" * depth
    assert html.count('"body":{"json":[') == 1
    html = html.replace('"body":{"json":[', '"body":{"json":[' + deep + ",")
    article = ScmpParserV1().parse(url, html, FETCHED_AT)
    truth = world.truth(index, BASE)
    assert article.body == "\n\n".join(truth["body"])
    assert article.field_sources["body"] == "dom"
    assert article.headline == truth["headline"]
