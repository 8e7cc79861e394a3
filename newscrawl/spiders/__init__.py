"""One spider per registered outlet, all built on ``OutletSpider`` (``scrapy crawl scmp``).

``spider_class`` makes (once) the spider of an outlet registered later: a site's outlet
(``newscrawl crawl --site``) or an entry of ``outlets.toml`` (``loader.OutletSpiderLoader``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.outlets import all_outlets
from newscrawl.spiders.outlet import OutletSpider

if TYPE_CHECKING:
    from newscrawl.outlets.spec import Outlet


def spider_class(outlet: Outlet) -> type[OutletSpider]:
    """The spider class of ``outlet``, named after it (``news_example`` ->
    ``NewsExampleSpider``), made the first time it is asked for."""
    name = "".join(part.title() for part in outlet.name.split("_")) + "Spider"
    existing = globals().get(name)
    if isinstance(existing, type) and issubclass(existing, OutletSpider) \
            and existing.outlet_name == outlet.name:
        return existing
    made = type(name, (OutletSpider,), {"name": outlet.name, "outlet_name": outlet.name,
                                        "__module__": __name__})
    globals()[name] = made
    return made


for _outlet in all_outlets():
    spider_class(_outlet)
