"""Incremental crawls against the replica: only what is new or changed, never lose, never repeat.

Counts come from the replica's own ``/__replica__/stats``.
"""

from __future__ import annotations

import json
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.http import Response

from newscrawl.replica import ReplicaConfig
from newscrawl.replica.faults import FaultProfile
from newscrawl.replica.server import ReplicaServer
from tests.utils.cli import crawl, journal, rows
from tests.utils.client import Client

CONTENT = ("article_id", "url", "headline", "summary", "authors", "published_at", "updated_at",
           "section", "topics", "body", "images", "is_paywalled", "duplicate_of",
           "content_hash", "revision_count")


def replica_stats(client: Client, reset: bool = False) -> dict:
    stats = client.json("/__replica__/stats")
    if reset:
        client.request("/__replica__/stats/reset", method="POST")
    return stats


def article_pages(stats: dict) -> tuple[int, int]:
    """(article requests answered with a page, article requests answered 304)."""
    return stats["requests"].get("article", 0) - stats["not_modified"], stats["not_modified"]


def archive_content(data_dir: Path) -> dict[str, tuple]:
    got = rows(data_dir, f"SELECT {', '.join(CONTENT)} FROM articles")
    return {row[0]: row for row in got}


def revision_hashes(data_dir: Path) -> list[tuple]:
    return rows(data_dir, "SELECT article_id, revision, content_hash FROM revisions "
                          "ORDER BY article_id, revision")


def test_runs_fetch_only_what_is_new_or_changed(fresh_replica, tmp_path):
    client = Client(fresh_replica.base_url)
    crawl(fresh_replica, tmp_path)
    listed = {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}
    first = dict(rows(tmp_path, "SELECT article_id, revision_count FROM articles"))
    assert set(first) == listed and set(first.values()) == {1}

    changes = json.loads(client.request("/__replica__/clock/advance?minutes=360",
                                        method="POST")[2])
    replica_stats(client, reset=True)
    crawl(fresh_replica, tmp_path)
    stats = replica_stats(client, reset=True)
    after = dict(rows(tmp_path, "SELECT article_id, revision_count FROM articles"))
    listed = {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}
    new = listed - set(first)
    updated = {str(i) for i in changes["updated"]} & set(first)
    assert new and updated
    assert set(after) == listed  # every new article archived
    for article_id in first:  # exactly one revision per updated article, none for the rest
        assert after[article_id] == (2 if article_id in updated else 1), article_id
    assert all(after[a] == 1 for a in new)
    # Discovery stays lean: robots.txt kept from the first run (24 h), and no feed asked,
    # since the news sitemap reaches back past the first run.
    assert stats["requests"].get("robots", 0) == 0 and stats["requests"].get("feed", 0) == 0
    pages, _ = article_pages(stats)
    # Non-articles (videos, galleries) published in the window are fetched once, to learn so.
    published_items = {str(i) for i in changes["published"]}
    assert pages <= 1.1 * (len(new) + len(updated)) + len(published_items - listed), stats
    assert rows(tmp_path, "SELECT count(*) FROM revisions")[0][0] == len(listed) + len(updated)
    assert len(journal(tmp_path)) == len(listed) + len(updated)

    crawl(fresh_replica, tmp_path)  # a third run: nothing changed
    stats = replica_stats(client)
    pages, not_modified = article_pages(stats)
    assert pages == 0, stats
    assert rows(tmp_path, "SELECT count(*) FROM revisions")[0][0] == len(listed) + len(updated)
    run = rows(tmp_path, "SELECT finish_reason, new_articles, new_revisions FROM runs "
                         "ORDER BY id DESC LIMIT 1")[0]
    assert run == ("finished", 0, 0)


def stale_or_missing(client: Client, data_dir: Path) -> tuple[set[str], set[str]]:
    """(stories the replica lists that the archive lacks, those it holds in an older version)."""
    listed = client.json("/__replica__/articles.json")["articles"]
    held = dict(rows(data_dir, "SELECT article_id, updated_at FROM articles"))
    missing = {a["article_id"] for a in listed if a["article_id"] not in held}
    stale = {a["article_id"] for a in listed
             if a["article_id"] in held and (held[a["article_id"]] or "") < a["updated_at"]}
    return missing, stale


