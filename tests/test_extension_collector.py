"""The garbage collector during a crawl: frozen and with a higher young threshold while the
engine runs, as it was before once the crawl is over."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from newscrawl.extensions.collector import CrawlCollector

# A program that runs a crawl and says how the collector was before, during (at the first
# stored article) and after it.
PROGRAM = """
import gc, json, sys
from scrapy import signals
from newscrawl import settings as defaults
from newscrawl.runs.crawl import run_crawl

seen = {"before": [gc.get_threshold(), gc.get_freeze_count()]}

class Probe:
    @classmethod
    def from_crawler(cls, crawler):
        crawler.signals.connect(cls.look, signal=signals.item_scraped)
        return cls()

    @staticmethod
    def look(item):
        seen.setdefault("during", [gc.get_threshold(), gc.get_freeze_count()])

result = run_crawl("scmp", {"base_url": sys.argv[1], "data_dir": sys.argv[2],
                            "max_articles": 20, "pagination": "api"},
                   {"NEWSCRAWL_GC_THRESHOLD": int(sys.argv[3]), "NEWSCRAWL_PROGRESS_INTERVAL": 0,
                    "EXTENSIONS": {**defaults.EXTENSIONS, "__main__.Probe": 900}})
seen["after"] = [gc.get_threshold(), gc.get_freeze_count()]
seen["articles"] = result.articles
print(json.dumps(seen))
"""


def run(replica, tmp_path, threshold: int) -> dict:
    script = tmp_path / "probe.py"
    script.write_text(PROGRAM, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), replica.base_url,
                           str(tmp_path / f"data{threshold}"), str(threshold)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_crawl_runs_with_the_collector_set_and_leaves_it_as_it_was(replica, tmp_path):
    seen = run(replica, tmp_path, 9000)
    assert seen["articles"] >= 20
    (threshold, frozen), (during, frozen_during) = seen["before"], seen["during"]
    assert during == [9000, *threshold[1:]]
    assert frozen == 0 and frozen_during > 10_000  # the interpreter's and the crawler's objects
    assert seen["after"] == seen["before"]
    # 0: the collector as Python sets it, all along.
    untouched = run(replica, tmp_path, 0)
    assert untouched["during"] == untouched["before"] == untouched["after"]


def test_a_negative_threshold_is_refused_in_one_line():
    from scrapy.utils.test import get_crawler

    from newscrawl.config import ConfigError

    with pytest.raises(ConfigError, match="NEWSCRAWL_GC_THRESHOLD"):
        CrawlCollector.from_crawler(get_crawler(settings_dict={"NEWSCRAWL_GC_THRESHOLD": -1}))
