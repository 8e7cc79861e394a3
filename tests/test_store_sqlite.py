"""The SQLite archive on its own: exact round trips, idempotent upserts, killed writers."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from newscrawl.layout import DataDir
from newscrawl.store import SqliteArchive, search
from tests.utils.records import TRICKY, check_signature_renewal, check_upserts, record


def test_tricky_text_and_a_megabyte_body_round_trip_byte_for_byte(tmp_path):
    files = DataDir.of(tmp_path, "scmp")
    db, jsonl = files.archive, files.journal
    big = "\n\n".join(f"Paragraph {i}: " + "\u00e9\u4e2d\U0001F600 text " * 40 for i in range(3000))
    assert len(big.encode("utf-8")) > 1_000_000
    written = [record(str(3_000_000 + i), "\n\n".join([text, text[::-1]]), headline=text,
                      summary=text, authors=[text], topics=[text], subheadline=[text])
               for i, text in enumerate(TRICKY)]
    written.append(record("3999999", big))
    with SqliteArchive(db, jsonl) as archive:
        for rec in written:
            assert archive.store_article(rec).status == "new"
    with SqliteArchive(db, jsonl) as archive:
        for rec in written:
            row = archive.article("scmp", rec["article_id"])
            for name in ("headline", "summary", "authors", "topics", "subheadline", "body",
                         "images", "section", "field_sources", "is_paywalled"):
                assert row[name] == rec[name], name
            assert row["body"].encode("utf-8") == rec["body"].encode("utf-8")
            assert archive.revisions("scmp", rec["article_id"])[0]["record"] == \
                dict(rec, revision=1, first_fetched_at=rec["fetched_at"])
            assert archive.store_article(rec).status == "unchanged"  # same bytes, same hash
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == \
        [dict(rec, revision=1, first_fetched_at=rec["fetched_at"]) for rec in written]
    # Full-text search finds right-to-left text and does not choke on SQL metacharacters.
    with sqlite3.connect(db) as conn:
        assert search.search(conn, "\u05e2\u05d1\u05e8\u05d9\u05ea")[0].article_id == "3000003"
        assert search.search(conn, "DROP TABLE articles; --")[0].article_id == "3000002"


def test_upserts_are_idempotent_and_an_edit_adds_one_revision(tmp_path):
    files = DataDir.of(tmp_path, "scmp")
    db, jsonl = files.archive, files.journal
    with SqliteArchive(db, jsonl) as archive:
        check_upserts(archive)
    assert len(jsonl.read_text(encoding="utf-8").splitlines()) == 2


def test_signatures_of_another_scheme_are_made_again_at_open(tmp_path):
    files = DataDir.of(tmp_path, "scmp")
    check_signature_renewal(lambda: SqliteArchive(files.archive, files.journal))


WRITER = textwrap.dedent("""
    import sys
    from newscrawl.store import SqliteArchive
    from tests.utils.records import record
    archive = SqliteArchive(sys.argv[1], sys.argv[2], commit_items=10**9, commit_seconds=10**9)
    body = "\\n\\n".join("Paragraph %d of a long enough article body." % i for i in range(60))
    n = 0
    while True:
        for _ in range(40):
            archive.store_article(record(str(4_000_000 + n), body))
            n += 1
        archive.commit()
        print(n, flush=True)
""")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_writer_killed_mid_transaction_leaves_a_consistent_archive(tmp_path, seed):
    files = DataDir.of(tmp_path, "scmp")
    db, jsonl = files.archive, files.journal
    db.parent.mkdir(parents=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(jsonl)],
                              stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).parents[1])
    commits = random.Random(seed).randint(3, 12)
    committed = 0
    for _ in range(commits):
        committed = int(writer.stdout.readline())
    writer.send_signal(signal.SIGKILL)  # it is already writing the next transaction
    writer.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        stored = {int(r[0]) - 4_000_000 for r in conn.execute("SELECT article_id FROM articles")}
        revisions = conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
    assert set(range(committed)) <= stored  # nothing committed is lost
    assert revisions == len(stored) and len(stored) % 40 == 0  # whole transactions only
    with SqliteArchive(db, jsonl) as archive:  # reopening cuts the journal to what committed
        assert archive.count("articles") == len(stored)
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert [int(json.loads(x)["article_id"]) - 4_000_000 for x in lines] == sorted(stored)
