"""Discovery surfaces read from what the replica serves, and the edge cases of real sites."""

from __future__ import annotations

import gzip
from urllib.parse import urlsplit

import pytest

from newscrawl.discovery import (
    DiscoveryError,
    parse_feed,
    parse_robots_sitemaps,
    parse_sitemap,
    sitemaps,
)
from newscrawl.extraction.dates import to_utc_iso
from newscrawl.outlets.scmp import SCMP
from newscrawl.outlets.spec import Card
from tests.utils.discovery_links import (
    DiscoveredLink,
    links_from_cards,
    links_from_feed,
    links_from_sitemap,
    merge,
    tracking_stripper,
)

strip_scmp = tracking_stripper(SCMP.tracking_params, SCMP.tracking_prefixes)


def fetch(client, path: str) -> bytes:
    status, _, body = client.get(path)
    assert status == 200, (path, status)
    return body


@pytest.fixture(scope="module")
def served(client):
    """Everything the replica's discovery surfaces list, parsed once for the module."""
    base = client.base
    robots = parse_robots_sitemaps(fetch(client, "/robots.txt"), base + "/robots.txt")
    index = parse_sitemap(fetch(client, "/sitemap/archives-0.xml"), robots[0])
    months = [parse_sitemap(fetch(client, urlsplit(child.url).path), child.url)
              for child in index.sitemaps]
    news = parse_sitemap(fetch(client, "/sitemap_news.xml"), robots[1])
    feed = parse_feed(fetch(client, "/rss/feed"), base + "/rss/feed")
    listed = client.json("/__replica__/articles.json?kinds=article,opinion,gallery")["articles"]
    return {"robots": robots, "index": index, "months": months, "news": news, "feed": feed,
            "listed": {a["article_id"]: a for a in listed}}


# -- the replica ------------------------------------------------------------------------------
def test_robots_txt_names_the_archive_index_and_the_news_sitemap(client, served):
    assert served["robots"] == [client.base + "/sitemap/archives-0.xml",
                                client.base + "/sitemap_news.xml"]


def test_archive_index_lists_monthly_files_with_utc_lastmod(served):
    index = served["index"]
    assert index.is_index and not index.entries and len(index.sitemaps) >= 2
    for child in index.sitemaps:
        assert "/sitemap/archives/articles/" in child.url
        assert child.lastmod_raw.endswith("+08:00")  # as the site writes it, Hong Kong time
        assert child.lastmod.endswith("Z") and child.lastmod == to_utc_iso(child.lastmod_raw)
    assert index.sitemaps_changed_since(None) == list(index.sitemaps)
    newest = max(c.lastmod for c in index.sitemaps)
    assert index.sitemaps_changed_since(newest) == []
    assert index.sitemaps_changed_since("2000-01-01T00:00:00+08:00") == list(index.sitemaps)


def test_every_listed_item_is_in_a_monthly_sitemap_with_its_current_lastmod(served):
    entries = [e for month in served["months"] for e in month.entries]
    assert all(m.kind == "urlset" and not m.is_news for m in served["months"])
    by_id = {SCMP.article_id_from_url(e.url): e for e in entries}
    listed = served["listed"]
    assert set(by_id) == set(listed)  # articles, opinion and galleries; videos never
    with_lastmod = [aid for aid, e in by_id.items() if e.lastmod]
    for aid in with_lastmod:
        assert by_id[aid].lastmod == listed[aid]["updated_at"], aid
    # The replica leaves <lastmod> out of about one entry in ten (MARKUP.md 6: "optional").
    missing = [aid for aid, e in by_id.items() if e.lastmod is None]
    assert all(by_id[aid].lastmod_raw is None for aid in missing)
    assert 0 < len(missing) < 0.25 * len(by_id)
    # Renamed items keep their old slug in the archive: same article id, another URL.
    renamed = [aid for aid, e in by_id.items() if e.url != listed[aid]["url"]]
    assert renamed and all(f"/article/{aid}/" in by_id[aid].url for aid in renamed)


def test_news_sitemap_dates_and_titles_match_the_truth(client, served):
    news = served["news"]
    assert news.kind == "urlset" and news.is_news and len(news.entries) > 20
    stamps = [e.publication_date for e in news.entries]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    for entry in news.entries:
        truth = client.json(f"/__replica__/truth/{SCMP.article_id_from_url(entry.url)}.json")
        assert entry.publication_date == truth["published_at"], entry.url
        assert entry.publication_date_raw.endswith("+08:00")
        assert entry.title == truth["headline"]
        assert entry.lastmod is None


