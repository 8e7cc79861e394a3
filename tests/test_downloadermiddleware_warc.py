"""WARC capture: a real Scrapy crawl of the replica written to WARC and read back, rotation,
and files left by a killed writer."""

from __future__ import annotations

import gzip
import json
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from newscrawl import settings
from newscrawl.config import ConfigError
from newscrawl.discovery import parse_sitemap
from newscrawl.downloadermiddlewares.warc import WarcCaptureMiddleware
from newscrawl.outlets.scmp import SCMP
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.warc import RotatingWarcWriter, iter_warc_responses

ROOT = Path(__file__).resolve().parents[1]
MIDDLEWARE_ORDER = settings.DOWNLOADER_MIDDLEWARES[
    "newscrawl.downloadermiddlewares.warc.WarcCaptureMiddleware"]
NAME = re.compile(r"^scmp-\d{14}-\d{5}\.warc\.gz$")

CRAWL_SCRIPT = textwrap.dedent("""
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls, data_dir, max_bytes, order = json.loads(sys.argv[1]), sys.argv[2], *map(int, sys.argv[3:])

    class ArticlePages(scrapy.Spider):
        name = "warc-test"
        outlet_name = "scmp"
        custom_settings = {"HTTPERROR_ALLOW_ALL": True}

        async def start(self):
            for url in urls:
                yield scrapy.Request(url)

        def parse(self, response):
            yield {"url": response.url, "status": response.status, "bytes": len(response.body)}

    process = CrawlerProcess({
        "NEWSCRAWL_WARC": True,
        "NEWSCRAWL_WARC_MAX_BYTES": max_bytes,
        "NEWSCRAWL_DATA_DIR": data_dir,
        "DOWNLOADER_MIDDLEWARES": {"newscrawl.downloadermiddlewares.warc.WarcCaptureMiddleware": order},
        "ROBOTSTXT_OBEY": True,
        "LOG_LEVEL": "INFO",
        "FEEDS": {data_dir + "/items.jsonl": {"format": "jsonlines"}},
    })
    process.crawl(ArticlePages)
    process.start()
""")


def exchange(writer: RotatingWarcWriter, n: int, size: int = 1000) -> bytes:
    # Random bytes: gzip cannot shrink them, so file sizes are predictable.
    body = (f"<html><p>page {n}</p>".encode() + random.Random(n).randbytes(size))[:size]
    writer.write_exchange(
        url=f"https://example.com/a/article/{1000000 + n}/x?y=1",
        fetched_at=datetime(2026, 6, 1, 8, 0, n % 60, tzinfo=UTC), method="GET",
        request_headers=[("User-Agent", "t")], request_body=b"", protocol="HTTP/1.1",
        status=200, response_headers=[("Content-Type", "text/html")], body=body)
    return body


