"""The replica's article pages, read back with independent tools (lxml, parsel, json).

Every source a page carries (``__NEXT_DATA__``, the Apollo state, JSON-LD, the ``data-qa`` DOM,
head meta, the AMP copy) must agree with the truth record of the item (MARKUP.md 2-4, 7), and
the page furniture of MARKUP 2.2 must be there, outside the truth body. No server: pages are
rendered directly from a 300-article world.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import lxml.html
import pytest
from parsel import Selector

from newscrawl.replica.pages.article import render_amp_page, render_article_page
from newscrawl.replica.world import (
    BOILERPLATE_STRINGS,
    PUBLIC_SERVICE_NOTICE,
    ReplicaConfig,
    World,
)

BASE = "http://127.0.0.1:8123"
WORLD = World(ReplicaConfig(articles=300, seed=1))
HKT = timezone(timedelta(hours=8))
SITE_KEYWORDS = "Hong Kong, China, Asia, news, business, SCMP"
TYPENAMES = {"article": "Article", "opinion": "Article", "video": "Video", "gallery": "Gallery"}
#: Body node types that carry no article text (MARKUP 2.1).
AD_NODES = {"inline-ad-slot", "ad1", "outstream-1", "native-ads"}
#: Furniture strings of MARKUP 2.2 that every current-generation article page prints.
FURNITURE = ("Advertisement", "Reading Time:", "Why you can trust SCMP", "Select Voice",
             "Choose your listening speed", "Get through articles 2x faster", "1.25x", "250 WPM",
             "Slow", "Average", "Fast", "More on this", "Link Copied", "+ FOLLOW",
             "READ FULL ARTICLE", "By registering, you agree to")
FURNITURE_QA = ("ArticleTrustLabel-Container", "ArticleSpeechInlineWidgetArticle20-Container",
                "ArticleFurtherReadingWidget-Container", "GenericArticle-PaywallContainer")


# -- pages and their sources -------------------------------------------------------------------
def norm(text: str) -> str:
    return " ".join(text.split())


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class Page:
    """One rendered page, parsed once."""

    def __init__(self, index: int, html: str) -> None:
        self.index = index
        self.spec = WORLD.spec(index)
        self.content = WORLD.content_at(index)
        self.truth = WORLD.truth(index, BASE)
        self.html = html
        self.size = len(html.encode("utf-8"))
        self.tree = lxml.html.fromstring(html.encode("utf-8"))

    @property
    def next_data_text(self) -> str | None:
        found = self.tree.xpath('//script[@id="__NEXT_DATA__"]')
        assert len(found) <= 1
        return found[0].text if found else None

    def next_data(self) -> dict[str, Any]:
        return json.loads(self.next_data_text)

    def ld(self) -> list[dict[str, Any]]:
        return [json.loads(text)
                for text in self.tree.xpath('//script[@type="application/ld+json"]/text()')]

    def apollo_text(self) -> str | None:
        for text in self.tree.xpath("//script[not(@type)]/text()"):
            match = re.match(r"\s*window\.__APOLLO_STATE__\s*=\s*(.*);\s*$", text, re.S)
            if match:
                return match.group(1)
        return None

    def meta(self, key: str) -> list[str]:
        return self.tree.xpath(f'//meta[@property="{key}" or @name="{key}"]/@content')

    def main_text(self) -> str:
        """Visible text of the page's main area (scripts excluded, hidden widgets included)."""
        return norm(" ".join(self.tree.xpath("//main//text()[not(ancestor::script)]")))


def render(index: int, **kw: Any) -> Page:
    return Page(index, render_article_page(WORLD, WORLD.content_at(index), base=BASE, **kw))


@lru_cache(maxsize=64)
def page(index: int) -> Page:
    return render(index)


def _indices(predicate, stop: int = 300, limit: int = 3) -> list[int]:
    found = [i for i in range(stop) if predicate(WORLD.spec(i))]
    return found[:limit]


def _plain(s) -> bool:
    return not s.sponsored and s.duplicate_of is None and s.variant == "full" \
        and not s.public_service


