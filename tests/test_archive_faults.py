"""The archive under storage faults (issue 17, items 7-10): the journal always equals the
committed revisions, a damaged file is refused and repaired, a full or read-only disk is one
line and a non-zero exit, and counts are of what was committed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.utils.cli import crawl, run_cli
from tests.utils.disks import make_read_only, small_filesystem
from tests.utils.records import record


def crawl_result(replica, data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("crawl", "scmp", "--base-url", replica.base_url, "--data-dir", str(data_dir),
                   "--pagination", "api", "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0", *extra)


def journal_equals_revisions(data_dir: Path) -> int:
    """Assert the journal holds exactly the committed revisions, in order; how many."""
    files = data_dir / "scmp"
    with sqlite3.connect(files / "archive.sqlite") as db:
        revisions = [r[0] for r in db.execute("SELECT record FROM revisions ORDER BY id")]
        length = db.execute("SELECT value FROM meta WHERE key='journal_length'").fetchone()
    journal = files / "articles.jsonl"
    lines = journal.read_text(encoding="utf-8").splitlines() if journal.exists() else []
    assert lines == revisions
    assert length is None or int(length[0]) == (journal.stat().st_size if journal.exists() else 0)
    return len(lines)


def test_a_process_killed_in_its_first_commit_leaves_no_journal_line(tmp_path):
    # The journal lines of a batch are written and synced just before its COMMIT; a SIGKILL
    # between the two leaves lines the database never committed.
    files = tmp_path / "scmp"
    child = (
        "import os, signal, sys\n"
        "from newscrawl.store.sqlite import SqliteArchive\n"
        "from tests.utils.records import record\n"
        f"archive = SqliteArchive({str(files / 'archive.sqlite')!r}, "
        f"{str(files / 'articles.jsonl')!r}, commit_items=1000, commit_seconds=1000)\n"
        "for i in range(20):\n"
        "    archive.store_article(record(str(3000000 + i), f'story {i} ' * 40))\n"
        "archive._before_commit()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", child], cwd=Path(__file__).parent.parent,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert len((files / "articles.jsonl").read_text().splitlines()) == 20  # written, not committed

    from newscrawl.store.sqlite import SqliteArchive

    with SqliteArchive(files / "archive.sqlite", files / "articles.jsonl") as archive:
        assert archive.count("revisions") == 0
        archive.store_article(record("3000001", "a story " * 40))
    assert journal_equals_revisions(tmp_path) == 1


def test_a_full_disk_stops_the_crawl_with_committed_counts_and_a_true_journal(replica):
    with small_filesystem("2m") as disk:
        done = crawl_result(replica, disk, "-s", "NEWSCRAWL_COMMIT_ITEMS=10")
        assert done.returncode == 1, done.stderr[-2000:]
        assert done.stderr.strip().splitlines()[-1].startswith("newscrawl crawl: the archive failed")
        kept = journal_equals_revisions(disk)
        with sqlite3.connect(disk / "scmp" / "archive.sqlite") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
            run = db.execute("SELECT finish_reason, new_articles FROM runs").fetchone()
        assert 0 < stored == kept and run == ("store_unavailable", stored)
        # The summary says what was committed, not what the pipelines saw.
        assert f"{stored} articles written to" in done.stdout
        assert f"only {stored} of the" in done.stdout


def test_an_archive_recreated_from_nothing_starts_a_new_journal(replica, tmp_path):
    crawl(replica, tmp_path, "--max-articles", "20")
    files = tmp_path / "scmp"
    old_lines = (files / "articles.jsonl").read_text(encoding="utf-8")
    for name in ("archive.sqlite-wal", "archive.sqlite-shm"):
        (files / name).unlink(missing_ok=True)
    (files / "archive.sqlite").write_bytes(b"")  # recreated from zero length
    crawl(replica, tmp_path, "--max-articles", "20")
    journal_equals_revisions(tmp_path)
    kept = list(files.glob("articles.jsonl.before-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == old_lines  # nothing lost


def test_a_cut_journal_is_refused_and_rewritten_by_check_repair(replica, tmp_path):
    crawl(replica, tmp_path, "--max-articles", "20")
    journal = tmp_path / "scmp" / "articles.jsonl"
    text = journal.read_bytes()
    journal.write_bytes(text[:len(text) - 100])  # a short journal, its last line cut
    refused = crawl_result(replica, tmp_path, "--max-articles", "20")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "newscrawl check --data-dir" in refused.stderr and "--repair" in refused.stderr

    found = run_cli("check", "--data-dir", str(tmp_path))
    assert found.returncode == 1 and "journal" in found.stdout
    fixed = run_cli("check", "--data-dir", str(tmp_path), "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "rewritten from the revisions" in fixed.stdout
    assert journal.read_bytes() == text
    crawl(replica, tmp_path, "--max-articles", "20")
    journal_equals_revisions(tmp_path)


def test_garbage_inside_the_file_is_refused_and_rebuilt_from_the_journal(replica, tmp_path):
    crawl(replica, tmp_path)
    files = tmp_path / "scmp"
    archive = files / "archive.sqlite"
    with sqlite3.connect(archive) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = sorted(db.execute("SELECT article_id, content_hash, revision_count FROM articles"))
    size = archive.stat().st_size
    with archive.open("r+b") as fh:  # a disk's stray write, mid-file
        fh.seek(size // 2)
        fh.write(os.urandom(64 * 1024))
    damaged = archive.read_bytes()

    refused = crawl_result(replica, tmp_path)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "is damaged" in refused.stderr and "--repair" in refused.stderr
    assert archive.read_bytes() == damaged  # nothing written into it

    found = run_cli("check", "--data-dir", str(tmp_path))
    assert found.returncode == 1 and "damaged" in found.stdout, found.stdout + found.stderr
    fixed = run_cli("check", "--data-dir", str(tmp_path), "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "rebuilt from the journal" in fixed.stdout
    assert list(files.glob("archive.sqlite.damaged-*"))  # the damaged file is kept
    with sqlite3.connect(archive) as db:
        after = sorted(db.execute("SELECT article_id, content_hash, revision_count FROM articles"))
    assert after == before
    assert run_cli("check", "--data-dir", str(tmp_path)).returncode == 0
    crawl(replica, tmp_path)  # and crawls go on
    journal_equals_revisions(tmp_path)


def test_read_only_storage_one_line_for_writers_and_readers_work(replica, tmp_path):
    with small_filesystem("64m") as disk:
        crawl(replica, disk, "--max-articles", "20")
        make_read_only(disk)
        refused = crawl_result(replica, disk, "--max-articles", "20")
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
        assert "cannot write the data directory" in refused.stderr
        looped = run_cli("run", "scmp", "--every", "1h", "--runs", "1", "--base-url",
                         replica.base_url, "--data-dir", str(disk))
        assert looped.returncode == 1 and "Traceback" not in looped.stderr, looped.stderr
        stats = run_cli("stats", "--data-dir", str(disk))
        assert stats.returncode == 0 and "20 articles" in stats.stdout, stats.stderr
        found = run_cli("search", "the", "--data-dir", str(disk), "--json")
        assert found.returncode == 0 and found.stdout.strip(), found.stderr
        out = tmp_path / "x.jsonl"
        exported = run_cli("export", "--out", str(out), "--data-dir", str(disk))
        assert exported.returncode == 0, exported.stderr
        assert len([json.loads(x) for x in out.read_text().splitlines()]) == 20
        assert run_cli("check", "--data-dir", str(disk)).returncode == 0
    # The data directory is a file.
    afile = tmp_path / "afile"
    afile.write_text("")
    done = crawl_result(replica, afile)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "Not a directory" in done.stderr
