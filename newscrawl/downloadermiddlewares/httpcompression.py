"""Scrapy's HttpCompressionMiddleware, with gzip bodies inflated by ISA-L in one call.

Scrapy gunzips through ``gzip.GzipFile``, read in 64 KB chunks into a ``BytesIO``: about
0.48 ms a replica article page, a tenth of a crawl's own CPU per page; ``isal``'s inflate
(Intel's ISA-L, the zlib API) takes 0.19 ms (bench/README.md, issue 16). A whole, valid,
single-member body is inflated at once; anything else (a truncated body, a bad checksum,
several members, trailing bytes) goes to Scrapy's own ``gunzip``, so what such a body gives,
and the limits (``DOWNLOAD_MAXSIZE``), stay Scrapy's. Other encodings are Scrapy's.
"""

from __future__ import annotations

from typing import cast

from isal import isal_zlib
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip as scrapy_gunzip

_GZIP = 16 + 15  # wbits: a gzip header and trailer, a 32 KB window
#: isal's inflate error (its stub types it as an instance, not a class).
_INFLATE_ERROR = cast("type[Exception]", isal_zlib.error)


def gunzip(body: bytes, *, max_size: int = 0) -> bytes:
    """What ``scrapy.utils.gz.gunzip`` gives for ``body``, raising what it raises."""
    inflater = isal_zlib.decompressobj(_GZIP)
    try:  # max_length 0 is no limit; one byte over the limit is enough to know
        data = inflater.decompress(body, max_size + 1 if max_size else 0)
    except _INFLATE_ERROR:
        return scrapy_gunzip(body, max_size=max_size)
    if max_size and len(data) > max_size:
        raise _DecompressionMaxSizeExceeded(len(data), max_size)
    if inflater.eof and not inflater.unused_data:
        return data
    return scrapy_gunzip(body, max_size=max_size)


class IsalHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Where Scrapy's stands (590), the same answers; gzip through ``gunzip`` above."""

    @staticmethod
    def _decode(body: bytes, encoding: bytes, max_size: int) -> bytes:
        if encoding in {b"gzip", b"x-gzip"}:
            return gunzip(body, max_size=max_size)
        return HttpCompressionMiddleware._decode(body, encoding, max_size)
