"""Golden pages of every outlet parser version, run by one parametrised test (STYLE.md 10).

Each ``tests/goldens/<outlet>/<version>/<name>.html.gz`` is a stored page; ``<name>.json``
holds its URL, fetch time and the record the parser must produce, field by field (or the
``NotAnArticle``/``ExtractionFailed`` reason). ``tests/goldens/regenerate.py`` rebuilds them;
its diff is reviewed like code.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pytest

from newscrawl.extraction.errors import ExtractionFailed, NotAnArticle, PageRejected
from newscrawl.outlets.scmp.parser import ScmpParserV1

GOLDENS = Path(__file__).parent / "goldens"
PARSERS = {("scmp", "V1"): ScmpParserV1}
ERRORS = {"NotAnArticle": NotAnArticle, "ExtractionFailed": ExtractionFailed}


def _cases() -> list[Path]:
    return sorted(GOLDENS.glob("*/*/*.json"))


def _case_id(path: Path) -> str:
    return "/".join(path.with_suffix("").parts[-3:])


def test_goldens_exist() -> None:
    names = {path.stem for path in GOLDENS.glob("scmp/V1/*.json")}
    assert len(names) >= 15, names
    for path in _cases():
        assert path.with_suffix(".html.gz").exists(), f"{path.name} has no page"


@pytest.mark.parametrize("golden", _cases(), ids=_case_id)
def test_golden(golden: Path) -> None:
    outlet, version = golden.parts[-3], golden.parts[-2]
    parser = PARSERS[(outlet, version)]()
    case = json.loads(golden.read_text(encoding="utf-8"))
    html = gzip.decompress(golden.with_suffix(".html.gz").read_bytes()).decode("utf-8")
    fetched_at = datetime.fromisoformat(case["fetched_at"].replace("Z", "+00:00"))
    expected = case["expected"]

    if "error" in expected:
        with pytest.raises(PageRejected) as caught:
            parser.parse(case["url"], html, fetched_at)
        assert type(caught.value) is ERRORS[expected["error"]]
        assert caught.value.reason == expected["reason"]
        return

    record = asdict(parser.parse(case["url"], html, fetched_at))
    assert record.keys() == expected.keys()
    mismatched = {name: (record[name], expected[name]) for name in expected
                  if record[name] != expected[name]}
    assert not mismatched, "fields differ (got, expected): " + json.dumps(
        mismatched, ensure_ascii=False, indent=1)[:4000]
