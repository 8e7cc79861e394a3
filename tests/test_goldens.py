"""Golden pages of every outlet parser version, run by one parametrised test (STYLE.md 10).

The versions are those of the registry: for each ``all_outlets()`` entry and each of its
parser versions, ``tests/goldens/<outlet>/<version suffix>/`` (``scmp.V1`` ->
``tests/goldens/scmp/V1/``) holds stored pages, ``<name>.html.gz``, each beside a
``<name>.json`` with its URL, fetch time and the record the version must produce, field by
field (or the ``NotAnArticle``/``ExtractionFailed`` reason). ``scripts/regenerate_goldens.py``
rebuilds them; its diff is reviewed like code.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from newscrawl.extraction.dates import parse_utc
from newscrawl.extraction.errors import ExtractionFailed, NotAnArticle, PageRejected
from newscrawl.outlets import all_outlets
from newscrawl.outlets.spec import ArticleParser

GOLDENS = Path(__file__).parent / "goldens"
ERRORS = {"NotAnArticle": NotAnArticle, "ExtractionFailed": ExtractionFailed}


def _versions() -> list[tuple[Path, ArticleParser]]:
    """(golden directory, parser) of every registered parser version."""
    return [(GOLDENS / outlet.name / outlet.version_suffix(parser), parser)
            for outlet in all_outlets() for parser in outlet.parsers]


def _cases() -> list[tuple[Path, ArticleParser]]:
    return [(golden, parser) for directory, parser in _versions()
            for golden in sorted(directory.glob("*.json"))]


def _case_id(case: tuple[Path, ArticleParser]) -> str:
    return "/".join(case[0].with_suffix("").parts[-3:])


def test_every_version_has_goldens() -> None:
    for directory, parser in _versions():
        names = {path.stem for path in directory.glob("*.json")}
        assert names, f"{parser.version} has no goldens in {directory}"
        for name in names:
            assert (directory / f"{name}.html.gz").exists(), f"{name}.json has no page"


def test_every_golden_directory_is_a_registered_version() -> None:
    registered = {directory for directory, _ in _versions()}
    found = {path.parent for path in GOLDENS.glob("*/*/*.json")}
    assert found <= registered, f"goldens of no registered version: {sorted(found - registered)}"


def test_scmp_v1_goldens_cover_its_page_kinds() -> None:
    assert len(list((GOLDENS / "scmp" / "V1").glob("*.json"))) >= 15


@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_golden(case: tuple[Path, ArticleParser]) -> None:
    golden, parser = case
    expected_case = json.loads(golden.read_text(encoding="utf-8"))
    html = gzip.decompress(golden.with_suffix(".html.gz").read_bytes()).decode("utf-8")
    fetched_at = parse_utc(expected_case["fetched_at"])
    expected = expected_case["expected"]

    if "error" in expected:
        with pytest.raises(PageRejected) as caught:
            parser.parse(expected_case["url"], html, fetched_at)
        assert type(caught.value) is ERRORS[expected["error"]]
        assert caught.value.reason == expected["reason"]
        return

    record = asdict(parser.parse(expected_case["url"], html, fetched_at))
    assert record.keys() == expected.keys()
    mismatched = {name: (record[name], expected[name]) for name in expected
                  if record[name] != expected[name]}
    assert not mismatched, "fields differ (got, expected): " + json.dumps(
        mismatched, ensure_ascii=False, indent=1)[:4000]
