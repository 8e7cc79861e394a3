"""Which discovery surfaces a run fetches (``newscrawl.spiders.plan``), as plain objects: no
crawler, the run history of a real SQLite archive."""

from __future__ import annotations

from collections import Counter

import pytest
from scrapy.settings import Settings

from newscrawl.config import CrawlConfig
from newscrawl.layout import DataDir
from newscrawl.outlets import get_outlet
from newscrawl.spiders.plan import (
    DEFERRABLE,
    INDEX_STAT,
    NEWS_GONE_STAT,
    SECTIONS_STAT,
    DiscoveryPlan,
    Surface,
    Voucher,
)
from newscrawl.store import SqliteArchive


class Stats(Counter):
    def inc_value(self, key: str, count: int = 1) -> None:
        self[key] += count


@pytest.fixture()
def archive(tmp_path):
    files = DataDir.of(tmp_path, "scmp")
    with SqliteArchive(files.archive, files.journal) as archive:
        yield archive


def finished_run(archive, high_water: str, *stats_keys: str) -> None:
    run = archive.begin_run("scmp", {})
    archive.end_run(run, reason="finished", stats=dict.fromkeys(stats_keys, 1),
                    field_coverage={}, counts={}, high_water=high_water)


def plan(archive, **settings) -> tuple[DiscoveryPlan, Stats]:
    outlet = get_outlet("scmp")
    stats = Stats()
    shared = bool(settings.pop("shared", False))
    config = CrawlConfig.from_settings(outlet, Settings(settings))
    return DiscoveryPlan(outlet, config, archive, stats, shared_frontier=shared), stats


def test_a_first_run_and_a_full_run_fetch_everything(archive):
    first, _ = plan(archive)
    assert first.begin() is None and first.window_start is None
    finished_run(archive, "2026-06-01T10:00:00Z")
    full, _ = plan(archive, NEWSCRAWL_FULL=True)
    assert full.begin() is None and full.window_start is None
    shared, _ = plan(archive, shared=True)
    assert shared.begin() is None and shared.window_start == "2026-06-01T08:00:00Z"


def test_an_incremental_run_asks_the_news_sitemap_then_the_main_feed(archive):
    finished_run(archive, "2026-06-01T10:00:00Z", INDEX_STAT)
    run, _ = plan(archive)
    voucher = run.begin()
    assert voucher == Voucher(DEFERRABLE) and run.window_start == "2026-06-01T08:00:00Z"
    assert run.index_since == "2026-06-01T08:00:00Z"
    surface, carried = run.next_voucher(voucher)
    assert surface is Surface.NEWS and carried == Voucher(DEFERRABLE, news_tried=True)
    assert run.voucher_paths(surface) == ("/sitemap_news.xml",)
    surface, carried = run.next_voucher(carried)  # the news sitemap failed: the main feed
    assert surface is Surface.MAIN_FEEDS and Surface.MAIN_FEEDS not in carried.waiting
    assert run.next_voucher(carried) is None  # that failed too: everything that waits


def test_a_news_sitemap_gone_lately_is_not_asked(archive):
    finished_run(archive, "2026-06-01T10:00:00Z", NEWS_GONE_STAT)
    run, stats = plan(archive)
    voucher = run.begin()
    assert run.news_gone and stats["newscrawl/discovery/news_sitemap_skipped"] == 1
    assert run.next_voucher(voucher)[0] is Surface.MAIN_FEEDS


def test_what_a_voucher_releases(archive):
    finished_run(archive, "2026-06-01T10:00:00Z", INDEX_STAT, SECTIONS_STAT)
    run, stats = plan(archive, NEWSCRAWL_SITEMAP_INDEX_EVERY_HOURS=4,
                      NEWSCRAWL_SECTIONS_EVERY_HOURS=24)
    voucher = run.begin()
    # A gap: the list starts after the window, so the others may hold what it misses.
    assert run.released(["2026-06-01T12:00:00Z"], voucher) == list(voucher.waiting)
    assert stats["newscrawl/discovery/gap"] == 1
    # It reaches back; five hours of site time later the index is due, the sections not.
    assert run.released(["2026-06-01T07:00:00Z", "2026-06-01T15:00:00Z"], voucher) == \
        [Surface.INDEX]
    assert stats["newscrawl/discovery/sections_skipped"] == 1
    # A day later both are.
    assert run.released(["2026-06-01T07:00:00Z", "2026-06-02T11:00:00Z"], voucher) == \
        [Surface.INDEX, Surface.SECTIONS]


def test_surfaces_follow_the_crawls_discovery_setting(archive):
    run, _ = plan(archive, NEWSCRAWL_DISCOVERY="feeds")
    assert [kind for kind, _ in run.paths(DEFERRABLE + (Surface.NEWS,))] == \
        [Surface.MAIN_FEEDS] + [Surface.FEEDS] * 9
    assert not run.walks_sections([Surface.SECTIONS])
    assert not run.uses(Surface.NEWS) and run.uses(Surface.MAIN_FEEDS)
