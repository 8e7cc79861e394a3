"""One record shape, described once (issue 15): the JSON Schema and docs/records.md come from
newscrawl/items.py, and every output (the journal, the stored revisions, JSON Lines and CSV
feeds, and the JSON Lines, CSV and Parquet exports) holds the same fields with the same
values, and validates against it."""

from __future__ import annotations

import csv
import json
from datetime import UTC
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from newscrawl.records.schema import article_schema, records_markdown
from tests.utils.cli import crawl, journal, rows, run_cli

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = article_schema()
FIELDS = set(SCHEMA["properties"])


def test_docs_records_md_is_current():
    assert (ROOT / "docs" / "records.md").read_text(encoding="utf-8") == records_markdown(), \
        "regenerate it: newscrawl schema --markdown > docs/records.md"


def test_the_schema_is_valid_and_printed():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    printed = run_cli("schema")
    assert printed.returncode == 0 and json.loads(printed.stdout) == SCHEMA


@pytest.fixture(scope="module")
def outputs(replica, tmp_path_factory) -> dict[str, Path]:
    """One crawl with a JSON Lines and a CSV feed, then the archive exported three ways."""
    tmp = tmp_path_factory.mktemp("records")
    files = {"feed.jsonl": tmp / "feed.jsonl", "feed.csv": tmp / "feed.csv"}
    crawl(replica, tmp, "--max-articles", "25", "-s", "FEEDS=" + json.dumps({
        str(files["feed.jsonl"]): {"format": "jsonlines"}, str(files["feed.csv"]): {"format": "csv"}}))
    for fmt in ("jsonl", "csv", "parquet"):
        files[f"export.{fmt}"] = tmp / f"export.{fmt}"
        done = run_cli("export", "--format", fmt, "--out", str(files[f"export.{fmt}"]),
                       "--data-dir", str(tmp))
        assert done.returncode == 0, done.stderr
    files["data_dir"] = tmp
    return files


