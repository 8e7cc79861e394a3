"""Running crawls from the ``newscrawl`` command: options to settings, a reachability check,
one Scrapy process under the outlet's crawl lock, and a result to print. ``newscrawl demo``
adds a replica around it."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newscrawl.config import ConfigError, CrawlConfig
from newscrawl.schedule import LockHolder, RunLock

OPTION_SETTINGS = {
    "base_url": "NEWSCRAWL_BASE_URL", "sections": "NEWSCRAWL_SECTIONS", "days": "NEWSCRAWL_DAYS",
    "since": "NEWSCRAWL_SINCE", "max_articles": "NEWSCRAWL_MAX_ARTICLES",
    "data_dir": "NEWSCRAWL_DATA_DIR", "pagination": "NEWSCRAWL_SECTION_PAGINATION",
    "urls": "NEWSCRAWL_URLS", "full": "NEWSCRAWL_FULL", "warc": "NEWSCRAWL_WARC",
    "redis": "NEWSCRAWL_REDIS", "store": "NEWSCRAWL_STORE",
}


class CrawlError(Exception):
    """A crawl that cannot start; one line for the user and the exit code to use."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CrawlInProgress(CrawlError):
    """Another crawl of the outlet holds its lock: not an error, the next run catches up."""

    def __init__(self, holder: LockHolder) -> None:
        super().__init__(holder.describe(), exit_code=0)
        self.holder = holder


def crawl_lock_path(data_dir: str | os.PathLike[str], outlet: str) -> Path:
    """The lock every crawl of ``outlet`` into ``data_dir`` holds while it runs."""
    return Path(data_dir) / outlet / "crawl.lock"


@dataclass
class CrawlResult:
    articles: int
    output: Path
    stats: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    base_url: str = ""
    expected: int | None = None
    store: str = ""  # a PostgreSQL archive (password masked), which keeps no journal

    def describe(self) -> str:
        lines = [self.summary, "",
                 f"crawled {self.base_url}: {self.articles} articles"
                 + (f" of the {self.expected} the replica lists" if self.expected is not None else "")]
        lines.append(f"articles (JSON Lines): {self.output.resolve()}")
        archive = self.output.with_name("archive.sqlite")
        if archive.exists():
            stored = {k.rsplit("/", 1)[1]: v for k, v in self.stats.items()
                      if k.startswith("newscrawl/stored/")}
            lines.append(f"archive (SQLite):      {archive.resolve()}  ({stored.get('new', 0)} new, "
                         f"{stored.get('revised', 0)} revised, {stored.get('unchanged', 0)} unchanged)")
            data_dir = self.output.parent.parent
            lines.append(f"explore it: newscrawl stats --data-dir {data_dir}; "
                         f"newscrawl search 'hong kong' --data-dir {data_dir}")
        return "\n".join(lines)


def project_settings(options: dict[str, Any], overrides: dict[str, Any] | None = None):
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


def check_store(store: str | None, outlet: str, data_dir: str) -> None:
    """Open and close the archive once, so a bad one is a one-line error before crawling."""
    from newscrawl.store import StoreError, open_store

    try:
        open_store(store, outlet, data_dir, journal=False).close()
    except StoreError as exc:
        raise CrawlError(str(exc)) from None


def run_crawl(outlet_name: str, options: dict[str, Any],
              overrides: dict[str, Any] | None = None) -> CrawlResult:
    """Crawl one outlet in this process (Scrapy's reactor runs once per process)."""
    from newscrawl.outlets import get_outlet

    try:
        outlet = get_outlet(outlet_name)
    except KeyError as exc:
        raise CrawlError(str(exc.args[0]), exit_code=2) from None
    settings = project_settings(options, overrides)
    from newscrawl.retry import check_settings

    try:
        config = CrawlConfig.from_settings(outlet, settings)
        check_settings(settings)
    except ConfigError as exc:
        raise CrawlError(str(exc), exit_code=2) from None
    redis_url = settings.get("NEWSCRAWL_REDIS")
    if redis_url:
        from newscrawl.distributed import RedisUnavailable, check_redis

        try:
            check_redis(redis_url)
        except RedisUnavailable as exc:
            raise CrawlError(str(exc)) from None
    # Two crawls of one archive would walk the same listings and race on the same rows; the
    # second one has nothing to add, so it stops here (the kernel drops the lock if we die).
    # Workers of a shared frontier (--redis) are meant to run together: Redis coordinates them.
    lock = RunLock(crawl_lock_path(config.data_dir, outlet.name))
    if not redis_url and not lock.acquire():
        from newscrawl.crawl_loop import lock_holder

        raise CrawlInProgress(lock_holder(lock))
    store = settings.get("NEWSCRAWL_STORE") or ""
    try:
        check_reachable(config.base_url)
        check_store(store or None, outlet.name, config.data_dir)

        from scrapy.crawler import CrawlerProcess

        process = CrawlerProcess(settings)
        crawler = process.create_crawler(outlet.name)
        process.crawl(crawler)
        process.start()
    finally:
        lock.release()

    from newscrawl.extensions import CrawlReport

    stats = crawler.stats.get_stats() if crawler.stats else {}
    report = next((ext for ext in crawler.extensions.middlewares
                   if isinstance(ext, CrawlReport)), None)
    output = Path(config.data_dir) / outlet.name / "articles.jsonl"
    from newscrawl.store import is_postgres_url, mask_password

    # A PostgreSQL archive keeps no journal: the archive itself is the output.
    shown = mask_password(store) if is_postgres_url(store) else ""
    return CrawlResult(store=shown, articles=int(stats.get("item_scraped_count", 0)), output=output,
                       stats=stats, summary=report.summary(stats.get("finish_reason", "?"))
                       if report else "", base_url=config.base_url)


def run_demo(*, articles: int = 300, data_dir: str = "data/demo") -> CrawlResult:
    """Start a replica on a free loopback port and crawl all of it with the normal code path."""
    import json
    import urllib.request

    from newscrawl.replica import ReplicaConfig
    from newscrawl.replica.server import ReplicaServer

    outlet_dir = Path(data_dir) / "scmp"
    for name in ("articles.jsonl", "rejects.jsonl", "archive.sqlite", "archive.sqlite-wal",
                 "archive.sqlite-shm"):
        (outlet_dir / name).unlink(missing_ok=True)  # the demo shows one fresh crawl
    # A short Crawl-delay keeps the demo quick while the crawler still obeys robots.txt.
    with ReplicaServer(ReplicaConfig(articles=articles, crawl_delay=0.01)) as replica:
        with urllib.request.urlopen(replica.base_url + "/__replica__/articles.json") as resp:
            expected = json.load(resp)["count"]
        result = run_crawl("scmp", {"base_url": replica.base_url, "data_dir": data_dir},
                           {"NEWSCRAWL_PROGRESS_INTERVAL": 5, "LOG_LEVEL": "WARNING"})
    result.expected = expected
    return result
