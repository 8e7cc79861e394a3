"""The judgement of a run against its baseline: the findings and the verdict.

Each check compares the latest run with the median of the runs before it and alarms only when
the difference is larger than chance and ordinary run-to-run variation allow (a binomial
tolerance on shares, the MAD of the baseline runs, a minimum sample size). The thresholds are
the module's constants; docs/health.md explains them.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from newscrawl.health.baseline import mad, median, share_tolerance
from newscrawl.health.runs import GENERIC_BODY, RunMeasure

HEALTHY, DEGRADED, BROKEN = "healthy", "degraded", "broken"
EXIT_CODES = {HEALTHY: 0, DEGRADED: 1, BROKEN: 2}

#: Fewer baseline runs than this: only the checks that need no baseline run.
MIN_BASELINE_RUNS = 3
#: A share (fill rate, body source, drop rate) is judged on at least this many stories.
MIN_SAMPLE = 10
#: A share must move at least this much, whatever the statistics say, to count.
MIN_SHIFT = 0.10
#: A field is judged only when the baseline fills it at least this often.
MIN_BASELINE_FILL = 0.2
#: "No new story" alarms when the baseline's median is at least this, and at most this share
#: of baseline runs found none.
MIN_EXPECTED_NEW = 3
MAX_QUIET_SHARE = 0.2
#: Requests per stored change alarm above this many times the baseline's median (and its
#: MAD allowance), in a run of at least MIN_REQUESTS requests and this many times the
#: requests of the baseline's busy runs (its 90th percentile).
REQUESTS_FACTOR = 3.0
MIN_REQUESTS = 20
#: A section is silent when no story stored since its last one (in at least SILENT_RUNS
#: runs) is of it although its baseline share of the stories makes SILENT_EXPECTED of them
#: expected, and the silence, counted in stories stored, is longer than any it had before.
SILENT_EXPECTED = 10
SILENT_RUNS = 1
#: The newest story stored is stale when, at the end of the run, it is older than this many
#: times what the baseline's runs usually saw (their 90th percentile), and at least MIN_STALE.
STALE_FACTOR = 3.0
MIN_STALE = timedelta(hours=6)


@dataclass
class Finding:
    """One thing wrong: which check, about what (a field, a section, a reason), the value, the
    baseline, and how bad."""

    check: str
    subject: str
    value: Any
    baseline: Any
    severity: str
    message: str

    def line(self) -> str:
        return f"{self.severity}: {self.message}"


@dataclass
class Verdict:
    outlet: str
    run: RunMeasure | None
    baseline_runs: int
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        severities = {f.severity for f in self.findings}
        return BROKEN if BROKEN in severities else DEGRADED if severities else HEALTHY

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def headline(self) -> str:
        if self.run is None:
            return f"health {self.outlet}: {self.status}"
        run = self.run
        return (f"health {self.outlet}: {self.status} (run {run.id} ended {run.finished_at}, "
                f"{run.finish_reason}: {run.stored} stored, {run.new} new, {run.revised} "
                f"revised; baseline {self.baseline_runs} runs)")

    def lines(self) -> list[str]:
        return [self.headline(), *(f.line() for f in self.findings),
                *(f"note: {n}" for n in self.notes)]

    def as_json(self) -> dict[str, Any]:
        run = self.run
        return {"outlet": self.outlet, "verdict": self.status, "exit_code": self.exit_code,
                "run": None if run is None else {
                    "id": run.id, "started_at": run.started_at, "finished_at": run.finished_at,
                    "finish_reason": run.finish_reason, "stored": run.stored, "new": run.new,
                    "revised": run.revised, "unchanged": run.unchanged,
                    "requests": run.requests},
                "baseline_runs": self.baseline_runs,
                "findings": [asdict(f) for f in self.findings], "notes": self.notes}


def judge(history: list[RunMeasure], *, outlet: str) -> Verdict:
    """The verdict on ``history[-1]`` against the runs before it (oldest first)."""
    if not history:
        return Verdict(outlet, None, 0, [Finding(
            "finished_run", "runs", 0, None, BROKEN, "no finished run in the archive")])
    latest, baseline = history[-1], history[:-1]
    verdict = Verdict(outlet, latest, len(baseline))
    if len(baseline) < MIN_BASELINE_RUNS:
        verdict.notes.append(f"only {len(baseline)} earlier runs (at least {MIN_BASELINE_RUNS} "
                             "make a baseline): only the content checks ran")
        return verdict
    for check in (_nothing_stored, _finish_reason, _no_new_story, _stale_stories, _fill_rates,
                  _body_source, _error_rates, _error_responses, _silent_sections,
                  _requests_per_change):
        verdict.findings += check(latest, baseline)
    return verdict


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _nothing_stored(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    stored = [r.stored for r in baseline]
    expected = median(stored)
    if latest.stored or expected < MIN_EXPECTED_NEW \
            or sum(1 for s in stored if not s) / len(stored) > MAX_QUIET_SHARE:
        return []
    return [Finding("stored", "articles", 0, expected, BROKEN,
                    f"stored: nothing stored (baseline median {expected:g} per run)")]


def _finish_reason(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    """A run that ended otherwise than the runs before it usually do (the archive lost, a
    shutdown), when at least ``1 - MAX_QUIET_SHARE`` of them ended alike."""
    usual, count = Counter(r.finish_reason for r in baseline).most_common(1)[0]
    if latest.finish_reason == usual or count / len(baseline) < 1 - MAX_QUIET_SHARE:
        return []
    return [Finding("finish_reason", "run", latest.finish_reason, usual, DEGRADED,
                    f"run: ended {latest.finish_reason} (baseline {usual}, "
                    f"{count} of {len(baseline)} runs)")]


def _no_new_story(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    news = [r.new for r in baseline]
    expected = median(news)
    if latest.new or not latest.stored or expected < MIN_EXPECTED_NEW \
            or sum(1 for n in news if not n) / len(news) > MAX_QUIET_SHARE:
        return []
    return [Finding("new_stories", "articles", 0, expected, DEGRADED,
                    f"new stories: none (baseline median {expected:g} per run)")]


def _share_fell(value: float, n: int, rates: list[float]) -> tuple[bool, float]:
    """Whether a share of ``n`` items fell well below the baseline rates; the baseline."""
    base = median(rates)
    tolerance = max(MIN_SHIFT, share_tolerance(base, n), 3 * mad(rates))
    return value < base - tolerance, base


def _fill_rates(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    n = latest.stored
    measured = [r for r in baseline if r.stored >= MIN_SAMPLE and r.coverage]
    if n < MIN_SAMPLE or len(measured) < MIN_BASELINE_RUNS:
        return []
    findings = []
    for name, value in latest.coverage.items():
        rates = [float(r.coverage[name]) for r in measured if name in r.coverage]
        if len(rates) < MIN_BASELINE_RUNS or median(rates) < MIN_BASELINE_FILL:
            continue
        fell, base = _share_fell(float(value), n, rates)
        if fell:
            findings.append(Finding("fill_rate", name, value, base, DEGRADED,
                                    f"field {name}: fill rate {_percent(value)} of {n} stored "
                                    f"(baseline {_percent(base)})"))
    return findings


def _body_source(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    # Runs from before sources were counted are compared on what they can tell.
    detailed = all(r.counts_body_sources for r in baseline)
    sources = latest.body_sources(detailed=detailed)
    bodies = sum(sources.values())
    if bodies < MIN_SAMPLE:
        return []
    shares = []
    for run in baseline:
        theirs = run.body_sources(detailed=detailed)
        total = sum(theirs.values())
        if total >= MIN_SAMPLE:
            shares.append(theirs)
    if len(shares) < MIN_BASELINE_RUNS:
        return []
    findings = []
    for source, count in sources.most_common():
        share = count / bodies
        rates = [s[source] / sum(s.values()) for s in shares]
        base = median(rates)
        tolerance = max(MIN_SHIFT, share_tolerance(base, bodies), 3 * mad(rates))
        # A source that now gives most bodies, far more than it used to: the one the
        # outlet's parser preferred is gone. The generic fallback rising is named even
        # below half: each of those stories lost its outlet-specific reading.
        if share > base + tolerance and (share > 0.5 or source == GENERIC_BODY):
            usual = Counter[str]()
            for s in shares:
                usual.update(s)
            was = usual.most_common(1)[0][0] if usual else "?"
            findings.append(Finding("body_source", source, share, base, DEGRADED,
                                    f"body source: {_percent(share)} of {bodies} bodies from "
                                    f"{source} (baseline {_percent(base)}; usually {was})"))
    return findings


def _error_rates(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    findings = []
    attempts = latest.attempts
    for kind in ("dropped", "failed"):
        counts = latest.counted(kind)
        total = sum(counts.values())
        if attempts < MIN_SAMPLE or total < 3:
            continue
        rates = [sum(r.counted(kind).values()) / r.attempts for r in baseline if r.attempts]
        if len(rates) < MIN_BASELINE_RUNS:
            continue
        rate, base = total / attempts, median(rates)
        tolerance = max(MIN_SHIFT / 2, share_tolerance(base, attempts), 3 * mad(rates))
        if rate > base + tolerance:
            reasons = ", ".join(f"{reason} {n}" for reason, n in counts.most_common(3))
            findings.append(Finding(f"{kind}_rate", kind, rate, base, DEGRADED,
                                    f"{kind}: {_percent(rate)} of {attempts} stories ({reasons}) "
                                    f"(baseline {_percent(base)})"))
    return findings


def _requests_per_change(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    """Many more requests than the stories they gave. A small run's ratio is mostly the fixed
    cost of a run (robots.txt, the voucher, a daily section walk), so the run must also have
    made far more requests than the busy runs of the baseline did."""
    if not latest.changes or latest.requests < MIN_REQUESTS:
        return []
    ratios = [r.requests / r.changes for r in baseline if r.changes and r.requests]
    if len(ratios) < MIN_BASELINE_RUNS:
        return []
    ratio, base = latest.requests / latest.changes, median(ratios)
    busy = statistics.quantiles([r.requests for r in baseline], n=10, method="inclusive")[-1]
    if ratio > max(REQUESTS_FACTOR * base, base + 5 * mad(ratios)) \
            and latest.requests > REQUESTS_FACTOR * busy:
        return [Finding("requests_per_change", "requests", round(ratio, 2), round(base, 2),
                        DEGRADED, f"requests per stored change: {ratio:.1f} ({latest.requests} "
                                  f"requests, {latest.changes} new or revised) (baseline "
                                  f"{base:.1f})")]
    return []


def _age(run: RunMeasure) -> timedelta | None:
    newest, ended = run.newest_published, run.ended
    return ended - newest if newest and ended else None


def _hours(age: timedelta) -> str:
    return f"{age.total_seconds() / 3600:.1f} h"


def _stale_stories(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    """The newest story the run stored was published long before the run ended, longer than
    the baseline's runs usually saw: the crawl no longer reaches the new stories."""
    age = _age(latest)
    ages = [a for run in baseline if (a := _age(run)) is not None]
    if age is None or len(ages) < MIN_BASELINE_RUNS:
        return []
    usual = statistics.quantiles([a.total_seconds() for a in ages], n=10,
                                 method="inclusive")[-1]
    limit = max(timedelta(seconds=STALE_FACTOR * usual), MIN_STALE)
    if age <= limit:
        return []
    base = timedelta(seconds=median([a.total_seconds() for a in ages]))
    return [Finding("newest_story", "published_at", round(age.total_seconds() / 3600, 2),
                    round(base.total_seconds() / 3600, 2), DEGRADED,
                    f"newest story: published {_hours(age)} before the run ended "
                    f"({latest.newest_published:%Y-%m-%dT%H:%M:%SZ}) (baseline {_hours(base)}, "
                    f"at most {_hours(timedelta(seconds=usual))} in 9 of 10 runs)")]