SAMPLES: dict[str, list[int]] = {
    "article": _indices(lambda s: s.kind == "article" and s.generation == "nextjs"
                        and s.access == "free" and _plain(s)),
    "opinion": _indices(lambda s: s.kind == "opinion" and s.generation == "nextjs"),
    "metered": _indices(lambda s: s.is_article and s.generation == "nextjs"
                        and s.access == "metered" and _plain(s)),
    "plus": _indices(lambda s: s.is_article and s.generation == "nextjs" and s.access == "plus"),
    "sponsored": _indices(lambda s: s.sponsored and s.generation == "nextjs"),
    "syndicated": _indices(lambda s: s.duplicate_of is not None),
    "public_service": _indices(lambda s: s.public_service and s.generation == "nextjs"),
    "updated": _indices(lambda s: s.is_article and s.generation == "nextjs" and s.update_ms
                        and s.version_at(WORLD.now_ms) > 0),
    "nextdata_broken": _indices(lambda s: s.variant == "nextdata_broken", stop=3000),
    "nextdata_missing": _indices(lambda s: s.variant == "nextdata_missing", stop=3000),
    "apollo": _indices(lambda s: s.kind == "article" and s.generation == "apollo"
                       and s.access != "plus"),
    "apollo_opinion": _indices(lambda s: s.kind == "opinion" and s.generation == "apollo"),
    "legacy_opinion_path": _indices(lambda s: s.legacy_opinion_path, stop=3000),
    "apollo_plus": _indices(lambda s: s.generation == "apollo" and s.access == "plus"),
    "apollo_sponsored": _indices(lambda s: s.generation == "apollo" and s.sponsored),
    "video": _indices(lambda s: s.kind == "video" and s.generation == "nextjs"),
    "gallery": _indices(lambda s: s.kind == "gallery" and s.generation == "nextjs"),
    "apollo_video": _indices(lambda s: s.kind == "video" and s.generation == "apollo"),
    "apollo_gallery": _indices(lambda s: s.kind == "gallery" and s.generation == "apollo"),
}
SAMPLE_IDS = [(name, i) for name, indices in SAMPLES.items() for i in indices]


def test_every_kind_of_page_is_sampled():
    assert all(SAMPLES.values()), [name for name, found in SAMPLES.items() if not found]
    assert all(WORLD.spec(i).path.startswith("/comment/opinion/article/")
               for i in SAMPLES["legacy_opinion_path"])


# -- the body, read independently from a node tree ------------------------------------------------
def node_text(node: dict[str, Any]) -> str:
    if node.get("type") == "text":
        return node.get("data", "")
    return "".join(node_text(c) for c in node.get("children", ()))


def body_from_nodes(nodes: list[dict[str, Any]], kind: str) -> list[str]:
    """Article text of a MARKUP 2.1 ``body.json``: paragraphs, subheadings and list items.

    Placeholders, ads, widgets, images, embeds, scripts, pull quotes and "READ MORE" headings
    are skipped; so are the emphasised public-service notice that opens a page and the
    emphasised author bio that closes an opinion piece.
    """
    out: list[tuple[str, bool]] = []  # (text, the whole paragraph is emphasised)
    for node in nodes:
        kind_ = node["type"]
        children = node.get("children", [])
        if kind_ == "p":
            out.append((node_text(node), len(children) == 1 and children[0]["type"] == "em"))
        elif kind_ in ("h2", "h3", "h4"):
            if not (len(children) == 1 and children[0]["type"] == "a"):
                out.append((node_text(node), False))
        elif kind_ in ("ul", "ol"):
            out.extend((node_text(li), False) for li in children)
    if out and out[0][1] and out[0][0].startswith("This story has been made freely available"):
        out.pop(0)
    if out and out[-1][1] and kind == "opinion":
        out.pop()
    return [text for text, _ in out]


def tree_items(tree: list[dict[str, Any]] | None) -> list[str]:
    items: list[str] = []
    for node in tree or ():
        if node["type"] == "li":
            items.append(node_text(node))
        else:
            items.extend(tree_items(node.get("children")))
    return items


def images_of(truth: dict[str, Any]) -> list[tuple[str, str]]:
    return [(img["url"], f"{img['caption']} Photo: {img['credit']}") for img in truth["images"]]


