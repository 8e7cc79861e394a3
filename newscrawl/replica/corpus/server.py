"""The corpus replica's HTTP server: saved pages at their paths, the discovery surfaces made
from them, and the control endpoints of the SCMP replica that make sense for them.

Pages are sent as saved (a ``.html.gz`` file's bytes go out as they are to a client that
asks for gzip), with ``Content-Type: text/html`` and the charset the page declares, an
``ETag`` (a hash of the bytes served) and ``Last-Modified`` (the page's last modification);
conditional requests get ``304``. Faults come from the SCMP replica's ``FaultProfile``,
decided per URL and attempt (``bad_nextdata`` never applies: saved pages carry no data script
of the replica's own). Request kinds, for the statistics and the fault scope: ``article``
(article pages), ``section`` (section pages, listing and other saved pages), ``feed``,
``sitemap``, ``robots``, ``other`` (404s).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from newscrawl.replica.corpus import surfaces
from newscrawl.replica.corpus.site import KINDS, Corpus, CorpusConfig, CorpusPage
from newscrawl.replica.faults import FaultProfile
from newscrawl.replica.serving import (
    CONTROL_ENDPOINTS,
    BackgroundServer,
    HttpReplica,
    listing_query,
    serve_in_foreground,
)
from newscrawl.replica.world import iso

_XML = "application/xml"


class CorpusApp(HttpReplica):
    """State of one running corpus replica: its pages, statistics, faults."""

    page_data = False

    def __init__(self, config: CorpusConfig, faults: FaultProfile | None = None) -> None:
        super().__init__(faults, config.seed, cache_size=64)
        self.config = config
        self.corpus = Corpus(config)

    def add_routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/sitemap_index.xml", self.sitemap_index)
        r.add_get("/sitemaps/{month}.xml", self.sitemap_month)
        r.add_get("/sitemap_news.xml", self.sitemap_news)
        r.add_get("/feed.xml", self.feed)
        r.add_get("/section/", self.section)
        r.add_get("/section/{section}", self.section)
        r.add_get("/__replica__/", self.control_index)
        r.add_get("/__replica__/articles.json", self.articles)
        r.add_post("/__replica__/corpus/edit", self.edit)

    # -- discovery surfaces ---------------------------------------------------
    def robots_txt(self) -> str:
        return surfaces.render_robots(self.corpus, base=self.base)

    async def sitemap_index(self, request: web.Request) -> web.StreamResponse:
        return await self._sitemap(request, surfaces.render_sitemap_index)

    async def sitemap_month(self, request: web.Request) -> web.StreamResponse:
        fault = await self._begin(request, "sitemap")
        try:
            xml = surfaces.render_monthly_sitemap(self.corpus, request.match_info["month"],
                                                  base=self.base)
        except KeyError:
            raise web.HTTPNotFound(text="no such sitemap\n") from None
        return await self._generated(request, xml, _XML, fault)

    async def sitemap_news(self, request: web.Request) -> web.StreamResponse:
        return await self._sitemap(request, surfaces.render_news_sitemap)

    async def _sitemap(self, request: web.Request,
                       render: Callable[..., str]) -> web.StreamResponse:
        """A sitemap made of the whole corpus (the index, the news sitemap)."""
        fault = await self._begin(request, "sitemap")
        return await self._generated(request, render(self.corpus, base=self.base), _XML, fault)

    async def feed(self, request: web.Request) -> web.StreamResponse:
        fault = await self._begin(request, "feed")
        xml, last_ms = surfaces.render_feed(self.corpus, base=self.base)
        return await self._generated(request, xml, "application/rss+xml; charset=utf-8", fault,
                               last_ms)

    async def section(self, request: web.Request) -> web.StreamResponse:
        fault = await self._begin(request, "section")
        try:
            number = int(request.query.get("page", "1"))
            html = surfaces.render_section_page(self.corpus, request.match_info.get("section"),
                                                number, base=self.base)
        except (KeyError, ValueError):
            raise web.HTTPNotFound(text="no such section page\n") from None
        return await self._generated(request, html, "text/html; charset=utf-8", fault)

    async def _generated(self, request: web.Request, text: str, content_type: str,
                   fault: str | None, last_ms: int | None = None) -> web.StreamResponse:
        """A generated document, with an ETag of its content."""
        body = text.encode()
        return await self._send(request, body, content_type=content_type,
                                etag=self._etag("doc", _digest(body)), last_modified_ms=last_ms,
                                fault=fault)

    # -- saved pages ----------------------------------------------------------
    async def page(self, request: web.Request) -> web.StreamResponse:
        page = self.corpus.find(request.raw_path)
        if page is None:
            if request.path == "/":
                raise web.HTTPFound(location="/section/")
            self.requests["other"] += 1
            raise web.HTTPNotFound(text="Page not found\n")
        kind = "article" if page.kind == "article" else "section"
        fault = await self._begin(request, kind)
        if kind == "article":
            self.article_fetches[page.key] += 1
        key = (page.key, page.version)
        entry = self.cache.get(key)
        if entry is None:
            raw, packed = page.current()
            entry = self.cache.put(key, raw)
            entry[1] = packed
        return await self._send(request, entry, content_type=page.content_type,
                                etag=f'"{page.digest}"', last_modified_ms=page.modified_ms,
                                fault=fault)

    # -- control --------------------------------------------------------------
    async def control_index(self, request: web.Request) -> web.StreamResponse:
        corpus = self.corpus
        return web.json_response({
            "endpoints": {
                "GET articles.json?section=&since=&until=&kinds=": "the pages served "
                    "(default kinds article)",
                "POST corpus/edit?url=&text=": "append a paragraph to a page: a new version",
                **CONTROL_ENDPOINTS,
            },
            "config": {"directory": str(corpus.directory), "pages": len(corpus.pages),
                       "articles": len(corpus.articles()), "moved": corpus.moved,
                       "crawl_delay": self.config.crawl_delay, "name": self.config.name},
        })

    async def articles(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        since, until, kinds = listing_query(q, self.corpus.now_ms, kinds="article", known=KINDS)
        section = q.get("section", "")
        pages = sorted(self.corpus.pages.values(), key=lambda p: (p.published_ms, p.key))
        out = [self._describe(p) for p in pages
               if p.kind in kinds and since <= p.published_ms < until
               and (not section or p.section == section)]
        return web.json_response({"now": iso(self.corpus.now_ms), "count": len(out),
                                  "articles": out})

    def _describe(self, page: CorpusPage) -> dict[str, Any]:
        return {"url": self.base + page.key, "path": page.key, "original_url": page.original_url,
                "file": page.relative, "kind": page.kind, "section": page.section,
                "title": page.title, "published_at": iso(page.published_ms),
                "updated_at": iso(page.modified_ms), "date_source": page.date_source,
                "version": page.version}

    async def edit(self, request: web.Request) -> web.StreamResponse:
        """``POST corpus/edit?url=``: the page at ``url`` (its URL on the replica, its path or
        its original URL) gets a paragraph (``text``, else deterministic prose)."""
        target = request.query.get("url", "")
        page = self._page_for(target)
        if page is None:
            raise web.HTTPNotFound(text=f"no page at {target!r}\n")
        paragraph, _ = self.corpus.edit(page, request.query.get("text"))
        return web.json_response({**self._describe(page), "paragraph": paragraph})

    def _page_for(self, target: str) -> CorpusPage | None:
        if not target:
            return None
        for page in self.corpus.pages.values():
            if target == page.original_url:
                return page
        if target.startswith(self.base):
            target = target[len(self.base):]
        return self.corpus.find(target) if target.startswith("/") else None


def _digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=10).hexdigest()


class CorpusReplicaServer(BackgroundServer):
    """Runs a corpus replica on a background thread (tests, benchmarks): a context manager
    with ``base_url``, like ``ReplicaServer``."""

    state: CorpusApp

    def __init__(self, config: CorpusConfig, *, host: str = "127.0.0.1", port: int = 0,
                 faults: FaultProfile | None = None) -> None:
        super().__init__(CorpusApp(config, faults), host=host, port=port)

    @property
    def corpus(self) -> Corpus:
        return self.state.corpus


def serve_corpus_forever(config: CorpusConfig, *, host: str, port: int,
                         faults: FaultProfile | None = None) -> None:
    """Run a corpus replica in the foreground until interrupted (``newscrawl replica --corpus``)."""
    state = CorpusApp(config, faults)
    corpus = state.corpus
    moved = f", {corpus.moved} at their file path" if corpus.moved else ""
    serve_in_foreground(
        state, host=host, port=port,
        banner=lambda base: f"corpus replica of {corpus.directory} serving {len(corpus.pages)} "
                            f"pages ({len(corpus.articles())} articles{moved}) at {base}/  "
                            f"control: {base}/__replica__/")


__all__ = ["CorpusApp", "CorpusReplicaServer", "serve_corpus_forever"]
