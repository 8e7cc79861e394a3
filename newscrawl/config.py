"""``NEWSCRAWL_*`` settings parsed once into a typed config, and the readers every component
uses for its own settings.

Nonsense (an unknown section, a date in the wrong format, a negative limit) is rejected here
with a one-line ``ConfigError``, before any request is made. Defaults are never written here:
``setting`` falls back on ``newscrawl/settings.py``, the only place they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from newscrawl import settings as project_defaults
from newscrawl.extraction.dates import parse_utc
from newscrawl.layout import DataDir

if TYPE_CHECKING:
    from newscrawl.outlets.spec import Outlet

PAGINATION_MODES = ("auto", "api", "browser")
DISCOVERY_SOURCES = ("sections", "feeds", "sitemaps")
EVERY_RUN = " (every run)"  # what 0 means for an interval of site time
_DEFAULT_PORT = {"http": 80, "https": 443}
#: Spider arguments (``scrapy crawl scmp -a data_dir=X``) and the settings they stand for.
SPIDER_ARGUMENTS = {
    "base_url": "NEWSCRAWL_BASE_URL", "sections": "NEWSCRAWL_SECTIONS", "days": "NEWSCRAWL_DAYS",
    "since": "NEWSCRAWL_SINCE", "max_articles": "NEWSCRAWL_MAX_ARTICLES",
    "data_dir": "NEWSCRAWL_DATA_DIR", "pagination": "NEWSCRAWL_SECTION_PAGINATION",
    "urls": "NEWSCRAWL_URLS", "full": "NEWSCRAWL_FULL", "discovery": "NEWSCRAWL_DISCOVERY",
}


class FromCrawler:
    """A Scrapy component whose constructor takes the crawler and nothing else (Scrapy calls
    ``from_crawler`` when a class has one, else the constructor with no arguments)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        return cls(crawler)


class ConfigError(ValueError):
    """A crawl option that makes no sense; the message is one line for the user."""


def setting(settings: Any, name: str) -> Any:
    """A setting's value, or its default from ``newscrawl/settings.py`` when ``settings``
    lack it (a crawler built with Scrapy's defaults alone, as tests and embedders make)."""
    value = settings.get(name) if settings is not None else None
    return getattr(project_defaults, name) if value is None else value


def number(settings: Any, name: str, *, zero_ok: bool = True, whole: bool = False,
           zero_means: str = "") -> float:
    """A numeric setting, checked: not negative (nor zero unless ``zero_ok``; ``zero_means``
    says what 0 does), a whole number when ``whole``; else a one-line ConfigError naming it."""
    raw = setting(settings, name)
    kind = "a whole number" if whole else "a number"
    try:
        value = float(raw if raw not in (None, "") else getattr(project_defaults, name))
    except (TypeError, ValueError):
        raise ConfigError(f"{name} {raw!r} is not {kind}") from None
    if whole and not value.is_integer():
        raise ConfigError(f"{name} {raw!r} is not {kind}")
    if not value >= 0 or (value == 0 and not zero_ok):
        wanted = f"0{zero_means} or more" if zero_ok else "positive"
        raise ConfigError(f"{name} must be {wanted}, not {raw}")
    return value


def flag(settings: Any, name: str) -> bool:
    """A yes/no setting given as a bool or as text ("1", "true", "yes", "on")."""
    value = setting(settings, name)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def names(settings: Any, name: str) -> tuple[str, ...]:
    """A comma-separated (or list) setting as stripped, non-empty names."""
    value = setting(settings, name) or ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(item.strip() for item in value if str(item).strip())


