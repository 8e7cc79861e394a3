"""A Scrapy crawler with the project's settings, not yet crawling: for testing one component
(a pipeline, a spider callback) the way a crawl builds it."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from newscrawl import settings


def project_crawler(spidercls: type, values: dict[str, Any] | None = None) -> Crawler:
    """``scrapy.utils.test.get_crawler`` with ``newscrawl/settings.py`` under ``values``.

    The reactor is left to Scrapy's test helper (none is started here).
    """
    project = {name: getattr(settings, name) for name in dir(settings)
               if name.isupper() and name != "TWISTED_REACTOR"}
    return get_crawler(spidercls, {**project, **(values or {})})
