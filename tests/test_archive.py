"""The archive end to end: crawls of the replica into SQLite, revisits, copies, the CLI on it."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from newscrawl.store.sqlite import decode_row
from tests.utils.cli import crawl, journal, rows, run_cli
from tests.utils.client import Client


@pytest.fixture(scope="module")
def variant_urls(replica) -> list[str]:
    """The same stories reached through tracking parameters, AMP copies and old slugs."""
    world = replica.state.world
    specs = [world.spec(i) for i in range(world.count)]
    articles = [s for s in specs if s.is_article and s.access != "plus"]
    old = [s for s in specs if s.is_article and s.old_path][:2]
    assert len(old) == 2
    urls = [f"{articles[0].path}?utm_source=rss_feed&utm_medium=referral",
            f"{articles[1].path}?module=perpetual_scroll_0&pgtype=article",
            f"/amp{articles[2].path}", f"/amp{articles[3].path}?utm_campaign=x"]
    return urls + [s.old_path for s in old]


@pytest.fixture(scope="module")
def archived(replica, variant_urls, tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("archive")
    crawl(replica, data_dir, "--urls", ",".join(variant_urls))
    return data_dir


def test_each_story_is_one_row_and_copies_link_to_their_original(replica, archived, variant_urls):
    client = Client(replica.base_url)
    listed = {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}
    stored = dict(rows(archived, "SELECT article_id, duplicate_of FROM articles"))
    assert set(stored) == listed  # every story once: variants did not make rows of their own
    fetched = {r[0] for r in rows(archived, "SELECT fetched_url FROM articles")}
    assert any("/amp/" in url for url in fetched) and any("utm_" in url for url in fetched)
    copies = 0
    for article_id, duplicate_of in stored.items():
        truth = client.json(f"/__replica__/truth/{article_id}.json")
        assert duplicate_of == truth["duplicate_of"], article_id
        copies += truth["duplicate_of"] is not None
    assert copies >= 5  # the replica's syndicated copies are there, each linked
    # Stored URLs are canonical: no tracking parameters, no AMP path.
    for (url,) in rows(archived, "SELECT url FROM articles"):
        assert "utm_" not in url and "/amp/" not in url and "pgtype" not in url


def test_archive_tables_say_what_happened(replica, archived):
    n = rows(archived, "SELECT count(*) FROM articles")[0][0]
    assert rows(archived, "SELECT count(*) FROM revisions")[0][0] == n
    assert len(journal(archived)) == n
    assert rows(archived, "PRAGMA journal_mode")[0][0] == "wal"
    # Fetch state per article URL, with the validators the replica sent.
    state = rows(archived, "SELECT count(*), count(etag), count(last_modified), count(content_hash)"
                           " FROM fetch_state WHERE last_status = 200")[0]
    assert state[0] >= n and state[1] >= n and state[2] >= n and state[3] >= n
    first = rows(archived, "SELECT first_via, first_seen_at FROM discovery")
    assert len(first) >= n and all(via and seen for via, seen in first)
    run = rows(archived, "SELECT finish_reason, arguments, stats, field_coverage, new_articles "
                         "FROM runs")
    assert len(run) == 1
    reason, arguments, stats, coverage, new = run[0]
    assert reason == "finished" and new == n
    assert json.loads(arguments)["base_url"] == replica.base_url
    assert json.loads(stats)["newscrawl/stored/new"] == n
    assert json.loads(coverage)["headline"] == 1.0


def test_unchanged_content_adds_no_revision_and_an_edit_adds_exactly_one(fresh_replica, tmp_path):
    client = Client(fresh_replica.base_url)
    crawl(fresh_replica, tmp_path)
    first = dict(rows(tmp_path, "SELECT article_id, content_hash FROM articles"))
    checked = dict(rows(tmp_path, "SELECT article_id, last_checked_at FROM articles"))
    lines = len(journal(tmp_path))

    # Nothing changed on the site; every story is due for a check (revisits forced).
    crawl(fresh_replica, tmp_path, "-s", "NEWSCRAWL_REVISIT_MIN_HOURS=0.0001",
          "-s", "NEWSCRAWL_REVISIT_FACTOR=0.000000001", "-s", "NEWSCRAWL_REVISIT_MAX_DAYS=1e-6")
    assert rows(tmp_path, "SELECT count(*) FROM revisions")[0][0] == len(first)
    assert len(journal(tmp_path)) == lines
    assert dict(rows(tmp_path, "SELECT article_id, content_hash FROM articles")) == first
    run = rows(tmp_path, "SELECT new_articles, new_revisions FROM runs ORDER BY id DESC LIMIT 1")
    assert run[0] == (0, 0)
    later = dict(rows(tmp_path, "SELECT article_id, last_checked_at FROM articles"))
    assert all(later[a] >= checked[a] for a in first)

    status, _, body = client.request("/__replica__/clock/advance?minutes=720", method="POST")
    assert status == 200
    changes = json.loads(body)
    updated = {str(i) for i in changes["updated"]} & set(first)
    published = {str(i) for i in changes["published"]}
    assert updated, "the replica edited nothing in 12 hours"
    crawl(fresh_replica, tmp_path)
    counts = dict(rows(tmp_path, "SELECT article_id, revision_count FROM articles"))
    for article_id in first:
        assert counts[article_id] == (2 if article_id in updated else 1), article_id
    listed = {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}
    assert listed <= set(counts)
    assert all(counts[a] == 1 for a in published & listed)
    new = len(listed - set(first))
    assert len(journal(tmp_path)) == lines + len(updated) + new
    # The newest revision holds the edited text; the first still holds the original.
    some = sorted(updated)[0]
    texts = [json.loads(r[0])["body"] for r in rows(
        tmp_path, "SELECT record FROM revisions WHERE article_id=? ORDER BY revision", (some,))]
    truth = client.json(f"/__replica__/truth/{some}.json")
    assert len(texts) == 2 and texts[0] != texts[1] and texts[1] == "\n\n".join(truth["body"])


def test_search_export_and_stats_read_the_archive(archived, tmp_path):
    headline, article_id = rows(archived, "SELECT headline, article_id FROM articles "
                                          "WHERE duplicate_of IS NULL LIMIT 1")[0]
    found = run_cli("search", f'"{headline}"', "--data-dir", str(archived), "--json")
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert hits[0]["article_id"] == article_id and hits[0]["headline"] == headline
    # Text that is not FTS5 syntax is searched as plain words, not an error.
    odd = run_cli("search", 'hong-kong "', "--data-dir", str(archived), "--limit", "3")
    assert odd.returncode == 0, odd.stderr

    total = rows(archived, "SELECT count(*) FROM articles")[0][0]
    china = rows(archived, "SELECT count(*) FROM articles WHERE section_path LIKE 'News > China%'")
    days = rows(archived, "SELECT min(published_at), max(published_at) FROM articles")[0]
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"all.{fmt}"
        done = run_cli("export", "--format", fmt, "--out", str(out), "--data-dir", str(archived))
        assert done.returncode == 0, done.stderr
        assert f"{total} articles" in done.stdout
    assert len((tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()) == total
    with (tmp_path / "all.csv").open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == total and json.loads(table[0]["authors"])
    import pyarrow.parquet as pq

    parquet = pq.read_table(tmp_path / "all.parquet")
    assert parquet.num_rows == total and parquet.schema.field("authors").type.value_type == "string"
    sliced = tmp_path / "china.jsonl"
    done = run_cli("export", "--section", "news/china", "--since", days[0][:10], "--out",
                   str(sliced), "--data-dir", str(archived))
    assert done.returncode == 0, done.stderr
    records = [json.loads(x) for x in sliced.read_text(encoding="utf-8").splitlines()]
    assert len(records) == china[0][0] > 0
    assert all(r["section"][:2] == ["News", "China"] for r in records)

    report = run_cli("stats", "--data-dir", str(archived))
    assert report.returncode == 0, report.stderr
    assert f"{total} articles" in report.stdout and "field fill rate" in report.stdout
    assert "News > China" in report.stdout


def test_exports_are_typed_for_duckdb_and_csv_readers(archived, tmp_path):
    import duckdb

    out = tmp_path / "typed.parquet"
    assert run_cli("export", "--format", "parquet", "--out", str(out), "--data-dir",
                   str(archived)).returncode == 0
    db = duckdb.connect()
    types = dict(db.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                            f"read_parquet('{out}'))").fetchall())
    assert types["published_at"] == types["fetched_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["is_paywalled"] == "BOOLEAN" and types["authors"] == "VARCHAR[]"
    assert types["images"].startswith("STRUCT(") and types["word_count"] == "BIGINT"
    # Times compare and truncate as times, no casts.
    newest, = db.execute(f"SELECT max(published_at) FROM read_parquet('{out}') "
                         "WHERE published_at < now()").fetchone()
    stored = rows(archived, "SELECT max(published_at) FROM articles")[0][0]
    assert newest.strftime("%Y-%m-%dT%H:%M:%SZ") == stored

    out = tmp_path / "all.csv"
    assert run_cli("export", "--format", "csv", "--out", str(out), "--data-dir",
                   str(archived)).returncode == 0
    with out.open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert {r["is_paywalled"] for r in table} <= {"true", "false"}
    for row in table:
        assert "ImageRef(" not in row["images"] and isinstance(json.loads(row["images"]), list)


def test_export_to_stdout_a_full_device_and_a_missing_directory(archived, tmp_path):
    total = rows(archived, "SELECT count(*) FROM articles")[0][0]
    done = run_cli("export", "--out", "-", "--data-dir", str(archived))
    assert done.returncode == 0, done.stderr
    assert len([json.loads(line) for line in done.stdout.splitlines()]) == total
    assert f"{total} articles written to stdout" in done.stderr

    full = run_cli("export", "--out", "/dev/full", "--data-dir", str(archived))
    assert full.returncode == 1 and full.stderr.count("\n") == 1
    assert "cannot write /dev/full: No space left on device" in full.stderr

    nested = tmp_path / "not" / "there" / "x.jsonl"
    refused = run_cli("export", "--out", str(nested), "--data-dir", str(archived))
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert "--parents" in refused.stderr and not nested.parent.exists()
    made = run_cli("export", "--out", str(nested), "--parents", "--data-dir", str(archived))
    assert made.returncode == 0 and len(nested.read_text(encoding="utf-8").splitlines()) == total
    assert not list(nested.parent.glob(".*.partial"))  # written beside it, then moved

    parquet = run_cli("export", "--format", "parquet", "--out", "-", "--data-dir", str(archived))
    assert parquet.returncode == 1 and "give --out a file name" in parquet.stderr


def test_archive_commands_fail_in_one_line(tmp_path):
    missing = run_cli("stats", "--data-dir", str(tmp_path))
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1 and "no archive at" in missing.stderr
    bad = run_cli("export", "--format", "xml", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    bad_date = run_cli("export", "--since", "yesterday", "--out", str(tmp_path / "x"))
    assert bad_date.returncode == 2 and "yesterday" in bad_date.stderr


def test_rows_decode_back_to_records(archived):
    with sqlite3.connect(archived / "scmp" / "archive.sqlite") as db:
        cur = db.execute("SELECT * FROM articles LIMIT 1")
        row = decode_row(dict(zip([c[0] for c in cur.description], cur.fetchone(), strict=True)))
        record = json.loads(db.execute("SELECT record FROM revisions WHERE article_id=?",
                                       (row["article_id"],)).fetchone()[0])
    for name in ("headline", "authors", "section", "images", "body", "is_paywalled", "topics"):
        assert row[name] == record[name], name
