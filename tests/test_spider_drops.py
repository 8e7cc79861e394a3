"""Bad pages never crash the crawl: each is dropped with a counted reason and a logged URL."""

from __future__ import annotations

import logging

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from newscrawl.spiders import ScmpSpider

URL = "https://www.scmp.com/news/china/article/3300001/some-story"


@pytest.fixture()
def spider():
    crawler = get_crawler(ScmpSpider, {"NEWSCRAWL_BASE_URL": "https://www.scmp.com"})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    return crawler.spider


@pytest.mark.parametrize("body, reason", [
    (b"", "extraction_failed"),
    (b"<html><head><title>x</title></head><body><p>Nothing here</p></body></html>", None),
    (b"<html><body><script id=\"__NEXT_DATA__\" type=\"application/json\">{broken",
     None),
    (b"\x00\xff\xfe garbage \x89PNG", None),
])
def test_bad_pages_are_dropped_with_a_reason(spider, caplog, body, reason):
    response = HtmlResponse(URL, body=body, request=Request(URL), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        out = list(spider.parse_article(response, discovered_via="https://www.scmp.com/news/china"))
    assert out == []
    drops = {k: v for k, v in spider.crawler.stats.get_stats().items()
             if k.startswith("newscrawl/dropped/")}
    assert sum(drops.values()) == 1, drops
    if reason:
        assert drops.get(f"newscrawl/dropped/{reason}") == 1 or any(
            k.startswith("newscrawl/dropped/") for k in drops)
    assert URL in caplog.text


def test_non_text_response_is_dropped(spider, caplog):
    response = TextResponse(URL, body=b"%PDF-1.4", request=Request(URL), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert list(spider.parse_article(response, discovered_via="x")) == []
    assert URL in caplog.text
