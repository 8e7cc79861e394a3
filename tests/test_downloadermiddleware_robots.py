"""A robots.txt that answers a server error, or nothing, means "crawl nothing" (RFC 9309
2.3.1.3-4; issue 17, item 2), said in one line, with a non-zero exit; Scrapy allowed all."""

from __future__ import annotations

import pytest

from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from tests.utils.cli import run_cli
from tests.utils.client import Client
from tests.utils.hostile import HostileSite


@pytest.mark.parametrize("robots", [503, "reset"])
def test_a_robots_txt_that_fails_means_no_article_is_requested(tmp_path, robots):
    with ReplicaServer(ReplicaConfig(articles=20, seed=3, crawl_delay=0)) as replica:
        with HostileSite(replica, robots=robots) as site:
            result = run_cli("crawl", "scmp", "--base-url", site.base_url, "--data-dir",
                             str(tmp_path), "-s", "NEWSCRAWL_RETRY_BACKOFF_BASE=0.05",
                             "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", timeout=300)
            asked = site.robots_asked
        served = Client(replica.base_url).json("/__replica__/stats")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "robots.txt" in result.stderr.splitlines()[-1] and "not crawled" in result.stderr
    assert served["total"] == 0, served["requests"]  # nothing reached the site, robots aside
    assert asked == 5  # asked, then four polite retries
    log = next((tmp_path / "scmp" / "logs").glob("crawl-*.log")).read_text()
    assert "not crawling" in log and "RFC 9309" in log
    # Nothing of the failure is kept: the next run asks robots.txt again.
    assert not list((tmp_path / "scmp" / "robots").glob("*")) \
        if (tmp_path / "scmp" / "robots").exists() else True


def test_every_request_that_waited_for_robots_txt_is_checked_against_it(tmp_path):
    """Scrapy's RobotsTxtMiddleware let all but the first request of a host that arrived while
    its robots.txt was being fetched go out unchecked."""
    rules = b"User-agent: *\nCrawl-delay: 0\nDisallow: /rss/\nDisallow: /news/\n"
    with ReplicaServer(ReplicaConfig(articles=20, seed=3, crawl_delay=0)) as replica:
        with HostileSite(replica, robots=rules) as site:
            result = run_cli("crawl", "scmp", "--base-url", site.base_url, "--data-dir",
                             str(tmp_path), "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", timeout=300)
            asked = list(site.paths)
    assert result.returncode == 0, result.stderr[-2000:]
    assert asked[0] == "/robots.txt"
    assert not [p for p in asked if p.startswith(("/rss/", "/news/"))], asked
    assert any(p.startswith("/sitemap") for p in asked)  # what robots.txt allows is fetched


@pytest.mark.parametrize(("warc", "answered"), [(False, True), (True, False)])
def test_the_robots_cache_answers_only_runs_without_warc(tmp_path, warc, answered):
    """A copy from the cache is not fetched, so the WARC writer would leave it out: a --warc
    run asks robots.txt itself (once per host) and keeps what it got for the runs after."""
    from scrapy import Request, Spider
    from scrapy.http import TextResponse

    from newscrawl.downloadermiddlewares.robotscache import RobotsCacheMiddleware
    from tests.utils.crawler import project_crawler

    class Scmp(Spider):
        name = "scmp"

    crawler = project_crawler(Scmp, {"NEWSCRAWL_DATA_DIR": str(tmp_path), "NEWSCRAWL_WARC": warc})
    crawler.stats.open_spider()
    cache = RobotsCacheMiddleware.from_crawler(crawler)
    request = Request("https://www.scmp.com/robots.txt")
    fetched = TextResponse(request.url, status=200, body=b"User-agent: *\nDisallow: /x/\n",
                           request=request, encoding="utf-8")
    assert cache.process_request(request) is None  # nothing kept yet: fetched
    cache.process_response(request, fetched)
    again = cache.process_request(request)
    assert (again is not None) == answered
    if answered:
        assert again.body == fetched.body and "cached" in again.flags
    assert list(cache.directory.iterdir())  # kept either way, for runs without --warc
