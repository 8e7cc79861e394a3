"""Health (issue 14): every run measured, and ``newscrawl health`` judging the latest run
against the runs before it."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from newscrawl.extensions.archive import (
    ArchiveExtension,
    field_coverage,
    response_classes,
    stored_counts,
)
from newscrawl.extraction.dates import utc_iso
from newscrawl.extraction.generic import GENERIC_BODY
from newscrawl.health import RunMeasure, assess, judge, read_runs
from newscrawl.items import REPORTED_FIELDS, Article
from newscrawl.pipelines import StorePipeline
from newscrawl.records.measures import remeasured
from newscrawl.spiders import ScmpSpider
from newscrawl.store import PostgresArchive, SqliteArchive, readers
from newscrawl.store.statements import utc_now
from tests.utils.cli import run_cli
from tests.utils.crawler import project_crawler
from tests.utils.records import record


def test_the_store_pipeline_measures_sources_parsers_and_sections(tmp_path) -> None:
    crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_DATA_DIR": str(tmp_path)})
    try:
        store = StorePipeline.from_crawler(crawler)
        for n, (source, section) in enumerate((("next_data", ["News", "China", "Politics"]),
                                               (GENERIC_BODY, ["News", "China"]),
                                               ("dom", ["Business"]))):
            store.process_item(Article(
                url=f"https://www.scmp.com/news/article/330000{n}/x", outlet="scmp",
                article_id=f"330000{n}", headline=f"Story {n}", body=f"Body of story {n}.",
                published_at=f"2026-06-01T0{8 - n}:00:00Z", fetched_at="2026-06-01T09:00:00Z",
                section=section, parser_version="scmp.V1" if n else "scmp.V2",
                field_sources={"body": source, "headline": "json_ld"}))
        stats = crawler.stats.get_stats()
        assert stats["newscrawl/sources/body/next_data"] == 1
        assert stats[f"newscrawl/sources/body/{GENERIC_BODY}"] == 1
        assert stats["newscrawl/sources/body/dom"] == 1
        assert stats["newscrawl/sources/headline/json_ld"] == 3
        assert stats["newscrawl/parser/scmp.V1"] == 2 and stats["newscrawl/parser/scmp.V2"] == 1
        assert stats["newscrawl/sections/News > China"] == 2
        assert stats["newscrawl/sections/Business"] == 1
        assert stats["newscrawl/newest/published_at"] == "2026-06-01T08:00:00Z"
        # A field the record lacks has no source counted, whatever field_sources says.
        assert not any(k.startswith("newscrawl/sources/summary/") for k in stats)
    finally:
        ArchiveExtension.of(crawler).close()


# -- the judgement, on synthetic run histories ---------------------------------------------

def run_stats(*, new: int, revised: int = 0, unchanged: int = 0, fill: dict | None = None,
              body: dict | None = None, dropped: dict | None = None, failed: dict | None = None,
              requests: int | None = None, sections: dict | None = None,
              statuses: dict | None = None, retries: int = 0,
              newest: str | None = None) -> dict:
    """The stats a crawl would leave: every field filled unless ``fill`` says how many, every
    story in "News > Hong Kong" unless ``sections`` says otherwise, every request answered 200
    unless ``statuses`` says how."""
    stored = new + revised + unchanged
    requests = requests if requests is not None else stored + 5
    stats = {"newscrawl/stored/new": new, "newscrawl/stored/revised": revised,
             "newscrawl/stored/unchanged": unchanged, "downloader/request_count": requests,
             "newscrawl/retries/total": retries, "newscrawl/newest/published_at": newest}
    for name in REPORTED_FIELDS:
        stats[f"newscrawl/filled/{name}"] = (fill or {}).get(name, stored)
    for source, count in (body or {"next_data": stored}).items():
        stats[f"newscrawl/sources/body/{source}"] = count
        if source == GENERIC_BODY:
            stats["newscrawl/fallback/body"] = count
    for kind, counts in (("dropped", dropped), ("failed", failed),
                         ("sections", sections or {"News > Hong Kong": stored})):
        for reason, count in (counts or {}).items():
            stats[f"newscrawl/{kind}/{reason}"] = count
    for status, count in (statuses or {200: requests}).items():
        stats[f"downloader/response_status_count/{status}"] = count
    stats.update({f"newscrawl/responses/{name}": n for name, n in response_classes(stats).items()})
    return {k: v for k, v in stats.items() if v}


def measure(run_id: int, stats: dict) -> RunMeasure:
    counts = stored_counts(stats)
    return RunMeasure(id=run_id, started_at="2026-06-01T08:00:00Z",
                      finished_at="2026-06-01T08:05:00Z", finish_reason="finished",
                      new=counts.get("new", 0), revised=counts.get("revised", 0),
                      unchanged=counts.get("unchanged", 0), stats=stats,
                      coverage=field_coverage(stats))


SECTIONS = {"News > Hong Kong": 0.35, "News > China": 0.25, "Business": 0.15,
            "Opinion": 0.1, "Sport": 0.08, "Lifestyle": 0.04, "Tech": 0.03}


def ordinary_run(rng: random.Random, run_id: int, *, size: int | None = None) -> RunMeasure:
    """A run as the replica's normal publishing gives them: a varying number of new and
    edited stories, the subheadline on about 85% of them, a body from the page's DOM now and
    then, a retried fault or two, a daily section walk that costs more requests, stories in
    sections big and small, the newest of them a few minutes to two hours old, a 404 or two
    and a few 304s."""
    new = size if size is not None else rng.randint(6, 40)
    revised = rng.randint(0, new // 3)
    stored = new + revised
    dom = sum(rng.random() < 0.05 for _ in range(stored))
    fill = {"subheadline": sum(rng.random() < 0.85 for _ in range(stored))}
    failed = {"http_503": rng.choice((0, 0, 0, 1, 2))}
    requests = stored + rng.randint(3, 8) + (rng.random() < 0.2) * rng.randint(20, 40)
    sections = Counter(rng.choices(list(SECTIONS), weights=list(SECTIONS.values()), k=stored))
    retries = rng.choice((0, 0, 1, 3))
    statuses = {404: rng.choice((0, 0, 1, 2)), 503: retries, 304: rng.randint(0, 5)}
    statuses[200] = requests - sum(statuses.values())
    ended = datetime(2026, 6, 1, 8, tzinfo=UTC) + timedelta(hours=run_id)
    newest = ended - timedelta(minutes=rng.uniform(2, 120))
    run = measure(run_id, run_stats(new=new, revised=revised, fill=fill, failed=failed,
                                    body={"next_data": stored - dom, "dom": dom},
                                    requests=requests, sections=sections, statuses=statuses,
                                    retries=retries, newest=utc_iso(newest)))
    run.finished_at = utc_iso(ended)
    return run


def baseline(seed: int = 1, runs: int = 20) -> list[RunMeasure]:
    rng = random.Random(seed)
    return [ordinary_run(rng, n) for n in range(1, runs + 1)]


def test_ordinary_run_to_run_variation_does_not_alarm() -> None:
    for seed in range(40):
        rng = random.Random(1000 + seed)
        history = baseline(seed)
        for latest in (ordinary_run(rng, 99), ordinary_run(rng, 99, size=2),
                       ordinary_run(rng, 99, size=1)):
            verdict = judge([*history, latest], outlet="scmp")
            assert verdict.status == "healthy", (seed, verdict.lines())


def test_a_small_run_with_a_field_missing_or_a_few_faults_does_not_alarm() -> None:
    small = measure(99, run_stats(new=4, fill={"subheadline": 0, "summary": 2},
                                  body={"next_data": 2, GENERIC_BODY: 2},
                                  failed={"http_503": 2}, requests=30))
    assert judge([*baseline(), small], outlet="scmp").status == "healthy"


def test_too_short_a_history_only_notes_it() -> None:
    verdict = judge(baseline(runs=3), outlet="scmp")
    assert verdict.status == "healthy" and "only 2 earlier runs" in verdict.notes[0]


def test_no_finished_run_is_broken() -> None:
    verdict = judge([], outlet="scmp")
    assert verdict.exit_code == 2 and verdict.findings[0].check == "finished_run"


def test_a_field_whose_fill_rate_falls_is_named_with_value_and_baseline() -> None:
    latest = measure(99, run_stats(new=30, fill={"summary": 3, "subheadline": 25}))
    verdict = judge([*baseline(), latest], outlet="scmp")
    assert verdict.exit_code == 1
    (finding,) = verdict.findings
    assert (finding.check, finding.subject, finding.value, finding.baseline) == (
        "fill_rate", "summary", 0.1, 1.0)
    assert finding.line() == "degraded: field summary: fill rate 10% of 30 stored (baseline 100%)"


def test_a_body_source_shift_to_the_generic_fallback() -> None:
    latest = measure(99, run_stats(new=20, body={GENERIC_BODY: 17, "next_data": 3}))
    (finding,) = judge([*baseline(), latest], outlet="scmp").findings
    assert finding.check == "body_source" and finding.subject == GENERIC_BODY
    assert "85% of 20 bodies from generic_body (baseline 0%; usually next_data)" in finding.message


def test_runs_measured_before_sources_were_counted_still_show_the_fallback() -> None:
    old = [measure(n, {k: v for k, v in run_stats(new=20).items()
                       if not k.startswith("newscrawl/sources/")}) for n in range(5)]
    latest = measure(9, {k: v for k, v in run_stats(new=20, body={GENERIC_BODY: 20}).items()
                         if not k.startswith("newscrawl/sources/")})
    assert old[0].body_sources() == {"(outlet's own)": 20}
    (finding,) = judge([*old, latest], outlet="scmp").findings
    assert finding.subject == GENERIC_BODY and finding.value == 1.0
    # The first runs that count sources are compared with the older ones on the same terms.
    assert judge([*old, measure(10, run_stats(new=20))], outlet="scmp").status == "healthy"
    mixed = [*old, measure(10, run_stats(new=20)), measure(11, run_stats(
        new=20, body={GENERIC_BODY: 15, "next_data": 5}))]
    (finding,) = judge(mixed, outlet="scmp").findings
    assert finding.subject == GENERIC_BODY and finding.value == 0.75


def test_drop_and_failure_rates_well_above_baseline() -> None:
    # dropped/invalid is the total of the validation drops, not a reason of its own.
    latest = measure(99, run_stats(new=20, dropped={"invalid_headline": 6, "invalid": 6},
                                   failed={"http_503": 9, "timeout": 1}))
    findings = {f.check: f for f in judge([*baseline(), latest], outlet="scmp").findings}
    assert set(findings) == {"dropped_rate", "failed_rate"}
    assert "invalid_headline 6" in findings["dropped_rate"].message
    assert "failed: 28% of 36 stories (http_503 9, timeout 1)" in findings["failed_rate"].message


def test_no_new_story_when_the_baseline_expects_some() -> None:
    latest = measure(99, run_stats(new=0, unchanged=12))
    (finding,) = judge([*baseline(), latest], outlet="scmp").findings
    assert finding.check == "new_stories" and finding.severity == "degraded"
    # A site that often publishes nothing between runs is not alarmed about.
    quiet = [measure(n, run_stats(new=0 if n % 2 else 10, unchanged=12)) for n in range(10)]
    assert judge([*quiet, latest], outlet="scmp").status == "healthy"


def test_nothing_stored_when_the_baseline_expects_stories_is_broken() -> None:
    latest = measure(99, run_stats(new=0, requests=40))
    verdict = judge([*baseline(), latest], outlet="scmp")
    assert verdict.exit_code == 2 and verdict.findings[0].check == "stored"
    assert verdict.findings[0].line().startswith("broken: stored: nothing stored (baseline")


def test_a_run_that_ended_otherwise_than_usual() -> None:
    latest = measure(99, run_stats(new=20))
    latest.finish_reason = "store_unavailable"
    (finding,) = judge([*baseline(), latest], outlet="scmp").findings
    assert finding.line() == "degraded: run: ended store_unavailable (baseline finished, 20 of " \
                             "20 runs)"
    # Runs that often end by a limit (--max-articles) make no alarm of it.
    mixed = baseline()
    for run in mixed[::2]:
        run.finish_reason = "closespider_itemcount"
    assert judge([*mixed, latest], outlet="scmp").status == "healthy"


def test_requests_per_change_far_above_baseline() -> None:
    latest = measure(99, run_stats(new=10, requests=400))
    (finding,) = judge([*baseline(), latest], outlet="scmp").findings
    assert finding.check == "requests_per_change" and finding.value == 40.0


def test_a_section_silent_for_much_longer_than_usual() -> None:
    history = baseline()
    quiet = [measure(n, run_stats(new=40, sections={"News > Hong Kong": 24, "News > China": 16}))
             for n in (98, 99)]
    verdict = judge([*history, *quiet], outlet="scmp")
    by_section = {f.subject: f for f in verdict.findings}
    assert verdict.exit_code == 1 and {f.check for f in verdict.findings} == {"section_silent"}
    # Business (15% of the stories) should have had about 12 of the 80: the two runs' silence
    # is longer than any before. Smaller sections (Opinion, Sport, Tech) may be that silent.
    assert set(by_section) == {"Business"}
    assert by_section["Business"].message.startswith(
        "section Business: no story in the last 2 runs (80 stories stored since ")
    # One run of the same silence is not yet much longer than usual.
    assert judge([*history, quiet[0]], outlet="scmp").status == "healthy"
    # Records that lost their section speak through the fill rate, not as silent sections.
    unsectioned = measure(99, run_stats(new=60, sections={"(none)": 60},
                                        fill={"section": 0}))
    assert {f.check for f in judge([*history, unsectioned], outlet="scmp").findings} == {
        "fill_rate"}


def test_a_newest_story_much_older_than_usual() -> None:
    history = baseline()
    ended = datetime.fromisoformat(history[-1].finished_at) + timedelta(hours=1)
    stale = measure(99, run_stats(new=5, revised=10, newest=utc_iso(ended - timedelta(hours=30))))
    stale.finished_at = utc_iso(ended)
    (finding,) = judge([*history, stale], outlet="scmp").findings
    assert (finding.check, finding.subject, finding.value) == ("newest_story", "published_at",
                                                               30.0)
    assert finding.message.startswith("newest story: published 30.0 h before the run ended")
    # Two hours old at the end of a run: ordinary for a night.
    fresh = measure(99, run_stats(new=5, newest=utc_iso(ended - timedelta(hours=2))))
    fresh.finished_at = utc_iso(ended)
    assert judge([*history, fresh], outlet="scmp").status == "healthy"


def test_error_responses_no_retry_made_up_for() -> None:
    blocked = measure(99, run_stats(new=10, requests=100, statuses={200: 40, 403: 60}))
    (finding,) = judge([*baseline(), blocked], outlet="scmp").findings
    assert finding.check == "error_responses" and finding.value == 0.6
    assert finding.message.startswith("responses: 60% of 100 answered 4xx or 5xx and were not "
                                      "retried (4xx 60, 5xx 0; 0 retries) (baseline ")
    # The same 5xx answers retried until they succeeded are faults the crawl got past.
    retried = measure(99, run_stats(new=30, requests=100, statuses={200: 70, 503: 30},
                                    retries=30))
    assert judge([*baseline(), retried], outlet="scmp").status == "healthy"


def test_the_archive_stores_responses_by_status_class() -> None:
    assert response_classes({"downloader/response_status_count/200": 7,
                             "downloader/response_status_count/304": 2,
                             "downloader/response_status_count/301": 1,
                             "downloader/response_status_count/503": 3,
                             "downloader/request_count": 13}) == {"2xx": 7, "3xx": 3, "5xx": 3}
    run = measure(1, {"downloader/response_status_count/304": 2,
                      "downloader/response_status_count/200": 5})
    # Runs from before the classes were stored are summed from Scrapy's counts per status.
    assert run.responses == {"2xx": 5, "3xx": 2} and run.not_modified == 2


# -- read from an archive: the runs, and the articles of the latest ------------------------

def archive_with(path, history: list[dict], latest_records: list[dict] = (), *,
                 store: type = SqliteArchive) -> None:
    """An archive whose runs left ``history``'s stats; the last run stored ``latest_records``
    (fetched inside its time window)."""
    with store(path) as archive:
        for n, stats in enumerate(history):
            run_id = archive.begin_run("scmp", {})
            if n == len(history) - 1:
                for rec in latest_records:
                    archive.store_article(dict(rec, fetched_at=utc_now()))
            archive.commit()
            archive.end_run(run_id, reason="finished", stats=stats,
                            field_coverage=field_coverage(stats), counts=stored_counts(stats))
        refused = archive.begin_run("scmp", {})  # a crawl the lock turned away: no run
        archive.end_run(refused, reason="crawl_in_progress", stats={}, field_coverage={},
                        counts={})


def story(n: int, **fields) -> dict:
    body = fields.pop("body", f"Paragraph one of story {n}.\n\nParagraph two, longer than "
                              f"the summary of story {n}.")
    return record(f"32{n:05d}", body, **{"headline": f"Story {n} happened",
                                         "summary": f"Summary {n}.", **fields})


def test_the_cli_reads_the_runs_and_judges_the_latest(tmp_path) -> None:
    db = tmp_path / "scmp" / "archive.sqlite"
    db.parent.mkdir()
    ordinary = [run_stats(new=20) for _ in range(5)]
    archive_with(db, [*ordinary, run_stats(new=20, body={GENERIC_BODY: 20},
                                           fill={"summary": 1})],
                 [story(n) for n in range(20)])
    with readers.connect(db) as conn:
        runs = read_runs(conn, "scmp", limit=21)
    assert [r.id for r in runs] == [1, 2, 3, 4, 5, 6] and runs[-1].new == 20
    result = run_cli("health", "--data-dir", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("health scmp: degraded (run 6 ended ")
    assert "degraded: field summary: fill rate 5% of 20 stored (baseline 100%)" in lines
    assert any(line.startswith("degraded: body source: 100% of 20 bodies from generic_body")
               for line in lines)
    data = json.loads(run_cli("health", "--db", str(db), "--json").stdout)
    assert data["verdict"] == "degraded" and data["exit_code"] == 1
    assert data["baseline_runs"] == 5 and data["run"]["id"] == 6
    assert {(f["check"], f["subject"]) for f in data["findings"]} == {
        ("fill_rate", "summary"), ("body_source", GENERIC_BODY)}
    short = run_cli("health", "--db", str(db), "--json", "--runs", "2")
    data = json.loads(short.stdout)
    assert short.returncode == 0 and data["verdict"] == "healthy"
    assert data["baseline_runs"] == 2 and "only 2 earlier runs" in data["notes"][0]


def test_health_reads_a_postgresql_archive_the_same(postgres) -> None:
    url = postgres.database()
    archive_with(url, [*(run_stats(new=20) for _ in range(4)),
                       run_stats(new=20, fill={"authors": 2})],
                 [story(n, authors=["Published: 1 June 2026"] if n < 5 else ["A B"])
                  for n in range(20)], store=PostgresArchive)
    with readers.connect(url) as conn:
        verdict = assess(conn, "scmp")
    assert verdict.run.id == 5 and verdict.baseline_runs == 4
    assert {(f.check, f.subject) for f in verdict.findings} == {
        ("fill_rate", "authors"), ("odd_authors", "authors")}
    assert run_cli("health", "--db", url).returncode == 1


def test_a_run_measured_again_keeps_what_the_crawl_did(tmp_path, postgres) -> None:
    """What reparse writes: the run's record measures replaced, its crawl measures kept."""
    degraded = run_stats(new=20, body={GENERIC_BODY: 20}, fill={"summary": 0}, requests=70,
                         newest="2026-06-01T07:00:00Z")
    again = Counter({f"newscrawl/filled/{name}": 20 for name in REPORTED_FIELDS})
    again.update({"newscrawl/sources/body/next_data": 20, "newscrawl/parser/scmp.V2": 20,
                  "newscrawl/sections/News > Hong Kong": 20})
    for target, store in ((tmp_path / "a.sqlite", SqliteArchive),
                          (postgres.database(), PostgresArchive)):
        archive_with(target, [*(run_stats(new=20) for _ in range(4)), degraded], store=store)
        with store(target) as archive:
            (run_id, _, _, stats), = [r for r in archive.finished_runs("scmp") if r[0] == 5]
            assert stats["newscrawl/fallback/body"] == 20
            measured = remeasured(stats, again, "2026-06-01T07:30:00Z")
            archive.remeasure_run(run_id, stats=measured,
                                  field_coverage=field_coverage(measured, total=20))
        with readers.connect(target) as conn:
            verdict = assess(conn, "scmp")
            run = verdict.run
        assert verdict.status == "healthy", verdict.lines()
        assert run.coverage["summary"] == 1.0 and run.body_sources() == {"next_data": 20}
        assert "newscrawl/fallback/body" not in run.stats and run.requests == 70
        assert run.new == 20 and run.newest_published.hour == 7 and run.newest_published.minute == 30


