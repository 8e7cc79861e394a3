"""Scrapy's spider loader, with a spider for every registered outlet, those of the
``outlets.toml`` that ``NEWSCRAWL_OUTLETS`` names included (``scrapy crawl NAME -s
NEWSCRAWL_OUTLETS=outlets.toml``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.spiderloader import SpiderLoader

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


class OutletSpiderLoader(SpiderLoader):
    def __init__(self, settings: BaseSettings) -> None:
        from newscrawl.outlets import all_outlets
        from newscrawl.outlets.declared import load_outlets

        declared = settings.get("NEWSCRAWL_OUTLETS")
        if declared:
            load_outlets(declared)
        super().__init__(settings)
        from newscrawl.spiders import spider_class

        for outlet in all_outlets():
            if outlet.name not in self._spiders:
                self._spiders[outlet.name] = spider_class(outlet)