def test_feed_entries_carry_tracking_links_dates_and_split_authors(client, served):
    feed = served["feed"]
    assert len(feed) == 50
    for entry in feed[:15]:
        assert urlsplit(entry.link).query == "utm_source=rss_feed"
        assert entry.guid == entry.link
        truth = client.json(f"/__replica__/truth/{SCMP.article_id_from_url(entry.link)}.json")
        assert strip_scmp(entry.link) == truth["canonical_url"]
        assert entry.title == truth["headline"]
        assert entry.published_at == truth["published_at"]
        assert entry.published_raw.endswith("+0000")
        assert list(entry.authors) == truth["authors"]
    assert any(len(e.authors) > 1 for e in feed)  # "A,B" was split


def test_merge_keeps_one_link_per_article_freshest_first(client, served):
    base = client.base
    links = links_from_feed(served["feed"], base + "/rss/feed")
    links += links_from_sitemap(served["news"])
    for month in served["months"]:
        links += links_from_sitemap(month)
    merged = merge(links, strip=strip_scmp, key=SCMP.article_id_from_url)
    ids = [SCMP.article_id_from_url(link.url) for link in merged]
    assert len(ids) == len(set(ids)) == len(served["listed"])
    assert not any("utm_" in link.url for link in merged)
    stamps = [link.freshness for link in merged if link.freshness]
    assert stamps == sorted(stamps, reverse=True)
    assert all(link.freshness is None for link in merged[len(stamps):])
    # Articles a live source lists get its current URL, not the archive's old slug.
    current = {SCMP.article_id_from_url(e.link) for e in served["feed"]}
    for link in merged:
        aid = SCMP.article_id_from_url(link.url)
        if aid in current:
            assert link.url == served["listed"][aid]["url"]
            assert link.source == "feed"
            assert link.published_at == served["listed"][aid]["published_at"]
    # By URL alone, the feed and the news sitemap meet once the utm parameter is gone.
    by_url = merge(links_from_feed(served["feed"], "feed") + links_from_sitemap(served["news"]),
                   strip=strip_scmp)
    assert len(by_url) == len({strip_scmp(e.url) for e in served["news"].entries}
                              | {strip_scmp(e.link) for e in served["feed"]})


def test_gzipped_sitemap_reads_like_the_plain_one(client):
    body = fetch(client, "/sitemap_news.xml")
    url = client.base + "/sitemap_news.xml.gz"
    assert parse_sitemap(gzip.compress(body), url).entries == parse_sitemap(body, url).entries


# -- edge cases -------------------------------------------------------------------------------
def test_sitemap_without_namespace_and_relative_locs():
    body = (b"<urlset><url><loc> /a/article/1234567/x </loc><lastmod>2026-06-01</lastmod></url>"
            b"<url><loc></loc></url><url><loc>javascript:alert(1)</loc></url>"
            b"<url><loc>/b</loc><lastmod>last tuesday</lastmod></url></urlset>")
    sitemap = parse_sitemap(body, "https://example.com/sitemap.xml")
    assert [e.url for e in sitemap.entries] == ["https://example.com/a/article/1234567/x",
                                                "https://example.com/b"]
    assert sitemap.entries[0].lastmod == "2026-06-01T00:00:00Z"
    assert sitemap.entries[1].lastmod is None
    assert sitemap.entries[1].lastmod_raw == "last tuesday"


def test_index_with_odd_prefixes_and_comments():
    body = (b'<?xml version="1.0"?><!-- generated --><sm:sitemapindex '
            b'xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"><sm:sitemap>'
            b"<sm:loc>https://example.com/s1.xml</sm:loc><sm:lastmod>2026-06-01T10:00:00-04:00"
            b"</sm:lastmod></sm:sitemap></sm:sitemapindex>")
    index = parse_sitemap(body, "https://example.com/")
    assert index.is_index
    assert index.sitemaps[0].url == "https://example.com/s1.xml"
    assert index.sitemaps[0].lastmod == "2026-06-01T14:00:00Z"


