"""Several workers, one frontier (real redis-server), one archive; workers that die or lose Redis."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from newscrawl.store import StoreError, readers
from tests.utils.cli import run_cli
from tests.utils.client import Client
from tests.utils.redis_server import RedisServer

CONTENT = ("article_id", "url", "kind", "headline", "social_headline", "subheadline", "summary",
           "authors", "published_at", "updated_at", "section", "topics", "body", "images",
           "is_paywalled", "is_truncated", "is_sponsored", "word_count", "duplicate_of",
           "content_hash", "revision_count")


@pytest.fixture()
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def big_replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(ReplicaConfig(articles=600, seed=5, crawl_delay=0)) as server:
        yield server


def worker(replica: ReplicaServer, data_dir: Path, store: str, redis_url: str,
           *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newscrawl.cli", "crawl", "scmp", "--base-url", replica.base_url,
         "--data-dir", str(data_dir), "--store", store, "--redis", redis_url,
         "--pagination", "api", "-s", "NEWSCRAWL_IDLE_TIMEOUT=4", "-s", "NEWSCRAWL_WORKER_STALE=3",
         "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", "-v", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def content(store: str) -> dict[str, dict]:
    """Every story's content fields, read the same way from SQLite or PostgreSQL."""
    db = readers.connect(store)
    try:
        return {r["article_id"]: {k: r[k] for k in CONTENT} for r in readers.select_articles(db)}
    finally:
        db.close()


def scalar(store: str, sql: str):
    db = readers.connect(store)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def test_three_workers_share_one_frontier(big_replica, redis_server, postgres, tmp_path):
    client = Client(big_replica.base_url)
    single = tmp_path / "single"
    done = run_cli("crawl", "scmp", "--base-url", big_replica.base_url, "--data-dir", str(single),
                   "--pagination", "api", "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0")
    assert done.returncode == 0, done.stderr[-2000:]
    client.request("/__replica__/stats/reset", method="POST")

    store = postgres.database()  # the shared archive
    workers = [worker(big_replica, tmp_path / f"w{i}", store, redis_server.url) for i in range(3)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], [e[-1500:] for _, e in outputs]
    seeded = sum("'newscrawl/worker/seeded': 1" in err for _, err in outputs)
    assert seeded == 1  # the start requests were seeded once, not once per worker
    fetches = client.json("/__replica__/stats")["article_fetches"]
    # Every article page fetched exactly once, but for the pages read from fallbacks (their
    # own data broken), which the worker that met one asks again once (RetryRule).
    asked_again = sum(int(n) for _, err in outputs
                      for n in re.findall(r"'newscrawl/degraded/asked_again': (\d+)", err))
    assert fetches and set(fetches.values()) <= {1, 2}
    assert sum(n == 2 for n in fetches.values()) == asked_again
    listed = {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}
    shared, alone = content(store), content(str(single / "scmp" / "archive.sqlite"))
    assert set(shared) == set(alone) == listed
    differing = {aid: {k: (shared[aid][k], alone[aid][k]) for k in CONTENT
                       if shared[aid][k] != alone[aid][k]} for aid in alone}
    assert not {aid: diff for aid, diff in differing.items() if diff}
    report = run_cli("stats", "--db", store)  # the archive commands read PostgreSQL too
    assert report.returncode == 0 and f"{len(listed)} articles" in report.stdout, report.stderr


def test_a_killed_worker_loses_nothing_after_a_follow_up_run(big_replica, redis_server, postgres,
                                                              tmp_path):
    client = Client(big_replica.base_url)
    store = postgres.database()
    workers = [worker(big_replica, tmp_path / f"w{i}", store, redis_server.url) for i in range(3)]
    time.sleep(6)  # the crawl is under way
    workers[0].send_signal(signal.SIGKILL)
    for w in workers[1:]:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err[-2000:]
    workers[0].wait(timeout=30)
    follow_up = worker(big_replica, tmp_path / "w9", store, redis_server.url)
    _, err = follow_up.communicate(timeout=300)
    assert follow_up.returncode == 0, err[-2000:]
    listed = {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}
    ids = list(content(store))
    assert set(ids) == listed and len(ids) == len(set(ids))  # nothing missing, nothing twice
    assert scalar(store, "SELECT count(*) FROM revisions") == len(ids)
    assert scalar(store, "SELECT count(DISTINCT (article_id, revision)) FROM revisions") == len(ids)


def test_redis_unreachable_at_start_is_one_line(replica, tmp_path):
    result = run_cli("crawl", "scmp", "--base-url", replica.base_url, "--data-dir", str(tmp_path),
                     "--redis", "redis://:secret@127.0.0.1:9/0", timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "cannot reach Redis at redis://:***@127.0.0.1:9/0" in result.stderr
    assert "secret" not in result.stderr


def test_losing_redis_mid_run_stops_the_worker_cleanly(big_replica, redis_server, tmp_path):
    store = tmp_path / "shared.sqlite"
    crawl = worker(big_replica, tmp_path / "w", str(store), redis_server.url,
                   "-s", "CONCURRENT_REQUESTS=2", "-s", "NEWSCRAWL_COMMIT_ITEMS=10")
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < 30:
        time.sleep(0.3)
        try:  # the file exists a moment before its tables do
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
                stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        except sqlite3.OperationalError:
            continue
    assert stored >= 30
    redis_server.stop()
    _, err = crawl.communicate(timeout=120)
    # Stopped cleanly, and not successful: work was left undone, so the exit code is 1.
    assert crawl.returncode == 1, err[-2000:]
    assert err.strip().splitlines()[-1].startswith("newscrawl crawl: Redis was lost")
    assert "lost Redis" in err and "Traceback" not in err
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] >= stored
        reason = db.execute("SELECT finish_reason FROM runs").fetchone()[0]
    assert reason == "redis_unavailable"


def test_losing_postgresql_mid_run_stops_the_worker_cleanly(big_replica, tmp_path):
    from tests.utils.postgres_server import start_postgres

    with start_postgres() as server:
        store = server.database()
        crawl = subprocess.Popen(
            [sys.executable, "-m", "newscrawl.cli", "crawl", "scmp", "--base-url",
             big_replica.base_url, "--data-dir", str(tmp_path), "--store", store,
             "--pagination", "api", "-s", "CONCURRENT_REQUESTS=2", "-s", "NEWSCRAWL_COMMIT_ITEMS=10",
             "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", "-v"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline, stored = time.monotonic() + 60, 0
        while time.monotonic() < deadline and stored < 30:
            time.sleep(0.3)
            try:
                stored = scalar(store, "SELECT count(*) FROM articles")
            except StoreError:  # the crawl has not created its tables yet
                continue
        assert stored >= 30
        server.kill()
        _, err = crawl.communicate(timeout=120)
    # Stopped cleanly, and not successful: the exit code says work was left undone (issue 17,
    # item 9), in one last line.
    assert crawl.returncode == 1, err[-2000:]
    assert err.strip().splitlines()[-1].startswith("newscrawl crawl: the archive failed")
    assert "stopping the crawl (committed work is kept)" in err
    assert "'finish_reason': 'store_unavailable'" in err
    assert err.count("Traceback") == 0, err[-3000:]


def test_postgresql_unreachable_at_start_is_one_line(replica, tmp_path):
    result = run_cli("crawl", "scmp", "--base-url", replica.base_url, "--data-dir", str(tmp_path),
                     "--store", "postgresql://crawler:secret@127.0.0.1:9/news", timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "cannot open the archive postgresql://crawler:***@127.0.0.1:9/news" in result.stderr
    assert "secret" not in result.stderr