@dataclass(frozen=True)
class CrawlConfig:
    outlet: str
    base_url: str
    sections: tuple[str, ...]
    since: datetime | None  # the horizon: articles published before it are not wanted
    max_articles: int | None
    data_dir: DataDir
    pagination: str
    urls: tuple[str, ...] = ()  # article pages to fetch as given, besides the sections
    full: bool = False  # walk every listing to the horizon again, not only what is new
    discovery: tuple[str, ...] = DISCOVERY_SOURCES  # where article URLs come from
    revisit_factor: float = 2.0  # check a stored story after this times its quiet time ...
    revisit_min_hours: float = 48.0  # ... but not more often than this
    revisit_max_days: float = 365.0  # ... and at least this often
    failed_give_up_days: float = 7.0  # failed stories are asked for again this long
    sections_chosen: bool = False  # --sections given: feeds and sitemaps keep only their URLs
    # Incremental runs with a news sitemap: the section walk and the sitemap index (with the
    # monthly files it says changed) wait until this much site time passed since they were
    # last fetched, unless the news sitemap leaves a gap (0: every run).
    sections_every_hours: float = 24.0
    sitemap_index_every_hours: float = 4.0
    #: Where this crawl may send requests: the outlet's domains (any port, and their
    #: subdomains) and the base URL's host and port (a replica or a mirror).
    domains: tuple[str, ...] = ()

    def offsite(self, url: str) -> str | None:
        """Why this crawl must not request ``url`` (``not_http``, ``offsite``), or None."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return "not_http"
        try:
            host, port = (parts.hostname or "").rstrip("."), parts.port
        except ValueError:  # a port out of range
            return "offsite"
        base = urlsplit(self.base_url)
        if host == base.hostname and (port or _DEFAULT_PORT[parts.scheme]) == \
                (base.port or _DEFAULT_PORT[base.scheme]):
            return None
        if any(host == domain or host.endswith("." + domain) for domain in self.domains):
            return None
        return "offsite"

    @classmethod
    def from_settings(cls, outlet: Outlet, settings: Any,
                      now: datetime | None = None) -> CrawlConfig:
        """Read the ``NEWSCRAWL_*`` settings of a crawl of ``outlet``."""
        base_url = _base_url(outlet, settings)
        sections, chosen = _sections(outlet, settings)
        config = cls(
            outlet=outlet.name, base_url=base_url, sections=sections,
            since=_horizon(settings, now or datetime.now(UTC)), max_articles=_limit(settings),
            data_dir=DataDir.from_settings(settings, outlet.name),
            pagination=_pagination(settings), urls=_urls(settings, base_url),
            full=flag(settings, "NEWSCRAWL_FULL"), discovery=_discovery(settings),
            revisit_factor=number(settings, "NEWSCRAWL_REVISIT_FACTOR", zero_ok=False),
            revisit_min_hours=number(settings, "NEWSCRAWL_REVISIT_MIN_HOURS", zero_ok=False),
            revisit_max_days=number(settings, "NEWSCRAWL_REVISIT_MAX_DAYS", zero_ok=False),
            failed_give_up_days=number(settings, "NEWSCRAWL_FAILED_GIVE_UP_DAYS"),
            sections_chosen=chosen, domains=tuple(d.lower() for d in outlet.domains),
            sections_every_hours=number(settings, "NEWSCRAWL_SECTIONS_EVERY_HOURS",
                                        zero_means=EVERY_RUN),
            sitemap_index_every_hours=number(settings, "NEWSCRAWL_SITEMAP_INDEX_EVERY_HOURS",
                                             zero_means=EVERY_RUN))
        for url in config.urls:
            if config.offsite(url):
                raise ConfigError(f"--urls: {url} is not on {outlet.name}'s hosts "
                                  f"({', '.join(outlet.domains)}) or the base URL's")
        return config

    def describe(self) -> dict[str, Any]:
        """The config as JSON values, as a run's ``arguments`` keep it."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["data_dir"] = str(self.data_dir.root)
        return values


def _base_url(outlet: Outlet, settings: Any) -> str:
    base_url = str(setting(settings, "NEWSCRAWL_BASE_URL") or outlet.base_url).rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL {base_url!r} is not an http(s) URL")
    return base_url


def _sections(outlet: Outlet, settings: Any) -> tuple[tuple[str, ...], bool]:
    """The sections to walk, and whether they were chosen (not the outlet's defaults)."""
    chosen = tuple(s.strip("/") for s in names(settings, "NEWSCRAWL_SECTIONS"))
    # A site no module describes has the sections its pages link to: any path may be one.
    unknown = [s for s in chosen if s not in outlet.all_sections and outlet.discovery is None]
    if unknown:
        raise ConfigError(f"unknown section {unknown[0]!r} for {outlet.name}; "
                          f"known: {', '.join(outlet.all_sections)}")
    return chosen or outlet.sections, bool(chosen)


def _horizon(settings: Any, now: datetime) -> datetime | None:
    days, since = setting(settings, "NEWSCRAWL_DAYS"), setting(settings, "NEWSCRAWL_SINCE")
    if days not in (None, "") and since not in (None, ""):
        raise ConfigError("give --days or --since, not both")
    if since not in (None, ""):
        return parse_since(str(since))
    if days in (None, ""):
        return None
    try:
        n_days = float(days)
    except (TypeError, ValueError):
        raise ConfigError(f"--days {days!r} is not a number") from None
    if not n_days > 0:
        raise ConfigError(f"--days must be positive, not {days}")
    return now - timedelta(days=n_days)


def _limit(settings: Any) -> int | None:
    raw = setting(settings, "NEWSCRAWL_MAX_ARTICLES")
    if raw in (None, ""):
        return None
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"--max-articles {raw!r} is not a whole number") from None
    if limit < 1:
        raise ConfigError(f"--max-articles must be at least 1, not {limit}")
    return limit


def _pagination(settings: Any) -> str:
    mode = str(setting(settings, "NEWSCRAWL_SECTION_PAGINATION") or "").lower()
    if mode not in PAGINATION_MODES:
        raise ConfigError(f"NEWSCRAWL_SECTION_PAGINATION must be one of "
                          f"{', '.join(PAGINATION_MODES)}, not {mode!r}")
    return mode


def _urls(settings: Any, base_url: str) -> tuple[str, ...]:
    urls = []
    for url in names(settings, "NEWSCRAWL_URLS"):
        if url.startswith("/"):
            url = base_url + url
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"--urls: {url!r} is not an http(s) URL or a /path")
        urls.append(url)
    return tuple(urls)


def _discovery(settings: Any) -> tuple[str, ...]:
    discovery = names(settings, "NEWSCRAWL_DISCOVERY")
    bad = [x for x in discovery if x not in DISCOVERY_SOURCES]
    if bad or not discovery:
        raise ConfigError(f"NEWSCRAWL_DISCOVERY must name some of "
                          f"{', '.join(DISCOVERY_SOURCES)}, not {','.join(discovery)!r}")
    return discovery


def parse_since(text: str) -> datetime:
    when = parse_utc(text)
    if when is None:
        raise ConfigError(f"--since {text!r} is not a date like 2026-05-01")
    return when
