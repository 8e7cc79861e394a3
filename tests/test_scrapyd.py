"""newscrawl under a real Scrapyd: a job scheduled over its HTTP API crawls the replica into the
data directory its arguments name, and a job on a data directory another crawl holds refuses
to run, as ``newscrawl crawl`` does (the archive extension takes the lock)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.layout import DataDir
from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from newscrawl.runs.locks import RunLock
from tests.utils.client import Client
from tests.utils.postgres_server import free_port


class Scrapyd:
    def __init__(self, url: str, logs: Path) -> None:
        self.url = url
        self.logs = logs

    def call(self, endpoint: str, **params: str) -> dict:
        data = urllib.parse.urlencode(list(_pairs(params))).encode() if params else None
        with urllib.request.urlopen(f"{self.url}/{endpoint}", data=data, timeout=30) as resp:
            answer = json.load(resp)
        assert answer.get("status") == "ok", answer
        return answer

    def schedule(self, **params: str) -> str:
        return self.call("schedule.json", project="default", spider="scmp", **params)["jobid"]

    def wait(self, *jobs: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{self.url}/listjobs.json?project=default",
                                        timeout=30) as resp:
                finished = {job["id"] for job in json.load(resp)["finished"]}
            if set(jobs) <= finished:
                return
            time.sleep(0.5)
        raise AssertionError(f"jobs {jobs} did not finish in {timeout} s")

    def log(self, job: str) -> str:
        return (self.logs / "default" / "scmp" / f"{job}.log").read_text(encoding="utf-8")


def _pairs(params: dict[str, str]) -> Iterator[tuple[str, str]]:
    for name, value in params.items():
        if name == "setting":  # several: NAME=VALUE, NAME=VALUE
            for item in value.split("|"):
                yield "setting", item
        else:
            yield name, value


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory) -> Iterator[Scrapyd]:
    """Scrapyd on a free loopback port, run inside a project whose settings are newscrawl's
    (Scrapyd then needs no egg), two jobs at a time."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapy.cfg").write_text(textwrap.dedent(f"""
        [settings]
        default = newscrawl.settings

        [scrapyd]
        bind_address = 127.0.0.1
        http_port = {port}
        max_proc = 2
        poll_interval = 0.2
        eggs_dir = {home / 'eggs'}
        logs_dir = {home / 'logs'}
        items_dir =
        dbs_dir = {home / 'dbs'}
    """))
    server = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/daemonstatus.json", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"scrapyd did not start: {server.stderr.read()[-2000:]}") from None
            time.sleep(0.2)
    try:
        yield Scrapyd(url, home / "logs")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_scrapyd_job_crawls_and_one_beside_another_crawl_refuses(scrapyd, tmp_path):
    data_dir = tmp_path / "data"
    with ReplicaServer(ReplicaConfig(articles=60, seed=5, crawl_delay=0)) as replica:
        common = {"base_url": replica.base_url, "data_dir": str(data_dir), "max_articles": "25",
                  "setting": "NEWSCRAWL_DISCOVERY=sitemaps|LOG_LEVEL=INFO"}
        # Another crawl of the same data directory holds its lock (as `newscrawl crawl` would).
        with RunLock(DataDir.of(data_dir, "scmp").crawl_lock):
            refused = scrapyd.schedule(**common)
            scrapyd.wait(refused)
        served = Client(replica.base_url).json("/__replica__/stats")
        crawled = scrapyd.schedule(**common)
        scrapyd.wait(crawled)
    refused_log, crawled_log = scrapyd.log(refused), scrapyd.log(crawled)
    assert "'finish_reason': 'crawl_in_progress'" in refused_log
    assert f"a run is already in progress (pid {os.getpid()}" in refused_log
    assert "'downloader/request_count'" not in refused_log  # it fetched nothing
    assert served["total"] == 0, served["requests"]
    assert "'finish_reason': 'max_articles'" in crawled_log, crawled_log[-3000:]
    # Everything the job wrote went to the data directory its argument named.
    with sqlite3.connect(data_dir / "scmp" / "archive.sqlite") as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 25
        runs = db.execute("SELECT finish_reason FROM runs").fetchall()
    assert runs == [("max_articles",)]  # the refused job left no run behind
    assert len((data_dir / "scmp" / "articles.jsonl").read_text().splitlines()) == 25
    assert (data_dir / "scmp" / "robots").is_dir()
    assert not list(data_dir.glob("scmp/frontier-*"))