def _error_responses(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    """Responses of class 4xx or 5xx that no retry made up for (a site that blocks the
    crawler, pages gone), as a share of all responses, well above the baseline's."""
    def unrecovered(run: RunMeasure) -> tuple[int, int]:
        classes = run.responses
        return max(0, classes["4xx"] + classes["5xx"] - run.retries), sum(classes.values())

    errors, responses = unrecovered(latest)
    if responses < MIN_REQUESTS or errors < 3:
        return []
    rates = [e / n for e, n in map(unrecovered, baseline) if n]
    if len(rates) < MIN_BASELINE_RUNS:
        return []
    rate, base = errors / responses, median(rates)
    tolerance = max(MIN_SHIFT / 2, share_tolerance(base, responses), 3 * mad(rates))
    if rate <= base + tolerance:
        return []
    classes = latest.responses
    return [Finding("error_responses", "responses", round(rate, 4), round(base, 4), DEGRADED,
                    f"responses: {_percent(rate)} of {responses} answered 4xx or 5xx and were "
                    f"not retried (4xx {classes['4xx']}, 5xx {classes['5xx']}; "
                    f"{latest.retries} retries) (baseline {_percent(base)})")]


def _sectioned(run: RunMeasure) -> Counter[str]:
    counts = run.counted("sections")
    counts.pop("(none)", None)  # a record without a section: the fill rate speaks of it
    return counts


def _silent_sections(latest: RunMeasure, baseline: list[RunMeasure]) -> list[Finding]:
    """Sections none of whose stories the last runs stored, when their usual share of the
    stories those runs stored makes many expected: a section page or feed no longer read."""
    runs = [*baseline, latest]
    counts = [_sectioned(run) for run in runs]
    findings = []
    for section in sorted({name for c in counts[:-1] for name in c}):
        quiet = next(n for n, c in enumerate(reversed(counts)) if c[section])
        before = counts[:-quiet] if quiet else counts
        if quiet < SILENT_RUNS or sum(1 for c in before if c[section]) < MIN_BASELINE_RUNS:
            continue
        share = sum(c[section] for c in before) / sum(sum(c.values()) for c in before)
        silent = sum(sum(c.values()) for c in counts[-quiet:])
        expected = share * silent
        longest = _longest_silence(before, section)
        if expected < SILENT_EXPECTED or silent <= longest:
            continue
        since = runs[-quiet - 1].finished_at
        findings.append(Finding(
            "section_silent", section, 0, round(expected, 1), DEGRADED,
            f"section {section}: no story in the last {quiet} runs ({silent} stories stored "
            f"since {since}) (baseline {_percent(share)} of the stories, {expected:.0f} "
            f"expected; longest silence before: {longest} stories)"))
    return findings


def _longest_silence(counts: list[Counter[str]], section: str) -> int:
    """The most stories stored between two runs with stories of ``section``."""
    longest = current = 0
    started = False
    for c in counts:
        if c[section]:
            started, current = True, 0
        elif started:
            current += sum(c.values())
            longest = max(longest, current)
    return longest
