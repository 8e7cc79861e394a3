"""Which listed stories a run fetches (``newscrawl.spiders.admission``), as plain objects: no
crawler, a real SQLite archive (and PostgreSQL for the revisit rule in SQL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.settings import Settings

from newscrawl.config import CrawlConfig
from newscrawl.discovery.sitemaps import SitemapEntry
from newscrawl.extraction.dates import utc_iso
from newscrawl.layout import DataDir
from newscrawl.outlets import get_outlet
from newscrawl.outlets.spec import Card
from newscrawl.spiders.admission import Admission, RevisitRule
from newscrawl.store import PostgresArchive, SqliteArchive
from tests.utils.records import record

NOW = datetime.now(UTC).replace(microsecond=0)  # admission reads the clock
URL = "https://www.scmp.com/news/hong-kong/article/{}/story"


class Stats(Counter):
    def inc_value(self, key: str, count: int = 1) -> None:
        self[key] += count


def admission(archive, **settings) -> tuple[Admission, Stats]:
    outlet = get_outlet("scmp")
    config = CrawlConfig.from_settings(outlet, Settings(settings), now=NOW)
    stats = Stats()
    return Admission(outlet, config, archive, stats), stats


@pytest.fixture()
def archive(tmp_path):
    files = DataDir.of(tmp_path, "scmp")
    with SqliteArchive(files.archive, files.journal) as archive:
        yield archive


def test_a_new_story_is_admitted_once_without_tracking_parameters(archive):
    run, stats = admission(archive)
    listed = utc_iso(NOW - timedelta(hours=4))
    got = run.consider(URL.format(3300001) + "?utm_source=rss&module=x", listed, None)
    assert got is not None and got.url == URL.format(3300001) and not got.revisit
    assert got.article_id == "3300001" and got.newest == listed
    assert run.consider(URL.format(3300001), listed, None) is None
    assert stats["newscrawl/skipped/already_scheduled"] == 1
    assert run.consider("https://www.scmp.com/video/news/3300002/clip", None, None) is None
    assert stats["newscrawl/skipped/not_article_url"] == 1
    assert run.high_water == listed


def test_the_horizon_and_the_limit(archive):
    run, stats = admission(archive, NEWSCRAWL_SINCE="2026-06-05", NEWSCRAWL_MAX_ARTICLES="2")
    assert run.consider(URL.format(3300001), "2026-06-01T00:00:00Z", None) is None
    assert stats["newscrawl/skipped/before_horizon"] == 1
    assert run.consider(URL.format(3300002), "2026-06-06T00:00:00Z", None) is not None
    assert run.consider(URL.format(3300003), "2026-06-07T00:00:00Z", None) is not None
    assert run.limit_reached() and run.consider(URL.format(3300004), None, None) is None
    assert not run.wants_more([Card(URL.format(3300005), published_at="2026-06-08T00:00:00Z")])


def test_a_stored_story_comes_back_only_when_it_changed_or_is_due(archive):
    archive.store_article(record("3300001", "Body. " * 60, published_at=utc_iso(NOW - timedelta(days=3)),
                                 updated_at=utc_iso(NOW - timedelta(days=3)),
                                 canonical_url=URL.format(3300001), fetched_at=utc_iso(NOW)))
    archive.commit()
    run, stats = admission(archive)
    # Checked just now, unchanged: not fetched.
    assert run.consider(URL.format(3300001), utc_iso(NOW - timedelta(days=3)), None) is None
    assert stats["newscrawl/skipped/unchanged"] == 1
    # A listing dates a change after the stored version: a conditional revisit.
    got = run.consider(URL.format(3300001), utc_iso(NOW - timedelta(days=3)),
                       utc_iso(NOW - timedelta(hours=1)))
    assert got is not None and got.revisit and stats["newscrawl/revisits/changed"] == 1


def test_an_incremental_walk_stops_at_what_the_last_run_saw(archive):
    run, stats = admission(archive)
    run.window_start = utc_iso(NOW - timedelta(days=1))
    old = [Card(URL.format(3300001), published_at=utc_iso(NOW - timedelta(days=2)))]
    assert run.seen_before(old, []) and stats["newscrawl/pagination/stopped_at_archived"] == 1
    assert not run.seen_before(old, ["a request"])  # something new on the page: page on
    run.window_start = None
    assert not run.seen_before(old, [])  # a full walk


@pytest.mark.parametrize(("quiet", "since_check", "due"), [
    (timedelta(minutes=30), timedelta(hours=47), False),  # fetched new: not before 48 h
    (timedelta(minutes=30), timedelta(hours=48), True),
    (timedelta(days=2), timedelta(days=3), False),  # quiet 2 days at the check: 4 days
    (timedelta(days=2), timedelta(days=4), True),
    (timedelta(days=20), timedelta(days=39), False),  # quiet for weeks: twice that
    (timedelta(days=20), timedelta(days=40), True),
    (timedelta(days=900), timedelta(days=364), False),  # at least yearly
    (timedelta(days=900), timedelta(days=366), True),
    (-timedelta(hours=3), timedelta(hours=48), True),  # a site clock ahead: no quiet time
])
def test_the_revisit_rule_learns_from_the_quiet_time(quiet, since_check, due):
    rule = RevisitRule(factor=2.0, min_hours=48.0, max_days=365.0)
    checked = NOW - since_check
    assert rule.due(NOW, utc_iso(checked - quiet), utc_iso(checked)) is due


def test_the_revisit_rule_is_the_default_and_counts_from_the_last_change(archive):
    """A story edited a day after publication is quiet from that edit: checked two days
    after it, though it was published long before."""
    rule = RevisitRule.of(admission(archive)[0].config)
    assert rule == RevisitRule(factor=2.0, min_hours=48.0, max_days=365.0, trust_dated=True)
    published, edited = NOW - timedelta(days=30), NOW - timedelta(days=2, hours=1)
    archive.store_article(record("3300002", "Body. " * 60, published_at=utc_iso(published),
                                 updated_at=utc_iso(edited), fetched_at=utc_iso(edited)))
    archive.commit()
    assert rule.due(NOW, utc_iso(edited), utc_iso(edited))
    assert {a for a, _ in archive.due_for_revisit("scmp", utc_iso(NOW), rule)} == {"3300002"}
    run, stats = admission(archive)
    got = run.consider(URL.format(3300002), utc_iso(published), None)  # no listing dates it
    assert got is not None and got.revisit and stats["newscrawl/revisits/due"] == 1


def test_an_edit_no_listing_dates_is_caught_by_the_learned_interval(archive):
    """Fetched within the hour of publication, edited unseen: two days later the story is
    checked (conditionally) and the edit is stored; a story quiet for a month is left."""
    published = NOW - timedelta(days=2, hours=2)
    fetched = published + timedelta(minutes=40)
    archive.store_article(record("3300003", "First version. " * 40, updated_at=None,
                                 published_at=utc_iso(published), fetched_at=utc_iso(fetched)))
    old = NOW - timedelta(days=40)
    archive.store_article(record("3300004", "Old story. " * 40, updated_at=None,
                                 published_at=utc_iso(old),
                                 fetched_at=utc_iso(NOW - timedelta(days=10))))
    archive.commit()
    run, stats = admission(archive)
    # The news sitemap lists both with their publication date only.
    got = run.consider(URL.format(3300003), utc_iso(published), None)
    assert got is not None and got.revisit and stats["newscrawl/revisits/due"] == 1
    assert run.consider(URL.format(3300004), utc_iso(old), None) is None
    assert stats["newscrawl/skipped/unchanged"] == 1
    # The revisit finds the edit: a second revision, quiet from the edit on.
    edited = NOW - timedelta(hours=30)
    result = archive.store_article(record("3300003", "Edited version. " * 40,
                                          published_at=utc_iso(published),
                                          updated_at=utc_iso(edited), fetched_at=utc_iso(NOW)))
    archive.commit()
    assert result.status == "revised"
    state = archive.article_state("scmp", "3300003")
    rule = run.rule
    assert not rule.due(NOW + timedelta(hours=47), state.updated_at, state.last_checked_at)
    assert rule.due(NOW + timedelta(hours=61), state.updated_at, state.last_checked_at)


def test_a_story_an_archive_sitemap_dates_is_left_to_it(archive):
    """Its edits show in its monthly file's lastmod: no check before the yearly one, while the
    run reads the sitemaps; an undated one (no lastmod) climbs the ladder."""
    fetched = NOW - timedelta(days=3)
    for article_id in ("3300005", "3300006"):
        archive.store_article(record(article_id, f"Story {article_id}. " * 40, updated_at=None,
                                     published_at=utc_iso(fetched), fetched_at=utc_iso(fetched)))
    run, stats = admission(archive)
    entries = [SitemapEntry(URL.format(3300005), lastmod=utc_iso(fetched)),
               SitemapEntry(URL.format(3300006) + "?utm_source=x")]
    assert run.dating(entries) == (["3300005"], ["3300006"])
    archive.mark_dated("scmp", *run.dating(entries))
    archive.commit()
    assert archive.article_state("scmp", "3300005").dated
    assert run.consider(URL.format(3300005), utc_iso(fetched), None) is None
    assert run.consider(URL.format(3300006), utc_iso(fetched), None) is not None
    assert {a for a, _ in archive.due_for_revisit("scmp", utc_iso(NOW), run.rule)} == {"3300006"}
    # A crawl that reads no sitemap cannot leave anything to them.
    feeds_only, _ = admission(archive, NEWSCRAWL_DISCOVERY="feeds")
    assert feeds_only.consider(URL.format(3300005), utc_iso(fetched), None) is not None
    # Listed without a lastmod since: undated again.
    archive.mark_dated("scmp", [], ["3300005"])
    assert not archive.article_state("scmp", "3300005").dated


def _stories(archive, rule: RevisitRule) -> tuple[set[str], set[str]]:
    """The stories due by the rule in Python, and by its SQL in the archive (one in four
    dated by an archive sitemap)."""
    cases = [(changed, check) for changed in (1, 5, 30, 90, 200, 1000, 3000)
             for check in (1, 10, 30, 100, 400, 800, 2000, 3000) if check <= changed]
    ids = {}
    for n, (changed_hours, check_hours) in enumerate(cases):
        article_id = str(3_400_000 + n)
        published = utc_iso(NOW - timedelta(hours=changed_hours + 5 * (n % 3)))
        changed = utc_iso(NOW - timedelta(hours=changed_hours)) if n % 3 else None
        # 7 minutes off the hour: no case sits on a boundary, where floating days could tip
        checked = utc_iso(NOW - timedelta(hours=check_hours, minutes=7))
        archive.store_article(record(article_id, f"Body {n}. " * 40, published_at=published,
                                     updated_at=changed, fetched_at=checked))
        ids[article_id] = (changed or published, checked, n % 4 == 0)
    archive.mark_dated("scmp", [a for a, v in ids.items() if v[2]], [])
    archive.commit()
    in_python = {a for a, (c, k, dated) in ids.items() if rule.due(NOW, c, k, dated)}
    in_sql = {a for a, _ in archive.due_for_revisit("scmp", utc_iso(NOW), rule)}
    return in_python, in_sql


@pytest.mark.parametrize("factor", [0.25, 1.0, 3.0])
def test_the_revisit_rule_says_the_same_in_sqlite(archive, factor):
    python, sql = _stories(archive, RevisitRule(factor, 6.0, 30.0, trust_dated=True))
    assert python == sql and python


def test_the_revisit_rule_says_the_same_in_postgres(postgres):
    with PostgresArchive(postgres.database()) as archive:
        python, sql = _stories(archive, RevisitRule(0.5, 6.0, 30.0, trust_dated=True))
    assert python == sql and python


def test_a_degraded_page_is_asked_again_at_once_then_waits_like_a_quiet_story(archive):
    """A page read from fallbacks is fetched once more in the same run; stored degraded after
    that second answer, it is broken for good until the site changes it: its next full fetch
    waits the revisit minimum (48 h), doubling; a failed story still comes back next run."""
    from newscrawl.items import Article
    from newscrawl.spiders.admission import ASK_AGAIN, RetryRule
    from newscrawl.store.base import Failure

    run, stats = admission(archive)
    broken = Article(url=URL.format(3300005), article_id="3300005", parser_version="scmp.V1",
                     field_sources={"next_data:failed": "JSONDecodeError", "body": "dom"})
    whole = Article(url=URL.format(3300006), article_id="3300006", parser_version="scmp.V1",
                    field_sources={"body": "next_data"})
    again = run.ask_again(broken, {"newscrawl_page": "article", "newscrawl_revisit": True})
    assert again == {"newscrawl_page": "article", ASK_AGAIN: True, "newscrawl_revisit": False}
    assert run.ask_again(broken, again) is None  # once only: then its record goes on
    assert run.ask_again(whole, {}) is None and stats["newscrawl/degraded/asked_again"] == 1

    rule = RetryRule(give_up_days=7.0, again_hours=48.0)
    assert run.retry_rule == rule

    def failure(reason: str, attempts: int, hours_ago: float) -> Failure:
        at = utc_iso(NOW - timedelta(hours=hours_ago))
        return Failure("3300005", URL.format(3300005), reason, attempts, at, at)

    assert not rule.due(NOW, failure("degraded", 1, 47))
    assert rule.due(NOW, failure("degraded", 1, 48))
    assert not rule.due(NOW, failure("degraded", 2, 95)) and rule.due(NOW, failure("degraded", 2, 96))
    assert rule.due(NOW, failure("http_500", 1, 0))  # a failed story: the very next run
    assert not rule.due(NOW, failure("http_500", 2, 0.5)) and rule.due(NOW, failure("http_500", 2, 1))
    # Its retry, 48 h on, comes back degraded again: one fetch, not asked again at once; a
    # failed story that comes back degraded is (its first degraded answer).
    later, _ = admission(archive)
    retried = [f.article_id for f in later.retries([failure("degraded", 1, 50)])]
    assert retried == ["3300005"] and later.ask_again(broken, {}) is None
    failed = Article(url=URL.format(3300007), article_id="3300007", parser_version="scmp.V1",
                     field_sources=broken.field_sources)
    at = utc_iso(NOW - timedelta(hours=2))
    assert list(later.retries([Failure("3300007", failed.url, "http_500", 1, at, at)]))
    assert later.ask_again(failed, {}) is not None
