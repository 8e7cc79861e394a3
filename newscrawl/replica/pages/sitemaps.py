"""robots.txt and the sitemaps of the replica (MARKUP.md 6).

- ``/robots.txt``: a ``User-agent: *`` group with ``Crawl-delay`` and the site's ``Disallow``
  lines, groups that shut AI crawlers out entirely, and ``Sitemap:`` lines for the archive
  index and the news sitemap.
- ``/sitemap/archives-0.xml``: a ``<sitemapindex>`` of one file per month, oldest first, from
  the month of the first item to the clock's month, named
  ``/sitemap/archives/articles/<YYYY>_<mon>.xml`` with a three-letter month whose case varies
  from month to month (``2026_may.xml``, ``2026_JUN.xml``, ``2026_Jul.xml``); each entry's
  ``lastmod`` is the newest change of the items in that file. Months are calendar months in
  Hong Kong time (UTC+8), as the site's editors count them, so an article published at
  20:00 UTC on the last day of a month is in the next month's file.
- a monthly file is a plain ``<urlset>`` of the articles, opinion pieces and photo galleries
  (galleries live at ``/article/`` URLs, as on the real site) published that month, oldest
  first; videos are not listed (the real site keeps them out of the article archive). Each
  ``<loc>`` is the URL the item had when the file was written, at publication: for items that
  were renamed since, the old slug, which now redirects. ``<lastmod>`` is the item's current
  version's time, left out for about one entry in ten.
- ``/sitemap_news.xml``: a Google News sitemap of the articles (article and opinion)
  published in the two days before the clock, newest first, at most 1,000.
"""

from __future__ import annotations

import re
from datetime import datetime

from newscrawl.replica.pages.chrome import esc
from newscrawl.replica.world import HKT, ItemSpec, World, stable_hash

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
NEWS_WINDOW_MS = 2 * 86_400_000
NEWS_MAX = 1000
#: World items are edited within 48 hours of publication (world._spec): bounds the scan for
#: a month file's newest change.
UPDATE_WINDOW_MS = 48 * 3_600_000 + 1000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_FILENAME = re.compile(r"^(\d{4})_([A-Za-z]{3})(?:\.xml)?$")
_DISALLOW = (
    "/print/", "/ajax", "/ajax/", "/login", "/logout", "/user/*", "/users/",
    "*?destination=*", "/epaper", "/epaper/", "/search?", "/search/*?q=", "/admin/",
    "/comment/reply/", "/node/add/", "/filter/tips/", "/scmp_print/",
    "/subscribe/checkout", "/account/", "/api/", "/__replica__/",
)
_BLOCKED_AGENTS = ("GPTBot", "ChatGPT-User", "CCBot", "Google-Extended", "anthropic-ai",
                   "ClaudeBot", "Bytespider", "PerplexityBot")


def _w3c(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, HKT).isoformat()


# -- robots.txt ---------------------------------------------------------------------------------
def crawl_delay_text(value: float) -> str:
    """A ``Crawl-delay`` value as robots.txt says it: ``10`` (not 10.0), ``0.5``, ``0``."""
    text = f"{float(value):.3f}".rstrip("0").rstrip(".")
    return text or "0"


def render_robots(*, base: str, crawl_delay: float, news_sitemap: bool = True) -> str:
    """robots.txt: ``Crawl-delay: 10`` (not 10.0), the site's disallows, sitemap lines."""
    lines = ["# robots.txt for the South China Morning Post", "",
             "User-agent: *", f"Crawl-delay: {crawl_delay_text(crawl_delay)}"]
    lines += [f"Disallow: {rule}" for rule in _DISALLOW]
    lines.append("")
    for agent in _BLOCKED_AGENTS:
        lines += [f"User-agent: {agent}", "Disallow: /", ""]
    lines.append(f"Sitemap: {base}/sitemap/archives-0.xml")
    lines += [f"Sitemap: {base}/sitemap_news.xml", ""] if news_sitemap else [""]
    return "\n".join(lines)


# -- months -----------------------------------------------------------------------------------
def _month_of(ms: int) -> tuple[int, int]:
    when = datetime.fromtimestamp(ms / 1000, HKT)
    return when.year, when.month


