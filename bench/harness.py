"""What the benchmark scripts in bench/ share: the replica process, loopback-only HTTP, readings
from /proc, worker processes that print JSON, py-spy profiles, the settings of a benchmark crawl,
and two small Scrapy components that benchmarks plug into a crawl (a clock for the article-fetch
phase, a filter that drops article pages).

Nothing here is imported by newscrawl itself. Scripts import it as ``harness`` (bench/ is the
script's directory, so it is on ``sys.path``); crawl processes started by those scripts load
the Scrapy components by the same name.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
for _path in (str(ROOT), str(BENCH)):  # the project and this module, in every worker too
    if _path not in sys.path:
        sys.path.insert(0, _path)

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
URL_LINE = re.compile(r"at (http://127\.0\.0\.1:\d+)/")
NOISY_LOAD = 0.15  # other processes using more than this share of a core make a run noisy


# -- the machine ----------------------------------------------------------------------------
def add_crawl_options(p: Any, rounds_of: str) -> None:
    """The options every crawl benchmark of the same pages shares (crawl_speed.py, peers.py):
    2,000 pages of a 20,000-article replica, two rounds, concurrency 16."""
    p.add_argument("--pages", type=int, default=2000, help="article pages per crawl (2000)")
    p.add_argument("--articles", type=int, default=20000, help="replica size (20000)")
    p.add_argument("--rounds", type=int, default=2, help=f"rounds of {rounds_of} (2)")
    p.add_argument("--concurrency", type=int, default=16,
                   help="CONCURRENT_REQUESTS and _PER_DOMAIN for every variant (16)")


def require_libraries(script: str, modules: dict[str, str], install: str) -> None:
    """Exit 2 with one line naming the missing packages when a comparison library (module ->
    its PyPI package) cannot be imported (their import-time UserWarnings, such as newspaper's
    "nltk is not installed", silenced)."""
    import warnings

    missing = []
    for module, package in modules.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        print(f"{script}: missing {', '.join(missing)}: {install}", file=sys.stderr)
        raise SystemExit(2)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_line() -> str:
    """One line naming the machine and the software that matters to the figures."""
    import scrapy
    import twisted

    return (f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
            f"Scrapy {scrapy.__version__}, Twisted {twisted.__version__}")


def machine_and_date() -> str:
    """The machine line and today's date (UTC): how the scripts' summary lines end."""
    return f"{machine_line()}, {datetime.now(UTC):%Y-%m-%d}"


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_with_children() -> float:
    """This process's CPU and that of its children that ended (a newscrawl parse process)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return cpu_self() + usage.ru_utime + usage.ru_stime


def children_cpu_and_peak() -> tuple[float, int]:
    """CPU seconds and peak RSS (bytes, summed) of this process's descendants, such as the
    parse process of a newscrawl crawl (newscrawl/spiders/parsing.py); 0 for a gone one."""
    cpu, peak = 0.0, 0
    for pid in proc_children(os.getpid()):
        try:
            cpu += proc_cpu_seconds(pid)
            peak += proc_memory(pid).get("VmHWM", 0)
        except OSError:
            continue
    return cpu, peak


def peak_rss_self() -> int:
    """This process's peak resident set size in bytes (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat (resolution 1/CLK_TCK s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process in bytes, from /proc/<pid>/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value = line.split(":", 1)
            out[name] = int(value.split()[0]) * 1024
    return out


def proc_children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (children, grandchildren, ...), from /proc."""
    found: list[int] = []
    todo = [pid]
    for _ in range(10_000):  # bound: processes visited
        if not todo:
            break
        parent = todo.pop()
        try:
            for task in Path(f"/proc/{parent}/task").iterdir():
                text = (task / "children").read_text().split()
                kids = [int(k) for k in text]
                found.extend(kids)
                todo.extend(kids)
        except OSError:
            continue
    return found


def rss_sum(pids: Sequence[int]) -> int:
    """Resident memory of these processes together, in bytes (a process gone counts 0)."""
    total = 0
    for p in pids:
        try:
            total += proc_memory(p).get("VmRSS", 0)
        except OSError:
            continue
    return total


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (0 when gone)."""
    return rss_sum((pid, *proc_children(pid)))


def system_busy_seconds() -> float:
    """CPU seconds all processes have used (all cores), from the first line of /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def other_load(busy0: float, t0: float, own_cpu: float) -> float:
    """The share of a core that the rest of the machine (other processes, the kernel) used since
    ``busy0 = system_busy_seconds()`` at ``t0 = time.perf_counter()``: all CPU time less
    ``own_cpu``, the seconds of the processes measured. Above NOISY_LOAD, a run is noisy."""
    other = system_busy_seconds() - busy0 - own_cpu
    return max(other, 0.0) / (time.perf_counter() - t0)


