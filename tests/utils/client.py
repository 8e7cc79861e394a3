"""A tiny HTTP client for the replica that never follows redirects and never raises."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


class Client:
    """A tiny HTTP client for the replica that never follows redirects and never raises."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path: str, *, method: str = "GET", headers: dict[str, str] | None = None):
        req = urllib.request.Request(self.base + path, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def get(self, path: str, **kw):
        return self.request(path, **kw)

    def json(self, path: str, *, method: str = "GET"):
        status, _, body = self.request(path, method=method)
        assert status == 200, (path, status, body[:200])
        return json.loads(body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
