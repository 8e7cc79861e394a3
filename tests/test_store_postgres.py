"""The PostgreSQL archive against a real server: the SQLite archive's semantics, concurrent
workers, killed workers, an unreachable server, and a crawl of the replica into it."""

from __future__ import annotations

import json
import multiprocessing
import random
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from newscrawl.layout import DataDir
from newscrawl.messages import mask_password
from newscrawl.spiders.admission import RevisitRule
from newscrawl.store import (
    PostgresArchive,
    SqliteArchive,
    StoreError,
    export,
    open_store,
    readers,
    report,
    search,
)
from tests.utils.cli import crawl
from tests.utils.postgres_server import free_port
from tests.utils.records import TRICKY, check_signature_renewal, check_upserts, record


def rows(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as db:
        return db.execute(query, params).fetchall()


def test_tricky_text_and_a_megabyte_body_round_trip_byte_for_byte(postgres):
    url = postgres.database()
    big = "\n\n".join(f"Paragraph {i}: " + "\u00e9\u4e2d\U0001F600 text " * 40 for i in range(3000))
    assert len(big.encode("utf-8")) > 1_000_000
    written = [record(str(3_000_000 + i), "\n\n".join([text, text[::-1]]), headline=text,
                      summary=text, authors=[text], topics=[text], subheadline=[text])
               for i, text in enumerate(TRICKY)]
    written.append(record("3999999", big))
    with PostgresArchive(url) as archive:
        for rec in written:
            assert archive.store_article(rec).status == "new"
    with PostgresArchive(url) as archive:
        for rec in written:
            # PostgreSQL text cannot hold U+0000: the one character not stored (and warned of).
            expected = json.loads(json.dumps(rec).replace("\\u0000", ""))
            row = archive.article("scmp", rec["article_id"])
            for name in ("headline", "summary", "authors", "topics", "subheadline", "body",
                         "images", "section", "field_sources", "is_paywalled", "word_count"):
                assert row[name] == expected[name], name
            assert row["body"].encode("utf-8") == expected["body"].encode("utf-8")
            assert archive.revisions("scmp", rec["article_id"])[0]["record"] == \
                dict(expected, revision=1, first_fetched_at=rec["fetched_at"])
            assert archive.store_article(rec).status == "unchanged"  # same bytes, same hash
            assert archive.store_article(expected).status == "unchanged"
        assert "\x00" in TRICKY[2] and archive.article("scmp", "3000002")["headline"] == \
            TRICKY[2].replace("\x00", "")
        # Full-text search finds right-to-left text and does not choke on SQL metacharacters.
        assert search.search(archive.db, "\u05e2\u05d1\u05e8\u05d9\u05ea")[0].article_id == "3000003"
        assert search.search(archive.db, "DROP TABLE articles; --")[0].article_id == "3000002"
        assert archive.count("articles") == len(written) == archive.count("revisions")


def test_upserts_are_idempotent_and_an_edit_adds_one_revision(postgres):
    with PostgresArchive(postgres.database()) as archive:
        assert archive.journal_path is None  # no JSON Lines journal for PostgreSQL
        check_upserts(archive)


def test_signatures_of_another_scheme_are_made_again_at_open(postgres):
    url = postgres.database()
    check_signature_renewal(lambda: PostgresArchive(url))


def exercise(archive) -> list:
    """Every public method, in the order a crawl uses them; what each answered."""
    body = " ".join(f"word{i} of a story about harbour ferries and typhoon signals"
                    for i in range(40))
    copy = dict(record("3300002", body + " Reported by agencies.", published_at=
                       "2026-06-01T09:00:00Z"))
    original = record("3300001", body, published_at="2026-06-01T07:00:00Z")
    old = record("3300003", "An old story about the tramways. " * 30,
                 published_at="2025-01-01T00:00:00Z", fetched_at="2025-01-02T00:00:00Z")
    seen = []
    run = archive.begin_run("scmp", {"base_url": "http://replica", "days": 7})
    for rec in (copy, original, old):  # the copy arrives first: re-pointed later
        rec = dict(rec, duplicate_of=archive.link_duplicates(rec))
        seen.append(archive.store_article(rec))
        # Reads see the batch's own writes before it commits.
        seen.append(archive.article("scmp", rec["article_id"])["duplicate_of"])
        archive.record_discovery(rec["url"], rec["discovered_via"], rec["fetched_at"],
                                 rec["article_id"])
    archive.record_fetch(old["url"], status=200, fetched_at="2025-01-02T00:00:00Z",
                         etag='"abc"', last_modified="Thu, 02 Jan 2025 00:00:00 GMT",
                         article_id="3300003", outlet="scmp")
    archive.record_fetch(old["canonical_url"], status=304, fetched_at="2026-06-05T00:00:00Z",
                         article_id="3300003", outlet="scmp")
    archive.mark_not_article("https://www.scmp.com/video/x/3300009/y", "3300009", "video")
    archive.record_discovery(old["url"], "https://www.scmp.com/rss", "2026-06-06T00:00:00Z")
    archive.commit()
    seen += [archive.validators(old["canonical_url"], "3300003"),
             archive.validators("https://elsewhere/", None),
             archive.is_known_not_article("https://www.scmp.com/video/x/3300009/y", None),
             archive.is_known_not_article("https://other/", "3300009"),
             archive.is_known_not_article("https://other/", "3300001"),
             archive.article_state("scmp", "3300003"), archive.article_state("scmp", "nope"),
             list(archive.due_for_revisit("scmp", "2026-06-10T00:00:00Z",
                                          RevisitRule(0.1, 0.04 * 24, 30))),
             list(archive.due_for_revisit("scmp", "2026-06-02T01:00:00Z",
                                          RevisitRule(0.5, 0.01 * 24, 30))),
             archive.last_high_water("scmp")]
    archive.end_run(run, reason="finished", stats={"item_scraped_count": 3},
                    field_coverage={"headline": 1.0}, counts=Counter(new=3),
                    high_water="2026-06-01T09:00:00Z")
    seen.append(archive.last_high_water("scmp"))
    # Only the runs whose stats count a key (the last run that walked the sections, ...).
    seen += [archive.last_high_water("scmp", having="item_scraped_count"),
             archive.last_high_water("scmp", having="newscrawl/pages/section")]
    assert seen[-2:] == ["2026-06-01T09:00:00Z", None]
    for url in (old["url"], old["canonical_url"], "https://www.scmp.com/video/x/3300009/y"):
        seen.append(archive.fetch_state(url))
    for rec in (copy, original, old):
        row = archive.article("scmp", rec["article_id"])
        row.pop("id")
        seen += [row, archive.revisions("scmp", rec["article_id"])]
    seen.append([row["article_id"] for row in archive.iter_articles()])
    seen.append([row["article_id"] for row in archive.iter_articles(
        "published_at >= ?", ("2026-01-01",), order="published_at DESC")])
    seen += [archive.count(table) for table in ("articles", "revisions", "fetch_state",
                                                "discovery", "runs", "fingerprints")]
    return seen


def test_every_method_answers_as_the_sqlite_archive_does(postgres, tmp_path):
    with SqliteArchive(tmp_path / "a.sqlite") as sqlite_archive:
        expected = exercise(sqlite_archive)
    with PostgresArchive(postgres.database()) as postgres_archive:
        answered = exercise(postgres_archive)
    for i, (got, want) in enumerate(zip(answered, expected, strict=True)):
        assert got == want, i
    stored = {r["article_id"]: r for r in answered if isinstance(r, dict) and "headline" in r}
    assert stored["3300002"]["duplicate_of"] == "3300001"  # linked, then re-pointed


def test_search_export_and_stats_read_both_archives_alike(postgres, tmp_path):
    url = postgres.database()
    records = [record(str(3_400_000 + i), f"Paragraph about {topic} in Kowloon. " * 12,
                      headline=f"{topic.title()} news {i}", summary=f"All about {topic}.",
                      section=["News", "China"] if i % 2 else ["Business"],
                      published_at=f"2026-05-{10 + i:02d}T08:00:00Z")
               for i, topic in enumerate(["housing quota", "typhoon signal", "housing prices",
                                          "ferry routes", "school closures"])]
    records.append(record("3400005", "The ferry was late again in Kowloon. " * 12,
                          headline="Harbour news", published_at="2026-05-20T08:00:00Z"))
    with SqliteArchive(tmp_path / "a.sqlite") as sqlite_archive, PostgresArchive(url) as pg:
        for rec in records:
            sqlite_archive.store_article(rec)
            pg.store_article(rec)
    lite, pgdb = readers.connect(tmp_path / "a.sqlite"), readers.connect(url)
    for query in ('"housing quota"', "housing AND Kowloon", "typhoon OR ferry",
                  "housing NOT prices", "hous*", "(ferry OR school) AND Kowloon",
                  'hong-kong "', "Housing news 0"):
        got = {hit.article_id for hit in search.search(pgdb, query)}
        assert got == {hit.article_id for hit in search.search(lite, query)}, query
    assert search.search(pgdb, "housing")[0].snippet.count("[") >= 1
    # The story with the word in its headline ranks first on both.
    ranked = [hit.article_id for hit in search.search(pgdb, "ferry")]
    assert ranked == [hit.article_id for hit in search.search(lite, "ferry")] == \
        ["3400003", "3400005"]
    for kwargs in ({}, {"section": "news/china"}, {"since": "2026-05-12", "until": "2026-05-14"}):
        pg_rows = [dict(r, id=None) for r in readers.select_articles(pgdb, **kwargs)]
        assert pg_rows == [dict(r, id=None) for r in readers.select_articles(lite, **kwargs)]
        pg_records = list(readers.select_records(pgdb, **kwargs))
        assert pg_records == list(readers.select_records(lite, **kwargs))
    assert [r["revision"] for r in readers.select_records(pgdb)] == [1] * 6
    for fmt in ("jsonl", "csv", "parquet"):
        assert export.export(readers.select_records(pgdb), fmt, tmp_path / f"x.{fmt}") == 6
    assert report.coverage_report(pgdb) == report.coverage_report(lite)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        pgdb.execute("DELETE FROM articles")  # the reading connection cannot write


WORKER_IDS = range(5_000_000, 5_000_200)


def worker_records(version: int) -> list[dict]:
    """The 200 stories every worker stores; version 2 edits the first 50."""
    out = []
    for n, article_id in enumerate(WORKER_IDS):
        words = random.Random(article_id).choices(range(10_000), k=120)
        body = " ".join(f"w{w}" for w in words)
        if version == 2:
            if n >= 50:
                break
            body += " A correction was appended."
        out.append(record(str(article_id), body, fetched_at=f"2026-06-0{1 + version}T00:00:00Z"))
    return out


def store_as_worker(url: str, worker: int, start, between, results) -> None:
    """One crawl process of four, storing like the pipelines do (link, store, discovery)."""
    archive = PostgresArchive(url, commit_items=25, commit_seconds=60)
    outcomes: Counter[str] = Counter()
    start.wait(timeout=60)
    for version in (1, 2):
        records = worker_records(version)
        if worker % 2:  # two workers in one order, two in the other: locks meet head-on
            records.reverse()
        for rec in records:
            rec["duplicate_of"] = archive.link_duplicates(rec)
            outcomes[archive.store_article(rec).status] += 1
            archive.record_discovery(rec["url"], rec["discovered_via"], rec["fetched_at"],
                                     rec["article_id"])
        archive.commit()
        between.wait(timeout=60)  # the edits start when every worker has stored version 1
    archive.close()
    results.put((dict(outcomes), archive.lock_waits))


def test_four_workers_storing_the_same_stories_record_each_version_once(postgres):
    url = postgres.database()
    PostgresArchive(url).close()  # the schema, so the workers' opening races nothing else
    context = multiprocessing.get_context("spawn")
    start, between, results = context.Barrier(4), context.Barrier(4), context.Queue()
    workers = [context.Process(target=store_as_worker, args=(url, n, start, between, results))
               for n in range(4)]
    for process in workers:
        process.start()
    try:
        for process in workers:
            process.join(timeout=120)
            assert process.exitcode == 0
    finally:
        for process in workers:
            if process.is_alive():
                process.kill()
    outcomes, waits = Counter(), 0
    for _ in workers:
        got, lock_waits = results.get(timeout=5)
        outcomes.update(got)
        waits += lock_waits
    assert rows(url, "SELECT count(*) FROM articles")[0][0] == 200
    assert rows(url, "SELECT count(*) FROM revisions")[0][0] == 250
    assert rows(url, "SELECT count(*) FROM revisions GROUP BY outlet, article_id, content_hash "
                     "HAVING count(*) > 1") == []
    counts = Counter(r[0] for r in rows(url, "SELECT revision_count FROM articles"))
    assert counts == {2: 50, 1: 150}
    # Each worker was told the truth: one "new" per story, one "revised" per edit in all.
    assert outcomes == {"new": 200, "revised": 50, "unchanged": 4 * 250 - 250}
    seen = Counter(r[0] for r in rows(url, "SELECT times_seen FROM discovery"))
    assert seen == {4: 150, 8: 50}  # four workers, once or twice each
    assert rows(url, "SELECT count(*) FROM fingerprints")[0][0] == 200
    assert rows(url, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")[0][0] == 0
    print(f"lock waits (a worker committed early and waited for another): {waits}")


WRITER = textwrap.dedent("""
    import sys
    from newscrawl.store import PostgresArchive
    from tests.utils.records import record
    archive = PostgresArchive(sys.argv[1], commit_items=10**9, commit_seconds=10**9)
    body = "\\n\\n".join("Paragraph %d of a long enough article body." % i for i in range(60))
    n = 0
    while True:
        for _ in range(40):
            archive.store_article(record(str(4_000_000 + n), body))
            n += 1
        archive.commit()
        print(n, flush=True)
""")


def test_a_worker_killed_mid_transaction_loses_only_its_batch(postgres):
    url = postgres.database()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).parents[1])
    committed = 0
    for _ in range(random.Random(7).randint(3, 12)):
        committed = int(writer.stdout.readline())
    writer.send_signal(signal.SIGKILL)  # it is already writing the next transaction
    writer.wait(timeout=30)
    stored = {int(r[0]) - 4_000_000 for r in rows(url, "SELECT article_id FROM articles")}
    assert set(range(committed)) <= stored  # nothing committed is lost
    assert len(stored) % 40 == 0  # whole transactions only
    assert rows(url, "SELECT count(*) FROM revisions")[0][0] == len(stored)
    # The stories it held are free at once: another worker stores the next one.
    with PostgresArchive(url) as archive:
        body = "\n\n".join(f"Paragraph {i} of a long enough article body." for i in range(60))
        assert archive.store_article(record(str(4_000_000 + len(stored)), body)).status == "new"


