"""The redesign (``POST /__replica__/redesign``): a new markup generation of the article pages
that the SCMP parser does not know, while the truth and every listing stay as they were.

What the parser does on redesigned pages is recorded here: it finds none of its sources for
the body (no ``__NEXT_DATA__`` article at its path, no Apollo state, no ``data-qa`` body
container, no ``articleBody``), so every article page's body comes from the generic
parser's fallback (``field_sources["body"] == "generic_body"``, with every paragraph of the
truth in it; tests/test_outlet_scmp_fallback.py). A generic reader of the DOM finds the
whole body.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html

from newscrawl.cli import build_parser
from newscrawl.extraction.errors import ExtractionFailed
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.replica import ReplicaConfig, World
from newscrawl.replica.pages.article import render_article_page
from newscrawl.replica.pages.article.redesign import COMPONENTS
from newscrawl.replica.pages.listing import gateway_contract
from newscrawl.replica.server import ReplicaServer
from newscrawl.replica.world import RSS_FEEDS, SECTION_PAGES
from tests.utils.client import Client

FETCHED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
BASE = "http://replica.test"


def _articles(world: World) -> list[int]:
    return [i for i in range(world.count) if world.spec(i).is_article]


def _listings(client: Client, seed: int) -> dict[str, bytes]:
    """Every discovery surface the replica serves, by path, as bytes (plain and gzip)."""
    paths = ["/robots.txt", "/sitemap/archives-0.xml", "/sitemap_news.xml", "/rss/feed"]
    paths += [f"/rss/{feed}/feed" for feed in RSS_FEEDS]
    paths += ["/" + section for section in SECTION_PAGES]
    index = client.get("/sitemap/archives-0.xml")[2].decode()
    paths += [loc.split(client.base, 1)[1] for loc in re.findall(r"<loc>([^<]+)</loc>", index)]
    contract = gateway_contract(seed, 1)
    gateway = "/content-delivery/v2?" + urllib.parse.urlencode({
        "operationName": contract.operation_name,
        "variables": json.dumps({"sectionUrlAlias": "/news/china", "count": 30}),
        "extensions": json.dumps({"persistedQuery": {"version": 1,
                                                     "sha256Hash": contract.sha256_hash}})})
    out = {}
    for path in paths:
        status, headers, body = client.get(path)
        assert status == 200, path
        out[path] = body + headers.get("ETag", "").encode()
        out[path + " gzip"] = client.get(path, headers={"Accept-Encoding": "gzip"})[2]
    status, _, body = client.get(gateway, headers={"apikey": contract.apikey})
    assert status == 200
    out["gateway"] = body
    return out


def _parse(url: str, html: str):
    try:
        return ScmpParserV1().parse(url, html, FETCHED)
    except ExtractionFailed as exc:
        return exc


@pytest.fixture()
def redesign_replica():
    with ReplicaServer(ReplicaConfig(articles=150, seed=11, crawl_delay=0,
                                     apollo_share=0.3)) as server:
        yield server


def test_the_redesign_switches_article_pages_and_nothing_else(redesign_replica):
    replica, client = redesign_replica, Client(redesign_replica.base_url)
    world = replica.world
    assert client.json("/__replica__/redesign") == {
        "redesigned": False, "since": None, "since_ms": None, "now": "2026-06-01T08:00:00Z"}
    listings = _listings(client, world.config.seed)
    before, sources = {}, {}
    for i in _articles(world):
        spec = world.spec(i)
        status, headers, body = client.get(spec.path)
        assert status == 200
        record = _parse(replica.base_url + spec.path, body.decode())
        assert not isinstance(record, ExtractionFailed), (spec.path, record)
        sources[i] = record.field_sources["body"]
        before[i] = (headers, body, client.json(f"/__replica__/truth/{spec.article_id}.json"))
    # Before: every article page's body comes from its data script; only the pages whose
    # __NEXT_DATA__ is broken or missing (MARKUP's few) fall back to the DOM.
    for i, source in sources.items():
        spec = world.spec(i)
        expected = {"apollo": "apollo", "nextjs": "next_data"}[spec.generation]
        assert source == (expected if spec.variant == "full" else "dom"), (spec.path, source)

    assert client.json("/__replica__/redesign", method="POST") == {
        "redesigned": True, "since": "2026-06-01T08:00:00Z", "since_ms": world.now_ms,
        "now": "2026-06-01T08:00:00Z"}
    assert client.json("/__replica__/redesign")["redesigned"] is True

    reasons, bodies = set(), set()
    for i in _articles(world):
        spec = world.spec(i)
        old_headers, old_body, truth = before[i]
        status, headers, body = client.get(spec.path)
        assert status == 200 and body != old_body
        assert headers["ETag"] != old_headers["ETag"]
        # A revisit with the old validators sees the new page.
        assert client.get(spec.path, headers={"If-None-Match": old_headers["ETag"]})[0] == 200
        assert client.get(spec.path, headers={
            "If-Modified-Since": old_headers["Last-Modified"]})[0] == 200
        assert client.get(spec.path, headers={"If-None-Match": headers["ETag"]})[0] == 304
        assert client.json(f"/__replica__/truth/{spec.article_id}.json") == truth
        record = _parse(replica.base_url + spec.path, body.decode())
        if isinstance(record, ExtractionFailed):
            reasons.add(record.reason)
        else:
            assert "next_data" not in record.field_sources.values()
            bodies.add(record.field_sources["body"])
    # What the current parser does: no source of its own gives the body; the fallback does.
    assert reasons == set() and bodies == {"generic_body"}
    assert _listings(client, world.config.seed) == listings


def test_amp_video_and_gallery_pages_keep_their_markup(redesign_replica):
    replica, client = redesign_replica, Client(redesign_replica.base_url)
    world = replica.world
    others = [world.spec(i) for i in range(world.count) if not world.spec(i).is_article]
    article = world.spec(_articles(world)[0])
    paths = [s.path for s in others] + ["/amp" + article.path]
    assert others
    before = {path: client.get(path)[1:] for path in paths}
    client.json("/__replica__/redesign", method="POST")
    for path in paths:
        headers, body = client.get(path)[1:]
        assert body == before[path][1] and headers["ETag"] == before[path][0]["ETag"], path


def test_the_redesign_can_be_scheduled_and_undone(redesign_replica):
    client = Client(redesign_replica.base_url)
    spec = redesign_replica.world.spec(_articles(redesign_replica.world)[-1])
    current = client.get(spec.path)[2]
    state = client.json("/__replica__/redesign?at=2026-06-01T09:00:00Z", method="POST")
    assert state["redesigned"] is False and state["since"] == "2026-06-01T09:00:00Z"
    assert client.get(spec.path)[2] == current
    client.json("/__replica__/clock/advance?minutes=60", method="POST")
    assert client.json("/__replica__/redesign")["redesigned"] is True
    redesigned = client.get(spec.path)[2]
    assert b'data-qa="StoryBody-Container"' in redesigned
    assert client.json("/__replica__/redesign?off", method="POST")["redesigned"] is False
    assert client.get(spec.path)[2] == current
    assert client.get("/__replica__/redesign?at=yesterday", method="POST")[0] == 400


def test_a_replica_can_start_redesigned():
    args = build_parser().parse_args(["replica", "--port", "0", "--redesigned"])
    assert args.redesigned is True
    with ReplicaServer(ReplicaConfig(articles=40, crawl_delay=0, redesigned=True)) as replica:
        client = Client(replica.base_url)
        state = client.json("/__replica__/redesign")
        assert state["redesigned"] is True and state["since"] == "2026-06-01T08:00:00Z"
        spec = replica.world.spec(_articles(replica.world)[0])
        assert b'data-qa="StoryHeader-Headline"' in client.get(spec.path)[2]


def test_redesigned_pages_are_deterministic_and_weigh_what_pages_weigh():
    world, twin = World(ReplicaConfig(articles=120, seed=3)), World(ReplicaConfig(articles=120, seed=3))
    for i in _articles(world):
        page = render_article_page(world, world.content_at(i), base=BASE, redesigned=True)
        assert page == render_article_page(twin, twin.content_at(i), base=BASE, redesigned=True)
        assert render_article_page(world, world.content_at(i), base=BASE) == render_article_page(
            world, world.content_at(i), base=BASE, redesigned=False)
        assert 150_000 <= len(page.encode()) <= 400_000


def test_the_new_markup_has_new_hooks_new_data_and_no_article_body():
    world = World(ReplicaConfig(articles=120, seed=3, apollo_share=0.5))
    old_hooks = tuple(f'data-qa="{name}-' for name in COMPONENTS) + (
        'data-qa="ContentBody-', 'data-qa="Component-Component"', 'data-qa="AuthorNames-',
        'data-qa="Article20Date-')
    for i in _articles(world):
        content = world.content_at(i)
        page = render_article_page(world, content, base=BASE, redesigned=True)
        assert not any(hook in page for hook in old_hooks), i
        assert "__APOLLO_STATE__" not in page and '"payload":' not in page
        data = json.loads(page.split('<script id="__NEXT_DATA__" type="application/json">')[1]
                          .split("</script>")[0])
        story = data["props"]["pageProps"]["initialState"]["story"]["data"]
        assert story["title"] == content.spec.headline and story["id"] == str(content.spec.article_id)
        assert "headline" not in story and "body" not in story and story["blocks"]
        lds = [json.loads(m) for m in re.findall(
            r'<script type="application/ld\+json">(.*?)</script>', page)]
        article = next(ld for ld in lds if ld["@type"] in ("NewsArticle", "OpinionNewsArticle"))
        assert "articleBody" not in article
        assert article["datePublished"] and article["dateModified"] and article["author"]
        assert article["headline"]
        broken = render_article_page(world, content, base=BASE, redesigned=True,
                                     malformed_nextdata=True)
        script = broken.split('<script id="__NEXT_DATA__" type="application/json">')[1]
        with pytest.raises(ValueError):
            json.loads(script.split("</script>")[0])


def _generic_body(page: str) -> list[str]:
    """A generic reader that knows nothing of SCMP: the paragraphs, subheadings and list items
    of the element of ``<article>`` that holds the most paragraph text."""
    tree = lxml_html.fromstring(page)
    article = tree.xpath("//main//article")[0]
    best = max(article.iter("div", "section"),
               key=lambda el: sum(len(p.text_content()) for p in el.xpath("./p")))
    return [" ".join(el.text_content().split()) for el in best.xpath("./p | ./h3 | ./ul/li")]


def test_a_generic_reader_recovers_the_body_of_redesigned_pages():
    world = World(ReplicaConfig(articles=150, seed=5, apollo_share=0.3))
    for i in _articles(world):
        content = world.content_at(i)
        page = render_article_page(world, content, base=BASE, redesigned=True)
        found = [text for text in _generic_body(page) if not text.startswith("READ MORE")]
        truth = [" ".join(p.split()) for p in content.paragraphs]
        bio = content.author_bios[-1] if content.author_bios else None
        notice = "This story has been made freely available"
        found = [t for t in found if t != bio and not t.startswith(notice)]
        assert found == truth, content.spec.path
