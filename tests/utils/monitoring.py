"""Spidermon in the tests: the health suite with actions that write what they were told to a
file beside the archive (``<data-dir>/monitors.jsonl``), where a real action would send mail
or a Slack message; and the settings module of a project that enables it."""

from __future__ import annotations

import json
from pathlib import Path

from spidermon.core.actions import Action

from newscrawl.monitors import HealthMonitorSuite


class RecordOutcome(Action):
    """Append the suite's results, and which of its action lists ran this one."""

    fired_by = ""

    def run_action(self) -> None:
        crawler = self.data.crawler
        line = {"fired_by": self.fired_by,
                "results": {r.item.name: {"status": r.status, "error": r.error}
                            for r in self.result.monitor_results},
                "verdict": crawler.stats.get_value("newscrawl/health/verdict")}
        path = Path(crawler.settings.get("NEWSCRAWL_DATA_DIR")) / "monitors.jsonl"
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


class OnPassed(RecordOutcome):
    fired_by = "passed"


class OnFailed(RecordOutcome):
    fired_by = "failed"


class RecordedHealthSuite(HealthMonitorSuite):
    monitors_passed_actions = [OnPassed]
    monitors_failed_actions = [OnFailed]


def outcomes(data_dir: Path) -> list[dict]:
    path = data_dir / "monitors.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
