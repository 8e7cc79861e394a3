"""The meta refresh middleware: Scrapy's redirects, read only on pages that can have one."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from newscrawl.downloadermiddlewares.metarefresh import QuickMetaRefreshMiddleware
from newscrawl.settings import DOWNLOADER_MIDDLEWARES


def page(head: str, url: str = "https://www.scmp.com/a") -> HtmlResponse:
    body = f"<html><head>{head}</head><body><p>text</p></body></html>"
    return HtmlResponse(url, body=body.encode("utf-8"), encoding="utf-8")


def test_a_meta_refresh_redirects_as_scrapy_does_and_other_pages_pass_untouched():
    crawler = get_crawler(settings_dict={"DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES})
    middleware = build_from_crawler(QuickMetaRefreshMiddleware, crawler)
    request = Request("https://www.scmp.com/a")
    for head in ('<meta http-equiv="Refresh" content="0; url=/news/b">',
                 "<META HTTP-EQUIV='refresh' CONTENT='1;URL=https://www.scmp.com/news/b'>"):
        redirected = middleware.process_response(request, page(head))
        assert isinstance(redirected, Request) and redirected.url == "https://www.scmp.com/news/b"
    # No tag, or the word where no tag is (a script, an attribute): the page goes on as it came.
    for head in ("<title>A story</title>", "<script>var refresh = 1;</script>",
                 '<meta name="description" content="How to refresh a page">'):
        response = page(head)
        assert middleware.process_response(request, response) is response
    # A refresh past the first 4,096 characters is not one (as Scrapy reads it).
    late = page("<title>x</title>" + " " * 5000 + '<meta http-equiv="refresh" content="0; url=/b">')
    assert middleware.process_response(request, late) is late
    assert "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware" in DOWNLOADER_MIDDLEWARES
    assert DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
