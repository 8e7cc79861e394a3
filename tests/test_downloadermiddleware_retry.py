"""Polite retries: Retry-After pauses a host and only that host, failures back off and are
counted by reason, a faulty replica is still crawled completely, and the request budget
closes the crawl.

Crawls run in a subprocess (``crawl_once.py``): Scrapy's reactor runs once per process.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError, ResponseDataLossError
from scrapy.http import Response
from scrapy.settings import Settings
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from newscrawl.config import ConfigError
from newscrawl.downloadermiddlewares.retry import RetryPolicy, failure_reason, retry_after_seconds
from newscrawl.replica import ReplicaConfig
from newscrawl.replica.faults import FaultProfile
from newscrawl.replica.server import ReplicaServer
from newscrawl.runs.crawl import check_settings
from tests.utils.client import Client

RUNNER = Path(__file__).parent / "utils" / "crawl_once.py"
#: Settings for crawls of the scripted server: no robots.txt, no AutoThrottle, quick backoff.
QUICK = {"ROBOTSTXT_OBEY": False, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
         "NEWSCRAWL_RETRY_BACKOFF_BASE": 0.1, "LOG_LEVEL": "INFO"}


def run_crawl(*args: str, timeout: float = 120) -> tuple[dict, str]:
    """Run ``crawl_once.py`` with ``args``; return the crawl's stats and its log."""
    result = subprocess.run([sys.executable, str(RUNNER), *args], capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def crawl_urls(urls: list[dict], **settings: object) -> tuple[dict, str]:
    return run_crawl("urls", json.dumps(urls), json.dumps({**QUICK, **settings}))


# -- a server that fails on cue -------------------------------------------------------------
@dataclass
class Arrival:
    at: float  # time.monotonic() when the request line was read
    host: str
    path: str


class ScriptedServer:
    """An HTTP server on 127.0.0.1 whose paths say how to fail and how often:

    ``/status/<code>/<times>?retry_after=<v>`` answers ``code`` the first ``times`` times,
    ``/reset/<times>`` drops the connection, ``/truncate/<times>`` sends half the body
    ``Content-Length`` promises, ``/slow/<seconds>/<times>`` answers late; then 200.
    ``/ok/<seconds>`` answers 200 after ``seconds``. Every arrival is logged with its time.
    """

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server.lock:
                    server.arrivals.append(Arrival(time.monotonic(), self.headers["Host"].split(":")[0],
                                                   self.path))
                    server.seen[self.path] += 1
                    attempt = server.seen[self.path]
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                kind, *args = parts.path.strip("/").split("/")
                failing = kind != "ok" and attempt <= int(args[-1])
                if kind == "status" and failing:
                    headers = {"Retry-After": query["retry_after"][0]} if "retry_after" in query else {}
                    return self.answer(int(args[0]), b"try later\n", headers)
                if kind == "reset" and failing:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return None
                if kind == "truncate" and failing:
                    self.send_response(200)
                    self.send_header("Content-Length", "2000")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(b"x" * 1000)
                    self.close_connection = True
                    return None
                if kind == "slow" and failing:
                    time.sleep(float(args[0]))
                if kind == "ok" and args:
                    time.sleep(float(args[0]))
                return self.answer(200, b"<html><body>fine</body></html>\n", {})

            def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in {"Content-Type": "text/html", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                # The server closes every connection after one answer (HTTP/1.0); said so, the
                # crawler never sends a retry down a connection already closed, which fails as
                # a reset whatever the path's own fault was (seen on a loaded machine).
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

        class QuietServer(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the reset fault leaves a closed socket behind

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def times(self, path: str) -> list[float]:
        return [a.at for a in self.arrivals if a.path == path]


@pytest.fixture()
def scripted():
    server = ScriptedServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


# -- the pieces on their own ----------------------------------------------------------------
def response(status: int, **headers: str) -> Response:
    return Response("http://example.org/", status=status, headers=headers)


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(response(503, **{"Retry-After": "7"})) == 7
    date = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(response(429, **{"Retry-After": date}), now=now) == 90
    # Measured against the server's own Date, so clock skew does not matter.
    server_now = format_datetime(now - timedelta(hours=1), usegmt=True)
    server_later = format_datetime(now - timedelta(hours=1) + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(response(503, **{"Retry-After": server_later, "Date": server_now})) == 30
    assert retry_after_seconds(response(503, **{"Retry-After": "soon"})) is None
    assert retry_after_seconds(response(503)) is None


def test_failure_reasons_follow_the_wrapped_cause():
    lost = ResponseNeverReceived([Failure(ConnectionLost())])
    reset = DownloadFailedError(str(lost))
    reset.__cause__ = lost
    assert failure_reason(reset) == "reset"
    assert failure_reason(DownloadTimeoutError()) == "timeout"
    assert failure_reason(ResponseDataLossError()) == "dataloss"
    assert failure_reason(DownloadFailedError("other")) == "download_failed"


def test_backoff_doubles_with_jitter_up_to_the_maximum():
    settings = Settings({"RETRY_TIMES": 4, "RETRY_HTTP_CODES": [503], "RETRY_EXCEPTIONS": [],
                         "NEWSCRAWL_RETRY_BACKOFF_BASE": 1, "NEWSCRAWL_RETRY_BACKOFF_MAX": 60,
                         "NEWSCRAWL_MAX_RETRY_AFTER": 600})
    policy = RetryPolicy.from_settings(settings)
    rng = random.Random(3)
    for failures, ceiling in ((1, 1), (2, 2), (3, 4), (7, 60), (40, 60)):
        waits = [policy.backoff(failures, rng) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits), (failures, min(waits), max(waits))
        assert len(set(waits)) > 1  # jittered
    check_settings(settings)
    for name, value in (("NEWSCRAWL_RETRY_BACKOFF_BASE", -1), ("NEWSCRAWL_MAX_RETRY_AFTER", "soon"),
                        ("NEWSCRAWL_REQUEST_BUDGET", -3), ("NEWSCRAWL_REQUEST_BUDGET", "lots")):
        with pytest.raises(ConfigError, match=name):
            check_settings(Settings({**settings.copy_to_dict(), name: value}))


# -- crawls ---------------------------------------------------------------------------------
def test_retry_after_pauses_that_host_and_no_other(scripted):
    throttled = "/status/503/1?retry_after=2"
    urls = ([{"url": scripted.url(throttled), "priority": 10}]
            + [{"url": scripted.url(f"/ok/0.05?same-host={i}")} for i in range(4)]
            + [{"url": scripted.url(f"/ok/0.3?other-host={i}", host="localhost")} for i in range(8)])
    stats, log = crawl_urls(urls, CONCURRENT_REQUESTS_PER_DOMAIN=1)

    first, retry = scripted.times(throttled)
    assert retry - first >= 1.95, f"retried after {retry - first:.2f} s despite Retry-After: 2"
    window = [a for a in scripted.arrivals if first < a.at < first + 1.95]
    assert not [a for a in window if a.host == "127.0.0.1"], "the paused host got requests"
    assert len([a for a in window if a.host == "localhost"]) >= 3, "the other host waited too"
    assert stats["test/fetched/200"] == len(urls)
    assert stats["newscrawl/retries/http_503"] == stats["newscrawl/retries/total"] == 1
    assert stats["newscrawl/backoff/host_pauses"] == 1
    assert "pausing 127.0.0.1 for 2.0 s (Retry-After)" in log


def test_failures_back_off_by_reason_and_give_up_with_the_url(scripted):
    # The slow answer comes long after the 0.5 s timeout, so that a crawler process slowed by
    # a busy machine still times out before any byte arrives (an answer that begins as the
    # timeout aborts the connection is a reset, not a timeout).
    urls = [{"url": scripted.url(path)} for path in
            ("/status/500/2", "/reset/1", "/truncate/1", "/slow/6/1", "/status/502/9")]
    stats, log = crawl_urls(urls, RETRY_TIMES=3, DOWNLOAD_TIMEOUT=0.5)

    assert stats["test/fetched/200"] == 4
    assert stats["test/failed/HttpError"] == 1
    retries = {k: v for k, v in stats.items() if k.startswith("newscrawl/retries/")}
    attempts = Counter(a.path for a in scripted.arrivals)
    for reason, count in (("http_500", 2), ("reset", 1), ("dataloss", 1), ("timeout", 1),
                          ("http_502", 3)):
        assert stats.get(f"newscrawl/retries/{reason}") == count, (reason, retries, attempts)
    assert stats["newscrawl/retries/total"] == 8
    assert stats["newscrawl/retries/gave_up"] == 1
    assert f"gave up on {scripted.url('/status/502/9')} after 4 failed attempts (last: http_502)" in log
    # Exponential backoff with jitter: 0.05-0.1 s, then 0.1-0.2 s, then 0.2-0.4 s.
    arrivals = scripted.times("/status/502/9")
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    for gap, floor in zip(gaps, (0.05, 0.1, 0.2), strict=True):
        assert gap >= floor, gaps


def test_full_crawl_of_a_faulty_replica_gets_every_article(tmp_path):
    faults = FaultProfile(rate=0.2, kinds=("500", "503", "429", "reset", "truncate"), seed=5)
    with ReplicaServer(ReplicaConfig(articles=300, seed=7, crawl_delay=0), faults=faults) as replica:
        # The replica asks for Retry-After: 1 s; capping it at 0.2 s keeps ~30 pauses quick.
        stats, _ = run_crawl("outlet", "scmp",
                             json.dumps({"base_url": replica.base_url, "data_dir": str(tmp_path),
                                         "pagination": "api"}),
                             json.dumps({"NEWSCRAWL_RETRY_BACKOFF_BASE": 0.2,
                                         "NEWSCRAWL_MAX_RETRY_AFTER": 0.2,
                                         "NEWSCRAWL_PROGRESS_INTERVAL": 0}))
        client = Client(replica.base_url)
        listed = {a["article_id"] for a in client.json("/__replica__/articles.json")["articles"]}
        injected = client.json("/__replica__/stats")["faults"]

    records = [json.loads(line) for line in
               (tmp_path / "scmp" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    got = Counter(r["article_id"] for r in records)
    assert listed - set(got) == set(), "articles missing after retries"
    assert all(n == 1 for n in got.values())
    assert {r["http_status"] for r in records} == {200}
    assert set(injected) == {"500", "503", "429", "reset", "truncate"}, injected

    retries = {k.rsplit("/", 1)[1]: v for k, v in stats.items()
               if k.startswith("newscrawl/retries/") and not k.endswith(("/total", "/gave_up"))}
    assert retries.keys() == {"http_500", "http_503", "http_429", "reset", "dataloss"}, retries
    for reason, fault in (("http_500", "500"), ("http_503", "503"), ("http_429", "429"),
                          ("dataloss", "truncate")):
        assert retries[reason] == injected[fault], (reason, retries, injected)
    # Every reset is retried by the polite middleware, counted (Twisted's pool used to resend
    # some by itself, uncounted and without backoff: issue 17, item 3).
    assert retries["reset"] == injected["reset"], (retries, injected)
    assert stats["newscrawl/retries/total"] == sum(retries.values())
    assert "newscrawl/retries/gave_up" not in stats
    pauses = injected["503"] + injected["429"]
    assert stats["newscrawl/backoff/host_pauses"] == pauses
    assert stats["newscrawl/backoff/retry_after_capped"] == pauses


def test_request_budget_closes_the_crawl(fresh_replica, tmp_path):
    stats, log = run_crawl("outlet", "scmp",
                           json.dumps({"base_url": fresh_replica.base_url,
                                       "data_dir": str(tmp_path)}),
                           json.dumps({"NEWSCRAWL_REQUEST_BUDGET": 25,
                                       "NEWSCRAWL_PROGRESS_INTERVAL": 0}))
    served = Client(fresh_replica.base_url).json("/__replica__/stats")["total"]
    assert stats["finish_reason"] == "request_budget"
    assert stats["newscrawl/requests/sent"] == stats["newscrawl/requests/budget"] == 25
    assert served <= 25
    assert "request budget of 25 spent" in log


def test_a_closing_crawl_does_not_wait_out_a_pause(scripted):
    urls = ([{"url": scripted.url("/status/429/5?retry_after=30"), "priority": 10}]
            + [{"url": scripted.url(f"/ok/0?queued={i}")} for i in range(3)])
    started = time.monotonic()
    stats, _ = crawl_urls(urls, CONCURRENT_REQUESTS_PER_DOMAIN=1, CLOSESPIDER_TIMEOUT=1)
    assert time.monotonic() - started < 15
    assert stats["finish_reason"] == "closespider_timeout"
    assert stats["newscrawl/backoff/dropped_on_close"] >= 3
    assert len(scripted.arrivals) == 1, "requests were sent to a paused host"
