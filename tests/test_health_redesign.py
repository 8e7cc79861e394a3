"""Surviving a redesign, end to end (issue 14): ordinary runs are healthy; after the replica's
redesign the run is degraded, naming the body source and the fields that fell, and the
generic fallback still archives the new stories' bodies; a parser version for the new markup,
installed as a user would ship one (an entry point of ``newscrawl.parsers``), and
``newscrawl reparse`` over the run's WARC files make the records whole again and the run
healthy."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from newscrawl.extraction.generic import GENERIC_BODY
from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from tests.utils.cli import crawl, run_cli
from tests.utils.client import Client

REPO = Path(__file__).resolve().parents[1]


def token_f1(truth: str, found: str) -> float:
    """The F1 of the two texts' words, counted as bags (a missing or extra word costs)."""
    want, got = (Counter(re.findall(r"\w+", text.lower())) for text in (truth, found))
    common = sum((want & got).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def install_parser_fix(site: Path, redesigned_at: datetime) -> None:
    """A distribution as ``pip install`` leaves it: a module giving V1 a ``valid_until`` at the
    redesign and V2, and its entry point in the group ``newscrawl.parsers``."""
    site.mkdir()
    (site / "scmp_redesign_fix.py").write_text(
        "from datetime import datetime\n"
        "from tests.utils.redesign_parser import versions\n\n"
        f"VERSIONS = versions(datetime.fromisoformat({redesigned_at.isoformat()!r}))\n",
        encoding="utf-8")
    info = site / "scmp_redesign_fix-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scmp-redesign-fix\n"
                                   "Version: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[newscrawl.parsers]\n"
                                           "scmp = scmp_redesign_fix:VERSIONS\n", encoding="utf-8")


def run_records(db: Path, run_id: int) -> dict[str, dict]:
    """The records the run stored or checked, by story id."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        start, end = conn.execute("SELECT started_at, finished_at FROM runs WHERE id=?",
                                  (run_id,)).fetchone()
        rows = conn.execute("SELECT * FROM articles WHERE last_checked_at BETWEEN ? AND ?",
                            (start, end)).fetchall()
    return {row["article_id"]: {**dict(row), "field_sources": json.loads(row["field_sources"]),
                                "subheadline": json.loads(row["subheadline"] or "[]"),
                                "images": json.loads(row["images"] or "[]")} for row in rows}


def test_a_redesign_degrades_health_and_a_new_parser_version_heals_the_run(
        tmp_path, monkeypatch) -> None:
    # Publishing every 6 minutes: each 90-minute step brings about 15 stories, enough to judge.
    config = ReplicaConfig(articles=150, seed=7, crawl_delay=0, minutes_per_item=6)
    db = tmp_path / "scmp" / "archive.sqlite"
    with ReplicaServer(config) as replica:
        client = Client(replica.base_url)
        for n in range(4):  # a full crawl, then three incremental ones
            if n:
                client.json("/__replica__/clock/advance?minutes=90", method="POST")
            if n == 3:  # the last with faults that retries get past: no alarm either
                client.json("/__replica__/faults?rate=0.3&kinds=500+503+reset&seed=3",
                            method="POST")
            done = crawl(replica, tmp_path)
        assert sum(client.json("/__replica__/stats")["faults"].values()) >= 5
        client.json("/__replica__/faults?off", method="POST")
        # The summary of `newscrawl crawl` ends with the verdict.
        assert done.stdout.rstrip().splitlines()[-1].startswith("health scmp: healthy (run 4 ")
        before = run_cli("health", "--data-dir", str(tmp_path))
        assert before.returncode == 0, before.stdout + before.stderr
        assert before.stdout.startswith("health scmp: healthy (run 4 ")

        client.json("/__replica__/redesign", method="POST")
        redesigned_at = datetime.now(UTC)  # pages fetched from now on have the new markup
        since = client.json("/__replica__/redesign")["since"]
        client.json("/__replica__/clock/advance?minutes=90", method="POST")
        done = crawl(replica, tmp_path, "--warc")
        assert "health scmp: degraded (run 5 " in done.stdout
        truth = {str(replica.world.article_id(i)): replica.world.truth(i, replica.base_url)
                 for i in range(replica.world.count)}

    after = run_cli("health", "--data-dir", str(tmp_path), "--json")
    assert after.returncode == 1, after.stdout + after.stderr
    data = json.loads(after.stdout)
    assert data["verdict"] == "degraded" and data["run"]["id"] == 5 and data["run"]["new"] >= 10
    findings = {(f["check"], f["subject"]): f for f in data["findings"]}
    shift = findings[("body_source", GENERIC_BODY)]
    assert shift["value"] > 0.9 and shift["baseline"] == 0
    # Nothing else alarms but fields the new markup lost.
    assert {check for check, _ in findings} <= {"body_source", "fill_rate"}
    fell = {field for check, field in findings if check == "fill_rate"}
    assert fell, data["findings"]
    text = run_cli("health", "--data-dir", str(tmp_path)).stdout
    assert "bodies from generic_body (baseline 0%; usually next_data)" in text

    # The stories published after the redesign are archived, their bodies by the fallback.
    crawled = run_records(db, 5)
    new = {i: r for i, r in crawled.items() if r["published_at"] >= since}
    assert len(new) >= 10
    close = [i for i, r in new.items() if r["field_sources"]["body"] == GENERIC_BODY
             and token_f1(" ".join(truth[i]["body"]), r["body"]) >= 0.9]
    assert len(close) >= 0.9 * len(new), (len(close), len(new))

    # A parser version for the new markup, installed as a distribution with an entry point,
    # reads the run's WARC files again: the records are whole and the run healthy.
    site = tmp_path / "site-packages"
    install_parser_fix(site, redesigned_at)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, (str(site), str(REPO), os.environ.get("PYTHONPATH")))))
    reparsed = run_cli("reparse", "--data-dir", str(tmp_path))
    assert reparsed.returncode == 0, reparsed.stderr
    assert re.search(r"parsed with: +scmp\.V2 \d+$", reparsed.stdout, re.M), reparsed.stdout
    assert "runs measured:    run 5 (" in reparsed.stdout
    healed = run_records(db, 5)
    assert healed.keys() == crawled.keys()
    for story_id, record in healed.items():
        assert record["parser_version"] == "scmp.V2", story_id
        assert record["field_sources"]["body"] != GENERIC_BODY, story_id
        want = truth[story_id]
        assert record["body"].split("\n\n") == want["body"] or record["is_truncated"], story_id
        for field in fell:  # every field that fell is filled again as the truth has it
            if want.get(field) not in (None, "", []):
                assert record[field] not in (None, "", "[]", []), (story_id, field)
    assert {r["subheadline"] == truth[i]["subheadline"] for i, r in healed.items()} == {True}
    judged = run_cli("health", "--data-dir", str(tmp_path))
    assert judged.returncode == 0, judged.stdout + judged.stderr
    assert judged.stdout.startswith("health scmp: healthy (run 5 ")
