"""The replica's HTTP server: scmp.com's paths on 127.0.0.1, plus control endpoints.

Routing, HTTP semantics (redirects, ``ETag``/``Last-Modified``/``304``, gzip, 404), request
statistics, fault injection and the ``/__replica__/`` control API live here; what a page
says comes from ``world`` and what it looks like from ``pages``.

Start it with ``newscrawl replica --port 8000`` or, from Python and tests,
``ReplicaServer(ReplicaConfig(...)).start()`` which runs it in a background thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from aiohttp import web

from newscrawl.replica.faults import FaultProfile
from newscrawl.replica.pages import article as article_pages
from newscrawl.replica.pages import feeds, listing, sitemaps
from newscrawl.replica.pages.chrome import splice
from newscrawl.replica.serving import (
    CONTROL_ENDPOINTS,
    BackgroundServer,
    HttpReplica,
    listing_query,
    parse_when,
    serve_in_foreground,
)
from newscrawl.replica.world import (
    SECTION_BY_PATH,
    SECTION_PAGES,
    ReplicaConfig,
    World,
    in_section,
    iso,
)

log = logging.getLogger(__name__)

ARTICLE_PATH = re.compile(r"^/(?:[a-z0-9-]+/)+article/(\d+)/[^/]+$")
VIDEO_PATH = re.compile(r"^/video/[a-z0-9-]+/(\d+)/[^/]+$")
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c19"
    "120f13141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b08"
    "0001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b51000"
    "02010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f0"
    "2433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768"
    "696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3"
    "c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fb"
    "d3ffd9")


class ReplicaApp(HttpReplica):
    """State of one running replica: world, clock, deploy, redesign, statistics, faults."""

    def __init__(self, config: ReplicaConfig, faults: FaultProfile | None = None) -> None:
        super().__init__(faults, config.seed, cache_size=160)
        self.config = config
        self.world = World(config)
        self.deploy = 1
        #: Since when (replica clock, epoch ms) article pages are served redesigned; None: never.
        self.redesigned_since: int | None = self.world.start_ms if config.redesigned else None

    def redesigned(self) -> bool:
        """Whether article pages are served in the redesign's markup now."""
        since = self.redesigned_since
        return since is not None and self.world.now_ms >= since

    # -- application ----------------------------------------------------------
    def add_routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/sitemap/archives-0.xml", self.sitemap_index)
        r.add_get("/sitemap/archives/articles/{name}.xml", self.sitemap_month)
        r.add_get("/sitemap_news.xml", self.sitemap_news)
        r.add_get("/rss/feed", self.feed)
        r.add_get("/rss/{feed_id}/feed", self.feed)
        r.add_get("/content-delivery/v2", self.gateway)
        r.add_get("/_next/static/{tail:.*}", self.asset)
        r.add_get("/d8/images/{tail:.*}", self.image)
        r.add_get("/__replica__/", self.control_index)
        r.add_get("/__replica__/truth/{article_id}.json", self.truth)
        r.add_get("/__replica__/articles.json", self.articles)
        r.add_get("/__replica__/clock", self.clock)
        r.add_post("/__replica__/clock/advance", self.clock_advance)
        r.add_post("/__replica__/deploy", self.new_deploy)
        r.add_get("/__replica__/redesign", self.get_redesign)
        r.add_post("/__replica__/redesign", self.set_redesign)
        r.add_get("/amp/{tail:.*}", self.amp)

    # -- discovery surfaces ---------------------------------------------------
    def robots_txt(self) -> str:
        return sitemaps.render_robots(base=self.base, crawl_delay=self.config.crawl_delay,
                                      news_sitemap=self.config.news_sitemap)

    async def sitemap_index(self, request: web.Request) -> web.StreamResponse:
        fault = await self._begin(request, "sitemap")
        xml = sitemaps.render_sitemap_index(self.world, base=self.base)
        return await self._send_xml(request, xml, fault, "smi", self.world.count)

    async def sitemap_month(self, request: web.Request) -> web.StreamResponse:
        fault = await self._begin(request, "sitemap")
        try:
            year, month = sitemaps.month_from_filename(request.match_info["name"])
            xml = sitemaps.render_monthly_sitemap(self.world, year, month, base=self.base)
        except KeyError:
            raise web.HTTPNotFound(text="no such sitemap\n") from None
        return await self._send_xml(request, xml, fault, "smm", year, month, _md5(xml))

    async def sitemap_news(self, request: web.Request) -> web.StreamResponse:
        if not self.config.news_sitemap:
            self.requests["sitemap"] += 1
            raise web.HTTPNotFound(text="no such sitemap\n")
        fault = await self._begin(request, "sitemap")
        xml = sitemaps.render_news_sitemap(self.world, base=self.base)
        return await self._send_xml(request, xml, fault, "news", _md5(xml))

    async def _send_xml(self, request: web.Request, xml: str, fault: str | None,
                        *etag: object) -> web.StreamResponse:
        """A sitemap, with an ETag made of ``etag`` (the parts that name its content)."""
        return await self._send(request, xml.encode(), content_type="application/xml",
                                etag=self._etag(*etag), fault=fault)

    async def feed(self, request: web.Request) -> web.StreamResponse:
        fault = await self._begin(request, "feed")
        try:
            xml, last_ms = feeds.render_feed(self.world, request.match_info.get("feed_id"),
                                             base=self.base)
        except KeyError:
            raise web.HTTPNotFound(text="no such feed\n") from None
        return await self._send(request, xml.encode(), content_type="application/rss+xml; charset=utf-8",
                                etag=self._etag("feed", request.path, last_ms),
                                last_modified_ms=last_ms, fault=fault)

    async def gateway(self, request: web.Request) -> web.StreamResponse:
        fault = await self._begin(request, "gateway")
        contract = listing.gateway_contract(self.config.seed, self.deploy)
        q = request.query
        if request.headers.get("apikey") != contract.apikey:
            return _json_error(400, "Missing or invalid apikey header", "UNAUTHENTICATED")
        if q.get("operationName") != contract.operation_name:
            return _json_error(400, f"Unknown operationName {q.get('operationName')!r}", "BAD_REQUEST")
        try:
            extensions = json.loads(q.get("extensions", ""))
            sha = extensions["persistedQuery"]["sha256Hash"]
            variables = json.loads(q.get("variables", ""))
            if not isinstance(variables, dict):
                raise TypeError("variables must be an object")
        except (ValueError, KeyError, TypeError) as exc:
            return _json_error(400, f"Malformed variables or extensions: {exc}", "BAD_REQUEST")
        if sha != contract.sha256_hash:
            return _json_error(400, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        try:
            data = listing.gateway_response(self.world, variables, base=self.base)
        except ValueError as exc:
            return _json_error(400, str(exc), "BAD_USER_INPUT")
        return await self._send(request, json.dumps(data).encode(),
                                content_type="application/json", fault=fault)

    # -- pages ----------------------------------------------------------------
    async def page(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        if path.lstrip("/") in SECTION_PAGES:
            return await self._section(request, path.lstrip("/"))
        return await self._article(request, self._item_id(path, ARTICLE_PATH, VIDEO_PATH),
                                   amp=False)

    async def amp(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        return await self._article(request, self._item_id(path, ARTICLE_PATH), amp=True)

    def _item_id(self, path: str, *patterns: re.Pattern[str]) -> int:
        """The item id in ``path``, which one of ``patterns`` matches; else a 404."""
        for pattern in patterns:
            match = pattern.match(path)
            if match:
                return int(match.group(1))
        self.requests["other"] += 1
        raise web.HTTPNotFound(text="Page not found\n")

    async def _section(self, request: web.Request, section: str) -> web.StreamResponse:
        fault = await self._begin(request, "section")
        html = listing.render_section_page(self.world, section, base=self.base, deploy=self.deploy)
        return await self._send(request, html.encode(), content_type="text/html; charset=utf-8",
                                fault=fault)

    async def _article(self, request: web.Request, article_id: int, *, amp: bool) -> web.StreamResponse:
        kind = "amp" if amp else "article"
        index = self.world.index_of(article_id)
        if index is None:
            self.requests[kind] += 1
            raise web.HTTPNotFound(text=f"No article {article_id}\n")
        spec = self.world.spec(index)
        requested = request.path.removeprefix("/amp") if amp else request.path
        if requested != spec.path or (amp and not spec.is_article):
            # Old slugs (and wrong sections) redirect to the current URL, keeping the query.
            self.requests["redirect"] += 1
            target = ("/amp" if amp and spec.is_article else "") + spec.path
            if request.query_string:
                target += "?" + request.query_string
            raise web.HTTPMovedPermanently(location=target)
        fault = await self._begin(request, kind)
        if not amp:
            self.article_fetches[str(article_id)] += 1
        content = self.world.content_at(index)
        malformed = fault == "bad_nextdata"
        redesigned = not amp and spec.is_article and self.redesigned()
        key = (kind, index, content.version, malformed, self.base, redesigned)
        entry = self.cache.get(key)
        if entry is None:
            if amp:
                html = article_pages.render_amp_page(self.world, content, base=self.base)
                entry = self.cache.put(key, html.encode())
            else:
                # Constant parts come encoded and deflated already (chrome.Static).
                raw, packed = splice(article_pages.render_article_parts(
                    self.world, content, base=self.base, malformed_nextdata=malformed,
                    redesigned=redesigned))
                entry = self.cache.put(key, raw)
                entry[1] = packed
        # A redesigned page is new content: a new ETag, and modified when the redesign came.
        etag = self._etag(kind, article_id, content.version, *(("redesign",) if redesigned else ()))
        last_modified = content.updated_ms
        if redesigned and self.redesigned_since is not None:
            last_modified = max(last_modified, self.redesigned_since)
        return await self._send(request, entry, content_type="text/html; charset=utf-8",
                                etag=etag, last_modified_ms=last_modified,
                                fault=None if malformed else fault)

    async def asset(self, request: web.Request) -> web.StreamResponse:
        self.requests["asset"] += 1
        tail = request.match_info["tail"]
        if tail.endswith(".css"):
            return await self._send(request, _ASSET_CSS, content_type="text/css",
                                    etag=self._etag("css"))
        return await self._send(request, _ASSET_JS, content_type="application/javascript",
                                etag=self._etag("js"))

    async def image(self, request: web.Request) -> web.StreamResponse:
        self.requests["asset"] += 1
        return await self._send(request, TINY_JPEG, content_type="image/jpeg", etag=self._etag("img"))

    # -- control --------------------------------------------------------------
    async def control_index(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({
            "endpoints": {
                "GET truth/<article_id>.json": "the record a perfect extractor must produce",
                "GET articles.json?section=&since=&until=&kinds=": "items that exist now",
                "GET clock": "the replica's current time",
                "POST clock/advance?minutes=N": "publish and update what is due in N minutes",
                **CONTROL_ENDPOINTS,
                "POST deploy": "a new front-end deploy: the gateway's persisted-query hash changes",
            },
            "config": {"articles": self.config.articles, "seed": self.config.seed,
                       "crawl_delay": self.config.crawl_delay,
                       "apollo_share": self.config.apollo_share},
        })

    async def truth(self, request: web.Request) -> web.StreamResponse:
        try:
            article_id = int(request.match_info["article_id"])
        except ValueError:
            raise web.HTTPBadRequest(text="article id must be numeric\n") from None
        index = self.world.index_of(article_id)
        if index is None:
            raise web.HTTPNotFound(text=f"No article {article_id} at the current clock\n")
        return web.json_response(self.world.truth(index, self.base))

    async def articles(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        section = q.get("section", "").strip("/")
        if section and section not in SECTION_PAGES and section not in SECTION_BY_PATH:
            raise web.HTTPBadRequest(text=f"unknown section {section!r}\n")
        since, until, kinds = listing_query(q, self.world.now_ms, kinds="article,opinion",
                                            known=("article", "opinion", "video", "gallery"))
        out = []
        for spec in self.world.between(since, until):
            if spec.kind not in kinds or not in_section(spec.section.path, section):
                continue
            version = spec.version_at(self.world.now_ms)
            out.append({
                "article_id": str(spec.article_id), "url": self.base + spec.path,
                "kind": spec.kind, "section": spec.section.path,
                "published_at": iso(spec.published_ms), "updated_at": iso(spec.updated_ms(version)),
                "version": version,
                "duplicate_of": None if spec.duplicate_of is None
                else str(self.world.article_id(spec.duplicate_of)),
            })
        return web.json_response({"now": iso(self.world.now_ms), "count": len(out), "articles": out})

    async def clock(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._clock_json())

    def _clock_json(self) -> dict[str, Any]:
        return {"now": iso(self.world.now_ms), "now_ms": self.world.now_ms, "items": self.world.count}

    async def clock_advance(self, request: web.Request) -> web.StreamResponse:
        try:
            minutes = float(request.query["minutes"])
        except (KeyError, ValueError):
            raise web.HTTPBadRequest(text="minutes=N (a number) is required\n") from None
        if minutes < 0 or minutes != minutes or minutes > 60 * 24 * 366:
            raise web.HTTPBadRequest(text="minutes must be between 0 and one year\n")
        changes = self.world.advance(minutes)
        return web.json_response({**self._clock_json(),
                                  "published": [str(i) for i in changes["published"]],
                                  "updated": [str(i) for i in changes["updated"]]})

    async def new_deploy(self, request: web.Request) -> web.StreamResponse:
        self.deploy += 1
        return web.json_response({"deploy": self.deploy})

    async def get_redesign(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._redesign_json())

    async def set_redesign(self, request: web.Request) -> web.StreamResponse:
        """``POST redesign``: article pages are redesigned from now on (``?at=`` an ISO 8601
        time of the replica clock: from then on); ``POST redesign?off``: never again."""
        if "off" in request.query:
            self.redesigned_since = None
        else:
            try:
                self.redesigned_since = parse_when(request.query.get("at"), self.world.now_ms)
            except ValueError as exc:
                raise web.HTTPBadRequest(text=f"{exc}\n") from None
        return web.json_response(self._redesign_json())

    def _redesign_json(self) -> dict[str, Any]:
        since = self.redesigned_since
        return {"redesigned": self.redesigned(), "since": None if since is None else iso(since),
                "since_ms": since, "now": iso(self.world.now_ms)}


def _json_error(status: int, message: str, code: str) -> web.Response:
    return web.json_response({"errors": [{"message": message, "extensions": {"code": code}}]},
                             status=status)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


_ASSET_JS = (b"/* replica static chunk */\n" + b"!function(){var e={};" + b"e.a=function(t){return t};" * 2000
             + b"}();\n")
_ASSET_CSS = b".css-1x2y3z{display:block}" * 400


class ReplicaServer(BackgroundServer):
    """Runs a replica on a background thread; for tests, benchmarks and the demo.

    ``port=0`` picks a free port; ``base_url`` says where it landed.
    """

    state: ReplicaApp

    def __init__(self, config: ReplicaConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, faults: FaultProfile | None = None) -> None:
        super().__init__(ReplicaApp(config or ReplicaConfig(), faults), host=host, port=port)

    @property
    def world(self) -> World:
        return self.state.world


def serve_forever(config: ReplicaConfig, *, host: str, port: int,
                  faults: FaultProfile | None = None) -> None:
    """Run a replica in the foreground until interrupted (``newscrawl replica``)."""
    redesign = ", redesigned" if config.redesigned else ""
    serve_in_foreground(
        ReplicaApp(config, faults), host=host, port=port,
        banner=lambda base: f"replica of scmp.com serving {config.articles} articles (seed "
                            f"{config.seed}{redesign}) at {base}/  control: {base}/__replica__/")


__all__ = ["ReplicaApp", "ReplicaServer", "serve_forever"]
