"""newscrawl.extraction.cascade: the field registry and the per-field error policy.

Small sources are defined here; the last tests run the SCMP parser with one of its readers
made to fail, to show the policy end to end.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from newscrawl.extraction.cascade import FAILED, Cascade, Source, field
from newscrawl.extraction.errors import ExtractionFailed, NotAnArticle
from newscrawl.outlets.scmp.markup import DomSource
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.outlets.scmp.sources import NextDataSource
from newscrawl.replica import ReplicaConfig, World
from newscrawl.replica.pages.article import render_article_page

BASE = "http://127.0.0.1:8000"
FETCHED_AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


class Rich(Source):
    """A rich source whose picture reader breaks on the page."""

    @field("headline")
    def headline(self) -> str:
        return "Rich headline"

    @field("images")
    def images(self) -> list[str]:
        raise KeyError("url")

    @field("topics")
    def topics(self) -> list[str]:
        return ["Rich topic"]

    @field("is_paywalled")
    def is_paywalled(self) -> bool:
        raise TypeError("'NoneType' object is not iterable")


class Poor(Source):
    @field("headline")
    def headline(self) -> str:
        return "Poor headline"

    @field("images")
    def images(self) -> list[str]:
        return ["poor.jpg"]

    @field("summary")
    def summary(self) -> str:
        raise ValueError("no summary today")

    @field("is_paywalled")
    def is_paywalled(self) -> bool:
        return False


CASCADE = Cascade(
    sources={"rich": Rich, "poor": Poor},
    first={"headline": ("rich", "poor"), "images": ("rich", "poor"),
           "topics": ("rich",), "summary": ("poor",)},
    votes={"is_paywalled": ("rich", "poor")},
    required=frozenset({"headline"}),
)


# -- the registry --------------------------------------------------------------------------


def test_a_misspelt_field_fails_when_the_class_is_defined() -> None:
    with pytest.raises(ValueError, match="Article has no field 'headlin'"):
        class Misspelt(Source):
            @field("headlin")
            def headline(self) -> str:
                return "H"


def test_two_readers_of_one_field_in_a_class_fail() -> None:
    with pytest.raises(TypeError, match="headline and title both read the field 'headline'"):
        class Twice(Source):
            @field("headline")
            def headline(self) -> str:
                return "H"

            @field("headline")
            def title(self) -> str:
                return "T"


def test_readers_are_mapped_once_per_class_and_inherited() -> None:
    class Base(Source):
        @field("headline")
        def headline(self) -> str:
            return "base"

        @field("summary")
        def summary(self) -> str:
            return "base summary"

    class Derived(Base):
        def headline(self) -> str:  # an override replaces the reader, decorated or not
            return "derived"

        @field("topics")
        def tags(self) -> list[str]:
            return ["t"]

    assert set(Base.readers) == {"headline", "summary"}
    assert set(Derived.readers) == {"headline", "summary", "topics"}
    assert Derived.readers["headline"] is Derived.headline
    assert isinstance(Derived.readers, MappingProxyType)
    source = Derived()
    assert (source.value("headline"), source.value("summary"), source.value("topics")) == (
        "derived", "base summary", ["t"])
    assert source.value("body") is None  # no reader: nothing to give


def test_a_cascade_checks_its_order_when_built() -> None:
    with pytest.raises(ValueError, match="Article has no field 'headlines'"):
        Cascade(sources={"rich": Rich}, first={"headlines": ("rich",)})
    with pytest.raises(ValueError, match="unknown source 'dom'"):
        Cascade(sources={"rich": Rich}, first={"headline": ("rich", "dom")})
    with pytest.raises(ValueError, match="source 'rich' .* has no reader for 'summary'"):
        Cascade(sources={"rich": Rich}, first={"summary": ("rich",)})
    with pytest.raises(ValueError, match="required field 'body' has no sources"):
        Cascade(sources={"rich": Rich}, first={"headline": ("rich",)},
                required=frozenset({"body"}))


# -- the error policy ------------------------------------------------------------------------


def _reading() -> Any:
    return CASCADE.read("https://example.com/a", {"rich": Rich(), "poor": Poor()})


def test_a_failing_optional_reader_costs_its_field_from_that_source_only(caplog) -> None:
    reading = _reading()
    with caplog.at_level(logging.WARNING, logger="newscrawl.extraction.cascade"):
        assert reading.pick("headline") == "Rich headline"
        assert reading.pick("images") == ["poor.jpg"]  # the next source gave it
        assert reading.pick("topics") == ["Rich topic"]
        assert reading.pick("summary") is None  # no other source: the field failed
        assert reading.vote("is_paywalled") == (False, "poor")
    assert reading.field_sources == {
        "headline": "rich",
        "images": "poor", "images:failed": "rich",
        "topics": "rich",
        "summary": FAILED, "summary:failed": "poor",
        "is_paywalled": "poor", "is_paywalled:failed": "rich",
    }
    warnings = [r.getMessage() for r in caplog.records]
    assert any("https://example.com/a: reading images from rich failed, KeyError" in w
               for w in warnings), warnings
    assert len(warnings) == 3


def test_a_failing_required_reader_propagates() -> None:
    class Broken(Rich):
        @field("headline")
        def headline(self) -> str:
            raise AttributeError("no headline here")

    reading = CASCADE.read("https://example.com/a", {"rich": Broken(), "poor": Poor()})
    with pytest.raises(AttributeError, match="no headline here"):
        reading.pick("headline")


def test_page_rejections_are_never_a_field_failure() -> None:
    class Rejecting(Rich):
        @field("topics")
        def topics(self) -> list[str]:
            raise NotAnArticle("a video page", reason="video")

    reading = CASCADE.read("https://example.com/a", {"rich": Rejecting(), "poor": Poor()})
    with pytest.raises(NotAnArticle):
        reading.pick("topics")


def test_absent_sources_are_skipped() -> None:
    reading = CASCADE.read("https://example.com/a", {"rich": None, "poor": Poor()})
    assert reading.pick("headline") == "Poor headline"
    assert reading.field_sources == {"headline": "poor"}


# -- the SCMP parser under the policy ---------------------------------------------------------


@pytest.fixture(scope="module")
def next_data_page() -> tuple[str, str]:
    world = World(ReplicaConfig(articles=60, seed=1))
    for index in range(world.count):
        spec = world.spec(index)
        if spec.generation == "nextjs" and spec.is_article and spec.variant == "full":
            content = world.content_at(index)
            return BASE + spec.path, render_article_page(world, content, base=BASE)
    raise AssertionError("no Next.js article in the world")


def _failing(monkeypatch: pytest.MonkeyPatch, name: str,
             source: type[Source] = NextDataSource) -> None:
    def reader(self: Source) -> Any:
        raise TypeError("a shape no generation has")

    monkeypatch.setattr(source, "readers", MappingProxyType({**source.readers, name: reader}))


def test_scmp_record_survives_a_failing_optional_reader(next_data_page, monkeypatch) -> None:
    url, html = next_data_page
    healthy = asdict(ScmpParserV1().parse(url, html, FETCHED_AT))
    assert healthy["field_sources"]["topics"] == "next_data" and healthy["topics"]

    _failing(monkeypatch, "topics")
    record = asdict(ScmpParserV1().parse(url, html, FETCHED_AT))
    assert record["field_sources"]["topics:failed"] == "next_data"
    assert record["field_sources"]["topics"] in ("meta", "dom")  # the next source gave them
    assert record["topics"] == healthy["topics"]
    unchanged = {k for k in healthy if k != "field_sources"}
    assert {k: record[k] for k in unchanged} == {k: healthy[k] for k in unchanged}


def test_scmp_record_records_an_optional_field_no_source_gave(next_data_page,
                                                              monkeypatch) -> None:
    url, html = next_data_page
    healthy = asdict(ScmpParserV1().parse(url, html, FETCHED_AT))
    assert healthy["subheadline"]
    _failing(monkeypatch, "subheadline")
    _failing(monkeypatch, "subheadline", DomSource)
    record = asdict(ScmpParserV1().parse(url, html, FETCHED_AT))
    assert record["subheadline"] == []
    assert record["field_sources"]["subheadline"] == FAILED
    assert record["field_sources"]["subheadline:failed"] == "next_data,dom"
    assert record["body"] == healthy["body"] and record["images"] == healthy["images"]


def test_scmp_required_field_failure_rejects_the_page(next_data_page, monkeypatch) -> None:
    url, html = next_data_page
    _failing(monkeypatch, "body")
    with pytest.raises(ExtractionFailed) as caught:
        ScmpParserV1().parse(url, html, FETCHED_AT)
    assert caught.value.reason == "parser_error"