# -- a real crawl -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crawl(replica, client, tmp_path_factory):
    """Six article pages (every generation the replica serves comes up in the first
    dozens), a renamed article's old URL (a 301), and a 404, fetched by Scrapy with the
    middleware on and a small rotation size."""
    listed = client.json("/__replica__/articles.json")["articles"]
    picks = listed[::len(listed) // 6][:6]
    index = parse_sitemap(client.get("/sitemap/archives-0.xml")[2], client.base)
    current = {a["article_id"]: a["url"] for a in listed}
    old_url = next(
        e.url for child in index.sitemaps
        for e in parse_sitemap(client.get(urlsplit(child.url).path)[2], child.url).entries
        if current.get(SCMP.article_id_from_url(e.url), e.url) != e.url)
    urls = [a["url"] for a in picks] + [old_url, client.base + "/news/no-such-page"]
    data_dir = tmp_path_factory.mktemp("warc-crawl")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", CRAWL_SCRIPT, json.dumps(urls), str(data_dir), "150000", str(MIDDLEWARE_ORDER)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = sorted((data_dir / "scmp" / "warc").iterdir())
    return {"urls": urls, "picks": picks, "old_url": old_url, "files": files,
            "log": proc.stderr, "seconds": time.monotonic() - started,
            "items": [json.loads(line) for line in (data_dir / "items.jsonl").open()]}


def test_crawl_bodies_equal_what_the_replica_serves(crawl, client):
    responses = {r.url: r for r in iter_warc_responses(crawl["files"])}
    for article in crawl["picks"]:
        stored = responses[article["url"]]
        status, headers, served = client.get(urlsplit(article["url"]).path)
        assert (stored.status, status) == (200, 200)
        assert stored.body == served
        assert not any(k.lower() == "content-encoding" for k, _ in stored.headers)
        assert abs((datetime.now(UTC) - stored.fetched_at).total_seconds()) < 300
    assert responses[crawl["urls"][-1]].status == 404
    assert urlsplit(crawl["urls"][0]).netloc in responses[crawl["urls"][0]].url
    assert client.base + "/robots.txt" in responses  # what the middlewares fetch is kept too


def test_parser_reads_stored_pages_like_the_truth(crawl, client):
    parser = ScmpParserV1()
    stored = {r.url: r for r in iter_warc_responses(crawl["files"])}
    for article in crawl["picks"]:
        response = stored[article["url"]]
        record = parser.parse(response.url, response.body.decode("utf-8"), response.fetched_at)
        truth = client.json(f"/__replica__/truth/{article['article_id']}.json")
        assert record.headline == truth["headline"], response.url


def test_redirects_are_kept_before_redirect_middleware_follows_them(crawl):
    stored = list(iter_warc_responses(crawl["files"]))
    redirect = next(r for r in stored if r.url == crawl["old_url"])
    assert redirect.status == 301
    location = dict((k.lower(), v) for k, v in redirect.headers)["location"]
    assert SCMP.article_id_from_url(location) == SCMP.article_id_from_url(crawl["old_url"])
    # ... and the page it led to was fetched and kept as well.
    assert any(r.status == 200 and r.url.endswith(urlsplit(location).path) for r in stored)
    assert {item["status"] for item in crawl["items"]} == {200, 404}


def test_records_are_valid_warc_with_the_body_as_received(crawl):
    assert len(crawl["files"]) >= 2  # rotated at 150 kB
    assert all(NAME.match(path.name) for path in crawl["files"])
    pairs = 0
    for path in crawl["files"]:
        with path.open("rb") as stream:
            records = list(_records(stream))
        assert records[0]["type"] == "warcinfo"
        assert path.stat().st_size <= 150_000 or len(records) == 3
        responses = {r["id"]: r for r in records if r["type"] == "response"}
        for request in (r for r in records if r["type"] == "request"):
            response = responses[request["concurrent_to"]]
            assert request["uri"] == response["uri"] and request["date"] == response["date"]
            assert request["status_line"].startswith("GET /")
            assert request["headers"]["host"] == urlsplit(response["uri"]).netloc
            assert "gzip" in request["headers"]["accept-encoding"]
            pairs += 1
        for response in responses.values():
            headers = response["headers"]
            assert response["status_line"].split()[:2] in (
                ["HTTP/1.1", "200"], ["HTTP/1.1", "301"], ["HTTP/1.1", "404"])
            assert "transfer-encoding" not in headers
            assert int(headers["content-length"]) == len(response["payload"])
            if headers.get("content-encoding") == "gzip":  # compressed, as the server sent it
                assert response["payload"][:2] == b"\x1f\x8b"
                gzip.decompress(response["payload"])
    assert pairs == len(crawl["urls"]) + 2  # + robots.txt + the redirect's target
    from warcio.cli import main as warcio_main
    with pytest.raises(SystemExit) as done:  # warcio's own validator: digests and structure
        warcio_main(["check", *map(str, crawl["files"])])
    assert done.value.code == 0


def test_crawl_is_quick(crawl):
    assert crawl["seconds"] < 45


def _records(stream):
    for record in ArchiveIterator(stream, check_digests="raise"):
        http = record.http_headers
        yield {
            "type": record.rec_type,
            "id": record.rec_headers.get_header("WARC-Record-ID"),
            "uri": record.rec_headers.get_header("WARC-Target-URI"),
            "date": record.rec_headers.get_header("WARC-Date"),
            "concurrent_to": record.rec_headers.get_header("WARC-Concurrent-To"),
            "status_line": f"{http.protocol} {http.statusline}" if http else "",
            "headers": {k.lower(): v for k, v in http.headers} if http else {},
            "payload": record.raw_stream.read(),
        }


# -- the middleware's switches ----------------------------------------------------------------
def test_off_unless_newscrawl_warc():
    with pytest.raises(NotConfigured):
        WarcCaptureMiddleware.from_crawler(get_crawler(settings_dict={}))


@pytest.mark.parametrize("value", ["lots", 0, -5])
def test_nonsense_max_bytes_fails_early(value):
    crawler = get_crawler(settings_dict={"NEWSCRAWL_WARC": True,
                                         "NEWSCRAWL_WARC_MAX_BYTES": value})
    with pytest.raises(ConfigError, match="NEWSCRAWL_WARC_MAX_BYTES"):
        WarcCaptureMiddleware.from_crawler(crawler)


# -- the writer -------------------------------------------------------------------------------
def test_rotation_and_reading_back(tmp_path):
    writer = RotatingWarcWriter(tmp_path, "scmp", max_bytes=20_000)
    bodies = [exchange(writer, n, size=6000) for n in range(12)]
    writer.close()
    writer.close()  # idempotent
    assert len(writer.paths) >= 3 and writer.records == 24
    assert sorted(tmp_path.iterdir()) == sorted(writer.paths)
    assert all(path.stat().st_size <= 20_000 for path in writer.paths)
    assert sum(p.stat().st_size for p in writer.paths) == writer.bytes_written
    read = list(iter_warc_responses(writer.paths))
    assert [r.body for r in read] == bodies
    assert read[3].url == "https://example.com/a/article/1000003/x?y=1"
    assert read[3].fetched_at == datetime(2026, 6, 1, 8, 0, 3, tzinfo=UTC)
    assert read[3].status == 200 and ("Content-Type", "text/html") in read[3].headers
    exchange(writer, 99)  # writing after close opens a new file rather than failing
    writer.close()
    assert len(list(iter_warc_responses(writer.paths[-1:]))) == 1


def test_one_record_larger_than_the_limit_gets_a_file_of_its_own(tmp_path):
    writer = RotatingWarcWriter(tmp_path, "scmp", max_bytes=1000)
    for n in range(3):
        exchange(writer, n, size=5000)
    writer.close()
    assert len(writer.paths) == 3
    assert len(list(iter_warc_responses(writer.paths))) == 3


def test_gzip_deflate_and_unknown_encodings_on_reading(tmp_path):
    writer = RotatingWarcWriter(tmp_path, "scmp")
    page = b"<html>" + b"x" * 3000 + b"</html>"
    for encoding, payload in (("gzip", gzip.compress(page)),
                              ("deflate", zlib.compress(page)),
                              ("snappy", b"opaque bytes")):
        writer.write_exchange(url=f"https://e.com/{encoding}", fetched_at=datetime.now(UTC),
                              method="GET", request_headers=[], request_body=b"",
                              protocol="HTTP/1.1", status=200,
                              response_headers=[("Content-Encoding", encoding)], body=payload)
    writer.close()
    gz, deflate, unknown = iter_warc_responses(writer.paths)
    assert gz.body == deflate.body == page
    assert all(k.lower() != "content-encoding" for k, _ in gz.headers)
    assert unknown.body == b"opaque bytes" and ("Content-Encoding", "snappy") in unknown.headers


def test_torn_tail_yields_complete_records_and_warns(tmp_path, caplog):
    writer = RotatingWarcWriter(tmp_path, "scmp")
    bodies = [exchange(writer, n, size=4000) for n in range(4)]
    writer.close()
    path = writer.paths[0]
    data = path.read_bytes()
    path.write_bytes(data[:-700])  # the last pair loses its end, as if killed mid-write
    assert [r.body for r in iter_warc_responses([path])] == bodies[:3]
    assert "unreadable after 3 responses" in caplog.text and "cut short" in caplog.text
    path.write_bytes(data + b"\x1f\x8b\x08\x00 not a gzip member")  # garbage after the end
    assert [r.body for r in iter_warc_responses([path])] == bodies
    assert "unreadable after 4 responses" in caplog.text


KILLED_WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from newscrawl.warc import RotatingWarcWriter

    writer = RotatingWarcWriter(sys.argv[1], "scmp", max_bytes=10**9)
    n = 0
    while True:
        body = (b"%08d" % n) * 25_000
        writer.write_exchange(url=f"https://e.com/{n}", fetched_at=datetime.now(UTC),
                              method="GET", request_headers=[], request_body=b"",
                              protocol="HTTP/1.1", status=200, response_headers=[], body=body)
        print(n, flush=True)
        n += 1
""")


def test_file_of_a_killed_writer_is_readable(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if int(line) >= 20:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(10)
    (path,) = tmp_path.iterdir()
    read = list(iter_warc_responses([path]))
    assert len(read) >= 21
    for n, response in enumerate(read):
        assert response.url == f"https://e.com/{n}"
        assert response.body == (b"%08d" % n) * 25_000
    # warcio itself reads every complete record too.
    with path.open("rb") as stream:
        assert sum(1 for r in _safe(ArchiveIterator(stream)) if r.rec_type == "response") \
            >= len(read)


def _safe(records):
    try:
        for record in records:
            record.raw_stream.read()
            yield record
    except Exception:  # the torn tail, if the kill landed mid-record
        return


def test_writer_refuses_nonsense(tmp_path):
    with pytest.raises(ValueError):
        RotatingWarcWriter(tmp_path, "scmp", max_bytes=0)


# -- what a browser fetches for a page --------------------------------------------------------
@pytest.mark.browser
def test_what_chromium_fetches_for_a_section_is_kept_too(tmp_path):
    """A section paged in Chromium: the load-more clicks' API calls and the page's scripts
    never pass through Scrapy; they are written as subresources of the rendered page."""
    from newscrawl.replica import ReplicaConfig
    from newscrawl.replica.server import ReplicaServer
    from newscrawl.warc import check_warc
    from tests.utils.cli import run_cli

    with ReplicaServer(ReplicaConfig(articles=150, seed=4, crawl_delay=0)) as replica:
        done = run_cli("crawl", "scmp", "--base-url", replica.base_url, "--data-dir",
                       str(tmp_path), "--warc", "--pagination", "browser", "--sections",
                       "news/hong-kong", "-s", "NEWSCRAWL_DISCOVERY=sections",
                       "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0")
        assert done.returncode == 0, done.stderr[-3000:]
    files = sorted((tmp_path / "scmp" / "warc").iterdir())
    records, flags = [], {}
    for path in files:
        with path.open("rb") as stream:
            records += list(_records(stream))  # digests checked
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    flags[record.rec_headers.get_header("WARC-Target-URI")] = \
                        record.rec_headers.get_header("WARC-Newscrawl-Flags")
    section = replica.base_url + "/news/hong-kong"
    assert flags[section] == "playwright"  # the page itself: once, as rendered
    assert sum(1 for r in records if r["type"] == "response" and r["uri"] == section) == 1
    api = [r for r in records if r["type"] == "response" and "/content-delivery/v2?" in r["uri"]]
    assert api and all(flags[r["uri"]] == "playwright subresource" for r in api)
    for response in api:  # stored decoded, as Playwright gives it, and said so
        assert "content-encoding" not in response["headers"]
        assert int(response["headers"]["content-length"]) == len(response["payload"])
        assert json.loads(response["payload"])["data"]
    assert any(uri.endswith(".js") for uri, flag in flags.items()
               if flag == "playwright subresource")
    assert all(check_warc(path) for path in files)  # whole, digests and all
