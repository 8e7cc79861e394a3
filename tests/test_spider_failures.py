"""Failed stories are retried, not forgotten (issue 17, items 4 and 5): a story whose retries
ran out, or that was stored from a fallback because its own source was broken, is on record
and asked for again by the next plain incremental run, until it is archived whole."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.utils.cli import crawl, rows
from tests.utils.client import Client

FAST = ("-s", "RETRY_TIMES=1", "-s", "NEWSCRAWL_RETRY_BACKOFF_BASE=0.05")


def listed(client: Client) -> set[str]:
    return {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}


def test_stories_that_failed_for_good_are_archived_by_the_next_plain_runs(fresh_replica,
                                                                         tmp_path):
    client = Client(fresh_replica.base_url)
    # A quarter of the article pages answer 500 to every attempt of this run.
    client.json("/__replica__/faults?rate=0.25&kinds=500&scope=article&max_attempts=1000",
                method="POST")
    crawl(fresh_replica, tmp_path, *FAST)
    stored = {r[0] for r in rows(tmp_path, "SELECT article_id FROM articles")}
    failed = dict(rows(tmp_path, "SELECT article_id, reason FROM failures"))
    expected = listed(client)  # the articles and opinion pieces it lists
    missing = expected - stored
    assert missing and set(failed) >= missing  # what failed is on record
    assert {failed[a] for a in missing} == {"http_500"}
    # The rest on record are stored, from fallbacks (the replica's broken __NEXT_DATA__).
    assert {failed[a] for a in set(failed) - missing} <= {"degraded"}
    run = json.loads(rows(tmp_path, "SELECT stats FROM runs ORDER BY id DESC LIMIT 1")[0][0])
    assert run["newscrawl/failed/http_500"] >= len(missing)  # the run row lists them

    client.json("/__replica__/faults?off", method="POST")
    crawl(fresh_replica, tmp_path, *FAST)  # plain incremental: no --full
    stored = {r[0] for r in rows(tmp_path, "SELECT article_id FROM articles")}
    assert expected <= stored
    assert not rows(tmp_path, "SELECT article_id FROM failures WHERE reason <> 'degraded'")
    run = json.loads(rows(tmp_path, "SELECT stats FROM runs ORDER BY id DESC LIMIT 1")[0][0])
    # Asked for again from the failures table (a listing may list some again first).
    assert run["newscrawl/retries/stories"] > 0


def broken_by_the_replica(replica, tmp_path: Path) -> set[str]:
    """The stories whose pages the replica always serves with a broken __NEXT_DATA__."""
    crawl(replica, tmp_path / "clean")
    return {r[0] for r in rows(tmp_path / "clean", "SELECT article_id FROM failures")}


def test_a_story_stored_degraded_is_fetched_again_in_full(fresh_replica, tmp_path):
    client = Client(fresh_replica.base_url)
    client.json("/__replica__/faults?rate=0.2&kinds=bad_nextdata&scope=article&max_attempts=1000",
                method="POST")
    crawl(fresh_replica, tmp_path, *FAST)
    always = broken_by_the_replica(fresh_replica, tmp_path)
    degraded = {r[0] for r in rows(tmp_path, "SELECT article_id FROM failures WHERE "
                                             "reason = 'degraded'")} - always
    assert degraded  # stored from the DOM, their __NEXT_DATA__ broken by the faults
    for article_id in degraded:
        sources = json.loads(rows(tmp_path, "SELECT field_sources FROM articles WHERE "
                                            "article_id=?", (article_id,))[0][0])
        # A failed source, or the body from the generic fallback.
        assert any(key.endswith(":failed") for key in sources) \
            or sources.get("body") == "generic_body"

    client.json("/__replica__/faults?off", method="POST")
    crawl(fresh_replica, tmp_path, *FAST)  # too soon: a degraded story waits an hour
    assert degraded <= {r[0] for r in rows(tmp_path, "SELECT article_id FROM failures")}
    with sqlite3.connect(tmp_path / "scmp" / "archive.sqlite") as db:  # an hour later
        db.execute("UPDATE failures SET last_failed_at='2020-01-01T00:00:00Z'")
    crawl(fresh_replica, tmp_path, *FAST)
    for article_id in degraded:
        sources = json.loads(rows(tmp_path, "SELECT field_sources FROM articles WHERE "
                                            "article_id=?", (article_id,))[0][0])
        assert not any(key.endswith(":failed") for key in sources), article_id
        assert sources.get("body") != "generic_body", article_id
    still = {r[0] for r in rows(tmp_path, "SELECT article_id FROM failures")}
    assert not still & degraded


def test_a_story_failing_past_the_bound_is_reported_lost(fresh_replica, tmp_path: Path):
    client = Client(fresh_replica.base_url)
    client.json("/__replica__/faults?rate=0.25&kinds=500&scope=article&max_attempts=1000",
                method="POST")
    crawl(fresh_replica, tmp_path, *FAST)
    failed = {r[0] for r in rows(tmp_path, "SELECT article_id FROM failures WHERE "
                                           "reason = 'http_500'")}
    assert failed
    with sqlite3.connect(tmp_path / "scmp" / "archive.sqlite") as db:  # a week ago
        db.execute("UPDATE failures SET first_failed_at='2020-01-01T00:00:00Z'")
    crawl(fresh_replica, tmp_path, *FAST)
    lost = {r[0] for r in rows(tmp_path, "SELECT article_id FROM failures WHERE lost_at IS NOT "
                                         "NULL AND reason = 'http_500'")}
    stored = {r[0] for r in rows(tmp_path, "SELECT article_id FROM articles")}
    # Given up on (a listing may still bring one back, and then it is archived).
    assert lost and lost | (failed & stored) == failed
    run = json.loads(rows(tmp_path, "SELECT stats FROM runs ORDER BY id DESC LIMIT 1")[0][0])
    assert run["newscrawl/lost/http_500"] == len(failed)
    # Lost stories are not asked for again.
    crawl(fresh_replica, tmp_path, *FAST)
    run = json.loads(rows(tmp_path, "SELECT stats FROM runs ORDER BY id DESC LIMIT 1")[0][0])
    assert "newscrawl/lost/http_500" not in run
