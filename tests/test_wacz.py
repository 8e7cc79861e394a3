"""`newscrawl wacz`: two --warc crawls of a small replica packaged as a WACZ, which py-wacz's
validator accepts and pywb (in a virtualenv of its own, tests/utils/pywb.py) replays once the
replica is gone: every story version at the capture it was read from, and the discovery layer
(robots.txt, sitemaps, feeds, section pages, a page of the load-more API). Then the command's
one-line refusals, and the WARC check they rest on."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from newscrawl.items import to_record
from newscrawl.layout import DataDir
from newscrawl.outlets.scmp import SCMP
from newscrawl.records.cleaning import clean_record
from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from newscrawl.runs.locks import RunLock
from newscrawl.store import open_store
from newscrawl.warc import DamagedWarc, RotatingWarcWriter, check_warc, iter_warc_responses
from tests.utils.cli import crawl, run_cli
from tests.utils.client import Client
from tests.utils.pywb import Wayback
from tests.utils.records import record as stored_record


# -- a crawl, packaged ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A first --warc crawl of 8 stories, the replica's clock a day on (new and edited
    stories), an incremental --warc crawl; then the replica stops."""
    data = tmp_path_factory.mktemp("wacz") / "data"
    with ReplicaServer(ReplicaConfig(articles=40, seed=4, crawl_delay=0)) as replica:
        crawl(replica, data, "--warc", "--max-articles", "8")
        Client(replica.base_url).json("/__replica__/clock/advance?minutes=1440", method="POST")
        crawl(replica, data, "--warc")
        base = replica.base_url
    warcs = sorted((data / "scmp" / "warc").iterdir())
    assert len(warcs) == 2
    return {"data": data, "base": base, "warcs": warcs}


