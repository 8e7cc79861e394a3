"""The parse process: article pages read beside a crawl, in a process of their own.

``newscrawl.spiders.parsing`` starts it and talks to it; this module is what the process
runs, and imports no Scrapy (a process that starts fast: the outlets' parsers, w3lib, the
fingerprints). Pages come in a shared ``Ring`` (a memory file both processes map), as
``(parser, url, span, encoding, fetched_at)`` messages over a socket pair; each answer is
the record and its body's fingerprints, or the parser's exception, in the order the pages
came.
"""

from __future__ import annotations

import mmap
import os
import pickle
import signal
import socket
import struct
import tempfile
from collections import deque
from typing import Any

from w3lib.encoding import html_to_unicode

from newscrawl.records import fingerprints

HEADER = struct.Struct("!Qq")  # a message's size, and the page it is about
READY = -1  # the id of the process's first message: its imports are done
#: The shared ring's size: about 60 article pages of 270 KB (Scrapy keeps ~20 in its scraper).
RING_BYTES = 16 << 20


def page_text(body: bytes, encoding: str) -> str:
    """A response's text as Scrapy's ``TextResponse.text`` decodes it."""
    return html_to_unicode(f"charset={encoding}", body)[1]


def serve(sock: socket.socket) -> None:
    """The second process: parse what comes until the crawl closes its end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the crawl's to handle
    import newscrawl.outlets  # noqa: F401  (the parsers' imports, before saying ready)

    _, fds, _, _ = socket.recv_fds(sock, 16, 1)
    ring = mmap.mmap(fds[0], RING_BYTES)
    os.close(fds[0])
    stream = sock.makefile("rwb")

    def send(ident: int, ok: bool, value: Any) -> None:
        try:
            payload = pickle.dumps((ok, value), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an answer that does not pickle: its text, as an error
            payload = pickle.dumps((False, RuntimeError(f"{value!r}: {exc!r}")))
        stream.write(HEADER.pack(len(payload), ident) + payload)
        stream.flush()

    try:
        send(READY, True, None)
        while header := stream.read(HEADER.size):
            size, ident = HEADER.unpack(header)
            message = stream.read(size)
            try:
                parser, url, (start, end), encoding, fetched_at = pickle.loads(message)
                html = page_text(ring[start:end], encoding)
                article = parser.parse(url, html, fetched_at)
                # The body's fingerprints too: cleaning seldom changes a body (1 in 300 on
                # the replica), and the de-duplicator then finds them made
                # (fingerprints.remember).
                send(ident, True, (article, fingerprints.prints(article.body or "")))
            except Exception as exc:  # the parser's answer, whatever it is: the crawl decides
                send(ident, False, exc)
    except (BrokenPipeError, ConnectionResetError):
        # The crawl closed its end while an answer was on its way (a crawl that stopped
        # with pages in flight): nothing is waiting for it.
        return


def main(fd: int) -> None:
    """The second process's entry point: serve on the socket inherited as ``fd``."""
    serve(socket.socket(fileno=fd))


class Ring:
    """Where pages wait for the second process: a shared file mapped by both, used as a ring
    of spans, freed in the order they were taken (the process answers in order)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.fd = os.memfd_create("newscrawl-parse") if hasattr(os, "memfd_create") \
            else os.dup(tempfile.TemporaryFile().fileno())
        os.ftruncate(self.fd, size)
        self.map = mmap.mmap(self.fd, size)
        self.spans: deque[tuple[int, int]] = deque()

    def put(self, data: bytes) -> tuple[int, int] | None:
        """Copy ``data`` in; the span it took, or None when there is no room now."""
        start = self._room(len(data))
        if start is None:
            return None
        span = (start, start + len(data))
        self.map[span[0]:span[1]] = data
        self.spans.append(span)
        return span

    def _room(self, size: int) -> int | None:
        if not self.spans:
            return 0 if size <= self.size else None
        first, last = self.spans[0][0], self.spans[-1][1]
        if last >= first:  # free: [last, size) and [0, first)
            if self.size - last >= size:
                return last
            return 0 if size < first else None
        return last if first - last > size else None  # free: [last, first)

    def free_oldest(self) -> None:
        if self.spans:
            self.spans.popleft()

    def close(self) -> None:
        self.map.close()
        os.close(self.fd)
