"""The outlet registry: every outlet declares itself here as data (``register``).

What an outlet declares, and the shapes its listings are read into, live in
``newscrawl.outlets.spec``; each outlet's package (``scmp/``) registers its ``Outlet`` when
imported. The registry is the only list of outlets and of their parser versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newscrawl.outlets.spec import Outlet

_REGISTRY: dict[str, Outlet] = {}


def register(outlet: Outlet) -> Outlet:
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


def all_outlets() -> Iterable[Outlet]:
    _load()
    return list(_REGISTRY.values())


def _load() -> None:
    from newscrawl.outlets import scmp  # noqa: F401 - registers itself
