"""Bad pages never crash the crawl: each is dropped with a counted reason and a logged URL."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from newscrawl.extensions.archive import ArchiveExtension
from newscrawl.spiders import ScmpSpider
from tests.utils.crawler import project_crawler

URL = "https://www.scmp.com/news/china/article/3300001/some-story"


def _parsed(spider, response, discovered_via: str) -> list[Any]:
    """What the spider's (asynchronous) article callback yields for one response."""
    async def collect() -> list[Any]:
        return [out async for out in spider.parse_article(response, discovered_via=discovered_via)]
    return asyncio.run(collect())


@pytest.fixture()
def spider(tmp_path):
    crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_BASE_URL": "https://www.scmp.com",
                                       "NEWSCRAWL_DATA_DIR": str(tmp_path)})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    yield crawler.spider
    ArchiveExtension.of(crawler).close()


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
        out = _parsed(spider, response, "https://www.scmp.com/news/china")
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
        assert _parsed(spider, response, "x") == []
    assert URL in caplog.text


def _section_response(replica, path: str, *, hide_contract: bool) -> HtmlResponse:
    from tests.utils.client import Client

    html = Client(replica.base_url).get(path)[2].decode()
    if hide_contract:
        html = html.replace('"contentDelivery"', '"somethingElse"').replace("sha256Hash", "sha")
    return HtmlResponse(replica.base_url + path, body=html.encode(), encoding="utf-8",
                        request=Request(replica.base_url + path))


def _spider_for(replica, mode: str):
    crawler = project_crawler(ScmpSpider, {"NEWSCRAWL_BASE_URL": replica.base_url,
                                       "NEWSCRAWL_SECTION_PAGINATION": mode})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    return crawler.spider


def test_auto_pagination_uses_the_api_when_the_page_exposes_it(replica):
    spider = _spider_for(replica, "auto")
    out = list(spider.parse_section(_section_response(replica, "/news/hong-kong", hide_contract=False),
                                    section="news/hong-kong"))
    follow = [r for r in out if "/article/" not in r.url]
    assert len(follow) == 1 and "/content-delivery/v2?" in follow[0].url
    assert follow[0].headers.get("apikey") and not follow[0].meta.get("playwright")
    assert sum(1 for r in out if "/article/" in r.url) >= 15


def test_auto_pagination_falls_back_to_the_browser_without_a_contract(replica):
    spider = _spider_for(replica, "auto")
    out = list(spider.parse_section(_section_response(replica, "/news/hong-kong", hide_contract=True),
                                    section="news/hong-kong"))
    follow = [r for r in out if "/article/" not in r.url]
    assert len(follow) == 1 and follow[0].meta.get("playwright") is True
    assert spider.crawler.stats.get_value("newscrawl/pagination/browser_fallback") == 1
    api_only = _spider_for(replica, "api")
    out = list(api_only.parse_section(_section_response(replica, "/news/hong-kong", hide_contract=True),
                                      section="news/hong-kong"))
    assert all("/article/" in r.url for r in out)
    assert api_only.crawler.stats.get_value("newscrawl/errors/no_api_contract") == 1


def test_a_failed_sitemap_releases_only_what_waited_on_it(spider):
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    from newscrawl.spiders.plan import Surface, Voucher

    def failed(path: str, status: int, voucher: Voucher | None) -> list:
        request = spider._sitemap_request(path, voucher)
        response = TextResponse(request.url, status=status, body=b"", request=request)
        failure = Failure(HttpError(response, "Ignoring non-200 response"))
        failure.request = request
        return list(spider._sitemap_failed(failure))

    # A monthly file or the index failing asks for nothing else.
    assert failed("/sitemap/archives-0.xml", 503, None) == []
    # The news sitemap gone: the main feed decides instead, carrying what waits.
    waiting = (Surface.MAIN_FEEDS, Surface.FEEDS, Surface.INDEX)
    out = failed("/sitemap_news.xml", 404, Voucher(waiting, news_tried=True))
    assert [r.url for r in out] == ["https://www.scmp.com/rss/feed"]
    assert out[0].cb_kwargs["voucher"] == Voucher((Surface.FEEDS, Surface.INDEX), news_tried=True)
    assert spider.crawler.stats.get_value("newscrawl/discovery/news_sitemap_gone") == 1