def test_hourly_runs_leave_the_index_and_sections_to_the_news_sitemap(fresh_replica, tmp_path):
    client = Client(fresh_replica.base_url)
    crawl(fresh_replica, tmp_path)

    def advance_and_crawl(minutes: int) -> dict:
        client.request(f"/__replica__/clock/advance?minutes={minutes}", method="POST")
        replica_stats(client, reset=True)
        crawl(fresh_replica, tmp_path)
        return replica_stats(client, reset=True)["requests"]

    # An hour later: the news sitemap reaches back to the last run; one discovery request.
    requests = advance_and_crawl(60)
    assert requests.get("sitemap") == 1 and not requests.get("section") \
        and not requests.get("gateway") and not requests.get("feed"), requests
    missing, _ = stale_or_missing(client, tmp_path)
    assert not missing  # every new story archived within the hour
    # Five hours of site time after the first run's index: the index and the monthly files it
    # says changed, so every edit since is caught; the sections are not due yet.
    requests = advance_and_crawl(240)
    assert requests.get("sitemap", 0) >= 3 and not requests.get("section"), requests
    assert stale_or_missing(client, tmp_path) == (set(), set())
    # A day after the first walk, the sections are due again.
    requests = advance_and_crawl(1200)
    assert requests.get("section") == 11 and requests.get("sitemap", 0) >= 3, requests
    assert stale_or_missing(client, tmp_path) == (set(), set())
    # Three days without a run: the news sitemap (two days) leaves a gap, so every surface is
    # asked, and nothing is lost.
    requests = advance_and_crawl(3 * 24 * 60)
    assert requests.get("feed") == 10 and requests.get("section") == 11, requests
    assert stale_or_missing(client, tmp_path) == (set(), set())


def test_revisits_are_conditional_and_a_304_is_a_check(fresh_replica, tmp_path):
    client = Client(fresh_replica.base_url)
    crawl(fresh_replica, tmp_path)
    checked = dict(rows(tmp_path, "SELECT article_id, last_checked_at FROM articles"))
    time.sleep(1.1)
    replica_stats(client, reset=True)
    # Every archived story is due at once: revisited with If-None-Match, answered 304.
    crawl(fresh_replica, tmp_path, "-s", "NEWSCRAWL_REVISIT_MIN_HOURS=0.0001",
          "-s", "NEWSCRAWL_REVISIT_FACTOR=0.000000001", "-s", "NEWSCRAWL_REVISIT_MAX_DAYS=1e-6")
    pages, not_modified = article_pages(replica_stats(client))
    assert pages == 0 and not_modified == len(checked)
    later = dict(rows(tmp_path, "SELECT article_id, last_checked_at FROM articles"))
    assert all(later[a] > checked[a] for a in checked)
    assert rows(tmp_path, "SELECT count(*) FROM revisions")[0][0] == len(checked)
    assert rows(tmp_path, "SELECT count(*) FROM fetch_state WHERE last_status = 304")[0][0] \
        == len(checked)


@pytest.mark.parametrize(("status", "lowered"), [(304, True), (200, True), (503, False)])
def test_a_304_lets_autothrottle_speed_up_as_a_200_does(status, lowered):
    # Scrapy's own AutoThrottle keeps the 1 s start delay for answers other than 200: a run
    # of revisits answered 304 crawled at one page a second (115 s for 189 revisits).
    from scrapy.core.downloader import Slot
    from scrapy.utils.test import get_crawler

    from newscrawl import settings
    from newscrawl.extensions.throttle import RevisitAwareAutoThrottle

    assert settings.EXTENSIONS["scrapy.extensions.throttle.AutoThrottle"] is None
    assert "newscrawl.extensions.throttle.RevisitAwareAutoThrottle" in settings.EXTENSIONS
    throttle = RevisitAwareAutoThrottle(get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True}))
    throttle.mindelay, throttle.maxdelay = 0.0, 60.0
    slot = Slot(concurrency=4, delay=1.0, jitter=0)
    for _ in range(5):
        throttle._adjust_delay(slot, 0.01, Response("http://127.0.0.1/a", status=status))
    assert (slot.delay < 0.1) is lowered
    assert slot.delay <= 1.0


def test_a_crawl_under_faults_archives_everything_and_counts_retries(tmp_path):
    faults = FaultProfile.parse("rate=0.15,kinds=500+503+429+reset+truncate,seed=3")
    config = ReplicaConfig(articles=150, seed=11, crawl_delay=0)
    with ReplicaServer(config, faults=faults) as replica:
        client = Client(replica.base_url)
        crawl(replica, tmp_path, "-s", "NEWSCRAWL_MAX_RETRY_AFTER=0.2",
              "-s", "NEWSCRAWL_RETRY_BACKOFF_BASE=0.05", "-s", "RETRY_TIMES=6")
        listed = {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}
        injected = replica_stats(client)["faults"]
    assert set(archive_content(tmp_path)) == listed
    stats = json.loads(rows(tmp_path, "SELECT stats FROM runs")[0][0])
    assert sum(injected.values()) > 20
    assert stats["newscrawl/retries/total"] >= sum(
        n for kind, n in injected.items() if kind in ("500", "503", "429", "truncate"))
    assert stats.get("newscrawl/retries/gave_up", 0) == 0


