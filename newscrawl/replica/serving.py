"""What every replica server shares: HTTP semantics, statistics, faults and a background thread.

``HttpReplica`` is the base of a replica's state (the SCMP replica's ``server.ReplicaApp``, the
corpus replica's ``corpus.server.CorpusApp``): it counts requests by kind and answers by
status, applies the seeded ``FaultProfile`` (``_begin``), sends a body with ``ETag`` /
``Last-Modified``, conditional ``304``, gzip and the truncate fault (``_send``), and serves
``robots.txt`` and the ``stats`` and ``faults`` control endpoints (``CONTROL_ENDPOINTS``);
``listing_query`` reads an ``articles.json`` request. ``BackgroundServer`` runs one on a free
loopback port in a thread (tests, benchmarks, the demo); ``serve_in_foreground`` runs one
until interrupted (the ``newscrawl replica`` command).
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import struct
import threading
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any, Self

from aiohttp import web

from newscrawl.replica.faults import FaultProfile


class BodyCache:
    """A small LRU of rendered bodies and their gzip encodings, keyed by content version."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, list[bytes | None]] = OrderedDict()

    def get(self, key: Any) -> list[bytes | None] | None:
        entry = self.items.get(key)
        if entry is not None:
            self.items.move_to_end(key)
        return entry

    def put(self, key: Any, body: bytes) -> list[bytes | None]:
        entry: list[bytes | None] = [body, None]
        self.items[key] = entry
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return entry


