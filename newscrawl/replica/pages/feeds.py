"""RSS 2.0 feeds of the replica: ``/rss/<id>/feed`` per section and ``/rss/feed`` (MARKUP.md 6).

A feed holds the latest 50 articles (kinds article and opinion; never videos or galleries)
of its section subtree, newest first. Each item has ``title``, ``link`` and ``guid`` (the
canonical URL plus ``?utm_source=rss_feed``), ``pubDate`` (RFC 822, UTC), ``author`` and
``dc:creator`` (several authors joined by "," without a space), ``description`` (the first
paragraphs of the current version, cut short with "...": never the full text), an
``enclosure``, ``media:content`` and ``media:thumbnail`` of the leading image. Titles and
descriptions are CDATA sections, as on the real feeds.

The feed's last-modified time (returned next to the XML and written as ``lastBuildDate``) is
the newest published-or-updated time among its items, so it changes exactly when the feed
does.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime

from newscrawl.replica.pages.chrome import esc
from newscrawl.replica.world import RSS_FEEDS, World

FEED_SIZE = 50
DESCRIPTION_PARAGRAPHS = 3
DESCRIPTION_MAX_CHARS = 600
TRACKING = "?utm_source=rss_feed"
_FEED_NAMES = {"91": "News", "2": "Hong Kong", "4": "China", "3": "Asia", "5": "World",
               "92": "Business", "36": "Tech", "94": "Life", "95": "Sport"}


def rfc822(ms: int) -> str:
    """``Mon, 01 Jun 2026 07:30:00 +0000``."""
    return format_datetime(datetime.fromtimestamp(ms // 1000, UTC))


def cdata(text: str) -> str:
    """``text`` in a CDATA section (a ``]]>`` in it split across two)."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def description(paragraphs: list[str]) -> str:
    """The first paragraphs cut with "...": at most three of them, at most ~600 characters,
    and always at least one word short of the whole body."""
    words = " ".join(paragraphs[:DESCRIPTION_PARAGRAPHS]).split()
    total = sum(len(p.split()) for p in paragraphs)
    keep = min(len(words), max(1, total - 1))
    if len(paragraphs) <= DESCRIPTION_PARAGRAPHS:
        keep = min(keep, max(1, total * 2 // 3))
    while keep > 1 and len(" ".join(words[:keep])) > DESCRIPTION_MAX_CHARS:
        keep -= 1
    return " ".join(words[:keep]).rstrip(",;:.") + "..."


def render_feed(world: World, feed_id: str | None, *, base: str) -> tuple[str, int]:
    """The RSS document of feed ``feed_id`` (None: everything) and its last-modified epoch ms.

    ``KeyError`` for an id that is not in ``RSS_FEEDS``.
    """
    if feed_id is None:
        subtree, name, path = "", "All", "/rss/feed"
    else:
        subtree, name, path = RSS_FEEDS[feed_id], _FEED_NAMES[feed_id], f"/rss/{feed_id}/feed"
    items: list[str] = []
    last_ms = 0
    for spec in world.newest_first(subtree, articles_only=True):
        if len(items) == FEED_SIZE:
            break
        content = world.content_at(spec.index)
        last_ms = max(last_ms, spec.published_ms, content.updated_ms)
        url = base + spec.path + TRACKING
        image = content.images[0]
        image_url = base + image["url"]
        thumb_url = base + image["url"].replace("/images/canvas/", "/images/148x100/canvas/", 1)
        authors = ",".join(spec.authors)
        length = 40_000 + int(hashlib.blake2b(image["url"].encode(), digest_size=4).hexdigest(),
                              16) % 160_000
        items.append(
            "<item>"
            f"<title>{cdata(spec.headline)}</title>"
            f"<link>{esc(url)}</link>"
            f'<guid isPermaLink="true">{esc(url)}</guid>'
            f"<description>{cdata(description(content.paragraphs))}</description>"
            f"<pubDate>{rfc822(spec.published_ms)}</pubDate>"
            f"<author>{esc(authors)}</author>"
            f"<dc:creator>{esc(authors)}</dc:creator>"
            f'<enclosure url="{esc(image_url)}" length="{length}" type="image/jpeg"/>'
            f'<media:content url="{esc(image_url)}" medium="image" type="image/jpeg" '
            f'width="1200" height="800">'
            f'<media:description type="plain">{esc(image["caption"])}</media:description>'
            f"<media:credit>{esc(image['credit'])}</media:credit></media:content>"
            f'<media:thumbnail url="{esc(thumb_url)}" width="148" height="100"/>'
            "</item>"
        )
    if not items:
        last_ms = world.origin_ms
    channel_link = base + ("/" + subtree if subtree else "/")
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom">'
        "<channel>"
        f"<title>{esc(name)} - South China Morning Post</title>"
        f"<link>{esc(channel_link)}</link>"
        f'<atom:link href="{esc(base + path)}" rel="self" type="application/rss+xml"/>'
        f"<description>{esc(name)} news from the South China Morning Post</description>"
        "<language>en</language>"
        "<copyright>Copyright South China Morning Post Publishers Ltd. All rights reserved."
        "</copyright>"
        f"<lastBuildDate>{rfc822(last_ms)}</lastBuildDate>"
        "<ttl>5</ttl>"
        f"<image><url>{esc(base)}/img/scmp-logo-rss.png</url>"
        f"<title>{esc(name)} - South China Morning Post</title><link>{esc(channel_link)}</link>"
        "</image>"
        + "".join(items)
        + "</channel></rss>\n"
    )
    return xml, last_ms