def test_no_archive_or_no_finished_run_is_broken(tmp_path) -> None:
    assert run_cli("health", "--data-dir", str(tmp_path)).returncode == 2
    with SqliteArchive(tmp_path / "empty.sqlite") as archive:
        archive.begin_run("scmp", {})  # still running, or killed
    result = run_cli("health", "--db", str(tmp_path / "empty.sqlite"))
    assert result.returncode == 2
    assert "broken: no finished run in the archive" in result.stdout


def content(tmp_path, records: list[dict]) -> list:
    tmp_path.mkdir(exist_ok=True)
    db = tmp_path / "archive.sqlite"
    archive_with(db, [run_stats(new=len(records))], records)
    with readers.connect(db) as conn:
        verdict = assess(conn, "scmp")
    assert verdict.baseline_runs == 0  # content checks need no baseline
    return verdict.findings


def test_clean_stories_raise_no_content_finding(tmp_path) -> None:
    # Syndicated twins share a headline in pairs; that is no template text.
    twins = [story(n, headline=f"Twin {n // 2}") for n in range(6)]
    assert content(tmp_path, [story(n) for n in range(20, 40)] + twins) == []


def test_a_date_after_the_fetch_is_found(tmp_path) -> None:
    findings = content(tmp_path, [story(1, published_at="2099-01-01T00:00:00Z"),
                                  *(story(n) for n in range(2, 30))])
    (finding,) = findings
    assert (finding.check, finding.subject, finding.value) == ("future_date", "published_at", 1)
    assert "1 of 29 stories dated after their fetch (3200001)" in finding.message