def mb(n: float) -> str:
    return f"{n / 1e6:.0f} MB"


# -- loopback HTTP ----------------------------------------------------------------------------
def http_get(url: str, timeout: float = 60.0, data: bytes | None = None) -> bytes:
    """GET (or POST when ``data`` is given) a URL on 127.0.0.1; any other host is refused."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"refusing non-loopback URL {url!r}")
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        return resp.read()


def get_json(base: str, path: str, *, post: bool = False, timeout: float = 120.0) -> Any:
    return json.loads(http_get(base + path, timeout=timeout, data=b"" if post else None))


# -- the replica in its own process -------------------------------------------------------------
class ReplicaProcess:
    """``python -m newscrawl.cli replica`` in a subprocess on a free port; ``close`` kills it."""

    def __init__(self, articles: int, *, seed: int = 1, extra: Sequence[str] = ()) -> None:
        self.articles = articles
        self.stderr = tempfile.TemporaryFile()
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newscrawl.cli", "replica", "--host", "127.0.0.1",
             "--port", "0", "--articles", str(articles), "--seed", str(seed),
             "--crawl-delay", "0", *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.base = ""
        self.t_url = self.t_ready = 0.0  # seconds from spawn to the URL line, to the first answer

    def __enter__(self) -> ReplicaProcess:
        try:
            self.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_ready(self, time_limit: float = 30.0, probe: str = "/__replica__/clock") -> None:
        """Read the URL from stdout, then poll ``probe`` (a path) until it answers."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + time_limit
        line = ""
        for _ in range(1000):  # bound: lines read
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None:
                break
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if not ready:
                break
            line = self.proc.stdout.readline()
            if URL_LINE.search(line) or not line:
                break
        match = URL_LINE.search(line)
        if not match:
            raise RuntimeError(f"replica did not print its URL: {line!r} {self.error_text()}")
        self.base = match.group(1)
        self.t_url = time.perf_counter() - self.t_spawn
        for _ in range(3000):  # bound: attempts, every 10 ms
            if time.monotonic() > deadline or self.proc.poll() is not None:
                break
            try:
                http_get(self.base + probe, timeout=5)
            except (urllib.error.URLError, OSError):
                time.sleep(0.01)
                continue
            self.t_ready = time.perf_counter() - self.t_spawn
            return
        raise RuntimeError(f"replica never answered {probe}: {self.error_text()}")

    def error_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-3000:].decode("utf-8", "replace")

    def cpu(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def get_json(self, path: str, *, post: bool = False, timeout: float = 120.0) -> Any:
        return get_json(self.base, path, post=post, timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr.close()


def article_urls(base: str, *, kinds: str = "article,opinion") -> list[str]:
    listing = get_json(base, f"/__replica__/articles.json?kinds={kinds}")
    return [a["url"] for a in listing["articles"] if a["url"].startswith("http://127.0.0.1:")]


# -- worker processes ----------------------------------------------------------------------------
class Worker:
    """A benchmark script run again in a child process (``script MODE ARGS``) that prints its
    result as JSON on the last stdout line. Killed, with its children, on ``close``."""

    def __init__(self, script: Path, mode: str, args: Sequence[str], *, time_limit: float,
                 what: str) -> None:
        self.what = what
        self.time_limit = time_limit
        self.stdout = tempfile.TemporaryFile()
        self.stderr = tempfile.TemporaryFile()
        self.t0 = time.monotonic()
        # A session of its own: close() can end the worker and whatever it started (Chromium).
        self.proc = subprocess.Popen([sys.executable, str(script), mode, *args], cwd=ROOT,
                                     stdout=self.stdout, stderr=self.stderr,
                                     start_new_session=True)
        self.pid = self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def overdue(self) -> bool:
        return time.monotonic() - self.t0 > self.time_limit

    def wait(self) -> dict[str, Any]:
        """Wait (bounded by the time limit), then return the worker's JSON."""
        try:
            self.proc.wait(max(self.time_limit - (time.monotonic() - self.t0), 1))
        except subprocess.TimeoutExpired:
            self.close()
            sys.stderr.write(f"{self.what} did not finish within {self.time_limit:.0f} s\n")
            raise SystemExit(2) from None
        return self.result()

    def result(self) -> dict[str, Any]:
        self.stdout.seek(0)
        self.stderr.seek(0)
        out = self.stdout.read().decode("utf-8", "replace")
        err = self.stderr.read().decode("utf-8", "replace")
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if self.proc.returncode != 0 or not lines:
            sys.stderr.write(f"{self.what} failed (exit {self.proc.returncode})\n{out[-2000:]}\n"
                             f"{err[-4000:]}\n")
            raise SystemExit(2)
        return json.loads(lines[-1])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        self.stdout.close()
        self.stderr.close()


def run_worker(script: Path, mode: str, args: Sequence[str], *, time_limit: float,
               what: str) -> dict[str, Any]:
    worker = Worker(script, mode, args, time_limit=time_limit, what=what)
    try:
        return worker.wait()
    finally:
        worker.close()


# -- profiles -------------------------------------------------------------------------------------
def py_spy_path() -> str | None:
    candidate = Path(sys.executable).with_name("py-spy")
    if candidate.exists():
        return str(candidate)
    from shutil import which

    return which("py-spy")


class PySpy:
    """``py-spy record`` attached to a running process, writing collapsed stacks (``raw``
    format: one line per stack and its sample count, readable by flamegraph.pl and speedscope).
    It stops by itself when the process ends. Only samples on CPU are kept (no ``--idle``)."""

    def __init__(self, pid: int, out_prefix: Path, *, rate: int = 100) -> None:
        exe = py_spy_path()
        if exe is None:
            raise SystemExit("--profile needs py-spy: pip install py-spy")
        self.raw = out_prefix.with_suffix(".txt")
        cmd = [exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
               "-o", str(self.raw), "--nonblocking"]
        self.procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]

    def wait(self, timeout: float = 60.0) -> None:
        for proc in self.procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)

    def table(self, top: int = 25) -> str:
        return summarize_collapsed(self.raw, top) if self.raw.exists() else "(no profile written)"


