"""End to end: `newscrawl crawl scmp` against a 300-article replica, compared with its truth."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from newscrawl.replica.world import BOILERPLATE_STRINGS
from tests.utils.cli import run_cli
from tests.utils.client import Client

EXACT_FIELDS = ("url", "article_id", "headline", "published_at")
COMPARED_FIELDS = ("canonical_url", "kind", "social_headline", "subheadline", "summary", "authors",
                   "updated_at", "section", "topics", "body", "images", "language", "word_count",
                   "is_paywalled", "is_truncated", "is_sponsored")


def crawl(replica, tmp_path: Path, *extra: str) -> tuple[list[dict], subprocess.CompletedProcess[str]]:
    result = run_cli("crawl", "scmp", "--base-url", replica.base_url, "--data-dir", str(tmp_path),
                     "-s", "NEWSCRAWL_PROGRESS_INTERVAL=5", "-v", *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "scmp" / "articles.jsonl"
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], result


def expected_value(field: str, truth: dict):
    if field == "url":
        return truth["canonical_url"]
    if field == "body":
        return "\n\n".join(truth["body"])
    return truth[field]


def check_against_truth(replica, records: list[dict]) -> None:
    client = Client(replica.base_url)
    listed = client.json("/__replica__/articles.json")["articles"]
    ids = Counter(r["article_id"] for r in records)
    assert {a["article_id"] for a in listed} <= set(ids), "articles missing from the crawl"
    assert all(n == 1 for n in ids.values()), "articles written twice"
    assert set(ids) == {a["article_id"] for a in listed}, "records that are not listed articles"
    mismatches: Counter[str] = Counter()
    examples: dict[str, tuple] = {}
    for record in records:
        truth = client.json(f"/__replica__/truth/{record['article_id']}.json")
        for field in EXACT_FIELDS + COMPARED_FIELDS:
            want, got = expected_value(field, truth), record.get(field)
            if want != got:
                mismatches[field] += 1
                examples.setdefault(field, (record["article_id"], want, got))
        for needle in BOILERPLATE_STRINGS:
            assert needle not in record["body"], (record["article_id"], needle)
        assert record["outlet"] == "scmp" and record["http_status"] == 200
        assert record["parser_version"] and record["fetched_at"] and record["discovered_via"]
    for field in EXACT_FIELDS:
        assert mismatches[field] == 0, (field, examples.get(field))
    for field in COMPARED_FIELDS:
        assert mismatches[field] <= len(records) * 0.01, (field, mismatches[field], examples.get(field))


def test_full_crawl_over_the_gateway_api(replica, tmp_path):
    # Sections only: every listed article must be found by walking them.
    records, result = crawl(replica, tmp_path, "--pagination", "api",
                            "-s", "NEWSCRAWL_DISCOVERY=sections")
    check_against_truth(replica, records)
    assert "field fill rate" in result.stderr + result.stdout  # the summary table


@pytest.mark.browser
def test_full_crawl_paging_sections_in_chromium(replica, tmp_path):
    records, result = crawl(replica, tmp_path, "-s", "NEWSCRAWL_SECTION_PAGINATION=browser",
                            "-s", "NEWSCRAWL_DISCOVERY=sections")
    check_against_truth(replica, records)
    assert result.stderr.count("Starting download handler") == 1  # Playwright, started lazily


def test_pagination_auto_starts_no_browser_until_a_page_needs_one(replica, tmp_path):
    # The replica's sections expose the load-more API, so no request asks for a browser, and
    # Playwright (a Node driver per scheme, then Chromium) is never started.
    records, result = crawl(replica, tmp_path, "--sections", "news/china", "--max-articles", "10",
                            "-s", "NEWSCRAWL_DISCOVERY=sections")
    assert len(records) == 10
    assert "pagination auto" in result.stderr
    assert "Starting download handler" not in result.stderr


def test_horizon_and_limit(replica, tmp_path):
    listed = Client(replica.base_url).json("/__replica__/articles.json?section=news/china")["articles"]
    since = listed[len(listed) // 2]["published_at"][:10]
    records, _ = crawl(replica, tmp_path, "--sections", "news/china", "--since", since)
    wanted = {a["article_id"] for a in listed if a["published_at"][:10] >= since}
    assert wanted <= {r["article_id"] for r in records}
    assert all(r["published_at"][:10] >= since for r in records)
    records, _ = crawl(replica, tmp_path / "limited", "--max-articles", "7")
    assert len(records) == 7


def test_bad_arguments_are_one_line_and_exit_2(replica):
    for args in (["crawl", "scmp", "--days", "-3"], ["crawl", "scmp", "--max-articles", "0"],
                 ["crawl", "scmp", "--sections", "nowhere"], ["crawl", "nosuchoutlet"],
                 ["crawl", "scmp", "--since", "last tuesday"], ["replica", "--port", "99999"],
                 ["crawl", "scmp", "--base-url", "ftp://example.org"]):
        result = run_cli(*args, timeout=60)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)


def test_unreachable_base_url_is_a_clear_error():
    result = run_cli("crawl", "scmp", "--base-url", "http://127.0.0.1:9", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("newscrawl crawl: cannot reach http://127.0.0.1:9")
    assert "Traceback" not in result.stderr
