"""The spidermon suite (issue 14, ``newscrawl.monitors``): real crawls of the replica with
spidermon enabled; the suite passes on healthy runs and fails, firing the failed actions with
the findings, on the run after a redesign."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import newscrawl
from newscrawl.extraction.generic import GENERIC_BODY
from newscrawl.monitors import run_health
from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from newscrawl.settings import EXTENSIONS
from newscrawl.spiders import ScmpSpider
from tests.utils.cli import crawl
from tests.utils.client import Client
from tests.utils.crawler import project_crawler
from tests.utils.monitoring import outcomes

SPIDERMON = "spidermon.contrib.scrapy.extensions.Spidermon"
RECORDED, NOT_BROKEN, NOT_DEGRADED = (f"newscrawl health/{name}" for name in (
    "run recorded", "not broken", "not degraded"))


def test_the_suite_passes_healthy_runs_and_fails_a_degraded_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "tests.utils.monitoring_settings")
    # Publishing every 6 minutes: each 90-minute step brings about 15 stories, enough to judge.
    config = ReplicaConfig(articles=40, seed=7, crawl_delay=0, minutes_per_item=6)
    with ReplicaServer(config) as replica:
        client = Client(replica.base_url)

        def step(*extra: str) -> dict:
            client.json("/__replica__/clock/advance?minutes=90", method="POST")
            crawl(replica, tmp_path, *extra)
            return outcomes(tmp_path)[-1]

        crawl(replica, tmp_path)  # run 1: a full crawl, no baseline yet
        first = outcomes(tmp_path)[-1]
        assert first["fired_by"] == "passed" and first["verdict"] == "healthy"
        assert {name: r["status"] for name, r in first["results"].items()} == {
            RECORDED: "OK", NOT_BROKEN: "OK", NOT_DEGRADED: "OK"}

        # Spidermon ordered before the archive extension runs before the run is recorded:
        # the suite says so instead of judging the run before.
        early = step("-s", "EXTENSIONS=" + json.dumps({**EXTENSIONS, SPIDERMON: 50}))
        assert early["fired_by"] == "failed"
        assert early["results"][RECORDED]["status"] == "FAIL"
        assert "run 2 is not finished in the archive when the monitors run: give spidermon." \
               "contrib.scrapy.extensions.Spidermon an order above newscrawl.extensions." \
               "archive.ArchiveExtension's (100)" in early["results"][RECORDED]["error"]
        assert early["results"][NOT_DEGRADED]["status"] == "SKIPPED"

        healthy = step()  # run 3
        assert healthy["fired_by"] == "passed" and healthy["verdict"] == "healthy", healthy

        client.json("/__replica__/redesign", method="POST")
        # Run 4, judged against runs 1 to 3 (as `newscrawl health` judges an ordinary run
        # healthy after such runs: tests/test_health.py): bodies from the generic fallback.
        degraded = step()
    assert degraded["fired_by"] == "failed" and degraded["verdict"] == "degraded"
    results = degraded["results"]
    assert results[RECORDED]["status"] == "OK" and results[NOT_BROKEN]["status"] == "OK"
    assert results[NOT_DEGRADED]["status"] == "FAIL"
    error = results[NOT_DEGRADED]["error"]
    assert "health scmp: degraded (run 4 " in error and "baseline 3 runs" in error
    assert f"bodies from {GENERIC_BODY} (baseline 0%; usually next_data)" in error


def test_a_crawl_that_recorded_no_run_is_not_judged(tmp_path) -> None:
    crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_DATA_DIR": str(tmp_path)})
    health = run_health(crawler)  # no run began: a lock turned the crawl away, say
    assert health.verdict is None and not health.problem
    assert health.skipped == "this crawl recorded no run"


def test_only_newscrawl_monitors_imports_spidermon() -> None:
    package = Path(newscrawl.__file__).parent
    importing = {path.relative_to(package).as_posix() for path in package.rglob("*.py")
                 if re.search(r"^\s*(from|import) spidermon\b", path.read_text(encoding="utf-8"),
                              re.M)}
    assert importing == {"monitors.py"}


def test_without_spidermon_the_import_error_names_the_extra() -> None:
    code = "import sys; sys.modules['spidermon'] = None; import newscrawl.monitors"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "ImportError: newscrawl.monitors needs spidermon: pip install 'newscrawl[monitoring]'")
