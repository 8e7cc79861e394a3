"""Where new and changed articles are announced: sitemaps, news sitemaps, RSS feeds, robots.txt.

Pure functions of the bytes a site served (no Scrapy, no network), so an incremental crawl can
decide what to fetch before fetching it, and a test can feed them a stored file:

- ``sitemaps.parse_sitemap`` tells a sitemap index (child sitemaps and their ``lastmod``) from a
  ``urlset`` (entries with ``lastmod`` and, in a Google News sitemap, the
  ``news:publication_date`` and ``news:title`` that Scrapy's own sitemap reader drops);
- ``sitemaps.parse_robots_sitemaps`` lists the ``Sitemap:`` lines of a robots.txt;
- ``feeds.parse_feed`` reads an RSS 2.0 or Atom feed with feedparser.

Dates are returned twice, as found (``*_raw``) and as ISO 8601 UTC with a Z, because a
normalisation that fails must not lose the value. Input that is not a sitemap or a feed at all
raises ``DiscoveryError`` with a one-line message; a bad entry inside a good document is
skipped.
"""

from newscrawl.discovery.feeds import FeedEntry, parse_feed
from newscrawl.discovery.sitemaps import (
    ChildSitemap,
    DiscoveryError,
    Sitemap,
    SitemapEntry,
    parse_robots_sitemaps,
    parse_sitemap,
)

__all__ = ["ChildSitemap", "DiscoveryError", "FeedEntry", "Sitemap", "SitemapEntry",
           "parse_feed", "parse_robots_sitemaps", "parse_sitemap"]