def test_one_headline_or_body_shared_by_many_stories_is_template_text(tmp_path) -> None:
    template = "Sign up for our newsletter to get the latest news.\n\nMore from SCMP."
    findings = content(tmp_path, [*(story(n, headline="SCMP") for n in range(5)),
                                  *(story(n, body=template) for n in range(5, 10)),
                                  *(story(n) for n in range(10, 40))])
    by_field = {f.subject: f for f in findings if f.check == "template_text"}
    assert set(by_field) == {"headline", "body"}
    assert by_field["headline"].message.startswith("field headline: 5 of 40 stories share one "
                                                   "headline ('SCMP')")
    assert "'Sign up for our newsletter" in by_field["body"].message


def test_bodies_shorter_than_their_summary(tmp_path) -> None:
    long_summary = "A summary that goes on and on, far longer than the body it sums up."
    findings = content(tmp_path, [*(story(n, body=f"Short {n}.", summary=long_summary)
                                    for n in range(4)),
                                  story(4, body="Short.", summary=long_summary, is_truncated=True),
                                  *(story(n) for n in range(5, 40))])
    (finding,) = findings
    assert finding.check == "body_shorter_than_summary" and finding.value == 4


def test_authors_that_look_like_dates_or_section_names(tmp_path) -> None:
    odd = [["Published: 3:45pm, 1 Jun 2026"], ["June 1, 2026"], ["Hong Kong"], ["2026-06-01"]]
    findings = content(tmp_path, [*(story(n, authors=a) for n, a in enumerate(odd)),
                                  *(story(n, authors=["Kinling Lo", "Jun Mai"])
                                    for n in range(10, 40))])
    (finding,) = findings
    assert finding.check == "odd_authors" and finding.value == 4
    assert "look like dates or section names" in finding.message


