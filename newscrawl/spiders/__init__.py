"""One spider per registered outlet, all built on ``OutletSpider`` (``scrapy crawl scmp``)."""

from newscrawl.outlets import all_outlets
from newscrawl.spiders.outlet import OutletSpider

for _outlet in all_outlets():
    _name = "".join(part.title() for part in _outlet.name.split("_")) + "Spider"
    globals()[_name] = type(_name, (OutletSpider,), {"name": _outlet.name,
                                                     "outlet_name": _outlet.name,
                                                     "__module__": __name__})