def test_an_unreachable_server_is_one_line_naming_the_url_without_its_password():
    url = f"postgresql://crawler:s3cret@127.0.0.1:{free_port()}/archive?sslmode=disable"
    for open_it in (lambda: open_store(url, DataDir.of("data", "scmp")), lambda: readers.connect(url)):
        with pytest.raises(StoreError) as caught:
            open_it()
        message = str(caught.value)
        assert "\n" not in message and "s3cret" not in message
        assert f"postgresql://crawler:***@127.0.0.1:{url.split(':')[3]}" in message
        assert "refused" in message.lower()
    assert mask_password("postgres://u@h/db?password=x&a=1") == "postgres://u@h/db?password=***&a=1"


def test_open_store_picks_the_backend_from_the_target(postgres, tmp_path):
    url = postgres.database()
    for target in (url, url.replace("postgresql://", "postgres://")):
        with open_store(target, DataDir.of(tmp_path, "scmp")) as archive:
            assert isinstance(archive, PostgresArchive)
    with open_store(None, DataDir.of(tmp_path, "scmp")) as archive:
        assert isinstance(archive, SqliteArchive)
        files = DataDir.of(tmp_path, "scmp")
        assert (archive.path, archive.journal_path) == (files.archive, files.journal)
    with open_store(str(tmp_path / "other.sqlite"), DataDir.of(tmp_path, "scmp"), journal=False) as archive:
        assert archive.path == tmp_path / "other.sqlite" and archive.journal_path is None


