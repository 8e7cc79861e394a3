"""`newscrawl reparse`: the archive rebuilt from a crawl's WARC files equals the crawl's own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from newscrawl.runs.locks import RunLock
from tests.utils.cli import run_cli

# Columns that say how and when a page was fetched, not what it says. A crawl stamps the time
# its spider read the response; reparse uses the WARC record's date, written by the capture
# middleware a moment earlier (the two may straddle a second). How the crawler found the URL
# (a listing, a feed, a sitemap, --urls) is not in the WARC file, so reparse leaves it unknown.
# `id` is SQLite's row number. Everything else must be identical: the fields, the URL fetched,
# the status, the parser version and field sources, the duplicate links, the hashes and the
# revision count.
FETCH_DETAILS = {"id", "fetched_at", "first_fetched_at", "last_checked_at", "discovered_via"}


def crawl(base_url: str, data_dir: Path, *extra: str) -> None:
    result = run_cli("crawl", "scmp", "--base-url", base_url, "--data-dir", str(data_dir),
                     "--warc", "--pagination", "api", "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0",
                     *extra)
    assert result.returncode == 0, result.stderr[-3000:]


def articles(db_path: Path) -> dict[str, dict]:
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        return {row["article_id"]: dict(row) for row in db.execute("SELECT * FROM articles")}


def history(db_path: Path) -> dict[tuple[str, int], str]:
    """Each story's revisions: (article_id, revision) -> content hash."""
    with sqlite3.connect(db_path) as db:
        return {(aid, n): digest for aid, n, digest in db.execute(
            "SELECT article_id, revision, content_hash FROM revisions")}


def assert_same_content(crawled: Path, rebuilt: Path) -> None:
    want, got = articles(crawled), articles(rebuilt)
    assert set(got) == set(want)
    columns = set(next(iter(want.values()))) - FETCH_DETAILS
    assert {"headline", "body", "fetched_url", "duplicate_of", "revision_count"} <= columns
    differing = {(aid, name) for aid, row in want.items() for name in columns
                 if got[aid][name] != row[name]}
    assert not differing, sorted(differing)[:10]
    assert history(rebuilt) == history(crawled)


def variant_urls(replica) -> list[str]:
    """Stories asked for through tracking parameters, AMP copies and old slugs that redirect."""
    world = replica.state.world
    specs = [world.spec(i) for i in range(world.count)]
    free = [s for s in specs if s.is_article and s.access != "plus"]
    old = [s for s in specs if s.is_article and s.old_path][:2]
    return [f"{free[0].path}?utm_source=rss_feed", f"/amp{free[1].path}",
            f"/amp{free[2].path}?utm_campaign=x", *(s.old_path for s in old)]


def test_reparse_rebuilds_the_crawled_archive_and_adds_nothing_to_it(replica, tmp_path):
    crawled, rebuilt = tmp_path / "A", tmp_path / "B" / "archive.sqlite"
    crawl(replica.base_url, crawled, "--urls", ",".join(variant_urls(replica)))
    archive = crawled / "scmp" / "archive.sqlite"
    journal = crawled / "scmp" / "articles.jsonl"

    done = run_cli("reparse", "--data-dir", str(crawled), "--db", str(rebuilt))
    assert done.returncode == 0, done.stderr
    stored = len(articles(archive))
    assert f"{stored} new, 0 revised, 0 unchanged" in done.stdout
    assert "gallery" in done.stdout and "status_301" in done.stdout  # skips, by reason
    assert "parsed with:      scmp.V1 " in done.stdout
    assert_same_content(archive, rebuilt)
    assert not (tmp_path / "B" / "articles.jsonl").exists()  # --db: no journal of its own

    # Into the crawl's own archive: the same parser finds the same content, so nothing changes
    # but the check times, which never move backwards.
    before, lines = articles(archive), journal.read_bytes()
    again = run_cli("reparse", "--data-dir", str(crawled))
    assert again.returncode == 0, again.stderr
    assert f"0 new, 0 revised, {stored} unchanged" in again.stdout
    after = articles(archive)
    assert history(archive) == {(aid, 1): row["content_hash"] for aid, row in before.items()}
    assert journal.read_bytes() == lines
    for aid, row in before.items():
        assert {k: v for k, v in after[aid].items() if k != "last_checked_at"} == \
            {k: v for k, v in row.items() if k != "last_checked_at"}
        assert after[aid]["last_checked_at"] >= row["last_checked_at"]


def test_revisions_replay_in_the_order_the_crawls_met_them(fresh_replica, tmp_path):
    from tests.utils.client import Client

    crawled = tmp_path / "A"
    crawl(fresh_replica.base_url, crawled)
    edited = Client(fresh_replica.base_url).json("/__replica__/clock/advance?minutes=1440",
                                                 method="POST")["updated"]
    crawl(fresh_replica.base_url, crawled)  # incremental: the new and the edited stories
    archive = crawled / "scmp" / "archive.sqlite"
    revised = {aid for (aid, n) in history(archive) if n == 2}
    assert revised and revised <= set(edited)
    assert len(list((crawled / "scmp" / "warc").iterdir())) == 2

    rebuilt = tmp_path / "B.sqlite"
    done = run_cli("reparse", "--data-dir", str(crawled), "--db", str(rebuilt))
    assert done.returncode == 0, done.stderr
    assert f"{len(revised)} revised" in done.stdout
    assert_same_content(archive, rebuilt)


