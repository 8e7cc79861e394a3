"""Any site as an outlet: ``newscrawl crawl --site URL --name NAME`` crawls a site no module
describes, and the entries of an ``outlets.toml`` are outlets of their own.

The site is the corpus replica serving a directory this test writes: the dated pages of
``tests/pages/corpus`` and ``tests/pages/generic``, one tiny article written here, a video and
a gallery page the sitemaps list as stories (the parser refuses them), a tag page they list
too (its address says it is none: never fetched), and a listing page no surface lists.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from newscrawl.discovery.site import read_home_page
from newscrawl.outlets.site import (
    Found,
    StoryIds,
    discovered,
    looks_like_article,
    read_link_listing,
    site_name,
    site_outlet,
)
from newscrawl.records.schema import article_schema
from newscrawl.replica.corpus import CorpusConfig
from newscrawl.replica.corpus.server import CorpusReplicaServer
from tests.utils.cli import run_cli
from tests.utils.client import Client

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "tests" / "pages"
ORIGIN = "https://news.example"
COUNCIL = "/politics/2026/05/31/council-approves-budget"
#: (path, file under tests/pages, section) of every article the site lists.
ARTICLES = [
    (COUNCIL, "corpus/pages/council-approves-budget.html", "politics"),
    ("/politics/2026/05/29/election-turnout-record",
     "corpus/pages/election-turnout-record.html", "politics"),
    ("/business/2026/05/30/harbour-freight-rates", "corpus/pages/harbour-freight-rates.html",
     "business"),
    ("/business/2026/05/28/bakery-chain-expands", "corpus/pages/bakery-chain-expands.html.gz",
     "business"),
    ("/sport/2026/05/31/cup-final-report", "corpus/pages/cup-final-report.html", "sport"),
    ("/article.php?id=1208", "corpus/pages/article-1208.html", "news"),
    ("/opinion/2026/05/30/why-trams-matter", "corpus/pages/why-trams-matter.html", "opinion"),
    ("/news/2026/05/28/breakwater-rebuild", "generic/meta-only.html", "news"),
    ("/news/2026/05/28/ferry-timetable-changes", "generic/jsonld-graph.html", "news"),
    ("/local/2026/05/28/market-hall-roof", "generic/dom-only.html", "local"),
]
#: Listed as stories, refused by the parser (a counted skip), never stored.
REFUSED = [("/video/2026/05/29/harbour-tour", "generic/video.html", "video"),
           ("/photos/2026/05/29/storm-pictures", "generic/gallery.html", "gallery")]
TAG_PAGE = "/tag/harbour"
TINY = "/story/48213"
TINY_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Night buses return - Example Herald</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Night buses return to the harbour line", "datePublished": "2026-05-30T21:00:00Z",
"author": {"@type": "Person", "name": "Tove Lind"}}</script></head><body><main><article>
<h1>Night buses return to the harbour line</h1>
<p>Night buses run again on the harbour line from Friday, the transport office said, after a
winter in which the route stopped at eleven because too few drivers could be found.</p>
<p>The office hired fourteen drivers in the spring. Buses will leave the quay every thirty
minutes until three in the morning, and every hour after that until the first ferry.</p>
</article></main></body></html>
"""