def test_a_crawl_into_postgresql_stores_what_a_crawl_into_sqlite_does(replica, postgres,
                                                                       tmp_path):
    url = postgres.database()
    crawl(replica, tmp_path / "lite")
    crawl(replica, tmp_path / "pg", "-s", f"NEWSCRAWL_STORE={url}")
    assert not (tmp_path / "pg" / "scmp" / "archive.sqlite").exists()
    assert not (tmp_path / "pg" / "scmp" / "articles.jsonl").exists()  # no journal
    content = ("article_id", "url", "kind", "headline", "social_headline", "subheadline",
               "summary", "authors", "published_at", "published_raw", "updated_at",
               "updated_raw", "section", "section_path", "topics", "body", "images", "language",
               "word_count", "is_paywalled", "is_truncated", "is_sponsored", "http_status",
               "parser_version", "field_sources", "duplicate_of", "content_hash", "body_hash",
               "revision_count")
    database = DataDir.of(tmp_path / "lite", "scmp").archive
    lite, pgdb = readers.connect(database), readers.connect(url)
    expected = {r["article_id"]: {k: r[k] for k in content} for r in readers.select_articles(lite)}
    got = {r["article_id"]: {k: r[k] for k in content} for r in readers.select_articles(pgdb)}
    assert len(got) >= 250 and got == expected
    for table in ("revisions", "fetch_state", "discovery", "fingerprints", "fingerprint_bands"):
        assert rows(url, f"SELECT count(*) FROM {table}") == \
            lite.execute(f"SELECT count(*) FROM {table}").fetchall(), table
    run = rows(url, "SELECT finish_reason, new_articles, stats->>'newscrawl/stored/new' FROM runs")
    assert run == [("finished", len(got), str(len(got)))]
    headline, article_id = next((r["headline"], r["article_id"]) for r in got.values()
                                if r["duplicate_of"] is None)
    assert search.search(pgdb, f'"{headline}"')[0].article_id == article_id
    summary = report.coverage_report(pgdb)
    assert summary.splitlines()[2:] == report.coverage_report(lite).splitlines()[2:]
    assert f"{len(got)} articles" in summary
