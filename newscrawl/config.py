"""``NEWSCRAWL_*`` settings and spider arguments, parsed once into a typed config.

Nonsense (an unknown section, a date in the wrong format, a negative limit) is rejected here
with a one-line message, before any request is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from newscrawl.outlets.spec import Outlet

PAGINATION_MODES = ("auto", "api", "browser")
DISCOVERY_SOURCES = ("sections", "feeds", "sitemaps")


class ConfigError(ValueError):
    """A crawl option that makes no sense; the message is one line for the user."""


@dataclass(frozen=True)
class CrawlConfig:
    base_url: str
    sections: tuple[str, ...]
    since: datetime | None  # the horizon: articles published before it are not wanted
    max_articles: int | None
    data_dir: str
    pagination: str
    urls: tuple[str, ...] = ()  # article pages to fetch as given, besides the sections
    full: bool = False  # walk every listing to the horizon again, not only what is new
    discovery: tuple[str, ...] = DISCOVERY_SOURCES  # where article URLs come from
    revisit_factor: float = 1.0  # revisit an unchanged story after this share of its age ...
    revisit_min_hours: float = 24.0  # ... but not more often than this
    revisit_max_days: float = 30.0  # ... and at least this often
    sections_chosen: bool = False  # --sections given: feeds and sitemaps keep only their URLs
    # Incremental runs with a news sitemap: the section walk and the sitemap index (with the
    # monthly files it says changed) wait until this much site time passed since they were
    # last fetched, unless the news sitemap leaves a gap (0: every run).
    sections_every_hours: float = 24.0
    sitemap_index_every_hours: float = 4.0

    @classmethod
    def from_settings(cls, outlet: Outlet, settings: Any, args: dict[str, Any] | None = None,
                      now: datetime | None = None) -> CrawlConfig:
        """Read ``NEWSCRAWL_*`` settings; spider arguments (``-a sections=...``) win."""
        args = args or {}

        def pick(arg: str, setting: str) -> Any:
            value = args.get(arg)
            return value if value not in (None, "") else settings.get(setting)

        base_url = (pick("base_url", "NEWSCRAWL_BASE_URL") or outlet.base_url).rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"base URL {base_url!r} is not an http(s) URL")

        raw_sections = pick("sections", "NEWSCRAWL_SECTIONS")
        if isinstance(raw_sections, list | tuple):
            raw_sections = ",".join(raw_sections)
        sections = tuple(s.strip().strip("/") for s in (raw_sections or "").split(",") if s.strip())
        sections = sections or outlet.sections
        unknown = [s for s in sections if s not in outlet.all_sections]
        if unknown:
            raise ConfigError(f"unknown section {unknown[0]!r} for {outlet.name}; "
                              f"known: {', '.join(outlet.all_sections)}")

        now = now or datetime.now(UTC)
        days, since_text = pick("days", "NEWSCRAWL_DAYS"), pick("since", "NEWSCRAWL_SINCE")
        if days not in (None, "") and since_text not in (None, ""):
            raise ConfigError("give --days or --since, not both")
        since: datetime | None = None
        if days not in (None, ""):
            try:
                n_days = float(days)
            except (TypeError, ValueError):
                raise ConfigError(f"--days {days!r} is not a number") from None
            if n_days <= 0:
                raise ConfigError(f"--days must be positive, not {days}")
            since = now - timedelta(days=n_days)
        elif since_text not in (None, ""):
            since = parse_since(str(since_text))

        max_articles = pick("max_articles", "NEWSCRAWL_MAX_ARTICLES")
        if max_articles in (None, ""):
            limit = None
        else:
            try:
                limit = int(max_articles)
            except (TypeError, ValueError):
                raise ConfigError(f"--max-articles {max_articles!r} is not a whole number") from None
            if limit < 1:
                raise ConfigError(f"--max-articles must be at least 1, not {limit}")

        pagination = str(pick("pagination", "NEWSCRAWL_SECTION_PAGINATION") or "auto").lower()
        if pagination not in PAGINATION_MODES:
            raise ConfigError(f"NEWSCRAWL_SECTION_PAGINATION must be one of "
                              f"{', '.join(PAGINATION_MODES)}, not {pagination!r}")
        data_dir = str(pick("data_dir", "NEWSCRAWL_DATA_DIR") or "data")
        raw_urls = pick("urls", "NEWSCRAWL_URLS") or ()
        if isinstance(raw_urls, str):
            raw_urls = raw_urls.split(",")
        urls = []
        for url in (u.strip() for u in raw_urls if u.strip()):
            if url.startswith("/"):
                url = base_url + url
            if urlsplit(url).scheme not in ("http", "https"):
                raise ConfigError(f"--urls: {url!r} is not an http(s) URL or a /path")
            urls.append(url)
        raw_sources = pick("discovery", "NEWSCRAWL_DISCOVERY") or DISCOVERY_SOURCES
        if isinstance(raw_sources, str):
            raw_sources = raw_sources.split(",")
        discovery = tuple(x.strip() for x in raw_sources if x.strip())
        bad = [x for x in discovery if x not in DISCOVERY_SOURCES]
        if bad or not discovery:
            raise ConfigError(f"NEWSCRAWL_DISCOVERY must name some of "
                              f"{', '.join(DISCOVERY_SOURCES)}, not {','.join(discovery)!r}")
        full = str(pick("full", "NEWSCRAWL_FULL") or "").lower() in ("1", "true", "yes", "on")
        revisit = [_number(settings, name, default, zero_ok=False)
                   for name, default in (("NEWSCRAWL_REVISIT_FACTOR", 1.0),
                                         ("NEWSCRAWL_REVISIT_MIN_HOURS", 24.0),
                                         ("NEWSCRAWL_REVISIT_MAX_DAYS", 30.0))]
        every = [_number(settings, name, default, zero_ok=True)
                 for name, default in (("NEWSCRAWL_SECTIONS_EVERY_HOURS", 24.0),
                                       ("NEWSCRAWL_SITEMAP_INDEX_EVERY_HOURS", 4.0))]
        return cls(base_url, sections, since, limit, data_dir, pagination, tuple(urls), full,
                   discovery, *revisit, sections_chosen=bool(raw_sections),
                   sections_every_hours=every[0], sitemap_index_every_hours=every[1])


def _number(settings: Any, name: str, default: float, *, zero_ok: bool) -> float:
    """A numeric setting: positive, or also 0 with ``zero_ok``; else a one-line ConfigError."""
    raw = settings.get(name, default)
    try:
        value = float(raw if raw not in (None, "") else default)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} {raw!r} is not a number") from None
    if value < 0 or (value == 0 and not zero_ok):
        raise ConfigError(f"{name} must be {'0 (every run) or more' if zero_ok else 'positive'}, "
                          f"not {raw}")
    return value


def parse_since(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--since {text!r} is not a date like 2026-05-01") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