def test_furniture_phrases_in_bodies_generic_and_the_outlets_own(tmp_path) -> None:
    text = "The council met on Tuesday {}.\n\n".format
    furnished = [story(1, body=text(1) + "Sign up for our newsletter and get the news first."),
                 story(2, body=text(2) + "ADVERTISEMENT"),
                 story(3, body=text(3) + "Read more: The council's other decisions"),
                 # SCMP's own furniture (newscrawl/outlets/scmp/furniture.py), glued to text
                 story(4, body=text(4) + "Officials said so. Why you can trust SCMP")]
    # Prose that merely uses the words is no furniture.
    prose = [story(n, body=f"{text(n)}Average rents fell {n}%; share prices rose. Read more "
                                  "than one report and you see why.") for n in range(5, 40)]
    (finding,) = content(tmp_path, [*furnished, *prose])
    assert (finding.check, finding.subject, finding.value) == ("furniture", "body", 4)
    assert finding.message.startswith("field body: 4 of 39 bodies hold page furniture (")
    for phrase in ("'Sign up for our newsletter' 1", "'Advertisement' 1", "'Read more' 1"):
        assert phrase in finding.message
    # Two such stories in forty are not yet a pattern.
    assert content(tmp_path / "few", [*furnished[:2], *prose]) == []


