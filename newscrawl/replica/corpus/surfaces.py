"""The discovery surfaces of the corpus replica, made from its pages' facts (``site``).

- ``/robots.txt``: ``User-agent: *``, ``Crawl-delay``, ``Disallow: /__replica__/``, and
  ``Sitemap:`` lines for the index and the news sitemap.
- ``/sitemap_index.xml``: a ``<sitemapindex>`` of one ``/sitemaps/<YYYY>-<MM>.xml`` per
  calendar month (UTC) that has articles, oldest first, each with the newest ``lastmod`` of
  its articles; a monthly file is a ``<urlset>`` of that month's articles, oldest first, with
  ``<lastmod>`` (the last modification).
- ``/sitemap_news.xml``: a Google News sitemap of the articles published in the two days up
  to the newest one (saved pages are old: the corpus's "now" is its newest story), newest
  first, at most 1,000, with ``news:publication_date``, ``news:title`` and the language of
  the page's ``<html lang>``.
- ``/feed.xml``: RSS 2.0 of the 50 newest articles (``title``, ``link``, ``guid``,
  ``pubDate``, ``category``, ``description`` where the page has one).
- ``/section/`` (every article) and ``/section/<section>``: HTML listings, newest first,
  20 cards a page (``?page=2``...), each card a link, a ``<time datetime>`` and the
  description; ``<a rel="next">`` to the next page, a navigation of every section.

Every URL in them is the page's URL on the replica. Listing and other non-article pages are
never listed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape as esc

from newscrawl.replica.corpus.site import Corpus, CorpusPage
from newscrawl.replica.pages.feeds import cdata, rfc822
from newscrawl.replica.pages.sitemaps import (
    NEWS_MAX,
    NEWS_NS,
    NEWS_WINDOW_MS,
    SITEMAP_NS,
    crawl_delay_text,
)
from newscrawl.replica.world import iso

FEED_SIZE = 50
SECTION_PAGE_SIZE = 20


def _month(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m")


def section_name(section: str) -> str:
    return section.replace("-", " ").title()


def render_robots(corpus: Corpus, *, base: str) -> str:
    return "\n".join(("User-agent: *",
                      f"Crawl-delay: {crawl_delay_text(corpus.config.crawl_delay)}",
                      "Disallow: /__replica__/", "", f"Sitemap: {base}/sitemap_index.xml",
                      f"Sitemap: {base}/sitemap_news.xml", ""))


def months(corpus: Corpus) -> dict[str, list[CorpusPage]]:
    """The articles by month (``YYYY-MM``), months and articles oldest first."""
    out: dict[str, list[CorpusPage]] = {}
    for page in reversed(corpus.articles()):
        out.setdefault(_month(page.published_ms), []).append(page)
    return dict(sorted(out.items()))


def render_sitemap_index(corpus: Corpus, *, base: str) -> str:
    entries = [f"<sitemap><loc>{esc(base)}/sitemaps/{month}.xml</loc>"
               f"<lastmod>{iso(max(p.modified_ms for p in pages))}</lastmod></sitemap>"
               for month, pages in months(corpus).items()]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
            + "".join(e + "\n" for e in entries) + "</sitemapindex>\n")


def render_monthly_sitemap(corpus: Corpus, month: str, *, base: str) -> str:
    """The ``<urlset>`` of one month (``YYYY-MM``); ``KeyError`` for a month with none."""
    pages = months(corpus)[month]
    entries = [f"<url><loc>{esc(base + p.key)}</loc><lastmod>{iso(p.modified_ms)}</lastmod></url>"
               for p in pages]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
            + "".join(e + "\n" for e in entries) + "</urlset>\n")


def render_news_sitemap(corpus: Corpus, *, base: str) -> str:
    articles = corpus.articles()
    latest = articles[0].published_ms if articles else 0
    recent = [p for p in articles if p.published_ms > latest - NEWS_WINDOW_MS]
    entries = [
        f"<url><loc>{esc(base + p.key)}</loc><news:news><news:publication>"
        f"<news:name>{esc(corpus.config.name)}</news:name>"
        f"<news:language>{esc(p.language)}</news:language></news:publication>"
        f"<news:publication_date>{iso(p.published_ms)}</news:publication_date>"
        f"<news:title>{esc(p.title)}</news:title></news:news></url>"
        for p in recent[:NEWS_MAX]]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n'
            + "".join(e + "\n" for e in entries) + "</urlset>\n")


def render_feed(corpus: Corpus, *, base: str) -> tuple[str, int]:
    """The RSS document and its last-modified time (epoch ms)."""
    pages = corpus.articles()[:FEED_SIZE]
    last = max((max(p.published_ms, p.modified_ms) for p in pages), default=corpus.now_ms)
    items = []
    for p in pages:
        url = esc(base + p.key)
        description = (f"<description>{cdata(p.description)}</description>"
                       if p.description else "")
        items.append(f"<item><title>{cdata(p.title)}</title><link>{url}</link>"
                     f'<guid isPermaLink="true">{url}</guid>{description}'
                     f"<pubDate>{rfc822(p.published_ms)}</pubDate>"
                     f"<category>{esc(section_name(p.section))}</category></item>")
    name = esc(corpus.config.name)
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n'
           '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
           f"<title>{name}</title><link>{esc(base)}/section/</link>"
           f'<atom:link href="{esc(base)}/feed.xml" rel="self" type="application/rss+xml"/>'
           f"<description>The newest articles of {name}</description>"
           f"<lastBuildDate>{rfc822(last)}</lastBuildDate>"
           + "".join(items) + "</channel></rss>\n")
    return xml, last


def render_section_page(corpus: Corpus, section: str | None, page: int, *, base: str) -> str:
    """Page ``page`` (from 1) of a section's listing (None: every article); ``KeyError`` for
    an unknown section or a page past the last."""
    articles = corpus.articles()
    if section is not None:
        if section not in corpus.sections():
            raise KeyError(section)
        articles = [p for p in articles if p.section == section]
    pages = max(1, -(-len(articles) // SECTION_PAGE_SIZE))
    if not 1 <= page <= pages:
        raise KeyError(page)
    path = "/section/" + (section or "")
    title = section_name(section) if section else "Latest"
    shown = articles[(page - 1) * SECTION_PAGE_SIZE: page * SECTION_PAGE_SIZE]
    cards = "".join(
        f'<li class="card"><article><h2><a href="{esc(base + p.key)}">{esc(p.title)}</a></h2>'
        f'<time datetime="{iso(p.published_ms)}">'
        f"{datetime.fromtimestamp(p.published_ms // 1000, UTC):%d %B %Y}</time>"
        + (f"<p>{esc(p.description)}</p>" if p.description else "") + "</article></li>"
        for p in shown)
    pager = []
    if page > 1:
        pager.append(f'<a rel="prev" href="{esc(path + (f"?page={page - 1}" if page > 2 else ""))}">'
                     "Newer</a>")
    if page < pages:
        pager.append(f'<a rel="next" href="{esc(path)}?page={page + 1}">Older</a>')
    nav = "".join(f'<li><a href="/section/{esc(s)}">{esc(section_name(s))}</a></li>'
                  for s in corpus.sections())
    name = esc(corpus.config.name)
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/>'
            f"<title>{esc(title)} | {name}</title>"
            f'<link rel="canonical" href="{esc(base + path)}"/>'
            f'<link rel="alternate" type="application/rss+xml" href="{esc(base)}/feed.xml"/>'
            f'</head><body><header><a href="/section/">{name}</a><nav><ul>{nav}</ul></nav>'
            f"</header><main><h1>{esc(title)}</h1><ul class=\"cards\">{cards}</ul>"
            f'<nav class="pagination">{" ".join(pager)}</nav></main>'
            f"<footer><p>{name}</p></footer></body></html>\n")


__all__ = ["render_feed", "render_monthly_sitemap", "render_news_sitemap", "render_robots",
           "render_section_page", "render_sitemap_index", "section_name"]