def test_body_from_nodes_skips_furniture():
    nodes = [
        {"type": "p", "children": [{"type": "em", "children": [
            {"type": "text", "data": PUBLIC_SERVICE_NOTICE}]}]},
        {"type": "p", "children": [{"type": "text", "data": "One "},
                                   {"type": "a", "children": [{"type": "text", "data": "two"}]}]},
        {"type": "inline-ad-slot"},
        {"type": "h3", "children": [{"type": "a", "children": [{"type": "text", "data": "x"}]}]},
        {"type": "h3", "children": [{"type": "text", "data": "Sub"}]},
        {"type": "blockquote-quote", "children": [{"type": "p", "children": []}]},
        {"type": "ul", "children": [{"type": "li", "children": [{"type": "text", "data": "L"}]}]},
        {"type": "p", "children": [{"type": "em", "children": [{"type": "text", "data": "Bio"}]}]},
    ]
    assert body_from_nodes(nodes, "opinion") == ["One two", "Sub", "L"]
    assert body_from_nodes(nodes, "article") == ["One two", "Sub", "L", "Bio"]


# -- checks, one per source ------------------------------------------------------------------------
def check_meta(p: Page) -> None:
    truth, spec = p.truth, p.spec
    tree = p.tree
    assert tree.get("lang") == "en-GB"
    assert tree.xpath('//link[@rel="canonical"]/@href') == [truth["canonical_url"]]
    amp = tree.xpath('//link[@rel="amphtml"]/@href')
    assert amp == ([BASE + "/amp" + spec.path] if spec.is_article else [])
    assert p.meta("og:title") == [truth["social_headline"]]
    assert p.meta("og:description") == [truth["summary"]]
    assert p.meta("og:url") == [truth["canonical_url"]]
    assert p.meta("og:image") == [truth["images"][0]["url"]]
    for key, field in (("article:published_time", "published_at"),
                       ("article:modified_time", "updated_at")):
        (value,) = p.meta(key)
        assert value.endswith("+08:00") and instant(value) == instant(truth[field]), key
    assert p.meta("article:tag") == truth["topics"]
    sections = p.meta("article:section")
    assert truth["section"][-1] in sections and len(sections) == len(set(sections))
    assert p.meta("keywords") == [SITE_KEYWORDS] and p.meta("news_keywords") == [SITE_KEYWORDS]
    apollo = spec.generation == "apollo"
    assert bool(p.meta("cse_headline")) == apollo
    if apollo:
        assert p.meta("cse_headline") == [truth["headline"]]
        assert p.meta("cse_socialheadline") == [truth["social_headline"]]
        assert p.meta("cse_sectionname") == [truth["section"][-1]]
        assert p.meta("cse_topic")[0].split(",") == truth["topics"]
        if spec.is_article:
            assert p.meta("cse_author")[0].split(",") == truth["authors"]
            assert p.meta("cse_articletype") == ["Opinion" if spec.kind == "opinion" else "News"]
        assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", p.meta("cse_uuid")[0])


def ld_author_names(value: Any) -> list[str]:
    if isinstance(value, str):  # the 2020 form: a JSON document inside the string
        value = json.loads(value)
    if isinstance(value, dict):
        value = [value]
    assert all(v["@type"] == "Person" for v in value)
    return [v["name"] for v in value]


