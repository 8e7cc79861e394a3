"""A faithful, deterministic local replica of scmp.com (see ../shared/scmp/MARKUP.md).

``ReplicaServer(ReplicaConfig(articles=300)).start()`` serves it on a free loopback port;
``newscrawl replica`` does the same from the command line.
"""

import importlib
from typing import Any

from newscrawl.replica.faults import FaultProfile
from newscrawl.replica.world import ReplicaConfig, World

__all__ = ["FaultProfile", "ReplicaConfig", "ReplicaServer", "World"]


def lazy_attribute(name: str, modules: dict[str, str]) -> Any:
    """A package's ``__getattr__``: ``name`` from the module ``modules`` says it is in,
    imported only now (a server pulls in aiohttp; import it only when asked)."""
    if name not in modules:
        raise AttributeError(name)
    return getattr(importlib.import_module(modules[name]), name)


def __getattr__(name: str) -> Any:
    return lazy_attribute(name, {"ReplicaServer": "newscrawl.replica.server"})