def test_reparse_refuses_in_one_line(tmp_path):
    missing = run_cli("reparse", "--data-dir", str(tmp_path))
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1 and "--warc" in missing.stderr

    (tmp_path / "scmp" / "warc").mkdir(parents=True)
    (tmp_path / "scmp" / "warc" / "scmp-20260101000000-00000.warc.gz").write_bytes(b"")
    with RunLock(tmp_path / "scmp" / "crawl.lock"):  # a crawl of this archive is running
        busy = run_cli("reparse", "--data-dir", str(tmp_path))
    assert busy.returncode == 1
    assert busy.stderr.count("\n") == 1 and "a run is already in progress (pid" in busy.stderr

    unknown = run_cli("reparse", "--outlet", "nope", "--data-dir", str(tmp_path))
    assert unknown.returncode == 2 and "unknown outlet" in unknown.stderr

    nothing = run_cli("reparse", "--warc", str(tmp_path / "nowhere.warc.gz"))
    assert nothing.returncode == 1 and "nowhere.warc.gz" in nothing.stderr


def test_a_directory_gives_its_warc_files_in_name_order(tmp_path):
    from newscrawl.runs.reparse import warc_files

    for name in ("scmp-20260102000000-00000.warc", "scmp-20260101000000-00001.warc.gz",
                 "scmp-20260101000000-00000.warc.gz", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in warc_files([tmp_path])] == [
        "scmp-20260101000000-00000.warc.gz", "scmp-20260101000000-00001.warc.gz",
        "scmp-20260102000000-00000.warc"]
    given = [tmp_path / "scmp-20260102000000-00000.warc", tmp_path]
    assert warc_files(given)[0] == given[0]  # files given by name: in the order given


def test_reparse_into_postgresql(replica, postgres, tmp_path):
    import psycopg

    crawled = tmp_path / "A"
    crawl(replica.base_url, crawled, "--max-articles", "20")
    url = postgres.database()
    done = run_cli("reparse", "--data-dir", str(crawled), "--db", url)
    assert done.returncode == 0, done.stderr
    want = articles(crawled / "scmp" / "archive.sqlite")
    assert f"{len(want)} new, 0 revised, 0 unchanged" in done.stdout
    with psycopg.connect(url) as db:
        got = dict(db.execute("SELECT article_id, content_hash FROM articles").fetchall())
    assert got == {aid: row["content_hash"] for aid, row in want.items()}
    assert not (tmp_path / url.rsplit("/", 1)[-1]).exists()  # no SQLite file named after it


def test_a_record_that_is_no_http_response_costs_that_record_only(tmp_path):
    """Issue 17, item 11: one such record made the rest of its file unreadable."""
    import gzip
    from datetime import UTC, datetime

    from newscrawl.layout import DataDir
    from newscrawl.outlets import get_outlet
    from newscrawl.replica import ReplicaConfig, World
    from newscrawl.replica.pages.article import render_article_page
    from newscrawl.runs.reparse import reparse
    from newscrawl.store import SqliteArchive
    from newscrawl.warc import RotatingWarcWriter

    world = World(ReplicaConfig(articles=30, seed=1))
    stories = [world.content_at(i) for i in range(world.count)
               if world.spec(i).kind == "article" and world.spec(i).access == "free"][:3]
    writer = RotatingWarcWriter(tmp_path / "warc", "scmp")

    def page(content) -> None:
        url = "http://127.0.0.1:8000" + content.spec.path
        writer.write_exchange(
            url=url, fetched_at=datetime.now(UTC), method="GET", request_headers=[],
            request_body=b"", protocol="HTTP/1.1", status=200,
            response_headers=[("Content-Type", "text/html; charset=utf-8")],
            body=render_article_page(world, content, base="http://127.0.0.1:8000").encode())

    page(stories[0])
    text = b"no HTTP message here, just text\n"
    writer._file.write(gzip.compress(  # a response record some other tool wrote
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: 2026-06-01T00:00:00Z\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Target-URI: http://127.0.0.1:8000/notes\r\nContent-Type: text/plain\r\n"
        b"Content-Length: %d\r\n\r\n%s\r\n\r\n" % (len(text), text)))
    page(stories[1])
    page(stories[2])
    writer.close()
    files = DataDir.of(tmp_path, "scmp")
    with SqliteArchive(files.archive) as archive:
        report = reparse(get_outlet("scmp"), writer.paths, archive)
    assert report.stored["new"] == 3  # the pages after the odd record too
    assert report.unreadable == {"not_http": 1}
    assert "unreadable:       1 WARC record(s) (not_http 1)" in report.describe()
