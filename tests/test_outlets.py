"""The outlet registry and what an Outlet declares: parser versions picked by fetch date.

The outlets here are built in the test (from SCMP's entry, with other parsers) and never
registered, so the registry keeps its one outlet.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from newscrawl.items import Article
from newscrawl.outlets import all_outlets, get_outlet, register
from newscrawl.outlets.spec import ArticleParser, Outlet


class FakeV1:
    version = "fake.V1"
    valid_until: date | None = date(2025, 6, 30)

    def parse(self, url: str, html: str, fetched_at: datetime) -> Article:
        return Article(url=url, parser_version=self.version)


class FakeV2:
    version = "fake.V2"
    valid_until: date | None = None

    def parse(self, url: str, html: str, fetched_at: datetime) -> Article:
        return Article(url=url, parser_version=self.version)


def _parser(version: str, valid_until: date | None) -> ArticleParser:
    parser = FakeV2()
    parser.version, parser.valid_until = version, valid_until
    return parser


def _outlet(*parsers: ArticleParser) -> Outlet:
    return dataclasses.replace(get_outlet("scmp"), name="fake", domains=("fake.example",),
                               parsers=parsers)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_versions_listed_newest_first_are_picked_by_fetch_date() -> None:
    v1, v2 = FakeV1(), FakeV2()
    outlet = _outlet(v2, v1)  # newest first, as the old documentation asked
    assert outlet.parsers == (v1, v2)
    assert outlet.current_parser is v2
    assert outlet.parser_for(_at(date(2024, 1, 1))) is v1
    assert outlet.parser_for(_at(date(2025, 6, 30), hour=23)) is v1  # its last day
    assert outlet.parser_for(_at(date(2025, 7, 1), hour=0)) is v2
    assert outlet.parser_for(_at(date(2026, 6, 1))) is v2
    assert _outlet(v1, v2).parsers == (v1, v2)  # any order gives the same


def test_fetch_date_is_taken_in_utc() -> None:
    v1, v2 = FakeV1(), FakeV2()
    outlet = _outlet(v1, v2)
    hong_kong = timezone(timedelta(hours=8))
    # 1 July 07:00 in Hong Kong is still 30 June in UTC.
    assert outlet.parser_for(datetime(2025, 7, 1, 7, tzinfo=hong_kong)) is v1
    assert outlet.parser_for(datetime(2025, 7, 1, 9, tzinfo=hong_kong)) is v2


def test_three_versions_and_none_current() -> None:
    old = _parser("fake.V1", date(2020, 1, 1))
    middle = _parser("fake.V2", date(2023, 10, 31))
    newest = _parser("fake.V3", date(2025, 1, 1))
    outlet = _outlet(newest, old, middle)
    assert outlet.parsers == (old, middle, newest)
    assert outlet.parser_for(_at(date(2019, 5, 1))) is old
    assert outlet.parser_for(_at(date(2020, 1, 2))) is middle
    assert outlet.parser_for(_at(date(2024, 1, 1))) is newest
    # Past every version's date: the newest one (there is no current one).
    assert outlet.parser_for(_at(date(2026, 1, 1))) is newest


def test_two_versions_valid_until_the_same_day_are_rejected() -> None:
    with pytest.raises(ValueError, match="fake.V1 and fake.V2 are both valid until 2025-06-30"):
        _outlet(_parser("fake.V1", date(2025, 6, 30)), _parser("fake.V2", date(2025, 6, 30)),
                _parser("fake.V3", None))


def test_two_current_versions_are_rejected() -> None:
    with pytest.raises(ValueError, match="more than one current parser version") as caught:
        _outlet(FakeV1(), _parser("fake.V2", None), _parser("fake.V3", None))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("parsers, message", [
    ((), "has no parser versions"),
    ((FakeV1(), FakeV1()), "listed twice"),
    ((_parser("scmp.V9", None),), "is not named fake.<version>"),
])
def test_other_version_mistakes_are_rejected(parsers: tuple[ArticleParser, ...],
                                             message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _outlet(*parsers)


def test_version_suffix_names_the_golden_directory() -> None:
    outlet = _outlet(FakeV1(), FakeV2())
    assert [outlet.version_suffix(p) for p in outlet.parsers] == ["V1", "V2"]


def test_registry() -> None:
    scmp = get_outlet("scmp")
    assert [outlet.name for outlet in all_outlets()] == ["scmp"]
    assert [parser.version for parser in scmp.parsers] == ["scmp.V1"]
    with pytest.raises(ValueError, match="registered twice"):
        register(scmp)
    with pytest.raises(ValueError, match="belongs to 'scmp' already"):
        register(dataclasses.replace(scmp, name="copy", parsers=(_parser("copy.V1", None),)))
    with pytest.raises(KeyError, match="unknown outlet 'nope'; known: scmp"):
        get_outlet("nope")
