"""The outlet registry and what an Outlet declares: parser versions picked by fetch date.

The outlets here are built in the test (from SCMP's entry, with other parsers) and never
registered, so the registry keeps its one outlet.
"""

from __future__ import annotations

import dataclasses
import sys
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


def test_a_version_valid_until_a_moment_reads_pages_fetched_up_to_it() -> None:
    redesign = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)
    v1, v2 = _parser("fake.V1", redesign), FakeV2()
    outlet = _outlet(v2, v1)
    assert outlet.parsers == (v1, v2)
    assert outlet.parser_for(redesign) is v1
    assert outlet.parser_for(redesign + timedelta(seconds=1)) is v2
    # In another time zone, the same moment.
    assert outlet.parser_for(datetime(2026, 6, 1, 22, 29, tzinfo=timezone(timedelta(hours=8)))) is v1
    # A day and a moment sort by when they end: the day's version reads up to its midnight.
    older = _parser("fake.V0", date(2026, 5, 31))
    assert _outlet(v1, older, v2).parsers == (older, v1, v2)
    with pytest.raises(ValueError, match="both valid until"):
        _outlet(_parser("fake.V0", datetime(2026, 5, 31, 23, 59, 59, 999999, tzinfo=UTC)),
                _parser("fake.V1", date(2026, 5, 31)), v2)


def _distribution(site, name: str, entry: str, module: str) -> None:
    """An installed distribution with one ``newscrawl.parsers`` entry point, as pip leaves it."""
    (site / f"{name}.py").write_text(module, encoding="utf-8")
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[newscrawl.parsers]\n{entry}\n", encoding="utf-8")


def test_parser_versions_from_entry_points_by_outlet(tmp_path, monkeypatch) -> None:
    from newscrawl.outlets import plugin_versions

    _distribution(tmp_path, "fake_fix", "fake = fake_fix:VERSIONS", (
        "from tests.test_outlets import FakeV2, _parser\n"
        "VERSIONS = (_parser('fake.V1', None), FakeV2())\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    found = plugin_versions()
    assert [p.version for p in found["fake"]] == ["fake.V1", "fake.V2"]


def test_a_broken_parser_entry_point_is_named(tmp_path, monkeypatch) -> None:
    from newscrawl.outlets import plugin_versions

    _distribution(tmp_path, "odd_fix", "odd = odd_fix:NOT_A_PARSER", "NOT_A_PARSER = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"parser entry point odd \(odd_fix:NOT_A_PARSER\): "
                                         r"42 is no parser version"):
        plugin_versions()
    broken = tmp_path / "broken"
    broken.mkdir()
    _distribution(broken, "broken_fix", "scmp = broken_fix:VERSIONS", "import no_such_module\n")
    monkeypatch.setattr("sys.path", [p for p in sys.path if p != str(tmp_path)])
    monkeypatch.syspath_prepend(str(broken))
    with pytest.raises(ValueError, match=r"parser entry point scmp \(broken_fix:VERSIONS\) "
                                         "does not load: ModuleNotFoundError"):
        plugin_versions()
