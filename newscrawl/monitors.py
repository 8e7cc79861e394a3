"""``newscrawl health`` as a spidermon suite: the same checks, on the run that just ended, at
the close of every crawl, so a degraded run reaches whatever spidermon's actions send (e-mail,
Slack, Sentry, a job tag).

Optional: ``pip install 'newscrawl[monitoring]'``; the only module of newscrawl that imports
spidermon. Enabled in a project's settings (docs/health.md)::

    EXTENSIONS = {**EXTENSIONS, "spidermon.contrib.scrapy.extensions.Spidermon": 500}
    SPIDERMON_ENABLED = True
    SPIDERMON_SPIDER_CLOSE_MONITORS = ("newscrawl.monitors.HealthMonitorSuite",)

The run is judged from its row in the archive and against the rows before it, exactly as
``newscrawl health`` judges it (``newscrawl.health.assess``). The row is finished by the
archive extension in its ``spider_closed`` handler, and Scrapy calls the handlers in the order
the extensions were built: Spidermon's order must be above ``ArchiveExtension``'s (100). A
suite that runs too early says so (the ``run recorded`` monitor fails) rather than judging the
run before.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

try:
    from spidermon import Monitor, MonitorSuite, monitors
except ImportError as exc:  # an optional extra: say which
    raise ImportError("newscrawl.monitors needs spidermon: "
                      "pip install 'newscrawl[monitoring]'") from exc

from newscrawl.config import number
from newscrawl.extensions.archive import ArchiveExtension
from newscrawl.health import assess
from newscrawl.health.judge import BROKEN, DEGRADED
from newscrawl.layout import crawl_outlet
from newscrawl.settings import EXTENSIONS as PROJECT_EXTENSIONS
from newscrawl.store import StoreError, readers

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from newscrawl.health.judge import Verdict

ARCHIVE = "newscrawl.extensions.archive.ArchiveExtension"


@dataclass
class RunHealth:
    """What the monitors report: the verdict on the crawl's run, or why there is none."""

    verdict: Verdict | None = None
    skipped: str = ""  # this crawl recorded no run (a lock turned it away): nothing to judge
    problem: str = ""  # the run should be judged and cannot be

    def lines(self, severity: str) -> list[str]:
        findings = self.verdict.findings if self.verdict else []
        return [f.line() for f in findings if f.severity == severity]


_judged: weakref.WeakKeyDictionary[Crawler, RunHealth] = weakref.WeakKeyDictionary()


def run_health(crawler: Crawler) -> RunHealth:
    """The verdict on the run ``crawler`` recorded, judged once per crawl (every monitor of
    the suite reads the same one); its status is kept in the stats as
    ``newscrawl/health/verdict``."""
    if crawler not in _judged:
        health = _judge(crawler)
        if health.verdict is not None:
            crawler.stats.set_value("newscrawl/health/verdict", health.verdict.status)
        _judged[crawler] = health
    return _judged[crawler]


def _judge(crawler: Crawler) -> RunHealth:
    owner = crawler.get_extension(ArchiveExtension)
    if owner is None:
        return RunHealth(problem="newscrawl.monitors needs newscrawl.extensions.archive."
                                 "ArchiveExtension in EXTENSIONS")
    if owner.run_id is None:
        why = f"this crawl recorded no run{f': {owner.refused}' if owner.refused else ''}"
        # The archive failing at the start is an alarm; a lock held by another crawl is not.
        return RunHealth(problem=why) if owner.failed else RunHealth(skipped=why)
    runs = int(number(crawler.settings, "NEWSCRAWL_HEALTH_RUNS", zero_ok=False, whole=True))
    try:
        db = readers.connect(owner.target or owner.data_dir.archive)
    except StoreError as exc:
        return RunHealth(problem=str(exc))
    try:
        verdict = assess(db, crawl_outlet(crawler), runs=runs, upto=owner.run_id)
    finally:
        db.close()
    if verdict.run is not None and verdict.run.id == owner.run_id:
        return RunHealth(verdict)
    if owner.failed:
        return RunHealth(problem=f"run {owner.run_id} was not recorded: the archive failed "
                                 "during the crawl")
    order = crawler.settings.getwithbase("EXTENSIONS").get(ARCHIVE, PROJECT_EXTENSIONS[ARCHIVE])
    return RunHealth(problem=(
        f"run {owner.run_id} is not finished in the archive when the monitors run: give "
        "spidermon.contrib.scrapy.extensions.Spidermon an order above "
        f"{ARCHIVE}'s ({order}) in EXTENSIONS"))


@monitors.name("newscrawl health")
class HealthMonitor(Monitor):
    """``newscrawl health`` on the run this crawl recorded: fails on a broken or degraded
    verdict, naming each finding (docs/health.md)."""

    def _health(self) -> RunHealth:
        health = run_health(self.data.crawler)
        if health.skipped:
            self.skipTest(health.skipped)
        return health

    @monitors.name("run recorded")
    def test_the_run_is_recorded(self) -> None:
        """The crawl's run is finished in the archive, so it can be judged."""
        health = self._health()
        if health.problem:
            self.fail(health.problem)

    def _fail_on(self, level: str) -> None:
        """Fail with the verdict line and the findings of ``level``; skip an unjudged run."""
        health = self._health()
        if health.problem:
            self.skipTest("the run could not be judged")
        lines = health.lines(level)
        if lines:
            self.fail("\n".join([health.verdict.headline() if health.verdict else "", *lines]))

    @monitors.name("not broken")
    @monitors.level.high
    def test_the_run_is_not_broken(self) -> None:
        """No finding that makes the run broken (nothing stored when stories were due)."""
        self._fail_on(BROKEN)

    @monitors.name("not degraded")
    def test_the_run_is_not_degraded(self) -> None:
        """No finding that makes the run degraded (a field's fill rate fell, the body comes
        from another source, drops or failures above their baseline, content that is
        present but wrong, ...)."""
        self._fail_on(DEGRADED)


class HealthMonitorSuite(MonitorSuite):
    """newscrawl's health checks at spider close. Subclass it to add spidermon actions:
    ``monitors_failed_actions = [SendSlackMessageSpiderFinished]``."""

    monitors = [HealthMonitor]
