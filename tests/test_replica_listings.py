"""The replica's listings and discovery surfaces, read back with independent parsers.

Section pages (parsel, lxml), the load-more gateway (json), RSS (feedparser), robots.txt and
sitemaps (Scrapy's own sitemap utilities, Protego). No server: the page functions are pure.
"""

from __future__ import annotations

import base64
import json
import re
from calendar import timegm
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import feedparser
import lxml.etree
import lxml.html
import pytest
from parsel import Selector
from protego import Protego
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from newscrawl.replica.pages import feeds, listing, sitemaps
from newscrawl.replica.pages.listing import (
    decode_cursor,
    encode_cursor,
    gateway_contract,
    gateway_response,
    render_section_page,
)
from newscrawl.replica.world import RSS_FEEDS, SECTION_PAGES, ReplicaConfig, World

BASE = "http://127.0.0.1:8123"
CARD = 'a[data-qa="BaseLink-renderAnchor-StyledAnchor"]'
TRACKING = "?module=perpetual_scroll_0&pgtype=section"
HKT = timezone(timedelta(hours=8))
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture(scope="module")
def world() -> World:
    return World(ReplicaConfig(articles=300, seed=1))


@pytest.fixture(scope="module")
def long_world() -> World:
    """300 items over ~10 months: many monthly sitemap files."""
    return World(ReplicaConfig(articles=300, seed=1, minutes_per_item=1440))


def next_data(html: str) -> dict:
    raw = Selector(text=html).css("script#__NEXT_DATA__::text").get()
    assert raw, "no __NEXT_DATA__"
    return json.loads(raw)


def subtree_specs(world: World, subtree: str) -> list:
    """Brute force, independent of world.newest_first: the subtree's items, newest first."""
    out = [world.spec(i) for i in range(world.count)]
    out = [s for s in out if not subtree or s.section.path == subtree
           or s.section.path.startswith(subtree + "/")]
    return sorted(out, key=lambda s: -s.published_ms)


def current_updated(world: World, spec) -> int:
    return spec.updated_ms(spec.version_at(world.now_ms))


# -- section pages ------------------------------------------------------------------------------
@pytest.mark.parametrize("section", SECTION_PAGES)
def test_section_page_cards_match_next_data_and_the_world(world, section):
    html = render_section_page(world, section, base=BASE, deploy=1)
    expected = subtree_specs(world, section)[:20]
    assert len(expected) == min(20, len(subtree_specs(world, section))) and expected
    doc = lxml.html.fromstring(html)
    cards = doc.cssselect('[data-qa="ContentItem-Container"]')
    assert len(cards) == len(expected)
    for card, spec in zip(cards, expected, strict=True):
        anchors = card.cssselect(CARD)
        article_hrefs = [a.get("href") for a in anchors if a.get("href").split("?")[0] == spec.path]
        assert len(article_hrefs) == 2  # the image link and the headline link
        assert all(h in (spec.path, spec.path + TRACKING) for h in article_hrefs)
        headline = card.cssselect('span[data-qa="ContentHeadline-Headline"]')
        assert [h.text_content() for h in headline] == [spec.headline]
        (time_el,) = card.cssselect('time[data-qa="ContentActionBar-handleRenderDisplayDateTime-time"]')
        when = datetime.fromisoformat(time_el.get("datetime").replace("Z", "+00:00"))
        assert time_el.get("datetime").endswith(".000Z")
        assert int(when.timestamp() * 1000) == spec.published_ms
        assert re.fullmatch(r"Just now|\d+ (minute|hour|day)s? ago|\d{1,2} [A-Z][a-z]{2} \d{4} - "
                            r"\d{1,2}:\d\d[AP]M", time_el.text_content())
    # Parsel over the same HTML: the listing-card hooks of MARKUP 2.2 give the same list.
    hrefs = Selector(text=html).css(CARD + "::attr(href)").getall()
    paths = list(dict.fromkeys(h.split("?")[0] for h in hrefs if "/article/" in h or "/video/" in h))
    assert paths == [s.path for s in expected]
    data = next_data(html)
    contents = data["props"]["pageProps"]["payload"]["data"]["contents"]
    nodes = [e["node"] for e in contents["edges"]]
    assert [n["urlAlias"] for n in nodes] == [s.path for s in expected]
    for node, spec in zip(nodes, expected, strict=True):
        assert node["headline"] == spec.headline and node["entityId"] == str(spec.article_id)
        assert node["publishedDate"] == spec.published_ms
        assert node["updatedDate"] == current_updated(world, spec)
        assert node["summary"]["text"] == world.content_at(spec.index).summary
        assert node["__typename"] == {"video": "Video", "gallery": "Gallery"}.get(spec.kind, "Article")
        assert node["sections"][0]["value"][-1]["urlAlias"] == spec.section.url
        assert node["images"][0]["url"].startswith(BASE + "/d8/images/")
    info = contents["pageInfo"]
    assert decode_cursor(info["endCursor"]) == expected[-1].index
    assert info["hasNextPage"] == (len(subtree_specs(world, section)) > 20)
    assert 100_000 <= len(html) <= 400_000