def check_json_ld(p: Page) -> None:
    truth, spec = p.truth, p.spec
    blocks = p.ld()
    types = [b["@type"] for b in blocks]
    assert all(b["@context"] == "https://schema.org" for b in blocks)
    assert types.count("Organization") == 1 and types.count("WebPage") == 1
    crumbs = [b for b in blocks if b["@type"] == "BreadcrumbList"]
    assert len(crumbs) == 1
    names = [e["name"] for e in sorted(crumbs[0]["itemListElement"], key=lambda e: e["position"])
             if e["item"] != truth["canonical_url"]]
    assert names == truth["section"]
    articles = [b for b in blocks if b["@type"] in ("NewsArticle", "OpinionNewsArticle")]
    if spec.kind == "video":
        assert not articles and types.count("VideoObject") == 1
        (video,) = [b for b in blocks if b["@type"] == "VideoObject"]
        assert video["name"] == truth["headline"]
        assert instant(video["uploadDate"]) == instant(truth["published_at"])
        return
    if spec.kind == "gallery":
        assert not articles and types.count("ImageGallery") == 1
        (gallery,) = [b for b in blocks if b["@type"] == "ImageGallery"]
        assert [(i["url"], i["caption"]) for i in gallery["image"]] == images_of(truth)
        return
    assert len(articles) == 1
    ld = articles[0]
    assert ld["@type"] == ("OpinionNewsArticle" if spec.kind == "opinion" else "NewsArticle")
    headline = truth["headline"]
    if len(headline) <= 105:
        assert ld["headline"] == headline
    else:
        assert ld["headline"].endswith("...") and len(ld["headline"]) <= 108
        assert headline.startswith(ld["headline"][:-3])
    assert ld["alternativeHeadline"] == truth["social_headline"]
    assert ld_author_names(ld["author"]) == truth["authors"]
    for key, field in (("datePublished", "published_at"), ("dateModified", "updated_at"),
                       ("dateCreated", "published_at")):
        assert ld[key].endswith("+08:00") and instant(ld[key]) == instant(truth[field]), key
    assert ld["inLanguage"] == "en-GB"
    assert ld["articleSection"] == truth["section"][-1]
    assert ld["isAccessibleForFree"] == ("False" if truth["is_paywalled"] else "True")
    if truth["is_paywalled"]:
        assert ld["hasPart"] == {"@type": "WebPageElement", "isAccessibleForFree": "False",
                                 "cssSelector": ".paywalled-content"}
    else:
        assert "hasPart" not in ld
    assert ("sponsor" in ld) == truth["is_sponsored"]
    joined = " ".join(truth["body"])
    if "articleBody" in ld:
        bios = p.content.author_bios
        allowed = {joined} | ({f"{joined} {bios[0]}"} if spec.kind == "opinion" and bios else set())
        assert ld["articleBody"] in allowed
    assert ld["description"] and (ld["description"] == truth["summary"]
                                  or joined.startswith(ld["description"]))
    assert ld["image"]["url"] == truth["images"][0]["url"]
    objects = [b for b in blocks if b["@type"] == "ImageObject"]
    if objects:
        assert [(o["url"], o["caption"]) for o in objects] == images_of(truth)


def check_next_data(p: Page) -> None:
    truth, spec = p.truth, p.spec
    data = p.next_data()
    assert data["props"]["pageProps"]["appInitialProps"]  # the big configuration blob
    art = data["props"]["pageProps"]["payload"]["data"]["article"]
    assert art["__typename"] == TYPENAMES[spec.kind]
    assert art["entityId"] == truth["article_id"] and isinstance(art["entityId"], str)
    assert BASE + art["urlAlias"] == truth["canonical_url"]
    assert art["headline"] == truth["headline"]
    assert art["socialHeadline"] == truth["social_headline"]
    assert tree_items((art["subHeadline"] or {}).get("json")) == truth["subheadline"]
    assert art["summary"]["text"] == truth["summary"]
    assert " ".join(node_text(n) for n in art["summary"]["json"]) == truth["summary"]
    for key, field in (("publishedDate", "published_at"), ("updatedDate", "updated_at")):
        assert type(art[key]) is int and from_ms(art[key]) == instant(truth[field]), key
    (path,) = art["sections"]
    assert [level["name"] for level in path["value"]] == truth["section"]
    assert path["value"][-1]["urlAlias"] == truth["section_url"]
    assert [t["name"] for t in art["topics"]] == truth["topics"]
    assert all(t["urlAlias"].startswith("/topics/") for t in art["topics"])
    assert isinstance(art["keywords"], list) and all(isinstance(k, str) for k in art["keywords"])
    assert [(i["url"], i["title"]) for i in art["images"]] == images_of(truth)
    assert [i["type"] for i in art["images"]] == ["leading"] + ["inline"] * (len(art["images"]) - 1)
    paywall = [t["name"].lower() for t in art["paywallTypes"]]
    assert bool(paywall) == truth["is_paywalled"]
    assert any("plus" in t for t in paywall) == truth["is_truncated"]
    assert (art["sponsorType"] is not None) == truth["is_sponsored"]
    nodes = art["body"]["json"]
    if spec.is_article:
        assert [a["name"] for a in art["authors"]] == truth["authors"]
        assert all(a["urlAlias"].startswith("/author/") for a in art["authors"])
        assert body_from_nodes(nodes, spec.kind) == truth["body"]
        assert isinstance(art["readingTime"], int) and isinstance(art["commentCount"], int)
    srcs = re.findall(r'"src": "([^"]+)"', json.dumps(nodes))
    assert all(src.startswith(BASE + "/") or src.startswith("https://") for src in srcs)


