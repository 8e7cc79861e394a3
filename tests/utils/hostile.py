"""A hostile site for the tests: the replica behind a rewriting proxy that adds links and
redirects to another loopback port, ``file://`` URLs and a page that claims another story.

``HostileSite(replica)`` listens on a free port of its own and serves the replica's pages (its
own address in them, in place of the replica's) with these additions:

- the news sitemap and the main RSS feed list, besides their own stories, a page on the
  *decoy* server (another loopback port), a ``file://`` URL, a path of this site that
  redirects to the decoy, and ``CLAIM_PATH``, a page of this site whose data is a copy of
  another story's page (the page at ``claimed_path``);
- the first two cards of every section page point at the decoy and at ``file://``;
- ``decoy.requests`` counts what the decoy was asked: a polite crawler asks it nothing;
- with ``robots`` (a status, or ``"reset"``), robots.txt answers that instead of the replica's.
"""

from __future__ import annotations

import http.server
import re
import socket
import threading
import urllib.error
import urllib.request
from typing import Any

CLAIM_ID = "3999002"
CLAIM_PATH = f"/news/hong-kong/article/{CLAIM_ID}/a-page-claiming-another-story"
REDIRECT_PATH = "/news/hong-kong/article/3999003/moved-away"
PASSED = ("ETag", "Last-Modified", "Content-Type", "Retry-After")
_CARD_URL = re.compile(r'("urlAlias"\s*:\s*")(/[^"]*/article/[^"]+)')


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class Decoy:
    """Another host (a loopback port) that answers 200 to anything and counts it."""

    def __init__(self) -> None:
        decoy = self
        self.requests: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                decoy.requests.append(self.path)
                body = b"<html><body><p>not the outlet</p></body></html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HostileSite:
    def __init__(self, replica: Any, claimed_path: str = "/", *,
                 robots: int | str | bytes | None = None) -> None:
        self.replica = replica.base_url
        self.claimed_path = claimed_path  # the page the claim copies
        # robots.txt answers this status, or "reset": no answer at all, or these rules (bytes)
        self.robots = robots
        self.robots_asked = 0
        self.paths: list[str] = []  # every path asked, in order
        self.decoy = Decoy()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> HostileSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.decoy.close()

    # -- answering ------------------------------------------------------------------
    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        path = handler.path
        self.paths.append(path)
        if path == "/robots.txt" and self.robots is not None:
            self.robots_asked += 1
            if isinstance(self.robots, bytes):
                return self._send(handler, 200, self.robots, {"Content-Type": "text/plain"})
            if self.robots == "reset":  # the connection closes with no answer
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return None
            return self._send(handler, int(self.robots), b"Service Unavailable", {})
        if path.split("?")[0] == REDIRECT_PATH:
            return self._send(handler, 301, b"", {"Location": self.decoy.base_url + "/away"})
        upstream = self.claimed_path if path.split("?")[0] == CLAIM_PATH else path
        status, headers, body = self._fetch(upstream, handler.headers)
        if status in (301, 302) and "Location" in headers:
            headers["Location"] = headers["Location"].replace(self.replica, self.base_url)
        if body and "text" in headers.get("Content-Type", "") or b"<" in body[:200]:
            text = body.decode("utf-8").replace(self.replica, self.base_url)
            body = self._hostile(path, text).encode("utf-8")
        self._send(handler, status, body, headers)

    def _fetch(self, path: str, asked: Any) -> tuple[int, dict[str, str], bytes]:
        headers = {name: asked[name] for name in ("If-None-Match", "If-Modified-Since",
                                                  "User-Agent") if asked.get(name)}
        request = urllib.request.Request(self.replica + path, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as resp:
                return resp.status, _kept(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, _kept(err.headers), err.read()

    def _hostile(self, path: str, text: str) -> str:
        links = [self.decoy.base_url + "/news/hong-kong/article/3999001/elsewhere",
                 "file:///etc/passwd", self.base_url + REDIRECT_PATH, self.base_url + CLAIM_PATH]
        if path == "/sitemap_news.xml":
            entries = "".join(
                f"<url><loc>{link}</loc><news:news><news:publication><news:name>x</news:name>"
                "<news:language>en</news:language></news:publication><news:publication_date>"
                "2026-06-01T16:00:00+08:00</news:publication_date><news:title>t</news:title>"
                "</news:news></url>" for link in links)
            return text.replace("</urlset>", entries + "</urlset>")
        if path == "/rss/feed":
            items = "".join(f"<item><title>t</title><link>{link}</link>"
                            "<pubDate>Mon, 01 Jun 2026 08:00:00 +0000</pubDate></item>"
                            for link in links)
            return text.replace("</channel>", items + "</channel>")
        edges = text.find('"edges"')
        if "/article/" not in path and edges >= 0:  # a section page: its first cards
            cards = iter((links[0], links[1]))
            return text[:edges] + _CARD_URL.sub(lambda m: m.group(1) + next(cards, m.group(2)),
                                                text[edges:], count=2)
        return text

    @staticmethod
    def _send(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes,
              headers: dict[str, str]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)


def _kept(headers: Any) -> dict[str, str]:
    return {name: headers[name] for name in (*PASSED, "Location") if headers.get(name)}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