@pytest.fixture(scope="module")
def package(crawled):
    out = crawled["data"].parent / "crawl.wacz"
    done = run_cli("wacz", "--data-dir", str(crawled["data"]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as wacz:
        members = {info.filename: info for info in wacz.infolist()}
        contents = {name: wacz.read(name) for name in members}
    lines = contents["pages/pages.jsonl"].decode().splitlines()
    index = [line.split(" ", 2) for line in gzip.decompress(
        contents["indexes/index.cdx.gz"]).decode().splitlines()]
    return {**crawled, "out": out, "stdout": done.stdout, "members": members,
            "contents": contents, "header": json.loads(lines[0]),
            "pages": [json.loads(line) for line in lines[1:]],
            "index": [(key, ts, json.loads(fields)) for key, ts, fields in index]}


@pytest.fixture(scope="module")
def wayback(package, tmp_path_factory):
    server = Wayback(tmp_path_factory.mktemp("pywb"), "crawl", package["out"])
    yield server
    server.stop()


def versions(data) -> dict[tuple[str, int], dict]:
    with sqlite3.connect(data / "scmp" / "archive.sqlite") as db:
        return {(aid, n): json.loads(record) for aid, n, record in
                db.execute("SELECT article_id, revision, record FROM revisions")}


def replayed(wayback: Wayback, timestamp: str, url: str, modifier: str = "id_") -> bytes:
    status, body = wayback.get(timestamp, url, modifier)
    assert status == 200, (url, status, body[:300])
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def ts14(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y%m%d%H%M%S")


# -- the package ------------------------------------------------------------------------------
def test_py_wacz_validates_the_package_and_refuses_a_tampered_copy(package, tmp_path):
    # py-wacz's console script (`python -m wacz` exits 0 whatever it finds).
    check = [str(Path(sys.executable).with_name("wacz")), "validate", "-f"]
    done = subprocess.run([*check, str(package["out"])], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "is valid" in done.stdout, done.stdout + done.stderr
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(package["out"]) as source, zipfile.ZipFile(tampered, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            # One letter changed, the size kept: only the hash tells.
            copy.writestr(info, data.replace(b'"title": "Pages"', b'"title": "Pagez"') if
                          info.filename == "pages/pages.jsonl" else data)
    bad = subprocess.run([*check, str(tampered)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "Validation failed" in bad.stdout
    assert "hash" in bad.stdout.split("Validation failed")[0]


def test_the_warc_files_are_stored_whole_and_the_datapackage_hashes_every_file(package):
    members, contents = package["members"], package["contents"]
    for path in package["warcs"]:
        member = f"archive/{path.name}"
        assert contents[member] == path.read_bytes()
        assert members[member].compress_type == zipfile.ZIP_STORED  # readable by offset
    assert members["indexes/index.cdx.gz"].compress_type == zipfile.ZIP_STORED
    datapackage = json.loads(contents["datapackage.json"])
    assert datapackage["wacz_version"] == "1.1.1" and datapackage["profile"] == "data-package"
    listed = {r["path"]: r for r in datapackage["resources"]}
    assert set(listed) == set(members) - {"datapackage.json", "datapackage-digest.json"}
    for name, resource in listed.items():
        assert resource["hash"] == "sha256:" + hashlib.sha256(contents[name]).hexdigest()
        assert resource["bytes"] == len(contents[name])
    digest = json.loads(contents["datapackage-digest.json"])
    assert digest["hash"] == "sha256:" + hashlib.sha256(contents["datapackage.json"]).hexdigest()


def test_every_index_line_points_at_its_record(package):
    contents, index = package["contents"], package["index"]
    assert [entry[:2] for entry in index] == sorted(entry[:2] for entry in index)
    responses = sum(1 for r in iter_warc_responses(package["warcs"]))
    assert len(index) == responses  # every response (no request or warcinfo record)
    for _key, timestamp, entry in index:
        archive = contents[f"archive/{entry['filename']}"]
        offset, length = int(entry["offset"]), int(entry["length"])
        (record,) = ArchiveIterator(io.BytesIO(archive[offset:offset + length]))
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        assert ts14(record.rec_headers.get_header("WARC-Date")) == timestamp
        assert record.http_headers.get_statuscode() == entry["status"]
    # The block index names each gzip block's first key, offset and length.
    blocks = [line.split(" ", 2) for line in
              contents["indexes/index.idx"].decode().splitlines()[1:]]
    assert blocks and json.loads(blocks[0][2])["offset"] == 0
    assert sum(json.loads(b[2])["length"] for b in blocks) == \
        len(contents["indexes/index.cdx.gz"])


def test_the_pages_are_the_archives_story_versions(package):
    stored = versions(package["data"])
    pages = {(p["article_id"], p["revision"]): p for p in package["pages"]}
    assert package["header"] == {"format": "json-pages-1.0", "id": "pages", "title": "Pages",
                                 "hasText": True}
    assert set(pages) == set(stored)  # both crawls kept their WARC files: every version
    assert len({p["id"] for p in package["pages"]}) == len(pages)
    assert any(n == 2 for _, n in pages)  # the edited stories have a page per version
    for key, page in pages.items():
        assert page["url"] == stored[key]["url"]
        assert (page["title"], page["text"]) == (stored[key]["headline"], stored[key]["body"])
    assert f"{len(pages)} pages" in package["stdout"]
    assert "without a page" not in package["stdout"]


def test_versions_whose_capture_is_not_packaged_have_no_page(package, tmp_path):
    second = package["warcs"][1]  # the incremental run's file only
    out = tmp_path / "second.wacz"
    done = run_cli("wacz", "--data-dir", str(package["data"]), "--warc", str(second),
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as wacz:
        assert [n for n in wacz.namelist() if n.startswith("archive/")] == \
            [f"archive/{second.name}"]
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()[1:]]
    first = {p["id"] for p in package["pages"] if ts14(p["ts"]) < second.name[5:19]}
    assert first and not first & {p["id"] for p in pages}
    assert f"stored versions without a page: {len(first)} " in done.stdout


def test_pages_from_postgresql_and_sqlite_alike_each_version_at_its_own_capture(
        postgres, tmp_path):
    """Captures written a moment before each version was stamped are its pages; a re-fetch
    that found no change is no page, nor is a capture from long before a version."""
    story = "https://www.scmp.com/news/article/3500001/x"
    other = "https://www.scmp.com/news/article/3500002/y"
    first = stored_record("3500001", "First version. " * 30, url=story,
                   fetched_at="2026-06-02T00:00:05Z")
    stored = [first, dict(first, body="Second version. " * 30, fetched_at="2026-06-03T00:00:05Z"),
              stored_record("3500002", "Captured long before. " * 30, url=other,
                     fetched_at="2026-06-02T01:00:00Z")]
    writer = RotatingWarcWriter(tmp_path / "warc", "scmp")
    for url, when in ((story, "2026-06-02T00:00:04"), (story, "2026-06-02T12:00:00"),
                      (story, "2026-06-03T00:00:03"), (other, "2026-06-02T00:40:00")):
        writer.write_exchange(url=url, fetched_at=datetime.fromisoformat(when + "+00:00"),
                              method="GET", request_headers=[], request_body=b"",
                              protocol="HTTP/1.1", status=200,
                              response_headers=[("Content-Type", "text/html; charset=utf-8")],
                              body=b"<html><p>a page</p></html>")
    writer.close()
    answers = []
    for target in (str(tmp_path / "archive.sqlite"), postgres.database()):
        with open_store(target, DataDir.of(tmp_path, "scmp"), journal=False) as archive:
            for version in stored:
                archive.store_article(version)
        out = tmp_path / f"{len(answers)}.wacz"
        done = run_cli("wacz", "--warc", str(tmp_path / "warc"), "--db", target, "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert "stored versions without a page: 1 " in done.stdout
        with zipfile.ZipFile(out) as wacz:
            answers.append([json.loads(line) for line in
                            wacz.read("pages/pages.jsonl").splitlines()[1:]])
    assert answers[0] == answers[1]
    assert [(p["id"], p["ts"], p["text"][:15]) for p in answers[0]] == [
        ("scmp:3500001:1", "2026-06-02T00:00:04Z", "First version. "),
        ("scmp:3500001:2", "2026-06-03T00:00:03Z", "Second version."),
    ]


# -- replayed by pywb -------------------------------------------------------------------------
def test_pywb_replays_every_story_version_from_its_own_capture(package, wayback):
    """The replica is down: each page's capture, as pywb serves it, parses to that version."""
    for page in package["pages"]:
        html = replayed(wayback, ts14(page["ts"]), page["url"]).decode()
        fetched = datetime.fromisoformat(page["ts"].replace("Z", "+00:00"))
        record = to_record(SCMP.parser_for(fetched).parse(page["url"], html, fetched))
        clean_record(record, SCMP.furniture)
        assert (record["headline"], record["body"]) == (page["title"], page["text"]), page["id"]


def test_pywb_replays_an_article_page_rewritten_for_the_browser(package, wayback):
    page = package["pages"][0]
    html = replayed(wayback, ts14(page["ts"]), page["url"], "mp_").decode()
    assert page["title"].split(" | ")[-1][:40] in unescape(html)
    # Links now lead into the collection, not to the site.
    assert f"/crawl/{ts14(page['ts'])}mp_/{package['base']}/" in html


def test_pywb_replays_the_discovery_layer(package, wayback):
    stored = {}
    for response in iter_warc_responses(package["warcs"]):
        stored.setdefault(urlsplit(response.url).path, []).append(response)
    base = package["base"]
    # robots.txt was fetched by each run (the robots cache answers only runs without --warc).
    assert [r.status for r in stored["/robots.txt"]] == [200, 200]
    for path, marker in (("/robots.txt", b"User-agent"), ("/sitemap_news.xml", b"<urlset"),
                         ("/sitemap/archives-0.xml", b"<sitemapindex"),
                         ("/rss/feed", b"<rss"), ("/news/china", b"__NEXT_DATA__")):
        for response in stored[path]:
            timestamp = response.fetched_at.strftime("%Y%m%d%H%M%S")
            body = replayed(wayback, timestamp, base + path)
            assert body == response.body and marker in body, path
    assert stored["/content-delivery/v2"]  # pages of the sections' load-more API
    for api in stored["/content-delivery/v2"]:
        body = replayed(wayback, api.fetched_at.strftime("%Y%m%d%H%M%S"), api.url)
        assert body == api.body and json.loads(body)["data"]


# -- refusals, in one line ----------------------------------------------------------------------
def refused(*args: str, code: int = 1) -> str:
    done = run_cli("wacz", *args)
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and not done.stdout, done.stderr
    return done.stderr


def test_refusals_are_one_line(package, tmp_path):
    empty = tmp_path / "empty"
    assert "no WARC files in" in refused("--data-dir", str(empty), "--out", str(tmp_path / "a.wacz"))
    assert "no WARC file or directory at" in refused(
        "--warc", str(tmp_path / "nowhere"), "--out", str(tmp_path / "a.wacz"))
    assert ".wacz" in refused("--data-dir", str(package["data"]), "--out",
                              str(tmp_path / "a.zip"), code=2)

    # WARC files but no archive to take the pages from.
    bare = tmp_path / "bare"
    shutil.copytree(package["data"] / "scmp" / "warc", bare / "scmp" / "warc")
    assert "no archive at" in refused("--data-dir", str(bare), "--out", str(tmp_path / "b.wacz"))

    # An output that cannot be written: nothing is left behind.
    for out in (tmp_path / "missing" / "c.wacz", tmp_path / "dir.wacz"):
        (tmp_path / "dir.wacz").mkdir(exist_ok=True)
        line = refused("--data-dir", str(package["data"]), "--out", str(out))
        assert f"cannot write {out}" in line
    assert not list(tmp_path.glob(".*.tmp")) and not list((tmp_path / "dir.wacz").iterdir())

    # A crawl of the outlet is running: its newest WARC file is not finished.
    with RunLock(package["data"] / "scmp" / "crawl.lock"):
        assert "in progress" in refused("--data-dir", str(package["data"]), "--out",
                                        str(tmp_path / "d.wacz"))
    assert not (tmp_path / "d.wacz").exists()


def test_a_damaged_warc_file_is_refused_by_name(package, tmp_path):
    torn = tmp_path / "scmp" / "warc"
    shutil.copytree(package["data"] / "scmp", tmp_path / "scmp")
    damaged = sorted(torn.iterdir())[1]
    damaged.write_bytes(damaged.read_bytes()[:-5000])  # as a kill mid-write leaves it
    line = refused("--data-dir", str(tmp_path), "--out", str(tmp_path / "e.wacz"))
    assert str(damaged) in line and "cut short" in line and "--warc" in line
    assert not (tmp_path / "e.wacz").exists()
    # Leaving it out, the rest is packaged.
    done = run_cli("wacz", "--data-dir", str(tmp_path), "--warc", str(sorted(torn.iterdir())[0]),
                   "--out", str(tmp_path / "e.wacz"))
    assert done.returncode == 0, done.stderr


# -- the check behind it ----------------------------------------------------------------------
def written(tmp_path) -> bytes:
    writer = RotatingWarcWriter(tmp_path, "scmp")
    for n in range(5):
        writer.write_exchange(
            url=f"https://example.com/{n}", fetched_at=datetime(2026, 6, 1, tzinfo=UTC),
            method="GET", request_headers=[], request_body=b"", protocol="HTTP/1.1",
            status=200, response_headers=[("Content-Type", "text/html")],
            body=f"<p>page {n}</p>".encode() * 400)
    writer.close()
    return writer.paths[0].read_bytes()


@pytest.mark.parametrize(("damage", "says"), [
    (lambda d: d[:len(d) // 2], "cut short|torn gzip member"),
    (lambda d: d[:-4], "torn gzip member"),
    (lambda d: d[:3000] + bytes([d[3000] ^ 0xFF]) + d[3001:], r"unreadable after \d+ records"),
    (lambda d: d + b"\x1f\x8b\x08\x00 not a member", "unreadable after 11 records"),
    (lambda d: d + b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "bytes after its last whole record"),
    (lambda d: b"GIF89a" + d, "is no WARC file"),
    (lambda d: b"", "holds no WARC record"),
])
def test_check_warc_finds_damage(tmp_path, damage, says):
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(damage(written(tmp_path / "w")))
    with pytest.raises(DamagedWarc, match=says) as found:
        check_warc(path)
    assert str(path) in str(found.value) and str(found.value).isprintable()


def test_check_warc_counts_the_records_of_whole_files(tmp_path):
    data = written(tmp_path / "w")
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(data)
    assert check_warc(path) == 11  # warcinfo + 5 request/response pairs
    plain = tmp_path / "whole.warc"
    plain.write_bytes(gzip.decompress(data))
    assert check_warc(plain) == 11
