"""The command line: `newscrawl parse`, `scrapy crawl scmp`, and robots.txt's Crawl-delay."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from tests.utils.cli import run_cli
from tests.utils.client import Client

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newscrawl.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def _an_article(replica):
    world = replica.world
    return next(world.spec(i) for i in range(world.count) if world.spec(i).kind == "article")


def test_parse_a_saved_page_and_a_url(replica, tmp_path):
    spec = _an_article(replica)
    client = Client(replica.base_url)
    truth = client.json(f"/__replica__/truth/{spec.article_id}.json")
    html = client.get(spec.path)[2]
    saved = tmp_path / "page.html.gz"
    saved.write_bytes(gzip.compress(html))
    # The replica's host is no outlet's: its pages are SCMP's, so the test names the outlet.
    result = _cli("parse", str(saved), "--url", replica.base_url + spec.path, "--outlet", "scmp")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["headline"] == truth["headline"]
    assert record["body"] == "\n\n".join(truth["body"])
    assert record["field_sources"]["headline"]
    fetched = _cli("parse", replica.base_url + spec.path, "--outlet", "scmp")
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["article_id"] == str(spec.article_id)
    missing = _cli("parse", str(tmp_path / "nope.html"), "--url", "https://www.scmp.com/x")
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
    assert _cli("parse", str(saved)).returncode == 2  # a saved page needs --url
    unknown = _cli("parse", str(saved), "--url", "https://example.com/a", "--outlet", "nope")
    assert unknown.returncode == 2 and "unknown outlet 'nope'" in unknown.stderr


def test_parse_reports_a_video_page_as_not_an_article(replica):
    world = replica.world
    video = next(world.spec(i) for i in range(world.count) if world.spec(i).kind == "video")
    result = _cli("parse", replica.base_url + video.path, "--outlet", "scmp")
    assert result.returncode == 1 and "video" in result.stderr


def test_scrapy_crawl_from_the_repository_root(replica, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "scmp", "-s", f"NEWSCRAWL_BASE_URL={replica.base_url}",
         "-s", "NEWSCRAWL_MAX_ARTICLES=5", "-s", f"NEWSCRAWL_DATA_DIR={tmp_path}",
         "-s", "NEWSCRAWL_SECTIONS=news/world"],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = (tmp_path / "scmp" / "articles.jsonl").read_text().splitlines()
    assert len(lines) == 5
    assert all(json.loads(line)["section"][1] == "World" for line in lines)


def test_crawl_delay_from_robots_txt_is_applied(tmp_path):
    delay = 0.4
    with ReplicaServer(ReplicaConfig(articles=300, seed=1, crawl_delay=delay)) as replica:
        result = _cli("crawl", "scmp", "--base-url", replica.base_url, "--data-dir", str(tmp_path),
                      "--sections", "news/world", "--max-articles", "6", "-v")
        assert result.returncode == 0, result.stderr[-2000:]
        stats = Client(replica.base_url).json("/__replica__/stats")
    assert f"'newscrawl/crawl_delay/127.0.0.1': {delay}" in result.stderr
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", result.stderr).group(1))
    # One host, one slot: every request after the first waits at least the delay.
    assert elapsed >= delay * (stats["total"] - 2), (elapsed, stats)


def test_version():
    from importlib.metadata import version

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"newscrawl {version('newscrawl')}"


def test_parse_refuses_a_gzip_bomb_in_one_line(tmp_path):
    bomb = tmp_path / "page.html.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        for _ in range(65):
            fh.write(b"<p>" + b" " * (2**20 - 3))
    assert bomb.stat().st_size < 2**20
    result = run_cli("parse", str(bomb), "--url", "https://www.scmp.com/news/article/1/x")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "decompresses to more than 64 MB" in result.stderr and "Traceback" not in result.stderr