def resolve(state: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and value.get("type") == "id":
        return resolve(state, state[value["id"]])
    if isinstance(value, list):
        return [resolve(state, v) for v in value]
    return value


def apollo_article(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    state = json.loads(text)
    for cache in state.values():
        for key, value in cache.get("ROOT_QUERY", {}).items():
            if key.startswith("content("):
                return cache, resolve(cache, value)
    raise AssertionError("no content(...) entry in any ROOT_QUERY")


def check_apollo(p: Page) -> None:
    truth, spec = p.truth, p.spec
    assert p.next_data_text is None
    cache, node = apollo_article(p.apollo_text())
    assert node["__typename"] == TYPENAMES[spec.kind]
    assert node["entityId"] == truth["article_id"]
    assert BASE + node["urlAlias"] == truth["canonical_url"]
    assert node["headline"] == truth["headline"]
    assert node["socialHeadline"] == truth["social_headline"]
    sub = node["subHeadline"]
    assert (sub["type"] == "json" and tree_items(sub["json"]) == truth["subheadline"]) \
        if sub else truth["subheadline"] == []
    assert " ".join(node_text(n) for n in node["summary"]["json"]) == truth["summary"]
    for key, field in (("publishedDate", "published_at"), ("updatedDate", "updated_at"),
                       ("createdDate", "published_at")):
        assert type(node[key]) is int and from_ms(node[key]) == instant(truth[field]), key
    (body_key,) = [k for k in node if k.startswith("body(")]
    assert "customContents" in body_key and node[body_key]["type"] == "json"
    if spec.is_article:
        assert body_from_nodes(node[body_key]["json"], spec.kind) == truth["body"]
        assert [resolve(cache, a)["name"] for a in node["authors"]] == truth["authors"]
    sections = resolve(cache, node["sections"])
    assert [resolve(cache, s)["name"] for s in sections[0]["value"]] == truth["section"]
    assert [resolve(cache, t)["name"] for t in node["topics"]] == truth["topics"]
    images = [resolve(cache, i) for i in node["images"]]
    assert [(i["url"], i["title"]) for i in images] == images_of(truth)
    paywall = [resolve(cache, t)["name"].lower() for t in node["paywallTypes"]]
    assert bool(paywall) == truth["is_paywalled"]
    assert any("plus" in t for t in paywall) == truth["is_truncated"]
    assert (node["sponsorType"] is not None) == truth["is_sponsored"]
    # The visible HTML is header chrome only: headline, dates, authors; no body paragraphs.
    text = p.main_text()
    assert norm(truth["headline"]) in norm(" ".join(p.tree.xpath("//main//h1//text()")))
    assert not p.tree.xpath('//*[@data-qa="Component-Component"]')
    for paragraph in truth["body"]:
        assert norm(paragraph) not in text
    published = re.search(r"Published: (\d{1,2}:\d{2}[ap]m, \d{1,2} [A-Z][a-z]{2}, \d{4})", text)
    when = datetime.strptime(published.group(1), "%I:%M%p, %d %b, %Y").replace(tzinfo=HKT)
    assert when == instant(truth["published_at"]).replace(second=0)
    assert ("Updated: " in text) == (truth["updated_at"] != truth["published_at"])
    if spec.is_article:
        authors = p.tree.xpath('//main//a[starts-with(@href, "/author/")]/text()')
        assert authors == truth["authors"]
    assert "Link Copied" in text


def dom_body(container) -> list[str]:
    """The article text of the body container: ``data-qa`` paragraphs, subheadings, lists."""
    found = container.xpath(
        './/*[(self::p and @data-qa="Component-Component" and @datatype="p")'
        ' or (self::h3 and @datatype="h3") or (self::li and parent::ul[@datatype="ul"])]'
        "[not(ancestor::blockquote)]")
    return [norm(el.text_content()) for el in found
            if not norm(el.text_content()).startswith("READ MORE: ")]


def check_dom(p: Page) -> None:
    truth, spec, content = p.truth, p.spec, p.content
    sel = Selector(text=p.html)
    headline = sel.css('h1[data-qa="ContentHeadline-ContainerWithTag"] '
                       'span[data-qa="ContentHeadline-Headline"]::text').getall()
    assert [norm(h) for h in headline] == [norm(truth["headline"])]
    if spec.kind == "video":
        assert not sel.css('[data-qa="ContentBody-ContentBodyContainer"]')
        assert sel.css('[data-qa="VideoPlayer-Container"] iframe')
        return
    if spec.kind == "gallery":
        assert not sel.css('[data-qa="ContentBody-ContentBodyContainer"]')
        srcs = sel.css('[data-qa="GalleryImage-Container"] img::attr(src)').getall()
        assert srcs == [img["url"] for img in truth["images"]]
        return
    bullets = [norm(" ".join(li.css("::text").getall())) for li in
               sel.css('h3[data-qa="ContentSubHeadline-ContainerWithTag"] li')]
    assert bullets == [norm(b) for b in truth["subheadline"]]
    authors = sel.css('div[data-qa="AuthorNames-AuthorNamesContainer"] a::text').getall()
    assert authors == truth["authors"]
    published = sel.css('time[data-qa="Article20Date-PublishedDate"]::attr(datetime)').getall()
    assert len(published) == 1 and published[0].endswith(".000Z")
    assert instant(published[0]) == instant(truth["published_at"])
    updated = sel.css('time[data-qa="Article20Date-UpdatedDate"]::attr(datetime)').getall()
    if truth["updated_at"] != truth["published_at"]:
        assert [instant(u) for u in updated] == [instant(truth["updated_at"])]
    else:
        assert updated == []
    images = sel.css('div[data-qa="ArticleImage-ImageContainer"] img::attr(src)').getall()
    assert images == [img["url"] for img in truth["images"]]

    (container,) = p.tree.xpath('//section[@data-qa="ContentBody-ContentBodyContainer"]')
    paragraphs = dom_body(container)
    if spec.public_service:
        assert paragraphs[0] == PUBLIC_SERVICE_NOTICE
        paragraphs = paragraphs[1:]
    bio_shown = spec.kind == "opinion" and spec.access != "plus"
    if bio_shown:
        assert paragraphs[-1] == norm(content.author_bios[0])
        paragraphs = paragraphs[:-1]
    assert paragraphs == [norm(t) for t in truth["body"]]
    assert ("paywalled-content" in container.get("class").split()) == truth["is_paywalled"]

    # Furniture inside the body: one "Advertisement" per ad node, READ MORE links, pull quotes.
    body_text = norm(container.text_content())
    nodes = content.body_nodes
    assert body_text.count("Advertisement") == sum(n["type"] in AD_NODES for n in nodes)
    related = [n for n in nodes if n["type"] == "h3" and n["children"][0]["type"] == "a"]
    headings = [norm(h.text_content()) for h in container.xpath(".//h3")]
    for node in related:
        assert "READ MORE: " + norm(node_text(node)) in headings
    quotes = [norm(q.text_content()) for q in container.xpath(".//blockquote[not(@class)]//p")]
    for node in nodes:
        if node["type"] == "blockquote-quote":
            quote = norm(node_text(node["children"][0]))
            assert quote in quotes
            assert any(quote.rstrip(".") in norm(t) for t in truth["body"])  # it repeats the body
    main = p.main_text()
    for img in truth["images"]:
        assert main.count(norm(img["caption"])) >= 2, img["caption"]


def check_furniture(p: Page) -> None:
    """Every piece of MARKUP 2.2 furniture is printed, none of it inside the truth body."""
    main = p.main_text()
    for needle in FURNITURE:
        assert needle in main, needle
    assert re.search(r"Reading Time:\d+ minutes?", main)
    for qa in FURNITURE_QA:
        assert p.tree.xpath(f'//*[@data-qa="{qa}"]'), qa
    assert p.tree.xpath('//*[contains(@data-qa, "AdSlot")]')
    body = " ".join(p.truth["body"])
    for needle in FURNITURE + BOILERPLATE_STRINGS:
        assert needle not in body, needle
    (container,) = p.tree.xpath('//section[@data-qa="ContentBody-ContentBodyContainer"]')
    sponsor = p.tree.xpath('//*[@data-qa="ArticleSponsorLabel-Container"]')
    if p.spec.sponsored:
        assert "Sponsored" in main and "In partnership with" in main
        assert "In partnership with" not in container.text_content()
    else:
        assert not sponsor and "In partnership with" not in main


def check_page(p: Page) -> None:
    """All checks that apply to the item's page."""
    spec = p.spec
    assert 150 * 1024 <= p.size <= 400 * 1024, p.size
    check_meta(p)
    check_json_ld(p)
    if spec.generation == "apollo":
        check_apollo(p)
        return
    if spec.variant == "nextdata_broken":
        with pytest.raises(ValueError):
            json.loads(p.next_data_text)
    elif spec.variant == "nextdata_missing":
        assert p.next_data_text is None and "__NEXT_DATA__" not in p.html
    else:
        check_next_data(p)
    check_dom(p)
    if spec.is_article:
        check_furniture(p)


# -- tests ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("label", "index"), SAMPLE_IDS,
                         ids=[f"{label}-{index}" for label, index in SAMPLE_IDS])
def test_sampled_page_agrees_with_truth(label, index):
    check_page(page(index))


def test_all_300_items_agree_with_truth():
    for index in range(WORLD.count):
        check_page(render(index))


def test_truth_bodies_never_contain_boilerplate():
    for index in range(WORLD.count):
        truth = WORLD.truth(index, BASE)
        for paragraph in truth["body"]:
            for needle in BOILERPLATE_STRINGS:
                assert needle not in paragraph, (index, needle)


def test_nextdata_broken_and_missing_variants():
    for index in SAMPLES["nextdata_broken"]:
        p = page(index)
        text = p.next_data_text
        assert text and '"headline"' in text
        with pytest.raises(ValueError):
            json.loads(text)
        check_dom(p)  # the other sources are complete
        check_json_ld(p)
    for index in SAMPLES["nextdata_missing"]:
        p = page(index)
        assert not p.tree.xpath('//script[@id="__NEXT_DATA__"]')
        check_dom(p)
        check_json_ld(p)


def test_injected_malformed_nextdata_breaks_only_the_data_script():
    index = SAMPLES["article"][0]
    good, bad = page(index), render(index, malformed_nextdata=True)
    assert good.next_data()["props"]
    with pytest.raises(ValueError):
        json.loads(bad.next_data_text)
    check_dom(bad)
    check_json_ld(bad)
    check_meta(bad)
    apollo_index = SAMPLES["apollo"][0]
    assert apollo_article(page(apollo_index).apollo_text())
    with pytest.raises(ValueError):
        json.loads(render(apollo_index, malformed_nextdata=True).apollo_text())


def test_plus_pages_serve_three_paragraphs_behind_an_overlay():
    for index in SAMPLES["plus"]:
        p = page(index)
        assert p.truth["is_truncated"] and len(p.truth["body"]) <= 3
        overlay = p.tree.xpath('//section[@data-qa="ContentBody-ContentBodyContainer"]'
                               '//*[@data-qa="GenericArticle-PaywallContainer"]')
        assert overlay and "SCMP Plus" in overlay[0].text_content()
        assert p.spec.path.startswith("/plus/")
    for index in SAMPLES["metered"]:
        p = page(index)
        assert p.truth["is_paywalled"] and not p.truth["is_truncated"]
        assert len(p.truth["body"]) >= 6  # the metered wall is JavaScript: the body is whole


def test_syndicated_copy_is_its_own_page():
    index = SAMPLES["syndicated"][0]
    spec = WORLD.spec(index)
    truth = WORLD.truth(index, BASE)
    original = WORLD.truth(spec.duplicate_of, BASE)
    assert truth["duplicate_of"] == original["article_id"] != truth["article_id"]
    p = page(index)
    assert p.tree.xpath('//link[@rel="canonical"]/@href') == [truth["canonical_url"]]
    assert truth["body"] != original["body"]
    check_page(p)


def test_json_ld_forms_vary_deterministically():
    apollo = [i for i in range(WORLD.count)
              if WORLD.spec(i).generation == "apollo" and WORLD.spec(i).is_article]
    nextjs = [i for i in range(WORLD.count)
              if WORLD.spec(i).generation == "nextjs" and WORLD.spec(i).is_article]

    def article_ld(index: int) -> dict[str, Any]:
        return next(b for b in render(index).ld() if b["@type"] in ("NewsArticle", "OpinionNewsArticle"))

    apollo_lds = [article_ld(i) for i in apollo]
    string_authors = sum(isinstance(ld["author"], str) for ld in apollo_lds)
    assert 0.15 * len(apollo) <= string_authors <= 0.55 * len(apollo)
    with_body = sum("articleBody" in ld for ld in apollo_lds)
    assert 0.25 * len(apollo) <= with_body <= 0.75 * len(apollo)
    nextjs_lds = [article_ld(i) for i in nextjs[:120]]
    assert not any(isinstance(ld["author"], str) for ld in nextjs_lds)
    assert any(isinstance(ld["author"], dict) for ld in nextjs_lds)
    assert any(isinstance(ld["author"], list) and len(ld["author"]) == 1 for ld in nextjs_lds)
    assert 0 < sum("articleBody" not in ld for ld in nextjs_lds) < len(nextjs_lds) / 2
    assert any(ld["headline"].endswith("...") for ld in nextjs_lds + apollo_lds)


def test_amp_copies_agree_with_truth():
    samples = [i for name in ("article", "opinion", "metered", "plus", "public_service",
                              "sponsored", "apollo", "apollo_opinion")
               for i in SAMPLES[name][:2]]
    for index in samples:
        spec, truth = WORLD.spec(index), WORLD.truth(index, BASE)
        html = render_amp_page(WORLD, WORLD.content_at(index), base=BASE)
        tree = lxml.html.fromstring(html.encode())
        assert "amp" in tree.attrib and tree.get("lang") == "en-GB"
        assert "<style amp-boilerplate>" in html
        assert tree.xpath('//script[@src="https://cdn.ampproject.org/v0.js"]')
        assert tree.xpath('//link[@rel="canonical"]/@href') == [truth["canonical_url"]]
        assert not tree.xpath("//img") and not tree.xpath("//script[not(@type) and not(@src)]")
        assert [norm(t) for t in tree.xpath("//h1//text()")] == [norm(truth["headline"])]
        (body,) = tree.xpath('//div[@class="article__body"]')
        texts = [norm(el.text_content()) for el in body.xpath(
            "./p | ./h3[not(starts-with(normalize-space(.), 'READ MORE: '))] | ./ul/li")]
        if spec.public_service:
            assert texts.pop(0) == PUBLIC_SERVICE_NOTICE
        if spec.kind == "opinion" and spec.access != "plus":
            assert texts.pop() == norm(WORLD.content_at(index).author_bios[0])
        assert texts == [norm(t) for t in truth["body"]]
        assert tree.xpath("//amp-img/@src") == [img["url"] for img in truth["images"]]
        assert tree.xpath("//amp-ad") and "Advertisement" in tree.text_content()
        ld = next(json.loads(t) for t in tree.xpath('//script[@type="application/ld+json"]/text()')
                  if '"NewsArticle"' in t or '"OpinionNewsArticle"' in t)
        assert ld_author_names(ld["author"]) == truth["authors"]
        assert instant(ld["datePublished"]) == instant(truth["published_at"])
        assert len(html.encode()) < 400 * 1024


def test_pages_are_deterministic_and_follow_the_base_url():
    index = SAMPLES["opinion"][0]
    content = WORLD.content_at(index)
    first = render_article_page(WORLD, content, base=BASE)
    assert render_article_page(WORLD, content, base=BASE) == first
    other = render_article_page(WORLD, content, base="http://localhost:9")
    assert 'href="http://localhost:9' + WORLD.spec(index).path + '"' in other
    assert BASE not in other


def test_escaping_of_ampersands_and_quotes():
    index = next(i for i in range(WORLD.count) if WORLD.spec(i).generation == "nextjs"
                 and WORLD.spec(i).variant == "full" and WORLD.spec(i).is_article
                 and any("&" in t for t in WORLD.truth(i, BASE)["body"]))
    p = page(index)
    markup = p.html[p.html.index("<main>"):p.html.index('<script id="__NEXT_DATA__"')]
    assert "&amp;" in markup
    assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", markup)  # no raw & in the markup
    (container,) = p.tree.xpath('//section[@data-qa="ContentBody-ContentBodyContainer"]')
    assert any("&" in t for t in dom_body(container))


def test_render_time_is_small():
    contents = [WORLD.content_at(i) for i in range(WORLD.count)]
    render_article_page(WORLD, contents[0], base=BASE)
    started = time.perf_counter()
    for content in contents:
        render_article_page(WORLD, content, base=BASE)
    per_page = (time.perf_counter() - started) / len(contents)
    assert per_page < 0.010, f"{per_page * 1000:.2f} ms per page"
