"""Running crawls from the ``newscrawl`` command: options to settings, the checks that can fail
in one line before Scrapy starts, one Scrapy process, and a result to print. ``newscrawl demo``
adds a replica around it.

The crawl lock is taken inside the crawl (``newscrawl.extensions.archive``), so ``scrapy
crawl`` and Scrapyd hold it too; this module only looks first, to answer at once.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newscrawl.config import SPIDER_ARGUMENTS, ConfigError, CrawlConfig
from newscrawl.extensions.archive import IN_PROGRESS
from newscrawl.messages import mask_password
from newscrawl.runs.locks import RunLock

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from newscrawl.layout import DataDir

#: Finish reasons of a crawl that could not do its work, and what to tell the user.
FAILURES = {
    "robots_unavailable": "the site's robots.txt answered a server error or nothing, so it "
                          "was not crawled (RFC 9309); the next run asks again",
    "store_unavailable": "the archive failed (see the log); what was committed is kept and the "
                         "next run fetches the rest",
    "redis_unavailable": "Redis was lost; what was committed is kept and the next run "
                         "fetches the rest",
}
#: ``newscrawl crawl`` options and the settings they set.
OPTION_SETTINGS = {**SPIDER_ARGUMENTS, "warc": "NEWSCRAWL_WARC", "redis": "NEWSCRAWL_REDIS",
                   "store": "NEWSCRAWL_STORE"}


class CrawlError(Exception):
    """A crawl that cannot start; one line for the user and the exit code to use."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CrawlInProgress(CrawlError):
    """Another crawl of the outlet holds its lock: not an error, the next run catches up."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=0)


@dataclass
class CrawlResult:
    articles: int
    files: DataDir
    stats: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    base_url: str = ""
    expected: int | None = None
    store: str = ""  # a PostgreSQL archive (password masked), which keeps no journal
    log_file: Path | None = None  # where Scrapy's log went, when not to stderr
    health: list[str] = field(default_factory=list)  # the verdict on the run (newscrawl health)

    @property
    def failure(self) -> str | None:
        """Why the crawl did not do its work (its exit code is then 1), or None."""
        return FAILURES.get(str(self.stats.get("finish_reason")))

    @property
    def output(self) -> Path:
        """The journal the crawl appended to."""
        return self.files.journal

    def describe(self) -> str:
        lines = [self.summary, "",
                 f"crawled {self.base_url}: {self.articles} articles"
                 + (f" of the {self.expected} the replica lists" if self.expected is not None else "")]
        lines.append(f"articles (JSON Lines): {self.output.resolve()}")
        if self.log_file is not None:
            lines.append(f"the crawl's log:       {self.log_file.resolve()}")
        archive = self.files.archive
        if archive.exists():
            stored = {k.rsplit("/", 1)[1]: v for k, v in self.stats.items()
                      if k.startswith("newscrawl/stored/")}
            lines.append(f"archive (SQLite):      {archive.resolve()}  ({stored.get('new', 0)} new, "
                         f"{stored.get('revised', 0)} revised, {stored.get('unchanged', 0)} unchanged)")
            data_dir = self.files.root
            lines.append(f"explore it: newscrawl stats --data-dir {data_dir}; "
                         f"newscrawl search 'hong kong' --data-dir {data_dir}")
        if self.health:
            lines += ["", *self.health]
        return "\n".join(lines)


def project_settings(options: dict[str, Any], overrides: dict[str, Any] | None = None) -> Settings:
    """Project settings with command-line options applied at "cmdline" priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for option, value in options.items():
        if value not in (None, ""):
            settings.set(OPTION_SETTINGS[option], value, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def check_reachable(base_url: str, timeout: float = 10.0) -> None:
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise CrawlError(f"cannot reach {base_url}: {reason}") from None


def check_store(store: str | None, files: DataDir) -> None:
    """Open and close the archive once, so a bad one is a one-line error before crawling."""
    from newscrawl.store import StoreError, open_store

    try:
        open_store(store, files, journal=False).close()
    except StoreError as exc:
        raise CrawlError(str(exc)) from None


def check_settings(settings: Settings) -> None:
    """The component settings that can be nonsense, checked before Scrapy starts (the
    components would raise the same ``ConfigError`` inside Scrapy's start-up)."""
    from newscrawl.downloadermiddlewares.budget import request_budget
    from newscrawl.downloadermiddlewares.retry import RetryPolicy

    RetryPolicy.from_settings(settings)
    request_budget(settings)


def resolve_outlet(name: str | None, *, site: str | None = None, site_name: str | None = None,
                   outlets: str | None = None) -> str:
    """The name of the outlet a crawl command means, registered in this process: an entry of
    ``outlets`` (an ``outlets.toml``, named to the crawl's child processes too), a site no
    module describes (``site``, named ``site_name``, the positional ``name`` or its host), or a
    registered outlet. A bad file, URL or name is a ``CrawlError`` with exit code 2."""
    from newscrawl.outlets import OUTLETS_ENV, get_outlet, register
    from newscrawl.outlets.declared import NAME, OutletsFileError, load_outlets
    from newscrawl.outlets.site import site_name as name_of_site
    from newscrawl.outlets.site import site_outlet

    if outlets:
        path = str(Path(outlets).resolve())
        try:
            load_outlets(path)
        except OutletsFileError as exc:
            raise CrawlError(str(exc), exit_code=2) from None
        os.environ[OUTLETS_ENV] = path
    if not site:
        if site_name:
            raise CrawlError("--name names the outlet of --site; give --site too", exit_code=2)
        return name or "scmp"
    if name and site_name and name != site_name:
        raise CrawlError(f"--site's outlet is named twice ({name}, {site_name}): give one",
                         exit_code=2)
    parts = urlsplit(site)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlError(f"--site {site!r} is not an http(s) URL", exit_code=2)
    chosen = site_name or name or name_of_site(site)
    if not NAME.match(chosen) or chosen == "generic":
        raise CrawlError(f"--name {chosen!r}: an outlet name is a-z, 0-9 and _, starting with "
                         "a letter (not 'generic')", exit_code=2)
    try:
        get_outlet(chosen)
    except KeyError:
        pass
    else:
        raise CrawlError(f"outlet {chosen!r} is registered already; crawl it by name or give "
                         "--site another --name", exit_code=2)
    try:
        register(site_outlet(site, chosen))
    except ValueError as exc:  # its host is a registered outlet's
        raise CrawlError(f"--site {site}: {exc}; crawl that outlet by name", exit_code=2) \
            from None
    return chosen


def run_crawl(outlet_name: str, options: dict[str, Any],
              overrides: dict[str, Any] | None = None, *, terminal: bool = False,
              verbose: bool = False, health: bool = True) -> CrawlResult:
    """Crawl one outlet in this process (Scrapy's reactor runs once per process).

    ``health``: end the result with the verdict of ``newscrawl health`` on the run.

    ``terminal``: ``newscrawl crawl`` runs it. Scrapy's log then goes to
    ``<data-dir>/<outlet>/logs/crawl-<UTC time>.log`` (and, with ``verbose``, to stderr as
    well), and progress to stderr: one live line on a terminal, plain lines otherwise.
    """
    from newscrawl.outlets import get_outlet

    try:
        outlet = get_outlet(outlet_name)
    except KeyError as exc:
        raise CrawlError(str(exc.args[0]), exit_code=2) from None
    settings = project_settings(options, overrides)
    try:
        config = CrawlConfig.from_settings(outlet, settings)
        check_settings(settings)
    except ConfigError as exc:
        raise CrawlError(str(exc), exit_code=2) from None
    problem = config.data_dir.writable()
    if problem:  # the crawl would write nothing it fetched
        raise CrawlError(f"cannot write the data directory ({problem})")
    redis_url = settings.get("NEWSCRAWL_REDIS")
    if redis_url:
        from newscrawl.scheduler.shared import RedisUnavailable, check_redis

        try:
            check_redis(redis_url)
        except RedisUnavailable as exc:
            raise CrawlError(str(exc)) from None
    # Two crawls of one archive would walk the same listings and race on the same rows; the
    # second one has nothing to add. Workers of a shared frontier (--redis) run together.
    holder = None if redis_url else RunLock(config.data_dir.crawl_lock).holder()
    if holder is not None:
        raise CrawlInProgress(holder.describe())
    store = settings.get("NEWSCRAWL_STORE") or ""
    check_reachable(config.base_url)
    check_store(store or None, config.data_dir)

    from scrapy.crawler import CrawlerProcess

    from newscrawl.extensions.archive import ArchiveExtension, committed_articles
    from newscrawl.extensions.report import CrawlReport

    if terminal:
        log_file = _log_to_file(settings, config.data_dir, verbose=verbose)
    process = CrawlerProcess(settings)
    if terminal and verbose:
        _also_to_stderr(settings)
    from newscrawl.spiders import spider_class

    crawler = process.create_crawler(spider_class(outlet))
    process.crawl(crawler)
    process.start()

    stats = crawler.stats.get_stats() if crawler.stats else {}
    owner = crawler.get_extension(ArchiveExtension)
    if stats.get("finish_reason") == IN_PROGRESS and owner is not None and owner.refused:
        raise CrawlInProgress(owner.refused)
    if stats.get("finish_reason") == "store_unavailable" and owner is not None and owner.refused:
        raise CrawlError(owner.refused)  # the archive would not open: nothing was crawled
    report = crawler.get_extension(CrawlReport)
    from newscrawl.store import is_postgres_url

    # A PostgreSQL archive keeps no journal: the archive itself is the output.
    shown = mask_password(store) if is_postgres_url(store) else ""
    committed = committed_articles(stats)
    return CrawlResult(store=shown, articles=int(stats.get("item_scraped_count", 0))
                       if committed is None else committed,
                       files=config.data_dir, stats=stats,
                       summary=report.summary(stats.get("finish_reason", "?")) if report else "",
                       base_url=config.base_url, log_file=log_file if terminal else None,
                       health=health_lines(store or config.data_dir.archive, outlet.name)
                       if health else [])


def health_lines(archive: str | Path, outlet: str) -> list[str]:
    """The verdict of ``newscrawl health`` on the run just recorded, as it prints it; a crawl
    reports it and carries on, so a verdict that cannot be reached is one line saying why."""
    from newscrawl.health import assess_archive
    from newscrawl.messages import one_line

    try:
        return assess_archive(archive, outlet).lines()
    except Exception as exc:  # the verdict is a report: the crawl's result stands without it
        return [f"health {outlet}: not judged: {one_line(exc)}"]


def _log_to_file(settings: Settings, files: DataDir, *, verbose: bool) -> Path:
    """Scrapy's log into the outlet's logs/, progress to stderr (live on a terminal)."""
    import sys

    from newscrawl.extraction.dates import utc_now

    files.logs.mkdir(parents=True, exist_ok=True)
    path = files.logs / f"crawl-{utc_now().replace(':', '')}.log"
    settings.set("LOG_FILE", str(path), priority="cmdline")
    live = sys.stderr.isatty() and not verbose  # a live line and a log on stderr would mix
    if settings.getpriority("NEWSCRAWL_PROGRESS") in (None, 0, 20):
        settings.set("NEWSCRAWL_PROGRESS", "live" if live else "plain", priority="cmdline")
    return path


def _also_to_stderr(settings: Settings) -> None:
    """``-v``: the log on stderr too, at the crawl's level."""
    import logging
    import sys

    from scrapy.utils.log import get_scrapy_root_handler

    handler = logging.StreamHandler(sys.stderr)
    root = get_scrapy_root_handler()
    if root is not None:
        handler.setFormatter(root.formatter)
        handler.setLevel(root.level)
        for log_filter in root.filters:
            handler.addFilter(log_filter)
    logging.getLogger().addHandler(handler)


def run_demo(*, articles: int = 300, data_dir: str = "data/demo") -> CrawlResult:
    """Start a replica on a free loopback port and crawl all of it with the normal code path."""
    import json
    import urllib.request

    from newscrawl.layout import DataDir
    from newscrawl.replica import ReplicaConfig
    from newscrawl.replica.server import ReplicaServer

    files = DataDir.of(data_dir, "scmp")
    for path in (files.journal, files.rejects, files.archive):
        for suffix in ("", "-wal", "-shm"):  # the demo shows one fresh crawl
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    # A short Crawl-delay keeps the demo quick while the crawler still obeys robots.txt.
    with ReplicaServer(ReplicaConfig(articles=articles, crawl_delay=0.01)) as replica:
        with urllib.request.urlopen(replica.base_url + "/__replica__/articles.json") as resp:
            expected = json.load(resp)["count"]
        result = run_crawl("scmp", {"base_url": replica.base_url, "data_dir": data_dir},
                           {"NEWSCRAWL_PROGRESS_INTERVAL": 5}, terminal=True)
    result.expected = expected
    return result