def _frame_name(frame: str) -> str:
    # py-spy frames read "function (path/to/file.py:123)"; keep function and short path.
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    func, path = match.groups()
    for marker in ("site-packages/", "/newscrawl/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/newscrawl/":
                path = "newscrawl/" + path
            break
    return f"{func} ({path})"


def summarize_collapsed(path: Path, top: int = 25) -> str:
    """Self and inclusive shares of the samples per function, from py-spy's raw output."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))] or frames
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    if not total:
        return "(no samples)"
    lines = [f"samples on CPU: {total} (100 per second of CPU time)",
             "self%  incl%  function"]
    for name, count in own.most_common(top):
        lines.append(f"{100 * count / total:5.1f}  {100 * inclusive[name] / total:5.1f}  {name}")
    lines.append("")
    lines.append("inclusive (top, outside the reactor loop):")
    skip = ("<module>", "run (", "start (", "run_forever", "_run_once", "_run (", "main (",
            "runctx", "run_crawl", "_newscrawl_worker", "crawl_worker", "<lambda>")
    shown = 0
    for name, count in inclusive.most_common(200):
        if name.startswith(skip) or name in ("<module> (<string>)",):
            continue
        lines.append(f"       {100 * count / total:5.1f}  {name}")
        shown += 1
        if shown >= top:
            break
    return "\n".join(lines)


# -- crawl settings ---------------------------------------------------------------------------
def crawl_settings(concurrency: int, time_limit: float) -> dict[str, Any]:
    """What every benchmark crawl runs with: no delays (AutoThrottle off, no download delay),
    ``concurrency`` requests in flight in all and per domain, warnings only, and a time bound."""
    return {
        "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "LOG_LEVEL": "WARNING",
        "CLOSESPIDER_TIMEOUT": time_limit,  # bound: the crawl stops after this many seconds
    }


# -- Scrapy components benchmarks plug into a crawl -------------------------------------------
def _is_article_url(url: str) -> bool:
    return "/article/" in url


class ArticlePhaseClock:
    """A Scrapy extension that times the article-fetch phase of a crawl.

    The phase runs from the first article request that reaches the downloader to the last
    article response or item, whichever is later. Requests count as article pages when their
    URL matches the ``BENCH_PHASE_PATTERN`` setting (a regular expression; by default any URL
    with ``/article/`` in it). At the end it writes its figures, as JSON, to the file named by
    the ``BENCH_PHASE_FILE`` setting; ``marks`` are ``time.perf_counter()`` readings.
    """

    def __init__(self, crawler: Crawler, path: str, pattern: str) -> None:
        from scrapy import signals

        self.crawler = crawler
        self.path = path
        self.pattern = re.compile(pattern)
        self.marks: dict[str, float] = {}
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        for handler, sig in ((self.reached, signals.request_reached_downloader),
                             (self.received, signals.response_received),
                             (self.item, signals.item_scraped), (self.item, signals.item_dropped),
                             (self.failed, signals.spider_error), (self.closed, signals.spider_closed),
                             (self.opened, signals.spider_opened)):
            crawler.signals.connect(handler, signal=sig)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticlePhaseClock:
        from scrapy.exceptions import NotConfigured

        path = crawler.settings.get("BENCH_PHASE_FILE")
        if not path:
            raise NotConfigured("BENCH_PHASE_FILE is not set")
        return cls(crawler, path, crawler.settings.get("BENCH_PHASE_PATTERN") or "/article/")

    def _mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter()
        self.marks[name + "_cpu"] = cpu_self()

    def opened(self, spider: Any) -> None:
        self._mark("opened")

    def reached(self, request: Request, spider: Any) -> None:
        if self.pattern.search(request.url):
            self.counts["requests"] += 1
            if "first" not in self.marks:
                self._mark("first")
                self.marks["first_children_cpu"] = children_cpu_and_peak()[0]

    def received(self, response: Response, request: Request, spider: Any) -> None:
        if self.pattern.search(request.url):
            self.counts["responses"] += 1
            self.statuses[str(response.status)] += 1
            if "first_response" not in self.marks:
                self._mark("first_response")
            self._mark("last")
        else:
            self.counts["other_responses"] += 1

    def item(self, item: Any, spider: Any, **_: Any) -> None:
        self.counts["items"] += 1
        self._mark("last")

    def failed(self, failure: Any, response: Response, spider: Any) -> None:
        self.counts["callback_errors"] += 1

    def closed(self, spider: Any, reason: str) -> None:
        # Child processes (newscrawl's parse process) are read now, before their spider_closed
        # handler ends them (connected after this one): idle since the last page, so their CPU
        # now is their CPU at the last page.
        children_cpu, children_peak = children_cpu_and_peak()
        self._mark("closed")
        first, last = self.marks.get("first", 0.0), self.marks.get("last", 0.0)
        own_cpu = max(self.marks.get("last_cpu", 0.0) - self.marks.get("first_cpu", 0.0), 0.0)
        Path(self.path).write_text(json.dumps({
            "reason": reason, "counts": dict(self.counts), "statuses": dict(self.statuses),
            "phase_s": max(last - first, 0.0),
            # The crawl's CPU over the phase, its child processes' included.
            "phase_cpu_s": own_cpu + max(children_cpu - self.marks.get("first_children_cpu", 0.0),
                                         0.0),
            "phase_children_cpu_s": children_cpu - self.marks.get("first_children_cpu", 0.0),
            "children_peak_rss": children_peak,
            "open_to_first_s": first - self.marks.get("opened", first),
            "open_to_close_s": self.marks["closed"] - self.marks.get("opened", self.marks["closed"]),
            "marks": self.marks, "peak_rss": peak_rss_self(),
        }))


class SkipArticlePages:
    """A downloader middleware that drops every article-page request (``IgnoreRequest``), so
    a crawl walks listings only. Counts them as ``bench/skipped_article_pages`` and keeps the
    ``time.perf_counter()`` of the first and last as ``bench/first_skip`` and ``bench/last_skip``
    (CLOCK_MONOTONIC on Linux: comparable between processes), and this process's CPU seconds at
    the last as ``bench/last_skip_cpu``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipArticlePages:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        from scrapy.exceptions import IgnoreRequest

        if _is_article_url(request.url):
            stats = self.crawler.stats
            assert stats is not None
            now = time.perf_counter()
            stats.inc_value("bench/skipped_article_pages")
            stats.set_value("bench/first_skip", stats.get_value("bench/first_skip", now))
            stats.set_value("bench/last_skip", now)
            stats.set_value("bench/last_skip_cpu", cpu_self())
            raise IgnoreRequest("bench: listings only")
        return None


def write_lines(path: Path, lines: Sequence[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
