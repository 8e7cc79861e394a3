"""One record shape, described once (issue 15): the JSON Schema and docs/records.md come from
newscrawl/items.py, and every journal line, feed item and stored revision validates."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from newscrawl.records.schema import article_schema, records_markdown
from tests.utils.cli import crawl, journal, rows, run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_docs_records_md_is_current():
    assert (ROOT / "docs" / "records.md").read_text(encoding="utf-8") == records_markdown(), \
        "regenerate it: newscrawl schema --markdown > docs/records.md"


def test_the_schema_is_valid_and_printed(tmp_path):
    schema = article_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    printed = run_cli("schema")
    assert printed.returncode == 0 and json.loads(printed.stdout) == schema


def test_every_output_validates(replica, tmp_path):
    feed = tmp_path / "feed.jsonl"
    crawl(replica, tmp_path, "--max-articles", "25",
          "-s", "FEEDS=" + json.dumps({str(feed): {"format": "jsonlines"}}))
    validator = jsonschema.Draft202012Validator(article_schema())
    outputs = {
        "journal": journal(tmp_path),
        "feed": [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()],
        "revisions": [json.loads(r[0]) for r in rows(tmp_path, "SELECT record FROM revisions")],
    }
    for name, records in outputs.items():
        assert len(records) >= 20, name
        for record in records:
            errors = [e.message for e in validator.iter_errors(record)]
            assert not errors, (name, record.get("url"), errors[:3])
    # The same field names with the same meaning everywhere.
    assert {tuple(r) for r in outputs["journal"]} == {tuple(r) for r in outputs["feed"]}
    # A record breaking the shape is caught.
    broken = dict(outputs["journal"][0], published_at="yesterday", images=[{"href": "x"}])
    assert len(list(validator.iter_errors(broken))) == 3  # the date, the url, the href


def test_a_csv_feed_writes_json_cells_not_python_reprs(replica, tmp_path):
    import csv

    feed = tmp_path / "feed.csv"
    crawl(replica, tmp_path, "--max-articles", "20",
          "-s", "FEEDS=" + json.dumps({str(feed): {"format": "csv"}}))
    with feed.open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) >= 15
    for row in table:
        assert "ImageRef(" not in row["images"]
        images = json.loads(row["images"])
        assert isinstance(images, list) and all("url" in image for image in images)
        assert isinstance(json.loads(row["authors"]), list)
        assert isinstance(json.loads(row["field_sources"]), dict)
        assert row["is_paywalled"] in ("true", "false")