ENGLISH = ("The government said on Tuesday that it would review the housing policy after "
           "residents complained about rising rents. Officials told reporters that a panel of "
           "experts will report to the council by the end of the year, and that the public "
           "will be consulted before any change is made to the rules.")
GERMAN = ("Die Regierung teilte am Dienstag mit, dass sie die Wohnungspolitik überprüfen werde, "
          "nachdem sich Bewohner über steigende Mieten beschwert hatten. Beamte sagten, ein "
          "Gremium von Fachleuten werde dem Rat bis zum Ende des Jahres berichten, und die "
          "Öffentlichkeit werde vor jeder Änderung der Regeln angehört.")
CHINESE = ("政府周二表示，在居民投诉租金上涨后，将检讨房屋政策。官员对记者表示，专家小组将于年底前"
           "向议会提交报告，而在修改任何规则之前，政府会先咨询公众的意见。有关部门亦会研究"
           "如何加快兴建公营房屋，以回应市民对住屋的需求。")


def test_bodies_in_another_language_than_the_outlets(tmp_path) -> None:
    english = [story(n, body=f"{ENGLISH}\n\nStory {n}.") for n in range(10, 40)]
    others = [story(1, body=GERMAN), story(2, body=GERMAN + " Noch ein Satz."),
              story(3, body=CHINESE)]
    (finding,) = content(tmp_path, [*others, *english])
    assert (finding.check, finding.subject, finding.value) == ("language", "body", 3)
    assert finding.message.startswith("field body: 3 of 33 bodies not in en (de 2, zh 1; ")
    # A story or two in another language (a translated statement) is no finding.
    assert content(tmp_path / "few", [*others[:2], *english]) == []


def test_stories_are_read_in_batches_and_every_one_is_judged(tmp_path, monkeypatch) -> None:
    """The content checks read the run's stories a batch at a time (a 100,000-story run held
    them all at once): batches of 4 find what one batch finds, in the same counts."""
    from newscrawl.health import content as checks

    monkeypatch.setattr(checks, "BATCH", 4)
    test_bodies_in_another_language_than_the_outlets(tmp_path / "language")
    test_furniture_phrases_in_bodies_generic_and_the_outlets_own(tmp_path / "furniture")
    test_a_date_after_the_fetch_is_found(tmp_path / "dates")
    test_one_headline_or_body_shared_by_many_stories_is_template_text(tmp_path / "template")


def test_health_imports_no_scrapy() -> None:
    code = ("import sys, newscrawl.health, newscrawl.health.content, "
            "newscrawl.health.furniture, newscrawl.health.language; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')]; "
            "print(bad); assert not bad")
    subprocess.run([sys.executable, "-c", code], check=True)
