"""The generic parser on small pages of an imaginary news.example (``tests/pages/generic``):
JSON-LD in ``@graph``, head metadata only, markup only, dates it must refuse, pages that are
no article; the registry that offers it; and ``newscrawl parse`` on a page no outlet claims.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl.extraction import dates
from newscrawl.extraction.errors import ExtractionFailed, NotAnArticle
from newscrawl.extraction.generic import GENERIC_BODY, GenericParserV1
from newscrawl.extraction.generic.sources import story_id
from newscrawl.items import Article
from newscrawl.outlets import (
    GENERIC,
    generic_parser,
    outlet_for_url,
    parser_for_page,
    register,
)
from newscrawl.outlets.scmp.outlet import scmp_outlet
from newscrawl.outlets.scmp.parser import ScmpParserV1
from tests.utils.cli import run_cli

PAGES = Path(__file__).parent / "pages" / "generic"
FETCHED_AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
URL = "https://news.example/news/2026/05/breakwater-rebuild"
STORY_START = "The harbour authority approved a plan on Monday to rebuild the eastern breakwater"
STORY_END = "the design leaves room for a ferry berth later."
BOILERPLATE = ("Subscribe today", "Copyright 2026", "Ferry strike called off", "More from the")


def _parse(name: str, url: str = URL) -> Article:
    return GenericParserV1().parse(url, (PAGES / name).read_text(encoding="utf-8"), FETCHED_AT)


def _assert_story_body(record: Article) -> None:
    paragraphs = record.body.split("\n\n")
    assert paragraphs[0].startswith(STORY_START) and paragraphs[-1].endswith(STORY_END)
    assert len(paragraphs) == 5 and record.word_count == len(record.body.split())
    assert not any(text in record.body for text in BOILERPLATE)
    assert record.field_sources["body"] == GENERIC_BODY


def test_json_ld_in_a_graph() -> None:
    record = _parse("jsonld-graph.html")
    assert record.outlet == GENERIC and record.parser_version == "generic.V1"
    assert record.headline == "Harbour authority approves breakwater rebuild"
    assert record.social_headline == "Breakwater to be rebuilt"
    assert record.summary.startswith("The eastern breakwater will be rebuilt")
    assert record.authors == ["Ines Berg", "Tom Hale"]
    assert (record.published_raw, record.published_at) == ("2026-05-28T09:30:00+02:00",
                                                           "2026-05-28T07:30:00Z")
    assert record.updated_at == "2026-05-29T09:00:00Z"
    # The breadcrumbs without the home page and the story itself.
    assert record.section == ["News", "Local"]
    assert record.topics == ["harbour", "breakwater", "council"]
    assert record.language == "en" and record.is_paywalled is True
    assert [i.url for i in record.images] == ["https://news.example/img/breakwater.jpg"]
    assert record.canonical_url == URL and record.article_id == story_id(URL)
    _assert_story_body(record)
    for name in ("headline", "authors", "published_at", "published_raw", "updated_at",
                 "section", "topics", "language", "images", "summary"):
        assert record.field_sources[name] == "json_ld", name
    assert record.field_sources["canonical_url"] == "meta"


def test_head_metadata_only() -> None:
    record = _parse("meta-only.html", url=URL + "?utm_source=feed")
    assert record.headline == "Breakwater rebuild approved"  # the printed <h1>
    assert record.social_headline == "Harbour authority approves breakwater rebuild"
    assert record.summary == "The eastern breakwater will be rebuilt from March."
    assert record.authors == ["Ines Berg"]
    assert record.published_at == "2026-05-28T07:30:00Z"
    assert record.updated_at == "2026-05-28T08:15:00Z"
    assert record.section == ["Local"] and record.topics == ["harbour", "council"]
    assert record.language == "en" and record.canonical_url == URL
    assert record.images[0].url == "https://news.example/img/breakwater.jpg"  # made absolute
    assert record.article_id == story_id(URL)  # the query does not change the story
    _assert_story_body(record)
    assert record.field_sources["headline"] == "dom"
    for name in ("social_headline", "summary", "authors", "published_at", "updated_at",
                 "section", "topics", "language", "images", "canonical_url"):
        assert record.field_sources[name] == "meta", name


def test_markup_only_time_byline_and_breadcrumbs() -> None:
    record = _parse("dom-only.html")
    assert record.headline == "Breakwater rebuild approved"
    assert record.authors == ["Ines Berg"]  # "By" dropped
    assert record.published_at == record.updated_at == "2026-05-28T07:30:00Z"
    assert record.section == ["News", "Local"]
    _assert_story_body(record)
    for name in ("headline", "authors", "published_at", "section"):
        assert record.field_sources[name] == "dom", name


@pytest.mark.parametrize("name, raw, problem", [
    ("date-after-fetch.html", "2031-01-01T10:00:00Z", "after_fetch"),
    ("date-before-1990.html", "1985-03-01T10:00:00Z", "before_1990"),
])
def test_dates_that_cannot_be_true_are_refused_and_their_raw_value_kept(
        name: str, raw: str, problem: str) -> None:
    record = _parse(name)
    assert record.published_at is None and record.updated_at is None
    assert record.published_raw == raw
    assert record.field_sources["published_raw"] == "json_ld"
    assert record.field_sources["published_at:refused"] == problem
    assert "published_at" not in record.field_sources
    _assert_story_body(record)


def test_date_checks() -> None:
    assert dates.checked("2026-06-01T07:59:59Z", FETCHED_AT).iso == "2026-06-01T07:59:59Z"
    later = dates.checked("2026-06-01T16:00:01+08:00", FETCHED_AT)
    assert later == dates.CheckedDate("2026-06-01T16:00:01+08:00", None, "after_fetch")
    assert dates.checked("1989-12-31", FETCHED_AT).problem == "before_1990"
    assert dates.checked(1780300800000, FETCHED_AT).iso == "2026-06-01T08:00:00Z"
    assert dates.checked("last Tuesday", FETCHED_AT).problem == "unreadable"
    assert dates.checked(None, FETCHED_AT) is None
    assert dates.parse_date("1985-03-01") is None and dates.read_date("1985-03-01").year == 1985


@pytest.mark.parametrize("name, url, reason", [
    ("video.html", URL, "video"),
    ("gallery.html", URL, "gallery"),
    ("live-blog.html", URL, "live_blog"),
    ("section.html", "https://news.example/news/local/", "listing"),
    ("not-found.html", "https://news.example/news/2026/05/gone", "error_page"),
    ("dom-only.html", "https://news.example/video/breakwater", "video"),  # by its address
])
def test_pages_that_are_no_article_are_rejected_with_a_reason(
        name: str, url: str, reason: str) -> None:
    with pytest.raises(NotAnArticle) as caught:
        _parse(name, url)
    assert caught.value.reason == reason


def test_a_page_that_says_it_is_an_article_is_read_whatever_its_address() -> None:
    record = _parse("meta-only.html", url="https://news.example/video/breakwater")  # og:type
    assert record.headline == "Breakwater rebuild approved"


@pytest.mark.parametrize("html, reason", [
    ("", "empty_page"),
    ("just some text, no markup at all", "not_html"),
    ("<html><head><title>x</title></head><body></body></html>", "no_body"),
    ("<html><body><p>A paragraph but nothing to call it.</p></body></html>", "no_headline"),
])
def test_pages_without_a_record(html: str, reason: str) -> None:
    with pytest.raises(ExtractionFailed) as caught:
        GenericParserV1().parse(URL, html, FETCHED_AT)
    assert caught.value.reason == reason


def test_story_ids_are_stable() -> None:
    assert story_id("https://www.news.example/a/b/") == story_id("http://news.example/a/b?x=1")
    assert story_id("https://news.example/a/b") != story_id("https://news.example/a/c")
    assert len(story_id(URL)) == 16


def test_the_registry_offers_the_generic_parser_for_pages_no_outlet_claims() -> None:
    assert outlet_for_url("https://www.scmp.com/news/article/3300001/x").name == "scmp"
    assert outlet_for_url("https://amp.scmp.com/news/article/3300001/x").name == "scmp"
    assert outlet_for_url("https://news.example/a") is None
    assert outlet_for_url("https://notscmp.com/a") is None
    assert outlet_for_url("not a url") is None
    assert parser_for_page(URL, FETCHED_AT) is generic_parser()
    assert parser_for_page("https://www.scmp.com/x", FETCHED_AT).version == "scmp.V1"
    assert parser_for_page("https://www.scmp.com/x", FETCHED_AT, GENERIC) is generic_parser()
    assert parser_for_page(URL, FETCHED_AT, "scmp").version == "scmp.V1"
    with pytest.raises(KeyError):
        parser_for_page(URL, FETCHED_AT, "nope")
    named_generic = replace(scmp_outlet(parsers=(ScmpParserV1(),)), name=GENERIC,
                            domains=("x.test",), parsers=(GenericParserV1(),))
    with pytest.raises(ValueError, match="generic parser"):  # never an outlet's name
        register(named_generic)


def test_newscrawl_parse_reads_a_page_no_outlet_claims() -> None:
    page = str(PAGES / "jsonld-graph.html")
    result = run_cli("parse", page, "--url", URL)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["outlet"] == "generic" and record["parser_version"] == "generic.V1"
    assert record["headline"] == "Harbour authority approves breakwater rebuild"
    assert record["field_sources"]["body"] == "generic_body"
    forced = run_cli("parse", page, "--url", "https://www.scmp.com/news/article/3300001/x",
                     "--outlet", "generic")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["parser_version"] == "generic.V1"
    # Without --outlet an scmp.com address gets SCMP's parser, which refuses this page.
    scmp = run_cli("parse", page, "--url", "https://www.scmp.com/news/article/3300001/x")
    assert scmp.returncode == 1 and "not_scmp" in scmp.stderr
    video = run_cli("parse", str(PAGES / "video.html"), "--url", URL)
    assert video.returncode == 1 and "(video)" in video.stderr
    assert len(video.stderr.strip().splitlines()) == 1


def test_the_generic_parser_imports_no_scrapy() -> None:
    code = ("import sys, newscrawl.extraction.generic; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted') "
            "or m.startswith(('newscrawl.replica', 'newscrawl.outlets'))]; "
            "print(bad); assert not bad")
    subprocess.run([sys.executable, "-c", code], check=True)