def _write_corpus(directory: Path) -> None:
    index = []
    for path, file, section in ARTICLES + REFUSED:
        target = directory / "pages" / Path(file).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PAGES / file, target)
        index.append({"url": ORIGIN + path, "file": f"pages/{target.name}", "section": section})
    (directory / "pages" / "tiny.html").write_text(TINY_HTML, encoding="utf-8")
    index.append({"url": ORIGIN + TINY, "file": "pages/tiny.html", "section": "news"})
    shutil.copyfile(PAGES / "generic/section.html", directory / "pages" / "tag.html")
    index.append({"url": ORIGIN + TAG_PAGE, "file": "pages/tag.html", "section": "news",
                  "published": "2026-05-29T10:00:00Z"})
    shutil.copyfile(PAGES / "corpus/pages/politics-front.html",
                    directory / "pages" / "politics-front.html")
    index.append({"url": ORIGIN + "/politics/", "file": "pages/politics-front.html",
                  "kind": "listing", "section": "politics"})
    (directory / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[CorpusReplicaServer]:
    directory = tmp_path / "corpus"
    _write_corpus(directory)
    with CorpusReplicaServer(CorpusConfig(directory=directory, crawl_delay=0)) as server:
        yield server


def _crawl(*args: str) -> None:
    result = run_cli("crawl", *args, "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0",
                     # Every run reads the sitemap index, whose lastmod dates the edits.
                     "-s", "NEWSCRAWL_SITEMAP_INDEX_EVERY_HOURS=0")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


def _rows(data_dir: Path, name: str, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / name / "archive.sqlite") as db:
        return db.execute(sql).fetchall()


def _journal(data_dir: Path, name: str) -> list[dict]:
    text = (data_dir / name / "articles.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_a_site_no_module_describes_is_crawled_and_kept_up_to_date(site, tmp_path):
    data = tmp_path / "data"
    client = Client(site.base_url)
    story_id = StoryIds()
    expected = {story_id(site.base_url + path): path for path, _, _ in ARTICLES}
    expected[story_id(site.base_url + TINY)] = TINY

    _crawl("--site", site.base_url, "--name", "testsite", "--data-dir", str(data))

    stored = _rows(data, "testsite", "SELECT article_id, url, parser_version FROM articles")
    assert sorted(r[0] for r in stored) == sorted(expected)  # every story, each once
    assert all(r[1] == site.base_url + expected[r[0]] for r in stored)
    assert {r[2] for r in stored} == {"testsite.generic.V1"}
    revisions = _rows(data, "testsite", "SELECT article_id, content_hash FROM revisions")
    journal = _journal(data, "testsite")
    assert sorted(r[0] for r in revisions) == sorted(expected)
    assert sorted(line["article_id"] for line in journal) == sorted(expected)
    assert not any(part in r[1] for r in stored for part in ("/video/", "/photos/", "/tag/"))
    validator = jsonschema.Draft202012Validator(article_schema())
    assert all(validator.is_valid(line) for line in journal)  # the record every outlet writes
    assert {line["outlet"] for line in journal} == {"testsite"}
    fetches = client.json("/__replica__/stats")["article_fetches"]
    assert all(fetches.get(path) == 1 for path in list(expected.values()))
    assert all(fetches.get(path) == 1 for path, _, _ in REFUSED)  # fetched, then refused
    assert TAG_PAGE not in fetches  # its address says it is no story
    (stats,) = _rows(data, "testsite", "SELECT stats FROM runs")
    first = json.loads(stats[0])
    assert first["newscrawl/skipped/video"] == 1 and first["newscrawl/skipped/gallery"] == 1
    assert first["newscrawl/discovery/site_sitemaps"] == 2  # robots.txt's Sitemap: lines
    assert first["newscrawl/discovery/site_feeds"] == 1  # the home page's RSS link

    # One story changes; the next run fetches it and nothing else.
    client.json("/__replica__/corpus/edit?url=" + urllib.parse.quote(COUNCIL), method="POST")
    client.json("/__replica__/stats/reset", method="POST")
    _crawl("--site", site.base_url, "--name", "testsite", "--data-dir", str(data))

    runs = _rows(data, "testsite", "SELECT stats FROM runs ORDER BY id")
    second = json.loads(runs[-1][0])
    assert client.json("/__replica__/stats")["article_fetches"] == {COUNCIL: 1}, json.dumps({k: v for k, v in second.items() if k.startswith("newscrawl/")})
    assert second["newscrawl/pages/article"] == 1
    assert second["newscrawl/stored/revised"] == 1 and "newscrawl/stored/new" not in second
    council = story_id(site.base_url + COUNCIL)
    held = dict(_rows(data, "testsite",
                      "SELECT article_id, count(*) FROM revisions GROUP BY article_id"))
    assert held[council] == 2 and all(n == 1 for i, n in held.items() if i != council)
    assert len(_journal(data, "testsite")) == len(expected) + 1

    # The archive commands take the site's outlet by name.
    found = run_cli("search", "council", "--outlet", "testsite", "--data-dir", str(data))
    assert found.returncode == 0 and COUNCIL in found.stdout
    counts = run_cli("stats", "--outlet", "testsite", "--data-dir", str(data))
    assert counts.returncode == 0, counts.stderr
    checked = run_cli("check", "--outlet", "testsite", "--data-dir", str(data))
    assert checked.returncode == 0, checked.stdout + checked.stderr  # journal == revisions
    out = tmp_path / "site.jsonl"
    exported = run_cli("export", "--outlet", "testsite", "--data-dir", str(data),
                       "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(expected)


OUTLETS_TOML = """
[[outlet]]
name = "herald"
base_url = "{base}"
sitemaps = ["/sitemap_news.xml", "/sitemap_index.xml"]
feeds = ["/feed.xml"]
article_url = '^/(?:[a-z]+/\\d{{4}}/\\d{{2}}/\\d{{2}}/|story/\\d+|article[.]php)'
tracking_params = ["src"]
politeness = {{ crawl_delay = 0, concurrency = 2 }}
"""


def test_an_outlets_toml_entry_is_an_outlet(site, tmp_path):
    data = tmp_path / "data"
    outlets = tmp_path / "outlets.toml"
    outlets.write_text(OUTLETS_TOML.format(base=site.base_url), encoding="utf-8")
    _crawl("herald", "--outlets", str(outlets), "--data-dir", str(data))
    stored = _rows(data, "herald", "SELECT url FROM articles")
    assert len(stored) == len(ARTICLES) + 1
    # The declared sitemaps and feed, not a probe of the site.
    (stats,) = _rows(data, "herald", "SELECT stats FROM runs")
    assert "newscrawl/discovery/probes" not in json.loads(stats[0])


@pytest.mark.parametrize(("entry", "named"), [
    ('name = "herald"\nbase_url = "ftp://x"', "entry 1 (herald): key 'base_url'"),
    ('name = "Bad Name"\nbase_url = "https://x.example"', "entry 1 (Bad Name): key 'name'"),
    ('name = "herald"\nbase_url = "https://x.example"\narticle_url = "("',
     "entry 1 (herald): key 'article_url'"),
    ('name = "herald"\nbase_url = "https://x.example"\nfeeds = "/feed"',
     "entry 1 (herald): key 'feeds'"),
    ('name = "herald"\nbase_url = "https://x.example"\ncolour = "red"',
     "entry 1 (herald): key 'colour'"),
    ('name = "herald"\nbase_url = "https://x.example"\npoliteness = { crawl_delay = -1 }',
     "entry 1 (herald): key 'politeness.crawl_delay'"),
    ('name = "herald"\nbase_url = "https://www.scmp.com"', "entry 1 (herald): key 'domains'"),
])
def test_a_bad_outlets_toml_entry_is_one_line_naming_entry_and_key(tmp_path, entry, named):
    outlets = tmp_path / "outlets.toml"
    outlets.write_text(f"[[outlet]]\n{entry}\n", encoding="utf-8")
    result = run_cli("crawl", "herald", "--outlets", str(outlets), "--data-dir",
                     str(tmp_path / "data"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr


def test_bad_site_options_are_one_line_and_exit_2(tmp_path):
    for args, said in ((("--site", "ftp://x.example"), "not an http(s) URL"),
                       (("--site", "https://x.example", "--name", "Bad-Name"), "--name"),
                       (("scmp", "--site", "https://x.example"), "registered already"),
                       (("--name", "x"), "give --site too")):
        result = run_cli("crawl", *args, "--data-dir", str(tmp_path))
        assert result.returncode == 2 and said in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("path", "article"), [
    ("/politics/2026/05/31/council-approves-budget", True),
    ("/archive/2026-04-02-old-bridge.html", True),
    ("/story/48213", True),
    ("/culture/museum-reopens-after-renovation", True),
    ("/article.php?id=1208", True),
    ("/?p=3289", True),
    ("/", False),
    ("/politics/", False),
    ("/tag/harbour", False),
    ("/category/politics/2026/05/31/x", False),
    ("/author/ines-berg", False),
    ("/news/page/2", False),
    ("/about-us", False),
    ("/img/2026/05/31/photo.jpg", False),
])
def test_article_urls_are_told_by_their_shape(path, article):
    target, _, query = path.partition("?")
    assert looks_like_article(target, query) is article


def test_story_ids_ignore_host_tracking_and_trailing_slash():
    ids = StoryIds()
    one = ids("http://127.0.0.1:8000" + COUNCIL)
    assert one == ids("https://www.news.example" + COUNCIL + "/?utm_source=rss")
    assert one != ids("https://news.example/politics/2026/05/30/other-story")
    assert ids("https://news.example/a?id=1") != ids("https://news.example/a?id=2")
    assert site_name("https://www.news.example.com/") == "news_example_com"
    assert site_name("http://127.0.0.1:8000") == "site_127_0_0_1_8000"


def test_a_section_page_is_read_as_a_page_of_links():
    html = ('<ul><li><article><h2><a href="/politics/2026/05/31/a-b-c">A</a></h2>'
            '<time datetime="2026-05-31T08:00:00Z">31 May</time></article></li>'
            '<li><a href="/tag/x">X</a></li></ul>')
    listing = read_link_listing("https://news.example/politics/", html)
    assert [(c.url, c.published_at) for c in listing.cards] == [
        ("https://news.example/politics/2026/05/31/a-b-c", "2026-05-31T08:00:00Z"),
        ("https://news.example/tag/x", None)]
    assert listing.next_page is None and not listing.has_more


def test_scrapy_crawl_finds_the_spider_of_an_outlets_toml_entry(site, tmp_path):
    outlets = tmp_path / "outlets.toml"
    outlets.write_text(f'[[outlet]]\nname = "herald"\nbase_url = "{site.base_url}"\n',
                       encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "herald", "-s", f"NEWSCRAWL_OUTLETS={outlets}",
         "-s", f"NEWSCRAWL_DATA_DIR={tmp_path / 'data'}", "-s", "LOG_LEVEL=INFO"],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(_rows(tmp_path / "data", "herald", "SELECT url FROM articles")) == \
        len(ARTICLES) + 1


def test_the_home_page_gives_feeds_and_sections_and_sections_only_stand_in():
    html = ('<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
            '<link rel="alternate" type="application/atom+xml" href="https://other.example/a">'
            '</head><body><header><nav><a href="/news/">News</a> <a href="/sport">Sport</a>'
            '<a href="/news/world/">World</a> <a href="/subscribe">Subscribe</a>'
            '<a href="/news/2026/05/31/a-long-story">A story</a>'
            '<a href="https://other.example/x">Elsewhere</a></nav></header></body></html>')
    base = "https://www.news.example"
    outlet = site_outlet(base, "herald")
    page = read_home_page(html, base + "/", base, outlet.is_article_url)
    assert page.feeds == ("/rss.xml",)  # the Atom link is on another host
    assert page.sections == ("news", "sport", "news/world")
    with_feed = discovered(outlet, Found(feeds=list(page.feeds), sections=list(page.sections)))
    assert with_feed.feeds == ("/rss.xml",) and with_feed.main_feeds == ("/rss.xml",)
    assert with_feed.sections == ()  # a feed lists the stories
    alone = discovered(outlet, Found(sections=list(page.sections)))
    assert alone.sections == ("news", "sport", "news/world")
    indexed = discovered(outlet, Found(sitemaps=["/sitemap_index.xml", "/news-sitemap.xml"]))
    assert indexed.news_sitemaps == ("/news-sitemap.xml",) and indexed.sections == ()


def test_newscrawl_run_crawls_a_site_on_a_schedule(site, tmp_path):
    data = tmp_path / "data"
    result = run_cli("run", "--site", site.base_url, "--name", "looped", "--every", "1s",
                     "--runs", "1", "--data-dir", str(data), "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "crawl 1: exit 0" in result.stderr
    assert len(_rows(data, "looped", "SELECT url FROM articles")) == len(ARTICLES) + 1


def test_a_site_crawled_with_warc_is_parsed_again_from_it(site, tmp_path):
    data = tmp_path / "data"
    _crawl("--site", site.base_url, "--name", "testsite", "--data-dir", str(data), "--warc")
    rebuilt = tmp_path / "rebuilt.sqlite"
    result = run_cli("reparse", "--site", site.base_url, "--outlet", "testsite",
                     "--data-dir", str(data), "--db", str(rebuilt))
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(rebuilt) as db:
        again = sorted(r[0] for r in db.execute("SELECT article_id FROM articles"))
    assert again == sorted(r[0] for r in _rows(data, "testsite",
                                                "SELECT article_id FROM articles"))
