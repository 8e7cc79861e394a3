"""A faithful, deterministic local replica of scmp.com (see ../shared/scmp/MARKUP.md).

``ReplicaServer(ReplicaConfig(articles=300)).start()`` serves it on a free loopback port;
``newscrawl replica`` does the same from the command line.
"""

from newscrawl.replica.faults import FaultProfile
from newscrawl.replica.world import ReplicaConfig, World

__all__ = ["FaultProfile", "ReplicaConfig", "ReplicaServer", "World"]


def __getattr__(name: str):  # the server pulls in aiohttp; import it only when asked
    if name == "ReplicaServer":
        from newscrawl.replica.server import ReplicaServer

        return ReplicaServer
    raise AttributeError(name)