class Injected(Exception):
    """Raised by ``HttpReplica._begin`` when the fault profile answers instead of the handler."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


class HttpReplica:
    """Statistics, faults and HTTP semantics of one running replica.

    Subclasses set ``base`` (where the replica is served; ``bind`` sets it) and ``seed`` (what
    their ETags are keyed on), add their own routes in ``add_routes`` and say what
    ``robots_txt`` is and what ``page`` (any other path) serves.
    """

    #: Whether a page of this replica carries a data script ``bad_nextdata`` can break.
    page_data = True

    def __init__(self, faults: FaultProfile | None, seed: int, cache_size: int) -> None:
        self.base = "http://127.0.0.1"
        self.seed = seed
        self.faults = faults or FaultProfile()
        self.attempts: Counter[str] = Counter()
        self.cache = BodyCache(cache_size)
        self.reset_stats()

    def make_app(self) -> web.Application:
        """The application: ``robots.txt``, the replica's own routes (``add_routes``), the
        control endpoints of every replica (``stats``, ``faults``), and ``page`` at every
        other path."""
        app = web.Application(middlewares=[self._count_status])
        r = app.router
        r.add_get("/robots.txt", self.robots)
        self.add_routes(r)
        r.add_get("/__replica__/stats", self.get_stats)
        r.add_post("/__replica__/stats/reset", self.stats_reset)
        r.add_get("/__replica__/faults", self.get_faults)
        r.add_post("/__replica__/faults", self.set_faults)
        r.add_get("/{tail:.*}", self.page)
        return app

    def add_routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    def robots_txt(self) -> str:
        raise NotImplementedError

    async def page(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    async def robots(self, request: web.Request) -> web.StreamResponse:
        """``robots.txt``: counted, never faulted."""
        self.requests["robots"] += 1
        return await self._send(request, self.robots_txt().encode(),
                                content_type="text/plain; charset=utf-8")

    # -- statistics -----------------------------------------------------------
    def reset_stats(self) -> None:
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.article_fetches: Counter[str] = Counter()
        self.not_modified = 0

    def stats(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "total": sum(self.requests.values()),
            "not_modified": self.not_modified,
            "statuses": dict(self.statuses),
            "faults": dict(self.injected),
            "article_fetches": dict(self.article_fetches),
        }

    @web.middleware
    async def _count_status(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response = await handler(request)
        except Injected as injected:
            response = injected.response
        except web.HTTPException as exc:
            self.statuses[str(exc.status)] += 1
            raise
        self.statuses[str(response.status)] += 1
        return response

    # -- faults and sending -----------------------------------------------------
    async def _begin(self, request: web.Request, kind: str) -> str | None:
        """Count a request of ``kind`` and apply the fault profile: return the name of a fault
        the handler must apply itself (truncate, bad_nextdata) or None; raise ``Injected``
        with the answer that replaces the handler's (500, 503, 429)."""
        self.requests[kind] += 1
        if not self.faults.rate:
            return None
        key = request.path_qs
        attempt = self.attempts[key]
        self.attempts[key] += 1
        fault = self.faults.decide(kind, key, attempt, page_data=self.page_data)
        if fault is None:
            return None
        self.injected[fault] += 1
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
            return None
        if fault == "500":
            raise Injected(web.Response(status=500, text="Internal Server Error (injected)\n"))
        if fault in ("503", "429"):
            raise Injected(web.Response(status=int(fault), text=f"{fault} (injected)\n",
                                        headers={"Retry-After": str(self.faults.retry_after)}))
        if fault == "reset":
            transport = request.transport
            if transport is not None:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            raise asyncio.CancelledError
        return fault  # truncate, bad_nextdata

    async def _send(self, request: web.Request, body: bytes | list[bytes | None], *,
                    content_type: str, etag: str | None = None,
                    last_modified_ms: int | None = None, fault: str | None = None,
                    status: int = 200) -> web.StreamResponse:
        """Send a body with validators, conditional 304, gzip and the truncate fault.

        ``body`` is the bytes, or a cache entry ``[bytes, gzip or None]`` whose gzip encoding
        is made on first use and kept."""
        entry = body if isinstance(body, list) else [body, None]
        headers = {"Content-Type": content_type, "Vary": "Accept-Encoding"}
        if etag:
            headers["ETag"] = etag
        if last_modified_ms is not None:
            headers["Last-Modified"] = http_date(last_modified_ms // 1000)
        if status == 200 and self._not_modified(request, etag, last_modified_ms):
            self.not_modified += 1
            return web.Response(status=304, headers={k: v for k, v in headers.items()
                                                     if k != "Content-Type"})
        payload = entry[0]
        assert payload is not None
        if "gzip" in request.headers.get("Accept-Encoding", "") and len(payload) > 512:
            packed = entry[1]
            if packed is None:
                packed = entry[1] = gzip_bytes(payload)
            payload = packed
            headers["Content-Encoding"] = "gzip"
        if fault == "truncate":
            response = web.StreamResponse(status=status, headers=headers)
            response.content_length = len(payload)
            await response.prepare(request)
            await response.write(payload[: len(payload) // 2])
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        return web.Response(status=status, body=payload, headers=headers)

    @staticmethod
    def _not_modified(request: web.Request, etag: str | None, last_modified_ms: int | None) -> bool:
        inm = request.headers.get("If-None-Match")
        if inm is not None and etag:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return etag in tags or "*" in tags
        ims = request.headers.get("If-Modified-Since")
        if ims and last_modified_ms is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return last_modified_ms // 1000 <= int(since.timestamp())
        return False

    def _etag(self, *parts: object) -> str:
        digest = hashlib.blake2b(":".join(map(str, (self.seed, *parts))).encode(),
                                 digest_size=10).hexdigest()
        return f'"{digest}"'

    # -- control: stats and faults ------------------------------------------------
    async def get_stats(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.stats())

    async def stats_reset(self, request: web.Request) -> web.StreamResponse:
        self.reset_stats()
        return web.json_response(self.stats())

    async def get_faults(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.faults.as_dict())

    async def set_faults(self, request: web.Request) -> web.StreamResponse:
        values = dict(request.query)
        if "off" in values:
            self.faults = FaultProfile(rate=0.0)
        else:
            try:
                self.faults = FaultProfile.from_mapping(values, base=self.faults)
            except ValueError as exc:
                raise web.HTTPBadRequest(text=f"{exc}\n") from None
        self.attempts.clear()
        return web.json_response(self.faults.as_dict())


#: What the control index says of the control endpoints ``HttpReplica.make_app`` adds.
CONTROL_ENDPOINTS = {
    "GET stats / POST stats/reset": "requests served by kind, 304s, faults",
    "GET faults / POST faults?rate=&kinds=&seed=&max_attempts=&slow_seconds=&retry_after=&scope=":
        "the fault profile (POST faults?off turns it off)",
}


def listing_query(query: Mapping[str, str], now_ms: int, *, kinds: str,
                  known: Iterable[str]) -> tuple[int, int, set[str]]:
    """The ``since``, ``until`` (epoch ms; default: all up to ``now_ms``) and ``kinds``
    (default ``kinds``; each one of ``known``) an ``articles.json`` request asks for; a 400
    for a bad date or an unknown kind."""
    try:
        since = parse_when(query.get("since"), 0)
        until = parse_when(query.get("until"), now_ms + 1)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None
    wanted = set(query.get("kinds", kinds).split(","))
    unknown = wanted - set(known)
    if unknown:
        raise web.HTTPBadRequest(text=f"unknown kind {sorted(unknown)[0]!r}\n")
    return since, until, wanted


def parse_when(value: str | None, default: int) -> int:
    """An ISO 8601 date or time (UTC when it names no zone) as epoch ms; ``default`` if empty."""
    if not value:
        return default
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"bad date {value!r}: use ISO 8601, e.g. 2026-05-01 or 2026-05-01T12:00:00Z") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


@lru_cache(maxsize=4096)
def http_date(seconds: int) -> str:
    return format_datetime(datetime.fromtimestamp(seconds, UTC), usegmt=True)


def gzip_bytes(data: bytes) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


async def bind(state: HttpReplica, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve ``state`` on ``host:port`` (0: a free one) and point its base URL there; return
    the runner and the port."""
    runner = web.AppRunner(state.make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    server = site._server  # aiohttp exposes no public accessor for the port
    assert server is not None
    bound = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
    state.base = f"http://{host}:{bound}"
    return runner, bound


class BackgroundServer:
    """Runs a replica's state on a background thread; for tests, benchmarks and the demo.

    ``port=0`` picks a free port; ``base_url`` says where it landed. A context manager.
    """

    def __init__(self, state: HttpReplica, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return self.state.base

    async def _serve(self) -> None:
        self._runner, self.port = await bind(self.state, self.host, self.port)

    def start(self) -> Self:
        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to the starting thread
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
            loop.close()

        self._thread = threading.Thread(target=run, name="replica", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_foreground(state: HttpReplica, *, host: str, port: int,
                        banner: Callable[[str], str]) -> None:
    """Run ``state`` in the foreground until interrupted; print ``banner(base URL)`` once
    it listens."""

    async def main() -> None:
        await bind(state, host, port)
        print(banner(state.base), flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


__all__ = ["CONTROL_ENDPOINTS", "BackgroundServer", "BodyCache", "HttpReplica", "Injected", "bind",
           "gzip_bytes", "http_date", "listing_query", "parse_when", "serve_in_foreground"]
