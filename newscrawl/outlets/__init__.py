"""The outlet registry: every outlet declares itself here as data (``register``).

What an outlet declares, and the shapes its listings are read into, live in
``newscrawl.outlets.spec``; each outlet's package (``scmp/``) registers its ``Outlet`` when
imported; an ``outlets.toml`` named by ``NEWSCRAWL_OUTLETS`` registers its entries
(``declared``), and ``newscrawl crawl --site`` registers a site's outlet (``site``) for the
run. The registry is the only list of outlets and of their parser versions.

A parser version shipped outside newscrawl (a fix for a redesign, before a release has it)
joins its outlet through the entry-point group ``newscrawl.parsers`` of an installed
distribution: each entry names a version, or a sequence of versions, named
``<outlet>.<version>``; one with the name of a registered version replaces it (how an old
version is given its ``valid_until``). docs/health.md, "Surviving a redesign", shows one.

A page of a site no outlet claims is read by the generic parser
(``newscrawl.extraction.generic``): ``outlet_for_url`` says which outlet claims a URL,
``generic_parser`` gives the generic one, and ``parser_for_page`` picks between them, by
name (``"generic"`` names the generic parser, and no outlet may take that name).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from datetime import datetime

    from newscrawl.outlets.spec import ArticleParser, Outlet

#: The environment variable naming an ``outlets.toml`` whose entries are registered too.
OUTLETS_ENV = "NEWSCRAWL_OUTLETS"
#: The name that forces the generic parser (``newscrawl parse --outlet generic``).
GENERIC = "generic"
#: The entry-point group of parser versions shipped by other distributions.
PARSERS_GROUP = "newscrawl.parsers"
_REGISTRY: dict[str, Outlet] = {}
#: Versions from PARSERS_GROUP by outlet, read once; outlets given theirs already.
_PLUGIN_VERSIONS: dict[str, list[ArticleParser]] | None = None
_GIVEN: set[str] = set()


def register(outlet: Outlet) -> Outlet:
    if outlet.name == GENERIC:
        raise ValueError(f"{GENERIC!r} names the generic parser, not an outlet")
    if outlet.name in _REGISTRY:
        raise ValueError(f"outlet {outlet.name!r} is registered twice")
    for other in _REGISTRY.values():
        shared = set(outlet.domains) & set(other.domains)
        if shared:
            raise ValueError(f"domain {sorted(shared)[0]!r} belongs to {other.name!r} already")
    _REGISTRY[outlet.name] = outlet
    return outlet


def get_outlet(name: str) -> Outlet:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown outlet {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def outlet_of(crawler: Any) -> Outlet | None:
    """The outlet a Scrapy crawler crawls, or None for a spider of no registered outlet."""
    from newscrawl.layout import crawl_outlet

    _load()
    return _REGISTRY.get(crawl_outlet(crawler))


def all_outlets() -> Iterable[Outlet]:
    _load()
    return list(_REGISTRY.values())


def _load() -> None:
    load_modules()
    declared = os.environ.get(OUTLETS_ENV)
    if declared:  # outlets.toml (newscrawl crawl --outlets sets it for its child processes)
        from newscrawl.outlets.declared import load_outlets

        load_outlets(declared)
    _add_plugin_versions()


def _add_plugin_versions() -> None:
    """Give each registered outlet the parser versions of PARSERS_GROUP that name it (once)."""
    global _PLUGIN_VERSIONS
    if _PLUGIN_VERSIONS is None:
        _PLUGIN_VERSIONS = plugin_versions()
    for name, versions in _PLUGIN_VERSIONS.items():
        outlet = _REGISTRY.get(name)
        if outlet is None or name in _GIVEN:
            continue  # an outlet registered later (--site, outlets.toml) gets them then
        merged = {parser.version: parser for parser in outlet.parsers}
        merged.update((parser.version, parser) for parser in versions)
        _REGISTRY[name] = dataclasses.replace(outlet, parsers=tuple(merged.values()))
        _GIVEN.add(name)


def plugin_versions() -> dict[str, list[ArticleParser]]:
    """The parser versions of the installed distributions' ``newscrawl.parsers`` entry points,
    by the outlet their names say. ``ValueError`` naming the entry point for one that fails
    to load or gives something that is no parser version."""
    found: dict[str, list[ArticleParser]] = {}
    for point in entry_points(group=PARSERS_GROUP):
        try:
            loaded = point.load()
        except Exception as exc:  # any import error of someone else's module
            raise ValueError(f"parser entry point {point.name} ({point.value}) does not "
                             f"load: {type(exc).__name__}: {exc}") from None
        versions = list(loaded) if isinstance(loaded, list | tuple) else [loaded]
        for parser in versions:
            version = getattr(parser, "version", None)
            if not isinstance(version, str) or "." not in version \
                    or not callable(getattr(parser, "parse", None)):
                raise ValueError(f"parser entry point {point.name} ({point.value}): "
                                 f"{parser!r} is no parser version (version "
                                 "'<outlet>.<version>', valid_until, parse)")
            found.setdefault(version.split(".", 1)[0], []).append(parser)
    return found


def load_modules() -> None:
    """Register the outlets of the modules under ``newscrawl/outlets/`` (first, so a
    declared outlet cannot take their names or domains)."""
    from newscrawl.outlets import scmp  # noqa: F401 - registers itself


def outlet_for_url(url: str) -> Outlet | None:
    """The outlet whose domains claim the URL's host (the domain itself or a subdomain of
    it), else None."""
    host = (urlsplit(url or "").hostname or "").lower()
    if not host:
        return None
    for outlet in all_outlets():
        if any(host == d or host.endswith("." + d) for d in (d.lower() for d in outlet.domains)):
            return outlet
    return None


@cache
def generic_parser() -> ArticleParser:
    """The parser of pages no outlet claims."""
    from newscrawl.extraction.generic import GenericParserV1

    return GenericParserV1()


def parser_for_page(url: str, fetched_at: datetime, name: str | None = None) -> ArticleParser:
    """The parser for a page: the named outlet's version for ``fetched_at`` (``"generic"``:
    the generic parser), or, with no name, that of the outlet claiming ``url``, else the
    generic parser. An unknown name raises KeyError, as ``get_outlet`` does."""
    if name == GENERIC:
        return generic_parser()
    outlet = get_outlet(name) if name else outlet_for_url(url)
    return outlet.parser_for(fetched_at) if outlet is not None else generic_parser()
