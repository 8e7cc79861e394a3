"""The South China Morning Post. Everything SCMP-specific lives in this package:

``outlet``
    the registry entry as data, and the URL rules (article ids, tracking parameters);
``listing``
    section pages and the "load more" gateway;
``parser``
    the versioned article parser (``ScmpParserV1``): rejection rules, field order, assembly;
``page``, ``sources``, ``markup``, ``body``, ``furniture``
    what the parser reads: the page and its lazily read sources, the field readers of the
    JSON sources and of the markup and URL, the body readers, and the page furniture.

The outlet is registered here, with its parser versions: ``outlet`` cannot import the parser,
which reads its URL rules.
"""

from __future__ import annotations

from newscrawl.outlets import register
from newscrawl.outlets.scmp.outlet import scmp_outlet
from newscrawl.outlets.scmp.parser import ScmpParserV1

SCMP = register(scmp_outlet(parsers=(ScmpParserV1(),)))

__all__ = ["SCMP"]