def test_killed_three_times_ends_like_an_undisturbed_crawl(replica, tmp_path):
    undisturbed, killed = tmp_path / "undisturbed", tmp_path / "killed"
    crawl(replica, undisturbed)
    rng = random.Random(7)
    command = [sys.executable, "-m", "newscrawl.cli", "crawl", "scmp", "--base-url",
               replica.base_url, "--data-dir", str(killed), "--pagination", "api",
               "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", "-s", "NEWSCRAWL_COMMIT_ITEMS=20",
               "-s", "CONCURRENT_REQUESTS=4"]
    stored_before_kill = []
    for _ in range(3):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        archive = killed / "scmp" / "archive.sqlite"
        deadline = time.monotonic() + 60
        while not archive.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.5, 3.0))  # somewhere in the middle of discovery or storing
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        with sqlite3.connect(archive) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored_before_kill.append(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    assert stored_before_kill == sorted(stored_before_kill)  # committed work is never lost
    crawl(replica, killed)  # and once more, to the end
    assert archive_content(killed) == archive_content(undisturbed)
    assert revision_hashes(killed) == revision_hashes(undisturbed)
    lines = journal(killed)
    assert len(lines) == len(revision_hashes(killed))  # each revision once in the journal
    assert len({line["article_id"] for line in lines}) == len(lines)


@pytest.mark.parametrize("option", ["--full"])
def test_full_walks_every_listing_again_without_refetching(fresh_replica, tmp_path, option):
    client = Client(fresh_replica.base_url)
    crawl(fresh_replica, tmp_path)
    replica_stats(client, reset=True)
    crawl(fresh_replica, tmp_path, option)
    stats = replica_stats(client)
    assert stats["requests"]["gateway"] > 0  # every section paged to its end again
    assert article_pages(stats)[0] == 0  # but unchanged stories are not fetched again


@pytest.mark.parametrize(("name", "value", "error"), [
    ("NEWSCRAWL_SITEMAP_INDEX_EVERY_HOURS", "-1", "must be 0 (every run) or more"),
    ("NEWSCRAWL_SECTIONS_EVERY_HOURS", "daily", "is not a number"),
    ("NEWSCRAWL_REVISIT_MIN_HOURS", "0", "must be positive"),
])
def test_discovery_intervals_are_checked(name, value, error):
    from scrapy.settings import Settings

    from newscrawl.config import ConfigError, CrawlConfig
    from newscrawl.outlets import get_outlet

    outlet = get_outlet("scmp")
    assert CrawlConfig.from_settings(outlet, Settings({name: "0.5"})) is not None
    with pytest.raises(ConfigError, match=re.escape(error)):
        CrawlConfig.from_settings(outlet, Settings({name: value}))
    config = CrawlConfig.from_settings(outlet, Settings({"NEWSCRAWL_SECTIONS_EVERY_HOURS": "0"}))
    assert config.sections_every_hours == 0 and config.sitemap_index_every_hours == 4


def test_a_changed_story_is_revisited_at_its_own_url_not_an_old_slug(fresh_replica, tmp_path):
    """Monthly sitemaps keep the URL a story had at publication; the archive knows the page's
    canonical one, so a revisit for a change goes there, without a redirect."""
    world = fresh_replica.state.world
    crawl(fresh_replica, tmp_path)
    renamed_and_edited = [s for s in (world.spec(i) for i in range(world.count))
                          if s.old_path and s.is_article and s.update_ms
                          and s.update_ms[-1] > world.now_ms]
    assert renamed_and_edited
    client = Client(fresh_replica.base_url)
    latest_edit = max(s.update_ms[-1] for s in renamed_and_edited)
    minutes = (latest_edit - world.now_ms) // 60_000 + 1
    client.request(f"/__replica__/clock/advance?minutes={minutes}", method="POST")
    replica_stats(client, reset=True)
    crawl(fresh_replica, tmp_path, "-s", "NEWSCRAWL_SITEMAP_INDEX_EVERY_HOURS=0")
    requests = replica_stats(client)["requests"]
    held = dict(rows(tmp_path, "SELECT article_id, revision_count FROM articles"))
    assert all(held[str(s.article_id)] == 2 for s in renamed_and_edited)
    assert requests.get("redirect", 0) == 0, requests


def test_without_a_news_sitemap_the_main_feed_stands_in(tmp_path):
    """MARKUP.md 6: the news sitemap may be gone. Then the "everything" feed vouches for the
    window, and a 404 news sitemap is not asked again for a day."""
    config = ReplicaConfig(articles=300, seed=7, crawl_delay=0, news_sitemap=False)
    with ReplicaServer(config) as server:
        client = Client(server.base_url)
        assert "sitemap_news" not in client.request("/robots.txt")[2].decode()
        crawl(server, tmp_path)
        assert stale_or_missing(client, tmp_path) == (set(), set())

        def advance_and_crawl(minutes: int) -> dict:
            client.request(f"/__replica__/clock/advance?minutes={minutes}", method="POST")
            replica_stats(client, reset=True)
            crawl(server, tmp_path)
            return replica_stats(client, reset=True)["requests"]

        requests = advance_and_crawl(60)  # the news sitemap answers 404: the main feed instead
        assert requests.get("sitemap") == 1 and requests.get("feed") == 1 \
            and not requests.get("section"), requests
        assert not stale_or_missing(client, tmp_path)[0]
        requests = advance_and_crawl(60)  # not asked again: one discovery request
        assert not requests.get("sitemap") and requests.get("feed") == 1 \
            and not requests.get("section"), requests
        assert not stale_or_missing(client, tmp_path)[0]
        requests = advance_and_crawl(240)  # the index is due: every edit caught
        assert requests.get("sitemap", 0) >= 2 and requests.get("feed") == 1 \
            and not requests.get("section"), requests
        assert stale_or_missing(client, tmp_path) == (set(), set())


def test_an_edit_no_listing_dates_is_caught_by_the_learned_interval(tmp_path):
    """Stories fetched while young are checked again soon after, stories long unchanged much
    later (``RevisitRule``): with only the feeds to list stories (their dates are publication
    dates), every edit of a young story is still caught, and no story quiet for long is
    fetched again before its time.

    The replica's clock starts at the machine's, so newscrawl (on the machine's clock) sees
    its stories at their true age; one item every 4 hours spreads 300 over 50 days. The
    rule's factor is shrunk so that seconds stand for days: a story quiet for up to two days
    at its check is due within 9 s, one quiet for 20 days only after 86 s."""
    from datetime import UTC, datetime

    factor = 0.00005
    config = ReplicaConfig(articles=300, seed=7, crawl_delay=0, minutes_per_item=240,
                           start=datetime.now(UTC))
    rule = ("-s", f"NEWSCRAWL_REVISIT_FACTOR={factor}", "-s", "NEWSCRAWL_REVISIT_MIN_HOURS=0.0001")
    with ReplicaServer(config) as server:
        client = Client(server.base_url)
        crawl(server, tmp_path, *rule)
        before = {row[0]: row[1:] for row in rows(
            tmp_path, "SELECT article_id, last_checked_at, coalesce(updated_at, published_at) "
                      "FROM articles")}
        # Pages broken for good follow RetryRule (its wait is the rule's minimum, shrunk here).
        degraded = {r[0] for r in rows(tmp_path, "SELECT article_id FROM failures")}
        changes = json.loads(client.request("/__replica__/clock/advance?minutes=2880",
                                            method="POST")[2])
        edited = {str(i) for i in changes["updated"]} & set(before)
        assert edited, changes  # the seed edits stories the first crawl archived
        time.sleep(9)
        crawl(server, tmp_path, *rule, "-s", "NEWSCRAWL_DISCOVERY=feeds")
        ended = datetime.now(UTC)
        _, stale = stale_or_missing(client, tmp_path)
        assert not stale, stale  # every edit caught, though no listing dated one
        held = dict(rows(tmp_path, "SELECT article_id, revision_count FROM articles"))
        assert all(held[a] == 2 for a in edited), {a: held[a] for a in edited}
        after = dict(rows(tmp_path, "SELECT article_id, last_checked_at FROM articles"))

    def not_due_yet(article_id: str) -> bool:
        """Quiet so long at its check that it was not due even when the second run ended."""
        checked, changed = (datetime.fromisoformat(t) for t in before[article_id])
        return (ended - checked) < (checked - changed) * factor

    old = [a for a in before if not_due_yet(a) and a not in degraded]
    assert len(old) > 100 and all(after[a] == before[a][0] for a in old)
