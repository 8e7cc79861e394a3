"""The archive in the tools researchers use: datasette (its own Python client) and
sqlite-utils find the full-text index by themselves; newscrawl's metadata adds column
descriptions and canned queries (issue 15)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from datasette.app import Datasette

from tests.utils.cli import crawl, rows, run_cli


@pytest.fixture(scope="module")
def archive(replica, tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("ds")
    crawl(replica, data_dir, "--max-articles", "30")
    return data_dir


def a_word(data_dir: Path) -> tuple[str, str]:
    headline, article_id = rows(data_dir, "SELECT headline, article_id FROM articles "
                                          "WHERE duplicate_of IS NULL LIMIT 1")[0]
    return max(headline.split(), key=len).strip(",.:'\""), article_id


def get(ds: Datasette, path: str):
    async def go():
        await ds.invoke_startup()
        return await ds.client.get(path)
    return asyncio.run(go())


def test_datasette_searches_the_archive_out_of_the_box(archive):
    word, article_id = a_word(archive)
    ds = Datasette([str(archive / "scmp" / "archive.sqlite")])
    response = get(ds, f"/archive/articles.json?_search={word}&_shape=array")
    assert response.status_code == 200, response.text
    found = response.json()
    assert found and all(word.lower() in (r["headline"] + r["summary"] + r["body"]).lower()
                         for r in found)
    assert article_id in {r["article_id"] for r in found}


def test_newscrawl_metadata_describes_columns_and_serves_canned_queries(archive, tmp_path):
    meta = tmp_path / "metadata.json"
    done = run_cli("datasette", "--data-dir", str(archive), "--metadata-out", str(meta))
    assert done.returncode == 0, done.stderr
    metadata = json.loads(meta.read_text())
    columns = metadata["databases"]["archive"]["tables"]["articles"]["columns"]
    assert columns["published_at"].startswith("First publication, ISO 8601 UTC")
    # Every column described, and nothing that is no column (a record's canonical_url is `url`).
    assert set(columns) == {r[1] for r in rows(archive, "PRAGMA table_info(articles)")}
    ds = Datasette([str(archive / "scmp" / "archive.sqlite")], metadata=metadata)
    latest = get(ds, "/archive/latest_stories.json?_shape=array").json()
    stored = rows(archive, "SELECT count(*) FROM articles WHERE duplicate_of IS NULL")[0][0]
    assert len(latest) == stored
    assert [r["published_at"] for r in latest] == sorted((r["published_at"] for r in latest),
                                                         reverse=True)
    _, article_id = a_word(archive)
    history = get(ds, f"/archive/revisions_of_a_story.json?article_id={article_id}"
                      "&_shape=array").json()
    assert [r["revision"] for r in history] == [1]
    by_day = get(ds, "/archive/stories_by_section_and_day.json?_shape=array").json()
    assert sum(r["stories"] for r in by_day) == rows(archive, "SELECT count(*) FROM articles")[0][0]
    page = get(ds, "/archive/articles")
    assert "First publication, ISO 8601 UTC" in page.text  # the description is shown


def test_sqlite_utils_finds_and_searches_the_index(archive):
    word, article_id = a_word(archive)
    db = sqlite_utils.Database(archive / "scmp" / "archive.sqlite")
    assert db["articles"].detect_fts() == "articles_fts"
    assert article_id in {r["article_id"] for r in db["articles"].search(word)}


def test_an_archive_with_the_old_index_declaration_is_upgraded(tmp_path):
    from newscrawl.store.sqlite import SqliteArchive
    from tests.utils.records import record

    path = tmp_path / "old.sqlite"
    with SqliteArchive(path) as archive:
        archive.store_article(record("3000001", "ferries to Lantau resume after the typhoon"))
    with sqlite3.connect(path) as db:  # as archives made before it were declared
        db.execute("DROP TABLE articles_fts")
        db.execute("CREATE VIRTUAL TABLE articles_fts USING fts5(headline, summary, body, "
                   "content = 'articles', content_rowid = 'id')")
    assert sqlite_utils.Database(path)["articles"].detect_fts() is None
    SqliteArchive(path).close()
    db = sqlite_utils.Database(path)
    assert db["articles"].detect_fts() == "articles_fts"
    assert [r["article_id"] for r in db["articles"].search("typhoon")] == ["3000001"]


def test_newscrawl_datasette_serves_the_archive(archive):
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "newscrawl.cli", "datasette", "--data-dir",
                               str(archive), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    word, article_id = a_word(archive)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/latest_stories"
                                            f".json?_shape=array", timeout=5) as response:
                    latest = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, \
                    server.stderr.read().decode() if server.poll() is not None else "timeout"
                time.sleep(0.3)
        assert latest
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/articles.json?_search="
                                    f"{word}&_shape=array", timeout=10) as response:
            assert article_id in {r["article_id"] for r in json.load(response)}
    finally:
        server.terminate()
        server.wait(timeout=30)
    # The datasette that `newscrawl datasette` started went with it: nothing listens any more.
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
        assert time.monotonic() < deadline, "datasette outlived newscrawl datasette"
        time.sleep(0.2)
