"""The corpus replica: a directory of saved pages served as one news site.

``CorpusReplicaServer(CorpusConfig(directory=...))`` serves every page at its original path on
a free loopback port, with robots.txt, a sitemap index, a news sitemap, an RSS feed and
section pages made from the pages' own dates and titles (``surfaces``), conditional requests,
gzip, the SCMP replica's faults and control endpoints, and edits that make a page change
(``server``). Which page is served where, and the ``index.json`` schema: ``site``.
``newscrawl replica --corpus DIR`` does the same from the command line.
"""

from typing import Any

from newscrawl.replica import lazy_attribute
from newscrawl.replica.corpus.site import Corpus, CorpusConfig, CorpusError, CorpusPage

__all__ = ["Corpus", "CorpusConfig", "CorpusError", "CorpusPage", "CorpusReplicaServer"]


def __getattr__(name: str) -> Any:
    return lazy_attribute(name, {"CorpusReplicaServer": "newscrawl.replica.corpus.server"})
