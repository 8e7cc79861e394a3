"""Run one crawl in this process and print its stats as JSON on the last line of stdout.

Scrapy's reactor runs once per process, so tests start this in a subprocess:

    python tests/utils/crawl_once.py outlet scmp '{"base_url": ...}' '{"SETTING": value}'
    python tests/utils/crawl_once.py urls '[{"url": ..., "priority": 0}]' '{"SETTING": value}'

``outlet`` goes through ``newscrawl.runs.crawl.run_crawl`` like ``newscrawl crawl`` does; ``urls``
fetches the given URLs once each with the project's settings (its middlewares included).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import scrapy


class UrlListSpider(scrapy.Spider):
    """Fetch each URL once; count answers by status and failures by exception."""

    name = "url_list"

    def __init__(self, urls: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for spec in self.urls:
            yield scrapy.Request(spec["url"], priority=spec.get("priority", 0), dont_filter=True,
                                 callback=self.fetched, errback=self.failed)

    def fetched(self, response: scrapy.http.Response) -> None:
        self.crawler.stats.inc_value(f"test/fetched/{response.status}")

    def failed(self, failure: Any) -> None:
        self.crawler.stats.inc_value(f"test/failed/{type(failure.value).__name__}")


def crawl_urls(urls: list[dict[str, Any]], overrides: dict[str, Any]) -> dict[str, Any]:
    from scrapy.crawler import CrawlerProcess

    from newscrawl.runs.crawl import project_settings

    process = CrawlerProcess(project_settings({}, overrides))
    crawler = process.create_crawler(UrlListSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}


def main(argv: list[str]) -> None:
    mode = argv[1]
    if mode == "outlet":
        from newscrawl.runs.crawl import run_crawl

        stats = run_crawl(argv[2], json.loads(argv[3]), json.loads(argv[4])).stats
    elif mode == "urls":
        stats = crawl_urls(json.loads(argv[2]), json.loads(argv[3]))
    else:
        raise SystemExit(f"unknown mode {mode!r}; use outlet or urls")
    print(json.dumps(stats, default=str))


if __name__ == "__main__":
    main(sys.argv)