def _month_start_ms(year: int, month: int) -> int:
    return int(datetime(year, month, 1, tzinfo=HKT).timestamp() * 1000)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _months(world: World) -> list[tuple[int, int]]:
    """Every month from the first item's to the clock's, oldest first."""
    first, last = _month_of(world.published_ms(0)), _month_of(world.now_ms)
    out = [first]
    while out[-1] < last:
        out.append(_next_month(*out[-1]))
    return out


def month_filename(year: int, month: int) -> str:
    """``2026_may``, ``2026_JUN`` or ``2026_Jul``: the case is a fixed function of the month."""
    name = MONTHS[month - 1]
    style = stable_hash("month-case", year, month) % 3
    return f"{year}_{name if style == 0 else name.upper() if style == 1 else name.title()}"


def month_from_filename(name: str) -> tuple[int, int]:
    """``(year, month)`` of a monthly file name in any case; ``KeyError`` for anything else."""
    match = _FILENAME.match(name) if isinstance(name, str) else None
    if not match or match.group(2).lower() not in MONTHS:
        raise KeyError(name)
    return int(match.group(1)), MONTHS.index(match.group(2).lower()) + 1


def _listed(spec: ItemSpec) -> bool:
    return spec.kind in ("article", "opinion", "gallery")


def _month_lastmod(world: World, year: int, month: int) -> int | None:
    """The newest change (publication or update, current version) among the month's items."""
    lo = world.count_at(_month_start_ms(year, month))
    hi = world.count_at(min(_month_start_ms(*_next_month(year, month)), world.now_ms))
    best: int | None = None
    for i in range(hi - 1, lo - 1, -1):
        spec = world.spec(i)
        if best is not None and spec.published_ms + UPDATE_WINDOW_MS <= best:
            break
        if _listed(spec):
            changed = spec.updated_ms(spec.version_at(world.now_ms))
            best = changed if best is None else max(best, changed)
    return best


# -- sitemaps ---------------------------------------------------------------------------------
def render_sitemap_index(world: World, *, base: str) -> str:
    """``/sitemap/archives-0.xml``: one ``<sitemap>`` per month, oldest first."""
    entries = []
    for year, month in _months(world):
        lastmod = _month_lastmod(world, year, month)
        entries.append(
            f"<sitemap><loc>{esc(base)}/sitemap/archives/articles/{month_filename(year, month)}"
            f".xml</loc>" + (f"<lastmod>{_w3c(lastmod)}</lastmod>" if lastmod else "")
            + "</sitemap>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
            + "\n".join(entries) + "\n</sitemapindex>\n")


def render_monthly_sitemap(world: World, year: int, month: int, *, base: str) -> str:
    """The ``<urlset>`` of one month; ``KeyError`` for a month outside the index."""
    if (year, month) not in _months(world):
        raise KeyError((year, month))
    seed = world.config.seed
    entries = []
    start, end = _month_start_ms(year, month), _month_start_ms(*_next_month(year, month))
    for spec in world.between(start, end):
        if not _listed(spec):
            continue
        loc = base + (spec.old_path or spec.path)
        entry = f"<url><loc>{esc(loc)}</loc>"
        if stable_hash("lastmod", seed, spec.article_id) % 10:
            entry += f"<lastmod>{_w3c(spec.updated_ms(spec.version_at(world.now_ms)))}</lastmod>"
        entries.append(entry + "</url>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
            + "\n".join(entries) + ("\n" if entries else "") + "</urlset>\n")


def render_news_sitemap(world: World, *, base: str) -> str:
    """``/sitemap_news.xml``: articles of the last two days, newest first, at most 1,000."""
    recent = [s for s in world.between(world.now_ms - NEWS_WINDOW_MS, world.now_ms)
              if s.is_article]
    entries = []
    for spec in reversed(recent[-NEWS_MAX:]):
        entries.append(
            f"<url><loc>{esc(base + spec.path)}</loc><news:news><news:publication>"
            "<news:name>South China Morning Post</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{_w3c(spec.published_ms)}"
            f"</news:publication_date><news:title>{esc(spec.headline)}</news:title>"
            "</news:news></url>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n'
            + "\n".join(entries) + ("\n" if entries else "") + "</urlset>\n")


__all__ = ["crawl_delay_text", "month_filename", "month_from_filename", "render_monthly_sitemap",
           "render_news_sitemap", "render_robots", "render_sitemap_index"]