@pytest.mark.parametrize(("body", "message"), [
    (b"", "empty body"),
    (b"   \n", "empty body"),
    (b"\x00\x01 definitely not xml", "not XML"),
    (b"<html><body>Service unavailable</body></html>", "root element <html>"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage, not deflate", "broken gzip"),
    (gzip.compress(b"<urlset></urlset>")[:-12], "truncated gzip"),
])
def test_garbage_sitemaps_raise_one_line_errors(body, message):
    with pytest.raises(DiscoveryError) as err:
        parse_sitemap(body, "https://example.com/sitemap.xml")
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert str(err.value).startswith("https://example.com/sitemap.xml: ")


def test_gzip_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(sitemaps, "MAX_DECOMPRESSED_BYTES", 1000)
    body = gzip.compress(b"<urlset>" + b" " * 5000 + b"</urlset>")
    with pytest.raises(DiscoveryError, match="larger than 1000 bytes"):
        parse_sitemap(body, "https://example.com/s.xml.gz")


def test_not_bytes_is_an_error():
    with pytest.raises(DiscoveryError, match="expected bytes"):
        parse_sitemap("<urlset/>", "https://example.com/s.xml")  # type: ignore[arg-type]


def test_feed_edge_cases():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<item><title>No link</title></item>"
            b"<item><title> Relative </title><link>/x/article/1234567/y?utm_medium=rss</link>"
            b"<pubDate>Mon, 01 Jun 2026 07:51:43 GMT</pubDate>"
            b"<author>A B, C D,,A B</author></item></channel></rss>")
    entries = parse_feed(gzip.compress(body), "https://example.com/rss/feed")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.link == "https://example.com/x/article/1234567/y?utm_medium=rss"
    assert entry.title == "Relative"
    assert entry.published_at == "2026-06-01T07:51:43Z"
    assert entry.updated_at is None and entry.updated_raw is None
    assert entry.authors == ("A B", "C D")


@pytest.mark.parametrize("body", [b"", b"plain words, no markup", b"<html><p>hi</p></html>"])
def test_garbage_feeds_raise(body):
    with pytest.raises(DiscoveryError) as err:
        parse_feed(body, "https://example.com/rss")
    assert "\n" not in str(err.value)


def test_merge_rules():
    links = [
        DiscoveredLink("https://e.com/a/article/1/old?utm_source=x", "sm", "sitemap",
                       updated_at="2026-06-01T10:00:00Z"),
        DiscoveredLink("https://e.com/b", "f", "feed"),
        DiscoveredLink("https://e.com/a/article/1/new?utm_source=rss", "f", "feed",
                       published_at="2026-06-01T08:00:00+00:00", title="A"),
        DiscoveredLink("https://e.com/c", "n", "news_sitemap", published_at="2026-06-01T09:00:00Z"),
        DiscoveredLink("https://e.com/c", "n2", "news_sitemap", published_at="2026-06-01T11:00:00Z"),
        DiscoveredLink("https://e.com/d", "s", "section"),
    ]
    strip = tracking_stripper((), ("utm_",))
    article = {"https://e.com/a/article/1/old": "1", "https://e.com/a/article/1/new": "1"}
    merged = merge(links, strip=strip, key=article.get)
    assert [m.url for m in merged] == ["https://e.com/c", "https://e.com/a/article/1/new",
                                       "https://e.com/b", "https://e.com/d"]
    c, a = merged[0], merged[1]
    assert (c.published_at, c.updated_at, c.via) == ("2026-06-01T09:00:00Z",
                                                     "2026-06-01T11:00:00Z", "n")
    assert (a.source, a.published_at, a.updated_at, a.title) == (
        "feed", "2026-06-01T08:00:00Z", "2026-06-01T10:00:00Z", "A")
    # Without a key the renamed slug stays a link of its own; without strip, so does utm.
    assert len(merge(links, strip=strip)) == 5
    assert len(merge(links)) == 5
    assert merge([]) == []


def test_links_from_cards_skips_non_articles():
    cards = [Card("https://e.com/a", published_at="2026-06-01T00:00:00Z", headline="A"),
             Card("https://e.com/video/1", is_article=False)]
    links = links_from_cards(cards, "https://e.com/news")
    assert links == [DiscoveredLink("https://e.com/a", "https://e.com/news", "section",
                                    published_at="2026-06-01T00:00:00Z", title="A")]


def test_robots_sitemap_lines():
    body = b"User-agent: *\nSITEMAP: /s.xml # main\nsitemap:https://x.com/n.xml\nSitemap: /s.xml\n"
    assert parse_robots_sitemaps(body, "https://x.com/robots.txt") == [
        "https://x.com/s.xml", "https://x.com/n.xml"]
