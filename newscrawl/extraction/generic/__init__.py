"""The generic article parser: any site's article pages, read from what sites share.

Pure, as an outlet's parser is (no Scrapy, no network, no outlet selectors): ``page`` holds
one fetched page and its lazily read parts, ``sources`` the field readers of its JSON-LD, head
metadata, markup and URL, ``body`` the main content, ``kinds`` the pages that are no
article, and ``parser`` the cascade and the record (``GenericParserV1``). The registry
(``newscrawl.outlets.generic_parser``) offers it for pages no outlet claims, and outlet
parsers use ``body.main_text`` as their fallback body.
"""

from __future__ import annotations

from newscrawl.extraction.generic.body import GENERIC_BODY, main_text
from newscrawl.extraction.generic.parser import GENERIC, GenericParserV1

__all__ = ["GENERIC", "GENERIC_BODY", "GenericParserV1", "main_text"]
