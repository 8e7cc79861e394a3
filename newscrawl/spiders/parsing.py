"""Article pages parsed in a second process, so that a long crawl uses a second core.

A crawl's own process does the network, the scheduling and the pipelines; reading an article
page (``ArticleParser.parse``: about 2 ms of a crawl's 11 per page, bench/README.md) is a pure
function of ``(url, html, fetched_at)`` and can run beside it. ``Parsing.parse`` gives the
same answer either way, the record or the parser's own exception (``NotAnArticle``,
``PageRejected``).

The second process (``newscrawl.parse_process``, which imports no Scrapy) starts once a crawl
has parsed ``NEWSCRAWL_PARSE_PROCESS_AFTER`` pages itself (it costs half a second of CPU and
~100 MB, which a short incremental run would not win back); ``NEWSCRAWL_PARSE_PROCESS=False``
keeps every page in the crawl's process. Pages go to it through a shared-memory ring, with a
short message over a socket pair; records come back over the socket; the event loop reads
them (no thread). Until the process says it is ready, and for
good if it dies, pages are parsed in the crawl's process: a page sent to a process that died
is parsed again here, so no page is lost, and the crawl counts and logs it
(``newscrawl/parse_process/died``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from scrapy import signals

from newscrawl.config import flag, number
from newscrawl.parse_process import HEADER, READY, RING_BYTES, Ring, page_text
from newscrawl.records import fingerprints

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response, TextResponse

log = logging.getLogger(__name__)

#: What the second process runs: ``newscrawl.parse_process.main`` on the socket it was given,
#: with the crawl's ``sys.path``.
CHILD_MAIN = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
              "from newscrawl.parse_process import main; main(int(sys.argv[2]))")


class Parsing:
    """Where a crawl's article pages are parsed: here, or in its second process."""

    def __init__(self, *, enabled: bool, after: int, inc: Callable[[str], None]) -> None:
        self.enabled = enabled
        self.after = after  # pages parsed here before the second process starts
        self._inc = inc
        self._parsed_here = 0
        self._process: Any = None
        self._sock: socket.socket | None = None
        self._ready = False
        self._closing = False
        self._next_id = 0
        #: What was sent and not answered yet: its future and what to parse it from again.
        self._pending: dict[int, tuple[asyncio.Future[Any], tuple[Any, ...]]] = {}
        # Frames waiting to be written (views, sliced as the socket takes them: no copies)
        # and the bytes read of answers not yet whole.
        self._out: deque[memoryview] = deque()
        self._in = bytearray()
        self._ring: Ring | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> Parsing:
        """A crawl's parsing, ended with its spider."""
        settings = crawler.settings
        parsing = cls(enabled=flag(settings, "NEWSCRAWL_PARSE_PROCESS"),
                      after=int(number(settings, "NEWSCRAWL_PARSE_PROCESS_AFTER", whole=True)),
                      inc=crawler.stats.inc_value)
        crawler.signals.connect(parsing.close, signal=signals.spider_closed)
        return parsing

    async def parse(self, parser: Any, page: Response, fetched_at: datetime) -> Any:
        """The parser's record of ``page`` (raising what it raises; AttributeError for a
        response that is not text). Only here is an article page decoded: the second
        process decodes what it is sent."""
        url, response = page.url, cast("TextResponse", page)
        if not self._ready:
            self._parsed_here += 1
            if self.enabled and self._process is None and self._parsed_here > self.after:
                self._start()
            return parser.parse(url, response.text, fetched_at)
        body, encoding = response.body, response.encoding
        assert self._ring is not None
        span = self._ring.put(body)
        if span is None:  # no room in the ring now (or a page larger than it): here
            self._inc("newscrawl/parse_process/parsed_here")
            return parser.parse(url, response.text, fetched_at)
        try:
            payload = pickle.dumps((parser, url, span, encoding, fetched_at),
                                   protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # a parser made at run time
            self._ring.spans.pop()
            self._inc("newscrawl/parse_process/parsed_here")
            return parser.parse(url, response.text, fetched_at)
        ident, self._next_id = self._next_id, self._next_id + 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = (future, (parser, url, body, encoding, fetched_at))
        self._out.extend((memoryview(HEADER.pack(len(payload), ident)), memoryview(payload)))
        self._flush()
        self._inc("newscrawl/parse_process/pages")
        return await future

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        with suppress(OSError):  # room for several pages, each sent in one write
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        # A fresh interpreter (no fork of a running event loop), given this one's import path
        # so that it finds the parsers this process found, and not multiprocessing's spawn,
        # which imports the program's main module again: a user's script without a
        # ``__main__`` guard would run its crawl a second time in there.
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", CHILD_MAIN, json.dumps(sys.path), str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        except (OSError, ValueError) as exc:
            log.warning("article pages are parsed in the crawl's process: no second process "
                        "(%s)", exc)
            self.enabled = False
            ours.close()
            return
        finally:
            theirs.close()
        try:
            self._ring = Ring(RING_BYTES)
            socket.send_fds(ours, [b"ring"], [self._ring.fd])
        except (OSError, AttributeError) as exc:  # no memfd, no fd passing on this system
            log.warning("article pages are parsed in the crawl's process: no shared memory "
                        "(%s)", exc)
            self.enabled = False
            ours.close()
            return
        ours.setblocking(False)
        self._sock = ours
        asyncio.get_running_loop().add_reader(ours.fileno(), self._receive)

    def _flush(self) -> None:
        """Write what the socket takes now; the rest when it can take more."""
        sock, loop = self._sock, asyncio.get_running_loop()
        if sock is None:
            return
        try:
            while self._out:
                sent = sock.send(self._out[0])
                if sent < len(self._out[0]):
                    self._out[0] = self._out[0][sent:]
                    loop.add_writer(sock.fileno(), self._flush)
                    return
                self._out.popleft()
        except BlockingIOError:
            loop.add_writer(sock.fileno(), self._flush)
            return
        except OSError as exc:
            self._lost(exc)
            return
        loop.remove_writer(sock.fileno())

    def _receive(self) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(exc)
            return
        if not data:
            self._lost(EOFError("the parse process closed its end"))
            return
        self._in += data
        while len(self._in) >= HEADER.size:
            size, ident = HEADER.unpack_from(self._in)
            if len(self._in) < HEADER.size + size:
                return
            try:
                ok, value = pickle.loads(self._in[HEADER.size:HEADER.size + size])
            except Exception as exc:  # an answer that does not unpickle: the process is unusable
                self._lost(exc)
                return
            del self._in[:HEADER.size + size]
            self._answer(ident, ok, value)

    def _answer(self, ident: int, ok: bool, value: Any) -> None:
        if ident == READY:
            self._ready = True
            log.info("article pages are parsed in a second process (pid %s) from now",
                     self._process.pid)
            return
        if self._ring is not None:
            self._ring.free_oldest()
        future = self._pending.pop(ident, (None,))[0]
        if future is None or future.done():
            return
        if ok:
            article, known = value
            fingerprints.remember(article.body or "", known)
            future.set_result(article)
        else:
            future.set_exception(value)

    def _disconnect(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            loop = asyncio.get_event_loop()
            loop.remove_reader(sock.fileno())
            loop.remove_writer(sock.fileno())
            sock.close()
        self._out.clear()
        if self._ring is not None:
            self._ring.close()
            self._ring = None

    def _lost(self, exc: BaseException) -> None:
        """The second process is gone: what it had not answered is parsed here."""
        was_ready, self._ready, self.enabled = self._ready, False, False
        self._disconnect()
        if self._closing:
            return
        if not was_ready:
            exit_code = self._process.poll() if self._process is not None else None
            log.warning("the parse process did not start (%s, exit %s): pages are parsed in "
                        "the crawl's process", exc, exit_code)
            return
        self._inc("newscrawl/parse_process/died")
        log.error("the parse process died (%s); its %d unanswered pages and all later ones are "
                  "parsed in the crawl's process", exc, len(self._pending))
        pending, self._pending = self._pending, {}
        for future, (parser, url, body, encoding, fetched_at) in pending.values():
            if future.done():
                continue
            self._inc("newscrawl/parse_process/parsed_again")
            try:
                future.set_result(parser.parse(url, page_text(body, encoding), fetched_at))
            except Exception as error:  # the parser's answer, as above
                future.set_exception(error)

    def close(self) -> None:
        """End the second process (it ends when its socket closes; killed if it hangs)."""
        self._closing = True
        self._disconnect()
        process = self._process
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
