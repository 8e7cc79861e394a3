"""The replica over HTTP: routing, validators, gzip, redirects, control endpoints, faults."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import urllib.parse

import pytest

from newscrawl.replica import FaultProfile, ReplicaConfig
from newscrawl.replica.pages.listing import gateway_contract
from newscrawl.replica.server import ReplicaServer
from tests.utils.client import Client


def _first(world, predicate):
    return next(world.spec(i) for i in range(world.count) if predicate(world.spec(i)))


def test_article_page_has_validators_and_answers_conditional_requests(replica, client):
    spec = _first(replica.world, lambda s: s.kind == "article")
    status, headers, body = client.get(spec.path)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert 150_000 <= len(body) <= 400_000
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert client.get(spec.path, headers={"If-None-Match": etag})[0] == 304
    assert client.get(spec.path, headers={"If-None-Match": '"other"'})[0] == 200
    assert client.get(spec.path, headers={"If-Modified-Since": last_modified})[0] == 304
    assert client.get(spec.path, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200


def test_gzip_only_when_asked(replica, client):
    spec = _first(replica.world, lambda s: s.kind == "article")
    _, plain_headers, plain = client.get(spec.path)
    assert "Content-Encoding" not in plain_headers
    _, headers, packed = client.get(spec.path, headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert len(packed) < len(plain) / 3
    assert gzip.decompress(packed) == plain


def test_unknown_ids_and_paths_are_404(replica, client):
    assert client.get("/news/china/article/1234567/no-such-story")[0] == 404
    assert client.get("/no/such/page")[0] == 404
    assert client.get("/rss/999/feed")[0] == 404
    assert client.get("/sitemap/archives/articles/1999_jan.xml")[0] == 404
    assert client.get("/sitemap/archives/articles/nonsense.xml")[0] == 404
    future_id = replica.world.article_id(replica.world.count + 3)
    assert client.get(f"/news/china/article/{future_id}/not-yet")[0] == 404


def test_old_slugs_redirect_and_tracking_parameters_are_served(replica, client):
    spec = _first(replica.world, lambda s: s.old_slug is not None)
    status, headers, _ = client.get(spec.old_path)
    assert status == 301 and headers["Location"] == spec.path
    status, headers, _ = client.get(spec.old_path + "?utm_source=rss_feed")
    assert status == 301 and headers["Location"] == spec.path + "?utm_source=rss_feed"
    clean = client.get(spec.path)[2]
    assert client.get(spec.path + "?utm_source=rss_feed&utm_medium=x")[2] == clean
    assert client.get(spec.path + "?module=perpetual_scroll_0&pgtype=article")[2] == clean


def test_amp_copy_points_to_the_article(replica, client):
    spec = _first(replica.world, lambda s: s.kind == "article" and s.access == "free")
    status, _, body = client.get("/amp" + spec.path)
    assert status == 200
    canonical = re.search(rb'<link rel="canonical" href="([^"]+)"', body)
    assert canonical and canonical.group(1).decode() == replica.base_url + spec.path
    assert client.get("/amp/news/china/article/1/x")[0] == 404


def test_truth_and_articles_json(replica, client):
    world = replica.world
    listed = client.json("/__replica__/articles.json")
    expected = [s for s in (world.spec(i) for i in range(world.count)) if s.is_article]
    assert listed["count"] == len(expected) == len(listed["articles"])
    assert [a["article_id"] for a in listed["articles"]] == [str(s.article_id) for s in expected]
    everything = client.json("/__replica__/articles.json?kinds=article,opinion,video,gallery")
    assert everything["count"] == world.count
    china = client.json("/__replica__/articles.json?section=news/china")
    assert china["count"] and all(a["section"].startswith("news/china") for a in china["articles"])
    middle = listed["articles"][len(expected) // 2]["published_at"]
    older = client.json(f"/__replica__/articles.json?until={middle}")
    newer = client.json(f"/__replica__/articles.json?since={middle}")
    assert older["count"] + newer["count"] == listed["count"]
    first = listed["articles"][0]
    truth = client.json(f"/__replica__/truth/{first['article_id']}.json")
    assert truth["canonical_url"] == first["url"] and truth["published_at"] == first["published_at"]
    assert truth["body"] and truth["headline"]
    assert client.get("/__replica__/truth/1234567.json")[0] == 404
    assert client.get("/__replica__/truth/abc.json")[0] == 400
    assert client.get("/__replica__/articles.json?since=yesterday")[0] == 400
    assert client.get("/__replica__/articles.json?section=nowhere")[0] == 400
    assert client.get("/__replica__/articles.json?kinds=podcast")[0] == 400


def test_clock_advance_publishes_and_updates(fresh_replica):
    client = Client(fresh_replica.base_url)
    before = client.json("/__replica__/clock")
    listed = {a["article_id"]: a for a in client.json("/__replica__/articles.json")["articles"]}
    etags = {}
    for article_id, entry in listed.items():
        path = urllib.parse.urlsplit(entry["url"]).path
        etags[article_id] = (path, client.get(path, method="HEAD")[1]["ETag"])
    changes = client.json("/__replica__/clock/advance?minutes=360", method="POST")
    assert changes["now_ms"] == before["now_ms"] + 360 * 60_000
    assert len(changes["published"]) >= 6 and changes["updated"]
    after = {a["article_id"]: a for a in client.json("/__replica__/articles.json")["articles"]}
    new_articles = set(after) - set(listed)
    assert new_articles and new_articles <= set(changes["published"])
    for article_id in new_articles:
        assert client.get(urllib.parse.urlsplit(after[article_id]["url"]).path)[0] == 200
    for article_id in changes["updated"]:
        path, old_etag = etags[article_id]
        status, headers, _ = client.get(path, headers={"If-None-Match": old_etag})
        assert status == 200 and headers["ETag"] != old_etag
        assert after[article_id]["updated_at"] > listed[article_id]["updated_at"]
        truth = client.json(f"/__replica__/truth/{article_id}.json")
        assert truth["version"] == after[article_id]["version"] >= 1
    unchanged = next(a for a in listed if a not in changes["updated"])
    path, old_etag = etags[unchanged]
    assert client.get(path, headers={"If-None-Match": old_etag})[0] == 304
    assert client.get("/__replica__/clock/advance?minutes=-5", method="POST")[0] == 400
    assert client.get("/__replica__/clock/advance", method="POST")[0] == 400
    assert client.get("/__replica__/clock/advance?minutes=soon", method="POST")[0] == 400


def test_stats_count_requests_by_kind(fresh_replica):
    client = Client(fresh_replica.base_url)
    client.json("/__replica__/stats/reset", method="POST")
    spec = _first(fresh_replica.world, lambda s: s.kind == "article")
    _, headers, _ = client.get(spec.path)
    client.get(spec.path, headers={"If-None-Match": headers["ETag"]})
    client.get("/amp" + spec.path)
    client.get("/robots.txt")
    client.get("/rss/feed")
    client.get("/sitemap/archives-0.xml")
    client.get("/news/china")
    stats = client.json("/__replica__/stats")
    assert stats["requests"] == {"article": 2, "amp": 1, "robots": 1, "feed": 1, "sitemap": 1,
                                 "section": 1}
    assert stats["not_modified"] == 1
    assert stats["article_fetches"] == {str(spec.article_id): 2}
    assert client.json("/__replica__/stats/reset", method="POST")["total"] == 0


def _gateway_query(section: str, sha: str, after: str | None = None) -> str:
    return "/content-delivery/v2?" + urllib.parse.urlencode({
        "operationName": gateway_contract(1, 1).operation_name,
        "variables": json.dumps({"sectionUrlAlias": section, "after": after, "count": 20}),
        "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}}),
    })


def test_gateway_checks_key_and_hash(fresh_replica):
    client = Client(fresh_replica.base_url)
    contract = gateway_contract(7, 1)
    headers = {"apikey": contract.apikey, "content-type": "application/json"}
    query = _gateway_query("/news/china", contract.sha256_hash)
    status, _, body = client.get(query, headers=headers)
    assert status == 200
    page = json.loads(body)["data"]["contents"]
    assert page["edges"] and page["pageInfo"]["endCursor"]
    status, _, body = client.get(query)
    assert status == 400 and "apikey" in json.loads(body)["errors"][0]["message"]
    status, _, body = client.get(_gateway_query("/news/china", contract.sha256_hash, "garbage"),
                                 headers=headers)
    assert status == 400 and json.loads(body)["errors"]
    status, _, body = client.get(_gateway_query("/nowhere", contract.sha256_hash), headers=headers)
    assert status == 400
    client.json("/__replica__/deploy", method="POST")
    status, _, body = client.get(query, headers=headers)
    assert status == 400 and json.loads(body)["errors"][0]["message"] == "PersistedQueryNotFound"
    fresh = gateway_contract(7, 2)
    assert client.get(_gateway_query("/news/china", fresh.sha256_hash), headers=headers)[0] == 200


def _statuses(base: str, paths: list[str]) -> list[object]:
    client = Client(base)
    out: list[object] = []
    for path in paths:
        try:
            out.append(client.get(path)[0])
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            out.append(type(exc).__name__)
    return out


def test_faults_are_deterministic_and_retries_get_through():
    config = ReplicaConfig(articles=300, seed=3, crawl_delay=0)
    profile = FaultProfile(rate=0.5, kinds=("500", "503", "429", "reset", "truncate"), seed=9)
    runs = []
    for _ in range(2):
        with ReplicaServer(config, faults=profile) as server:
            world = server.world
            paths = [world.spec(i).path for i in range(40) if world.spec(i).is_article]
            first = _statuses(server.base_url, paths)
            second = _statuses(server.base_url, paths)
            third = _statuses(server.base_url, paths)
            stats = Client(server.base_url).json("/__replica__/stats")
            runs.append((first, second, third, stats["faults"]))
    assert runs[0] == runs[1]  # the same faults for the same seed, URL and attempt
    first, second, third, faults = runs[0]
    assert {500, 503, 429} <= set(first) and {"RemoteDisconnected", "ConnectionResetError",
                                              "IncompleteRead"} & set(first)
    assert set(third) == {200}  # max_attempts=2: the third attempt always succeeds
    assert sum(faults.values()) == sum(1 for s in first + second if s != 200)


def test_fault_answers_and_controls(fresh_replica):
    client = Client(fresh_replica.base_url)
    status, _, body = client.get("/__replica__/faults?kinds=500+fire", method="POST")
    assert status == 400 and b"fire" in body
    assert client.get("/__replica__/faults?rate=2", method="POST")[0] == 400
    client.json("/__replica__/faults?rate=1&kinds=503&max_attempts=1&retry_after=7", method="POST")
    spec = _first(fresh_replica.world, lambda s: s.kind == "article")
    status, headers, _ = client.get(spec.path)
    assert status == 503 and headers["Retry-After"] == "7"
    assert client.get(spec.path)[0] == 200
    assert client.get("/robots.txt")[0] == 200  # robots.txt is never faulted
    client.json("/__replica__/faults?rate=1&kinds=bad_nextdata", method="POST")
    status, _, body = client.get(spec.path)
    nextdata = re.search(rb'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>',
                         body, re.S)
    assert status == 200 and nextdata
    with pytest.raises(ValueError):
        json.loads(nextdata.group(1))
    assert client.json("/__replica__/faults?off", method="POST")["rate"] == 0
    status, _, body = client.get(spec.path)
    nextdata = re.search(rb'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>',
                         body, re.S)
    assert status == 200 and json.loads(nextdata.group(1))


def test_hundred_thousand_articles_without_pregeneration():
    with ReplicaServer(ReplicaConfig(articles=100_000, seed=2, crawl_delay=0)) as server:
        client = Client(server.base_url)
        world = server.world
        for index in (0, 50_000, world.count - 1):
            spec = world.spec(index)
            assert client.get(spec.path)[0] in (200,)
        assert client.get("/news/hong-kong")[0] == 200
        clock = client.json("/__replica__/clock")
        assert clock["items"] == 100_000
