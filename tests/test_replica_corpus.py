"""The corpus replica: a directory of saved pages served as one news site.

The pages are the ten small ones of ``tests/pages/corpus`` (an imaginary news.example: dates
in JSON-LD, in OpenGraph meta, in ``<time>``, in the index, and none; a gzip-compressed
ISO-8859-1 page; a URL with a query; a listing page; a page the index does not name), or
directories written by the test.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from newscrawl.discovery.feeds import parse_feed
from newscrawl.discovery.sitemaps import parse_robots_sitemaps, parse_sitemap
from newscrawl.replica.corpus import Corpus, CorpusConfig, CorpusError
from newscrawl.replica.corpus.server import CorpusReplicaServer
from newscrawl.replica.corpus.surfaces import render_feed, render_section_page
from tests.utils.client import Client

PAGES = Path(__file__).parent / "pages" / "corpus"
INDEX = json.loads((PAGES / "index.json").read_text())
ORIGIN = "https://news.example"
COUNCIL = "/politics/2026/05/31/council-approves-budget"
BAKERY = "/business/2026/05/28/bakery-chain-expands"


def _saved(relative: str) -> bytes:
    data = (PAGES / relative).read_bytes()
    return gzip.decompress(data) if relative.endswith(".gz") else data


@pytest.fixture(scope="module")
def corpus_site() -> Iterator[CorpusReplicaServer]:
    """Read-only tests share it."""
    with CorpusReplicaServer(CorpusConfig(directory=PAGES, crawl_delay=0,
                                          name="The Example Herald")) as server:
        yield server


@pytest.fixture()
def fresh_site() -> Iterator[CorpusReplicaServer]:
    """For tests that edit pages or set faults."""
    with CorpusReplicaServer(CorpusConfig(directory=PAGES, crawl_delay=0)) as server:
        yield server


def test_every_page_is_served_at_its_original_path(corpus_site):
    client = Client(corpus_site.base_url)
    for entry in INDEX:
        path = entry["url"].removeprefix(ORIGIN)
        status, headers, body = client.get(path)
        assert status == 200 and body == _saved(entry["file"]), path
        assert headers["Content-Type"].startswith("text/html")
    # The page no entry names is served at its file path.
    assert client.get("/archive/2026-04-02-old-bridge.html")[2] == _saved(
        "archive/2026-04-02-old-bridge.html")
    # A stored .gz goes out as stored to a client that asks for gzip, with its charset.
    status, headers, body = client.get(BAKERY, headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert body == (PAGES / "pages/bakery-chain-expands.html.gz").read_bytes()
    assert headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert "Bäckerei Sommer" in gzip.decompress(body).decode("iso-8859-1")
    # A query the page's URL does not have (tracking parameters) is ignored.
    assert client.get(COUNCIL + "?utm_source=rss")[2] == client.get(COUNCIL)[2]
    assert client.get("/no/such/page")[0] == 404
    assert client.get("/")[0] == 302


def test_articles_json_lists_the_articles_with_their_dates(corpus_site):
    client = Client(corpus_site.base_url)
    listed = client.json("/__replica__/articles.json")
    by_path = {a["path"]: a for a in listed["articles"]}
    assert listed["count"] == 9 and "/politics/" not in by_path  # the listing is not an article
    assert listed["now"] == "2026-06-01T06:00:00Z"
    expected = {  # path: (published, updated, where the date came from)
        COUNCIL: ("2026-05-31T07:15:00Z", "2026-05-31T12:02:00Z", "json-ld"),
        "/politics/2026/05/29/election-turnout-record": ("2026-05-29T18:40:00Z", None, "json-ld"),
        "/business/2026/05/30/harbour-freight-rates": ("2026-05-30T05:05:00Z",
                                                       "2026-05-30T09:20:00Z", "meta"),
        BAKERY: ("2026-05-28T04:30:00Z", None, "json-ld"),
        "/sport/2026/05/31/cup-final-report": ("2026-05-31T19:48:00Z", None, "time"),
        "/article.php?id=1208": ("2026-06-01T06:00:00Z", None, "json-ld"),
        "/opinion/2026/05/30/why-trams-matter": ("2026-05-30T07:30:00Z", None, "index"),
        "/archive/2026-04-02-old-bridge.html": ("2026-04-02T08:00:00Z", None, "json-ld"),
    }
    for path, (published, updated, source) in expected.items():
        article = by_path[path]
        assert (article["published_at"], article["date_source"]) == (published, source), path
        assert article["updated_at"] == (updated or published)
        assert article["url"] == corpus_site.base_url + path
    museum = by_path["/culture/museum-reopens-after-renovation"]
    # No date in the page: one between the oldest and the newest, the same on every start.
    assert museum["date_source"] == "none"
    assert "2026-04-02T08:00:00Z" <= museum["published_at"] <= "2026-06-01T06:00:00Z"
    assert Corpus(CorpusConfig(directory=PAGES)).find(
        "/culture/museum-reopens-after-renovation").published_ms == _ms(museum["published_at"])
    assert by_path[COUNCIL]["title"] == "Council approves a leaner budget after a late-night session"
    assert by_path[COUNCIL]["original_url"] == ORIGIN + COUNCIL
    listings = client.json("/__replica__/articles.json?kinds=listing")["articles"]
    assert [a["path"] for a in listings] == ["/politics/"]
    politics = client.json("/__replica__/articles.json?section=politics")["articles"]
    assert [a["path"] for a in politics] == ["/politics/2026/05/29/election-turnout-record", COUNCIL]
    assert client.get("/__replica__/articles.json?kinds=video")[0] == 400


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp()) * 1000


def test_robots_sitemaps_and_feed_list_every_article(corpus_site):
    client, base = Client(corpus_site.base_url), corpus_site.base_url
    articles = {a["url"]: a for a in client.json("/__replica__/articles.json")["articles"]}
    robots = client.get("/robots.txt")[2]
    assert b"Crawl-delay: 0\n" in robots
    assert parse_robots_sitemaps(robots, base + "/robots.txt") == [
        base + "/sitemap_index.xml", base + "/sitemap_news.xml"]
    index = parse_sitemap(client.get("/sitemap_index.xml")[2], base + "/sitemap_index.xml")
    assert index.kind == "index"
    assert [s.url for s in index.sitemaps] == [base + "/sitemaps/2026-04.xml",
                                               base + "/sitemaps/2026-05.xml",
                                               base + "/sitemaps/2026-06.xml"]
    listed = {}
    for child in index.sitemaps:
        month = parse_sitemap(client.get(child.url.removeprefix(base))[2], child.url)
        listed.update({e.url: e.lastmod for e in month.entries})
    assert listed == {url: a["updated_at"] for url, a in articles.items()}
    news = parse_sitemap(client.get("/sitemap_news.xml")[2], base + "/sitemap_news.xml")
    assert [e.url.removeprefix(base) for e in news.entries] == [
        "/article.php?id=1208", "/sport/2026/05/31/cup-final-report", COUNCIL,
        "/opinion/2026/05/30/why-trams-matter"]  # two days up to the newest story
    assert news.entries[0].title == "Night trains return to the northern line"
    feed = parse_feed(client.get("/feed.xml")[2], base + "/feed.xml")
    assert [e.link for e in feed] == sorted(articles, key=lambda u: articles[u]["published_at"],
                                            reverse=True)
    assert [e.published_at for e in feed] == [articles[e.link]["published_at"] for e in feed]


def test_section_pages_list_their_articles_newest_first(corpus_site):
    client, base = Client(corpus_site.base_url), corpus_site.base_url
    status, _, body = client.get("/section/politics")
    links = re.findall(r'<h2><a href="([^"]+)">', body.decode())
    assert status == 200 and links == [base + COUNCIL,
                                       base + "/politics/2026/05/29/election-turnout-record"]
    everything = re.findall(r'<h2><a href="([^"]+)">', client.get("/section/")[2].decode())
    assert len(everything) == 9 and everything[0] == base + "/article.php?id=1208"
    for section in ("business", "culture", "news", "opinion", "politics", "sport"):
        assert f'href="/section/{section}"'.encode() in body
    assert client.get("/section/nope")[0] == 404
    assert client.get("/section/politics?page=2")[0] == 404


def test_conditional_requests_and_an_edit(fresh_site):
    client = Client(fresh_site.base_url)
    status, headers, before = client.get(COUNCIL)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert client.get(COUNCIL, headers={"If-None-Match": etag})[0] == 304
    assert client.get(COUNCIL, headers={"If-Modified-Since": modified})[0] == 304
    sitemap_before = client.get("/sitemaps/2026-05.xml")[2]
    feed_before = parse_feed(client.get("/feed.xml")[2], "/feed.xml")
    edit = client.json("/__replica__/corpus/edit?url=" + urllib.parse.quote(
        fresh_site.base_url + COUNCIL), method="POST")
    assert edit["version"] == 1 and edit["paragraph"].startswith("Update: ")
    assert edit["updated_at"] == "2026-06-01T06:01:00Z"  # the corpus clock, a minute on
    status, headers, after = client.get(COUNCIL)
    assert status == 200 and headers["ETag"] != etag and headers["Last-Modified"] != modified
    paragraph = f"<p>{html.escape(edit['paragraph'], quote=False)}</p>".encode()
    last = b"The budget now goes to the regional authority, which has six weeks to raise objections.</p>"
    assert after == before.replace(last, last + paragraph)
    assert client.get(COUNCIL, headers={"If-None-Match": etag})[0] == 200
    assert client.get(COUNCIL, headers={"If-Modified-Since": modified})[0] == 200
    assert client.get(COUNCIL, headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert gzip.decompress(client.get(COUNCIL, headers={"Accept-Encoding": "gzip"})[2]) == after
    # The sitemap's lastmod moves; the feed's items, which carry publication dates, do not.
    assert client.get("/sitemaps/2026-05.xml")[2] != sitemap_before
    assert b"<lastmod>2026-06-01T06:01:00Z</lastmod>" in client.get("/sitemaps/2026-05.xml")[2]
    assert parse_feed(client.get("/feed.xml")[2], "/feed.xml") == feed_before
    # Edits by the original URL, with a text of one's own, in the page's own charset.
    query = urllib.parse.urlencode({"url": ORIGIN + BAKERY, "text": "Grüße aus Mühlheim"})
    second = client.json(f"/__replica__/corpus/edit?{query}", method="POST")
    assert second["version"] == 1 and second["updated_at"] == "2026-06-01T06:02:00Z"
    page = client.get(BAKERY, headers={"Accept-Encoding": "gzip"})[2]
    assert "<p>Grüße aus Mühlheim</p></div>" in gzip.decompress(page).decode("iso-8859-1")
    listed = {a["path"]: a for a in client.json("/__replica__/articles.json")["articles"]}
    assert listed[COUNCIL]["version"] == 1 and listed[BAKERY]["version"] == 1
    assert client.get("/__replica__/corpus/edit?url=/nowhere", method="POST")[0] == 404


def test_faults_and_statistics(fresh_site):
    client = Client(fresh_site.base_url)
    saved = _saved("pages/cup-final-report.html")
    profile = client.json("/__replica__/faults?rate=1&kinds=500&max_attempts=1", method="POST")
    assert profile["rate"] == 1.0
    assert client.get("/sport/2026/05/31/cup-final-report")[0] == 500
    assert client.get("/sport/2026/05/31/cup-final-report")[2] == saved  # the second attempt
    assert client.get("/feed.xml")[0] == 500 and client.get("/section/sport")[0] == 500
    client.json("/__replica__/faults?rate=1&kinds=bad_nextdata&max_attempts=5", method="POST")
    assert client.get("/sport/2026/05/31/cup-final-report")[2] == saved  # no data script to break
    client.json("/__replica__/faults?off", method="POST")
    stats = client.json("/__replica__/stats")
    assert stats["requests"]["article"] == 3 and stats["faults"] == {"500": 3}
    # A page answered by a fault is no fetch of the page.
    assert stats["article_fetches"] == {"/sport/2026/05/31/cup-final-report": 2}
    assert client.json("/__replica__/stats/reset", method="POST")["total"] == 0
    assert client.json("/__replica__/")["config"]["pages"] == 10


def _page(title: str, head: str = "") -> str:
    return (f"<!DOCTYPE html><html lang=\"de\"><head><title>{title}</title>{head}</head><body>"
            f"<main><article><h1>{title}</h1><p>Text of {title}.</p></article></main></body></html>")


def test_the_index_rules(tmp_path):
    (tmp_path / "p").mkdir()
    for name in ("a", "b", "c", "d", "e"):
        (tmp_path / "p" / f"{name}.html").write_text(_page(name))
    (tmp_path / "p" / "epoch.html").write_text(_page("epoch", (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "1970-01-01T00:00:00Z"}</script>'
        '<meta property="article:published_time" content="2024-02-03T04:05:06Z"/>')))
    index = [{"url": "https://one.example/", "file": "p/a.html"},
             {"url": "https://two.example/", "file": "p/b.html"},  # "/" is taken: file path
             {"url": "hard::a-label.html", "file": "p/c.html"},  # not a URL: file path
             {"url": "https://x.example/robots.txt", "file": "p/d.html"},  # the replica's own
             {"url": "https://x.example/a b/ ", "file": "p/e.html", "kind": "page"},
             {"url": "https://x.example/old", "file": "p/epoch.html"}]
    (tmp_path / "index.json").write_text(json.dumps(index))
    corpus = Corpus(CorpusConfig(directory=tmp_path))
    served = {page.relative: page.key for page in corpus.pages.values()}
    assert served == {"p/a.html": "/", "p/b.html": "/p/b.html", "p/c.html": "/p/c.html",
                      "p/d.html": "/p/d.html", "p/e.html": "/a%20b/",
                      "p/epoch.html": "/old"}
    assert corpus.moved == 2
    assert corpus.find("/a%20b/").kind == "page" and corpus.find("/a b/") is not None
    epoch = corpus.find("/old")
    assert (epoch.date_source, epoch.published_ms) == ("meta", _ms("2024-02-03T04:05:06+00:00"))
    assert [p.language for p in corpus.articles()] == ["de"] * 5
    # Without an index every page is an article at its file path.
    (tmp_path / "index.json").unlink()
    assert sorted(Corpus(CorpusConfig(directory=tmp_path)).pages) == [
        "/p/a.html", "/p/b.html", "/p/c.html", "/p/d.html", "/p/e.html", "/p/epoch.html"]


@pytest.mark.parametrize(("index", "message"), [
    ({"url": "x"}, "must be a JSON list"),
    ([{"url": "https://x.example/a"}], 'needs a "file"'),
    ([{"url": "https://x.example/a", "file": "missing.html"}], "no file"),
    ([{"url": "https://x.example/a", "file": "a.html", "kind": "video"}], "kind 'video'"),
    ([{"url": "https://x.example/a", "file": "a.html", "section": "Big News"}], "must be a slug"),
    ([{"url": "https://x.example/a", "file": "a.html", "published": "soon"}], "not ISO 8601"),
])
def test_an_index_that_cannot_be_served_is_one_clear_error(tmp_path, index, message):
    (tmp_path / "a.html").write_text(_page("a"))
    (tmp_path / "index.json").write_text(json.dumps(index))
    with pytest.raises(CorpusError, match=message):
        Corpus(CorpusConfig(directory=tmp_path))


def test_section_pages_are_paged_and_everything_is_deterministic(tmp_path):
    for n in range(45):
        (tmp_path / f"story-{n:02d}.html").write_text(_page(f"Story {n}"))
    corpus, again = Corpus(CorpusConfig(directory=tmp_path)), Corpus(CorpusConfig(directory=tmp_path))
    base = "http://replica.test"
    first = render_section_page(corpus, None, 1, base=base)
    assert first == render_section_page(again, None, 1, base=base)
    assert render_feed(corpus, base=base) == render_feed(again, base=base)
    assert len(re.findall("<h2>", first)) == 20 and '<a rel="next" href="/section/?page=2">' in first
    third = render_section_page(corpus, "news", 3, base=base)
    assert len(re.findall("<h2>", third)) == 5 and 'rel="next"' not in third
    assert '<a rel="prev" href="/section/news?page=2">' in third
    with pytest.raises(KeyError):
        render_section_page(corpus, "news", 4, base=base)
    dates = sorted(p.published_ms for p in corpus.pages.values())
    assert len(set(dates)) == 45  # undated pages are spread over the default month


def test_the_command_line_serves_a_corpus(tmp_path):
    command = [sys.executable, "-m", "newscrawl.cli", "replica", "--corpus", str(PAGES),
               "--port", "0", "--crawl-delay", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline() if process.stdout else ""
        assert "serving 10 pages (9 articles)" in banner, banner
        base = re.search(r"at (http://127\.0\.0\.1:\d+)/", banner).group(1)
        assert Client(base).get(COUNCIL)[2] == _saved("pages/council-approves-budget.html")
    finally:
        process.terminate()
        process.wait(10)
    refused = subprocess.run([*command, "--articles", "5"], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 2 and "--articles do not apply" in refused.stderr
    missing = subprocess.run([*command[:5], str(tmp_path / "nope"), "--port", "0"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "is not a directory" in missing.stderr
