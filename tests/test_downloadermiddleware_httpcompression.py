"""The compression middleware: Scrapy's answers for every gzip body, valid or not."""

from __future__ import annotations

import gzip
import random
import zlib

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip as scrapy_gunzip
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from newscrawl.downloadermiddlewares.httpcompression import IsalHttpCompressionMiddleware, gunzip
from newscrawl.settings import DOWNLOADER_MIDDLEWARES


def _bodies() -> dict[str, bytes]:
    rng = random.Random(7)
    text = " ".join(rng.choice(["news", "story", "<p>", "香港", "\u00e9t\u00e9"])
                    for _ in range(60_000)).encode("utf-8")
    whole = gzip.compress(text)
    crc = bytearray(whole)
    crc[-6] ^= 0xFF  # the trailer's checksum
    return {
        "whole": whole,
        "empty content": gzip.compress(b""),
        "level 9": gzip.compress(text, compresslevel=9),
        "two members": whole + gzip.compress(b"and more"),
        "truncated": whole[: len(whole) // 2],
        "cut in the trailer": whole[:-3],
        "bad checksum": bytes(crc),
        "trailing zeros": whole + b"\0" * 16,
        "trailing garbage": whole + b"not gzip",
        "zlib, not gzip": zlib.compress(text),
        "random bytes": rng.randbytes(5000),
        "nothing": b"",
    }


def _outcome(function, body: bytes, max_size: int = 0):
    try:
        return "ok", function(body, max_size=max_size)
    except Exception as exc:  # what is raised is part of the answer
        return "raised", type(exc)


@pytest.mark.parametrize("name, body", _bodies().items())
def test_every_body_gives_what_scrapys_gunzip_gives(name, body):
    assert _outcome(gunzip, body) == _outcome(scrapy_gunzip, body), name
    for limit in (1, 1000, 600_000, 10_000_000):
        ours, theirs = _outcome(gunzip, body, limit), _outcome(scrapy_gunzip, body, limit)
        assert ours == theirs, (name, limit)


def test_a_body_over_download_maxsize_is_refused():
    body = gzip.compress(b"x" * 100_000)
    with pytest.raises(_DecompressionMaxSizeExceeded):
        gunzip(body, max_size=99_999)
    assert gunzip(body, max_size=100_000) == b"x" * 100_000


def test_the_project_uses_it_and_responses_come_out_decoded():
    assert DOWNLOADER_MIDDLEWARES[
        "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"] is None
    assert "IsalHttpCompressionMiddleware" in " ".join(
        name for name, order in DOWNLOADER_MIDDLEWARES.items() if order == 590)
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 50_000})
    middleware = build_from_crawler(IsalHttpCompressionMiddleware, crawler)
    request = Request("https://www.scmp.com/a")
    html = b"<html><head><title>t</title></head><body>" + b"<p>text</p>" * 1000 + b"</body></html>"
    compressed = Response("https://www.scmp.com/a", body=gzip.compress(html), request=request,
                          headers={"Content-Encoding": "gzip", "Content-Type": "text/html"})
    decoded = middleware.process_response(request, compressed)
    assert isinstance(decoded, HtmlResponse) and decoded.body == html
    assert b"Content-Encoding" not in decoded.headers
    big = Response("https://www.scmp.com/a", body=gzip.compress(b"x" * 60_000), request=request,
                   headers={"Content-Encoding": "gzip"})
    with pytest.raises(IgnoreRequest):
        middleware.process_response(request, big)