def _csv_records(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """A CSV's header, and its rows read back by the schema's rules: lists and objects are
    JSON cells, flags ``true``/``false``, an empty cell of a field that may be null is null."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        table = list(reader)
        header = list(reader.fieldnames or [])
    records = []
    for row in table:
        record: dict[str, Any] = {}
        for name, cell in row.items():
            kind = SCHEMA["properties"][name].get("type")
            kinds = kind if isinstance(kind, list) else [kind]
            if cell == "" and "null" in kinds:
                record[name] = None
            elif "array" in kinds or "object" in kinds:
                assert "ImageRef(" not in cell and not cell.startswith("{'"), (name, cell)
                record[name] = json.loads(cell)
            elif "boolean" in kinds:
                assert cell in ("true", "false"), (name, cell)
                record[name] = cell == "true"
            elif "integer" in kinds:
                record[name] = int(cell)
            else:
                record[name] = cell
        records.append(record)
    return header, records


def _parquet_records(path: Path) -> list[dict[str, Any]]:
    """A Parquet export's rows as records: instants back to ISO 8601 UTC text, the JSON
    column back to an object."""
    import pyarrow.parquet as pq

    records = pq.read_table(path).to_pylist()
    for record in records:
        for name, value in record.items():
            if hasattr(value, "astimezone"):
                record[name] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if record["field_sources"] is not None:
            record["field_sources"] = json.loads(record["field_sources"])
    return records


def _by_story(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["article_id"]: r for r in records}


def test_every_output_has_the_record_shape(outputs):
    jsonl = [json.loads(x) for x in outputs["feed.jsonl"].read_text(encoding="utf-8").splitlines()]
    feed_header, feed_csv = _csv_records(outputs["feed.csv"])
    export_header, export_csv = _csv_records(outputs["export.csv"])
    exported = [json.loads(x) for x in
                outputs["export.jsonl"].read_text(encoding="utf-8").splitlines()]
    data_dir = outputs["data_dir"]
    records = {
        "journal": journal(data_dir),
        "revisions": [json.loads(r[0]) for r in rows(data_dir, "SELECT record FROM revisions")],
        "feed jsonl": jsonl, "feed csv": feed_csv,
        "export jsonl": exported, "export csv": export_csv,
        "export parquet": _parquet_records(outputs["export.parquet"]),
    }
    validator = jsonschema.Draft202012Validator(SCHEMA)
    stored = rows(data_dir, "SELECT count(*) FROM articles")[0][0]
    assert stored >= 20
    for name, got in records.items():
        assert len(got) == stored, name  # one crawl, new stories only: one version each
        for record in got:
            assert set(record) == FIELDS, (name, set(record) ^ FIELDS)
            errors = [e.message for e in validator.iter_errors(record)]
            assert not errors, (name, record.get("url"), errors[:3])
    assert feed_header == export_header == list(SCHEMA["properties"])
    # The same names mean the same thing: every output holds the same values, story by story
    # (the journal's line of a story is its export row and its feed item).
    expected = _by_story(records["journal"])
    assert all(r["revision"] == 1 and r["first_fetched_at"] == r["fetched_at"]
               for r in expected.values())
    fetched = {r[0] for r in rows(data_dir, "SELECT url FROM fetch_state")}
    assert {r["url"] for r in expected.values()} <= fetched  # `url`: the URL fetched
    for name, got in records.items():
        assert _by_story(got) == expected, name
    # A record breaking the shape is caught.
    broken = dict(records["journal"][0], published_at="yesterday", images=[{"href": "x"}])
    assert len(list(validator.iter_errors(broken))) == 3  # the date, the url, the href


def test_the_parquet_export_is_typed_for_datasets(outputs, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # if imported earlier
    loaded = datasets.load_dataset("parquet", data_files=str(outputs["export.parquet"]),
                                   split="train", cache_dir=str(tmp_path / "hf"))
    features = loaded.features
    assert set(features) == FIELDS
    for name in ("published_at", "updated_at", "fetched_at", "first_fetched_at"):
        assert features[name].dtype == "timestamp[us, tz=UTC]", name
    assert features["is_paywalled"].dtype == "bool" and features["word_count"].dtype == "int64"
    assert features["revision"].dtype == "int64"
    assert features["authors"].feature.dtype == "string"
    assert set(features["images"].feature) == {"url", "caption", "credit"}
    expected = _by_story(journal(outputs["data_dir"]))
    assert len(loaded) == len(expected)
    for row in loaded:
        record = expected[row["article_id"]]
        assert row["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == record["published_at"]
        assert row["images"] == record["images"] and row["authors"] == record["authors"]
        assert row["field_sources"] == record["field_sources"]  # a dict, from the JSON column
        assert row["is_paywalled"] is record["is_paywalled"]


def test_a_feed_of_a_run_that_stores_nothing_says_so(tmp_path):
    """A feed holds what a run stored: on a second run with nothing new the feed is empty,
    and the summary says why and where the whole archive is."""
    import subprocess
    import sys

    from newscrawl.replica import ReplicaConfig
    from newscrawl.replica.server import ReplicaServer

    with ReplicaServer(ReplicaConfig(articles=30, seed=3, crawl_delay=0)) as small:
        first = tmp_path / "first.jsonl"
        crawl(small, tmp_path, "-s", "FEEDS=" + json.dumps({str(first): {"format": "jsonlines"}}))
        stored = rows(tmp_path, "SELECT count(*) FROM articles")[0][0]
        assert stored and len(first.read_text(encoding="utf-8").splitlines()) == stored
        again = tmp_path / "again.jsonl"
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "scmp", "-O", str(again),
             "-s", f"NEWSCRAWL_BASE_URL={small.base_url}", "-s", f"NEWSCRAWL_DATA_DIR={tmp_path}",
             "-s", "NEWSCRAWL_PAGINATION=api", "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0"],
            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert again.read_text(encoding="utf-8") == ""
    assert "the feed holds nothing: this run stored no new or changed article" in result.stderr
    assert "`newscrawl export` writes the whole archive" in result.stderr
    assert rows(tmp_path, "SELECT count(*) FROM articles")[0][0] == stored