def test_section_pages_mix_in_videos_and_galleries_and_some_tracking_links(world):
    kinds, hrefs = Counter(), []
    for section in SECTION_PAGES:
        html = render_section_page(world, section, base=BASE, deploy=1)
        for edge in next_data(html)["props"]["pageProps"]["payload"]["data"]["contents"]["edges"]:
            kinds[edge["node"]["__typename"]] += 1
        hrefs += Selector(text=html).css(CARD + "::attr(href)").getall()
    assert kinds["Article"] and (kinds["Video"] or kinds["Gallery"])
    article_hrefs = [h for h in hrefs if "/article/" in h or "/video/" in h]
    tracked = [h for h in article_hrefs if h.endswith(TRACKING)]
    assert 0 < len(tracked) < len(article_hrefs) * 0.25


def test_gateway_contract_is_in_the_page_and_changes_with_deploys(world):
    html = render_section_page(world, "news/china", base=BASE, deploy=1)
    contract = gateway_contract(1, 1)
    delivery = next_data(html)["runtimeConfig"]["contentDelivery"]
    assert delivery["endpoint"] == "/content-delivery/v2"
    assert delivery["apikey"] == contract.apikey
    query = delivery["persistedQueries"]["sectionContents"]
    assert query == {"operationName": contract.operation_name, "sha256Hash": contract.sha256_hash}
    assert re.fullmatch(r"[0-9a-f]{64}", contract.sha256_hash)
    # the page's JavaScript uses exactly that entry to call the gateway
    scripts = "".join(Selector(text=html).css("script:not([id])::text").getall())
    assert "persistedQueries.sectionContents" in scripts and "fetch(" in scripts
    assert "apikey: cd.apikey" in scripts and "'content-type': 'application/json'" in scripts
    button = lxml.html.fromstring(html).cssselect("button")
    assert [b.text_content() for b in button] == ["Load more"]
    assert gateway_contract(1, 1) == contract
    redeployed = gateway_contract(1, 2)
    assert redeployed.apikey == contract.apikey and redeployed.sha256_hash != contract.sha256_hash
    assert gateway_contract(2, 1).apikey != contract.apikey
    html2 = render_section_page(world, "news/china", base=BASE, deploy=2)
    assert contract.sha256_hash not in html2 and redeployed.sha256_hash in html2
    with pytest.raises(KeyError):
        render_section_page(world, "news/nowhere", base=BASE, deploy=1)


def test_relative_times():
    now = 1_780_000_000_000
    rel = listing.relative_time
    assert rel(now, now - 30_000) == "Just now"
    assert rel(now, now - 60_000) == "1 minute ago"
    assert rel(now, now - 59 * 60_000) == "59 minutes ago"
    assert rel(now, now - 3 * 3_600_000 - 5) == "3 hours ago"
    assert rel(now, now - 2 * 86_400_000) == "2 days ago"
    assert rel(now, now - 30 * 86_400_000) == "29 Apr 2026 - 4:26AM"


# -- the gateway --------------------------------------------------------------------------------
def paginate(world: World, section: str, count: int) -> tuple[list[str], int]:
    variables: dict = {"sectionUrlAlias": "/" + section, "after": None, "count": count}
    paths, pages = [], 0
    while True:
        answer = json.loads(json.dumps(gateway_response(world, variables, base=BASE)))
        contents = answer["data"]["contents"]
        pages += 1
        assert 0 < len(contents["edges"]) <= count  # hasNextPage never promises an empty page
        paths += [e["node"]["urlAlias"] for e in contents["edges"]]
        if not contents["pageInfo"]["hasNextPage"]:
            return paths, pages
        assert len(contents["edges"]) == count
        variables = dict(variables, after=contents["pageInfo"]["endCursor"])
        assert pages < 1000


