"""Only the outlet's own hosts are ever requested, and a page cannot overwrite another story
(issue 17, item 1): a crawl of a hostile site, the replica behind a proxy that lists and
redirects to another loopback port, ``file://`` URLs and a page claiming another story's id."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

import pytest
from scrapy.settings import Settings

from newscrawl.config import ConfigError, CrawlConfig
from newscrawl.outlets import get_outlet
from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from tests.utils.cli import run_cli
from tests.utils.client import Client
from tests.utils.hostile import CLAIM_ID, HostileSite


def test_the_host_rule():
    config = CrawlConfig.from_settings(
        get_outlet("scmp"), Settings({"NEWSCRAWL_BASE_URL": "http://127.0.0.1:8000"}))
    assert config.offsite("http://127.0.0.1:8000/news/a") is None
    assert config.offsite("https://www.scmp.com/news/a") is None
    assert config.offsite("https://amp.scmp.com/x") is None
    assert config.offsite("http://127.0.0.1:8001/news/a") == "offsite"  # another port
    assert config.offsite("https://scmp.com.evil.example/news") == "offsite"
    assert config.offsite("file:///etc/passwd") == "not_http"
    assert config.offsite("ftp://www.scmp.com/x") == "not_http"
    with pytest.raises(ConfigError, match="not on scmp's hosts"):
        CrawlConfig.from_settings(get_outlet("scmp"), Settings({
            "NEWSCRAWL_BASE_URL": "http://127.0.0.1:8000",
            "NEWSCRAWL_URLS": "http://127.0.0.1:9/news/hong-kong/article/3300001/x"}))


def test_a_hostile_site_gets_no_request_off_the_outlets_hosts(tmp_path):
    with ReplicaServer(ReplicaConfig(articles=40, seed=3, crawl_delay=0)) as replica:
        listed = Client(replica.base_url).json("/__replica__/articles.json")["articles"]
        claimed = listed[0]
        with HostileSite(replica, urlsplit(claimed["url"]).path) as site:
            result = run_cli("crawl", "scmp", "--base-url", site.base_url, "--data-dir",
                             str(tmp_path), "--pagination", "api",
                             "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0")
            decoy_requests = list(site.decoy.requests)
        assert result.returncode == 0, result.stderr[-3000:]
        truth = Client(replica.base_url).json(f"/__replica__/truth/{claimed['article_id']}.json")
    assert decoy_requests == []  # the other port was asked nothing, robots.txt included
    with sqlite3.connect(tmp_path / "scmp" / "archive.sqlite") as db:
        rows = db.execute("SELECT article_id, url, fetched_url, headline, runs.stats FROM "
                          "articles, (SELECT stats FROM runs ORDER BY id DESC LIMIT 1) AS runs"
                          ).fetchall()
    assert len(rows) >= len([a for a in listed if a["kind"] in ("article", "opinion")]) - 2
    for _, url, fetched_url, _, _ in rows:
        assert url.startswith(site.base_url + "/") and fetched_url.startswith(site.base_url)
    stored = {row[0]: row for row in rows}
    assert CLAIM_ID not in stored  # nothing stored under the claiming page's id
    assert stored[claimed["article_id"]][3] == truth["headline"]  # the claimed story kept
    stats = json.loads(rows[0][4])
    assert stats.get("newscrawl/dropped/id_mismatch", 0) >= 1
    assert stats.get("newscrawl/skipped/offsite", 0) >= 2  # the sitemap's, the feed's, cards'
    assert stats.get("newscrawl/skipped/not_http", 0) >= 2
    assert stats.get("newscrawl/skipped/offsite_redirect", 0) >= 1