@pytest.mark.parametrize("section", SECTION_PAGES)
def test_gateway_pagination_visits_every_item_once_newest_first(world, section):
    expected = [s.path for s in subtree_specs(world, section)]
    paths, pages = paginate(world, section, 20)
    assert paths == expected and len(set(paths)) == len(paths)
    assert pages == max(1, -(-len(expected) // 20))
    html = render_section_page(world, section, base=BASE, deploy=1)
    first = gateway_response(world, {"sectionUrlAlias": "/" + section, "after": None,
                                     "count": 20}, base=BASE)
    assert first["data"]["contents"] == \
        next_data(html)["props"]["pageProps"]["payload"]["data"]["contents"]


def test_gateway_other_page_sizes(world):
    expected = [s.path for s in subtree_specs(world, "news/hong-kong")]
    assert paginate(world, "news/hong-kong", 7)[0] == expected
    assert paginate(world, "news/hong-kong", 50)[0] == expected
    assert paginate(world, "news/hong-kong", 1)[0] == expected
    answer = gateway_response(world, {"sectionUrlAlias": "/news/hong-kong/"}, base=BASE)
    assert len(answer["data"]["contents"]["edges"]) == 20  # count defaults to 20


def _b64(obj) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


@pytest.mark.parametrize("variables", [
    {"sectionUrlAlias": "/nowhere", "after": None, "count": 20},
    {"sectionUrlAlias": "news/china", "after": None, "count": 20},
    {"sectionUrlAlias": None, "after": None, "count": 20},
    {"after": None, "count": 20},
    {"sectionUrlAlias": "/news/china", "after": "garbage", "count": 20},
    {"sectionUrlAlias": "/news/china", "after": "", "count": 20},
    {"sectionUrlAlias": "/news/china", "after": 12, "count": 20},
    {"sectionUrlAlias": "/news/china", "after": _b64([1]), "count": 20},
    {"sectionUrlAlias": "/news/china", "after": _b64({"before": -1}), "count": 20},
    {"sectionUrlAlias": "/news/china", "after": _b64({"before": "40"}), "count": 20},
    {"sectionUrlAlias": "/news/china", "after": _b64({"before": True}), "count": 20},
    {"sectionUrlAlias": "/news/china", "after": None, "count": 0},
    {"sectionUrlAlias": "/news/china", "after": None, "count": 51},
    {"sectionUrlAlias": "/news/china", "after": None, "count": "20"},
    {"sectionUrlAlias": "/news/china", "after": None, "count": 2.5},
    {"sectionUrlAlias": "/news/china", "after": None, "count": True},
])
def test_gateway_rejects_bad_variables(world, variables):
    with pytest.raises(ValueError) as info:
        gateway_response(world, variables, base=BASE)
    assert str(info.value)


def test_cursors_round_trip_and_reject_garbage():
    for index in (0, 1, 299, 123_456):
        cursor = encode_cursor(index)
        assert decode_cursor(cursor) == index
    for bad in ("", "garbage", "!!!!", "eyJiZWZvcmUiOjEw", _b64({"before": 1, "x": 2}),
                _b64({"after": 1}), _b64(None), None, 5):
        with pytest.raises(ValueError):
            decode_cursor(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encode_cursor(-1)
    with pytest.raises(ValueError):
        gateway_response(World(ReplicaConfig(articles=5)), ["not", "a", "dict"], base=BASE)  # type: ignore[arg-type]


# -- RSS ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("feed_id", [None, *RSS_FEEDS])
def test_feeds(world, feed_id):
    xml, last_ms = feeds.render_feed(world, feed_id, base=BASE)
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    subtree = RSS_FEEDS.get(feed_id, "") if feed_id else ""
    expected = [s for s in subtree_specs(world, subtree) if s.kind in ("article", "opinion")][:50]
    assert [e.title for e in parsed.entries] == [s.headline for s in expected]
    for entry, spec in zip(parsed.entries, expected, strict=True):
        url = BASE + spec.path + "?utm_source=rss_feed"
        assert entry.link == url and entry.id == url
        assert entry.author == ",".join(spec.authors) and ", " not in entry.author
        assert timegm(entry.published_parsed) * 1000 == spec.published_ms
        paragraphs = world.content_at(spec.index).paragraphs
        desc = entry.summary
        assert desc.endswith("...") and len(desc) < len("\n\n".join(paragraphs))
        assert " ".join(paragraphs).startswith(desc[:-3]) and len(desc) > 40
        assert entry.enclosures and entry.enclosures[0]["href"].startswith(BASE + "/d8/images/")
        assert entry.media_content[0]["url"] == entry.enclosures[0]["href"]
        assert entry.media_thumbnail[0]["url"].startswith(BASE + "/d8/images/")
    assert last_ms == max(max(s.published_ms, current_updated(world, s)) for s in expected)
    assert timegm(parsed.feed.updated_parsed) * 1000 == last_ms // 1000 * 1000
    pubdates = re.findall(r"<pubDate>([^<]+)</pubDate>", xml)
    assert pubdates and all(re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d "
                                         r"\+0000", p) for p in pubdates)


def test_descriptions_are_never_the_full_text():
    long_pars = [" ".join(f"w{p}x{n}" for n in range(60)) for p in range(8)]
    for pars in (["One two three four five."], ["Alpha beta gamma.", "Delta epsilon."],
                 ["a b c", "d e f", "g h i"], long_pars):
        desc = feeds.description(pars)
        assert desc.endswith("...") and " ".join(pars).startswith(desc[:-3])
        assert len(desc[:-3].split()) < sum(len(p.split()) for p in pars)
    assert len(feeds.description(long_pars)) <= 603


def test_feed_authors_and_unknown_ids(world):
    xml, _ = feeds.render_feed(world, None, base=BASE)
    authors = [e.author for e in feedparser.parse(xml).entries]
    assert any("," in a for a in authors) and not any(", " in a for a in authors)
    assert len(authors) == 50
    for bad in ("999", "", "news"):
        with pytest.raises(KeyError):
            feeds.render_feed(world, bad, base=BASE)


# -- robots.txt ---------------------------------------------------------------------------------
def test_robots():
    text = sitemaps.render_robots(base=BASE, crawl_delay=10.0)
    assert list(sitemap_urls_from_robots(text.encode(), base_url=BASE)) == [
        BASE + "/sitemap/archives-0.xml", BASE + "/sitemap_news.xml"]
    assert "Crawl-delay: 10\n" in text and "10.0" not in text
    assert "Crawl-delay: 2.5\n" in sitemaps.render_robots(base=BASE, crawl_delay=2.5)
    assert "Crawl-delay: 0\n" in sitemaps.render_robots(base=BASE, crawl_delay=0)
    for rule in ("/print/", "/ajax", "/login", "/user/*", "*?destination=*", "/epaper",
                 "/__replica__/"):
        assert f"Disallow: {rule}\n" in text
    robots = Protego.parse(text)
    agent = "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl)"
    assert robots.crawl_delay(agent) == 10
    for allowed in ("/news/china/article/3200899/slug", "/news/china/article/3200899/slug"
                    "?utm_source=rss_feed", "/news/china/article/1/s" + TRACKING, "/news/china",
                    "/rss/4/feed", "/sitemap/archives-0.xml", "/content-delivery/v2?operationName"
                    "=X&variables=%7B%7D", "/video/news/3200100/clip", "/d8/images/canvas/x.jpg"):
        assert robots.can_fetch(BASE + allowed, agent), allowed
    for blocked in ("/print/3200899", "/user/12", "/news?destination=home", "/epaper",
                    "/__replica__/clock", "/search?q=china", "/login"):
        assert not robots.can_fetch(BASE + blocked, agent), blocked
    assert not robots.can_fetch(BASE + "/news/china", "GPTBot")


# -- sitemaps -----------------------------------------------------------------------------------
def hkt_month(ms: int) -> tuple[int, int]:
    when = datetime.fromtimestamp(ms / 1000, HKT)
    return when.year, when.month


def month_locs(world: World) -> dict[str, list[dict]]:
    index = Sitemap(sitemaps.render_sitemap_index(world, base=BASE).encode())
    assert index.type == "sitemapindex"
    out = {}
    for entry in index:
        name = entry["loc"].rsplit("/", 1)[1].removesuffix(".xml")
        year, month = sitemaps.month_from_filename(name)
        urlset = Sitemap(sitemaps.render_monthly_sitemap(world, year, month, base=BASE).encode())
        assert urlset.type == "urlset"
        out[entry["loc"]] = [dict(u, month=(year, month), index_lastmod=entry.get("lastmod"))
                             for u in urlset]
    return out


@pytest.mark.parametrize("which", ["world", "long_world"])
def test_archive_sitemaps_list_every_item_once(which, request):
    world = request.getfixturevalue(which)
    files = month_locs(world)
    specs = [world.spec(i) for i in range(world.count)]
    months = sorted({hkt_month(s.published_ms) for s in specs} | {hkt_month(world.now_ms)})
    every_month = [months[0]]
    while every_month[-1] < months[-1]:
        year, month = every_month[-1]
        every_month.append((year + month // 12, month % 12 + 1))
    assert [sitemaps.month_from_filename(loc.rsplit("/", 1)[1][:-4]) for loc in files] \
        == every_month
    for loc in files:
        assert re.fullmatch(re.escape(BASE) + r"/sitemap/archives/articles/\d{4}_"
                            r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\.xml", loc,
                            re.I)
    seen = Counter(u["loc"] for entries in files.values() for u in entries)
    assert all(n == 1 for n in seen.values())
    listed = [s for s in specs if s.kind != "video"]
    assert len(seen) == len(listed)
    by_loc = {u["loc"]: u for entries in files.values() for u in entries}
    with_lastmod = 0
    for spec in listed:
        loc = BASE + (spec.old_path or spec.path)
        assert loc in by_loc, spec
        entry = by_loc[loc]
        assert entry["month"] == hkt_month(spec.published_ms)
        if "lastmod" in entry:
            with_lastmod += 1
            when = datetime.fromisoformat(entry["lastmod"])
            assert when.utcoffset() == timedelta(hours=8)
            assert int(when.timestamp() * 1000) == current_updated(world, spec)
    assert 0.75 * len(listed) < with_lastmod < len(listed)
    assert not any("/video/" in loc for loc in seen)
    assert any(s.old_slug for s in listed)  # renamed items are listed under the old URL
    for entries in files.values():  # the index's lastmod is the file's newest change
        if entries:
            newest = max(current_updated(world, s) for s in listed
                         if hkt_month(s.published_ms) == entries[0]["month"])
            stamp = datetime.fromisoformat(entries[0]["index_lastmod"]).timestamp() * 1000
            assert int(stamp) == newest


def test_month_file_names(long_world):
    index = Sitemap(sitemaps.render_sitemap_index(long_world, base=BASE).encode())
    names = [e["loc"].rsplit("/", 1)[1].removesuffix(".xml").split("_")[1] for e in index]
    assert len(names) >= 10
    styles = {"lower" if n.islower() else "upper" if n.isupper() else "title" for n in names}
    assert len(styles) >= 2
    assert all(n.islower() or n.isupper() or n == n.title() for n in names)
    assert sitemaps.month_from_filename("2021_DEC") == (2021, 12)
    assert sitemaps.month_from_filename("2020_jan") == (2020, 1)
    assert sitemaps.month_from_filename("2022_Mar") == (2022, 3)
    for bad in ("nonsense", "2021_xyz", "21_dec", "2021-dec", "2021_decc", ""):
        with pytest.raises(KeyError):
            sitemaps.month_from_filename(bad)
    with pytest.raises(KeyError):
        sitemaps.render_monthly_sitemap(long_world, 1999, 1, base=BASE)
    now = datetime.fromtimestamp(long_world.now_ms / 1000, HKT)
    later = (now.year + (now.month == 12), now.month % 12 + 1)
    with pytest.raises(KeyError):
        sitemaps.render_monthly_sitemap(long_world, *later, base=BASE)


def test_news_sitemap_covers_exactly_two_days(world):
    xml = sitemaps.render_news_sitemap(world, base=BASE)
    locs = [u["loc"] for u in Sitemap(xml.encode())]
    cutoff = world.now_ms - 2 * 86_400_000
    expected = [s for s in subtree_specs(world, "") if s.kind in ("article", "opinion")
                and s.published_ms >= cutoff]
    assert locs == [BASE + s.path for s in expected] and 40 < len(locs) <= 1000
    root = lxml.etree.fromstring(xml.encode())
    for url, spec in zip(root.iter(SM + "url"), expected, strict=True):
        news = url.find(NEWS + "news")
        assert news.findtext(f"{NEWS}publication/{NEWS}name") == "South China Morning Post"
        assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
        assert news.findtext(NEWS + "title") == spec.headline
        when = datetime.fromisoformat(news.findtext(NEWS + "publication_date"))
        assert when.tzinfo is not None and int(when.timestamp() * 1000) == spec.published_ms


def test_news_sitemap_keeps_the_newest_thousand():
    busy = World(ReplicaConfig(articles=3500, seed=4, minutes_per_item=1))
    locs = [u["loc"] for u in Sitemap(sitemaps.render_news_sitemap(busy, base=BASE).encode())]
    newest = [s for s in subtree_specs(busy, "") if s.is_article][:1000]
    assert locs == [BASE + s.path for s in newest]


# -- the clock moves ----------------------------------------------------------------------------
def test_new_articles_reach_section_pages_feeds_and_sitemaps():
    world = World(ReplicaConfig(articles=300, seed=1))
    feed_before, last_before = feeds.render_feed(world, None, base=BASE)
    updated_before = {world.spec(i).article_id: current_updated(world, world.spec(i))
                      for i in range(world.count)}
    news_before = sitemaps.render_news_sitemap(world, base=BASE)
    changes = world.advance(360)
    new_ids = {str(i) for i in changes["published"]}
    assert len(new_ids) >= 6
    new_specs = [world.spec(world.index_of(int(i))) for i in new_ids]
    for spec in new_specs:
        html = render_section_page(world, spec.section.path, base=BASE, deploy=1)
        edges = next_data(html)["props"]["pageProps"]["payload"]["data"]["contents"]["edges"]
        assert str(spec.article_id) in [e["node"]["entityId"] for e in edges[:len(new_ids)]]
        assert spec.path in Selector(text=html).css(CARD + "::attr(href)").getall() or \
            spec.path + TRACKING in Selector(text=html).css(CARD + "::attr(href)").getall()
    feed_xml, last_after = feeds.render_feed(world, None, base=BASE)
    entries = feedparser.parse(feed_xml).entries
    new_articles = sorted((s for s in new_specs if s.is_article), key=lambda s: -s.published_ms)
    assert [e.link for e in entries[:len(new_articles)]] == \
        [BASE + s.path + "?utm_source=rss_feed" for s in new_articles]
    assert last_after > last_before and feed_xml != feed_before
    news_locs = [u["loc"] for u in Sitemap(sitemaps.render_news_sitemap(world, base=BASE).encode())]
    assert news_locs[:len(new_articles)] == [BASE + s.path for s in new_articles]
    assert news_locs != [u["loc"] for u in Sitemap(news_before.encode())]
    month = max(hkt_month(s.published_ms) for s in new_specs)
    current = sitemaps.render_monthly_sitemap(world, *month, base=BASE)
    for spec in new_specs:
        if spec.kind != "video" and hkt_month(spec.published_ms) == month:
            assert BASE + (spec.old_path or spec.path) in current
    # An edit shows in the gateway's updatedDate.
    assert changes["updated"]
    for article_id in changes["updated"]:
        spec = world.spec(world.index_of(article_id))
        variables = {"sectionUrlAlias": spec.section.url, "after": None, "count": 50}
        node = None
        while node is None:
            contents = gateway_response(world, variables, base=BASE)["data"]["contents"]
            node = next((e["node"] for e in contents["edges"]
                         if e["node"]["entityId"] == str(article_id)), None)
            assert node or contents["pageInfo"]["hasNextPage"]
            variables["after"] = contents["pageInfo"]["endCursor"]
        assert node["updatedDate"] == current_updated(world, spec) > updated_before[article_id]


def test_pages_are_fast_for_a_large_world():
    big = World(ReplicaConfig(articles=100_000, seed=2))
    render_section_page(big, "business/markets", base=BASE, deploy=1)  # warm the spec cache
    start = datetime.now(UTC)
    for _ in range(5):
        render_section_page(big, "business/markets", base=BASE, deploy=1)
    assert (datetime.now(UTC) - start).total_seconds() < 0.5
    assert big.count == 100_000 and len(sitemaps.render_monthly_sitemap(
        big, *hkt_month(big.now_ms), base=BASE)) > 1000
