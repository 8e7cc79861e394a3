"""Article, video and gallery pages of the replica, and their AMP copies (MARKUP.md 2-4, 7).

Two public functions, both pure functions of ``(world seed, content, base)``:

``render_article_page``
    The page of any item, chosen from ``content.spec``:

    * **Next.js generation** (``generation == "nextjs"``): ``<script id="__NEXT_DATA__">`` with
      the whole article at ``props.pageProps.payload.data.article`` (MARKUP 2.1), the
      server-rendered HTML with the ``data-qa`` hooks of MARKUP 2.2 and every piece of furniture
      the real site mixes into and around the body (ad slots, reading time, trust label, speech
      widget, "More on this", share widget, "+ FOLLOW", "READ FULL ARTICLE", paywall container,
      registration wall, "READ MORE" links, pull quotes, captions printed twice, the opinion bio
      and the public-service notice), JSON-LD (2.3) and head meta (2.4). Variant
      ``nextdata_broken`` (or ``malformed_nextdata=True``, a fault the server injects) serves a
      ``__NEXT_DATA__`` whose JSON is invalid; ``nextdata_missing`` serves none.
    * **Apollo generation** (MARKUP 3): ``window.__APOLLO_STATE__`` with two client caches,
      normalised nodes and refs (Apollo 2 ``{"type": "id", "id": ...}``); the visible HTML has
      header chrome only and no body paragraphs; ``cse_*`` meta; the JSON-LD author is a JSON
      string inside the string on about a third of these pages, ``articleBody`` is present on
      about half.
    * **Video and gallery pages**: same chrome and the same headline hook, but
      ``__typename`` ``Video`` / ``Gallery`` in the data, JSON-LD ``VideoObject`` /
      ``ImageGallery`` and no article JSON-LD.

``render_amp_page``
    The AMP copy (``<html amp>``): simplified body with the paragraphs, ``amp-img``,
    ``amp-ad`` slots, JSON-LD, and ``<link rel="canonical">`` back to the page.

Deterministic choices (all keyed on the article id, so a page never changes between renders):

* page weight: a target between 160 and 380 KB, reached with ``chrome.filler_parts`` (cached blocks);
* JSON-LD ``author``: Next.js pages give one author as an object or as a one-element list,
  several as a list; Apollo pages give a JSON string inside the string on ~1/3;
* JSON-LD ``articleBody``: Next.js pages omit it on ~1/5; opinion pages append the author bio
  on ~1/2 of the rest; Apollo pages carry it on ~1/2;
* JSON-LD ``description``: the first 25 words of the body on ~2/3, else the summary;
* ``ImageObject`` blocks on ~2/3 of the pages;
* broken ``__NEXT_DATA__``: cut off inside the article on ~2/3, a JavaScript ``undefined``
  value on the rest.

``paywallTypes`` are objects ``{"entityId", "name"}`` (``"Metered"`` or ``"Plus"``, the shape of
the section cards of :mod:`newscrawl.replica.pages.listing`), empty for free pages;
``sponsorType`` is ``"sponsored"`` or ``null``.

Speed: everything that depends on the seed only (class names, furniture markup, the
serialised app configuration, the chrome's length) is built once; a page is a join of strings.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from newscrawl.replica import text as gen
from newscrawl.replica.pages.chrome import (
    app_config_json,
    build_id,
    esc,
    filler_parts,
    page,
    page_parts,
    static,
)
from newscrawl.replica.world import ArticleContent, ItemSpec, World

__all__ = ["render_amp_page", "render_article_page"]

SITE_NAME = "South China Morning Post"
HKT = timedelta(hours=8)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TYPENAMES = {"article": "Article", "opinion": "Article", "video": "Video", "gallery": "Gallery"}
#: Body node types that are advertising slots: each prints "Advertisement".
AD_NODE_TYPES = frozenset({"inline-ad-slot", "ad1", "outstream-1", "native-ads"})
#: Body node types that are trackers (no visible text).
TRACKER_NODE_TYPES = frozenset({"track-viewed-percentage", "reading-50-percent-completion-tracker",
                                "reading-100-percent-completion-tracker"})
LD_HEADLINE_CUT = 105
MIN_KB, MAX_KB = 160, 380  # page weight targets (MARKUP: real pages weigh 150-400 KB)
PAYWALL_TYPES = {"free": [], "metered": [{"entityId": "491", "name": "Metered"}],
                 "plus": [{"entityId": "493", "name": "Plus"}]}
CONTENT_TIER = {"free": "free", "metered": "metered", "plus": "locked"}
SPONSORS = ("InvestHK", "Hong Kong Tourism Board", "Swire Properties", "Cyberport",
            "Ocean Park Corporation", "Hong Kong Trade Development Council")
BODY_ARGS = json.dumps({"customContents": ["IMAGE", "YOUTUBE_VIDEO", "TWEET", "PULL_QUOTE",
                                           "RELATED_LINK", "INLINE_AD", "NEWSLETTER"]},
                       separators=(",", ":"))
_INLINE_TAGS = frozenset({"em", "strong", "u", "b", "i", "span", "sub", "sup", "s", "small",
                          "code", "mark"})
_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})


# -- small deterministic helpers ------------------------------------------------------------
def _n(*parts: object) -> int:
    data = ":".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _uuid(seed: int, article_id: int) -> str:
    """The item's UUID (same formula as the section cards of ``listing``)."""
    h = hashlib.md5(f"uuid:{seed}:{article_id}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _entity(kind: str, name: str) -> str:
    return str(100_000 + _n("entity", kind, name) % 900_000)


def _author_alias(name: str) -> str:
    return "/author/" + name.lower().replace(" ", "-")


def _topic_alias(name: str) -> str:
    return "/topics/" + gen.slugify(name)


def _section_levels(spec: ItemSpec) -> list[dict[str, str]]:
    parts = spec.section.path.split("/")
    return [{"name": name, "urlAlias": "/" + "/".join(parts[: k + 1])}
            for k, name in enumerate(spec.section.names)]


def _script_json(data: Any) -> str:
    """JSON for an inline ``<script>``: raw UTF-8 like Next.js, ``</`` escaped."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def _reading_time(paragraphs: list[str]) -> int:
    return max(1, round(_words(paragraphs) / 200))


# -- time ----------------------------------------------------------------------------------
def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, UTC)


def _iso_z(ms: int) -> str:
    """ISO 8601 UTC with milliseconds: ``2026-05-26T08:30:17.000Z`` (the ``<time>`` hook)."""
    return _utc(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _iso_hkt(ms: int) -> str:
    """ISO 8601 in Hong Kong time: ``2026-05-26T16:30:17+08:00`` (JSON-LD and meta)."""
    return (_utc(ms) + HKT).strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"


def _display(ms: int, *, apollo: bool = False) -> str:
    """"4:30pm, 26 May 2026" (Next.js) or "4:30pm, 26 May, 2026" (Apollo), Hong Kong time."""
    t = _utc(ms) + HKT
    clock = f"{t.hour % 12 or 12}:{t.minute:02d}{'am' if t.hour < 12 else 'pm'}"
    if apollo:
        return f"{clock}, {t.day} {MONTHS[t.month - 1]}, {t.year}"
    return f"{clock}, {t.day} {MONTHS[t.month - 1]} {t.year}"


# -- per-seed pieces -------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _classes(seed: int) -> dict[str, str]:
    """Generated CSS class names (hashes of the build: they mean nothing)."""
    roles = ("article", "header", "section", "headline", "bullets", "authors", "date", "p", "h3",
             "ul", "figure", "caption", "body", "ad", "widget", "quote", "topics", "follow",
             "related", "paywall", "speech", "trust", "share", "reading", "sponsor", "rail",
             "embed", "more", "register", "readfull", "tracker", "video", "gallery")
    bid = build_id(seed)
    return {role: f"css-{_n('cls', bid, role) % 16**6:06x}" for role in roles}


@lru_cache(maxsize=8)
def _app_config_text(seed: int) -> str:
    return static(_script_json(app_config_json(seed)))


@lru_cache(maxsize=8)
def _chrome_length(seed: int) -> int:
    """Characters ``chrome.page`` adds around a page's own title, head and body."""
    return len(page(title="", head="", body="", seed=seed))


@lru_cache(maxsize=8)
def _furniture(seed: int) -> dict[str, str]:
    """Markup of the page furniture that is the same on every article page of a site."""
    c = _classes(seed)
    speeds = "".join(f'<li><button type="button" data-speed="{s}">{s}</button></li>'
                     for s in ("0.75x", "1x", "1.25x", "1.5x", "2x"))
    paces = "".join(f'<li><span>{label}</span><span>{wpm} WPM</span></li>'
                    for label, wpm in (("Slow", 150), ("Average", 250), ("Fast", 350)))
    voices = "".join(f'<option value="{v}">{v}</option>' for v in ("Ava", "Ethan", "Mei"))
    return {
        "top_ad": (f'<div data-qa="AdSlot-Container" class="{c["ad"]}" data-slot="top">'
                   '<div data-qa="AdSlot-Label">Advertisement</div>'
                   '<div id="div-gpt-ad-top" data-ad-unit="/8134/scmp/web/article/top1"></div>'
                   '</div>'),
        "rail_ad": (f'<aside data-qa="ArticleRightRail-Container" class="{c["rail"]}">'
                    f'<div data-qa="AdSlot-Container" class="{c["ad"]}" data-slot="rail">'
                    '<div data-qa="AdSlot-Label">Advertisement</div>'
                    '<div id="div-gpt-ad-rail" data-ad-unit="/8134/scmp/web/article/mrec1"></div>'
                    '</div></aside>'),
        "trust": (f'<div data-qa="ArticleTrustLabel-Container" class="{c["trust"]}">'
                  '<button type="button" data-qa="ArticleTrustLabel-Button">'
                  '<span>Why you can trust SCMP</span></button></div>'),
        "speech": (f'<div data-qa="ArticleSpeechInlineWidgetArticle20-Container" '
                   f'class="{c["speech"]}"><button type="button" '
                   'data-qa="ArticleSpeechInlineWidgetArticle20-Play">Listen</button>'
                   '<div data-qa="ArticleSpeechInlineWidgetArticle20-Settings" hidden>'
                   '<label>Select Voice<select>' + voices + '</select></label>'
                   '<p>Choose your listening speed</p><ul>' + speeds + '</ul>'
                   '<p>Get through articles 2x faster</p><ul>' + paces + '</ul></div></div>'),
        "share": (f'<div data-qa="ArticleActionBar-Container" class="{c["share"]}">'
                  '<div data-qa="ShareWidget-Container"><button type="button" '
                  'data-qa="ShareWidget-Facebook" aria-label="Share on Facebook">Facebook</button>'
                  '<button type="button" data-qa="ShareWidget-X" aria-label="Share on X">X</button>'
                  '<button type="button" data-qa="ShareWidget-CopyLink" aria-label="Copy link">'
                  'Copy link</button><span data-qa="ShareWidget-Tooltip" role="status" hidden>'
                  'Link Copied</span></div></div>'),
        "read_full": (f'<div data-qa="ArticleReadFullArticle-Container" class="{c["readfull"]}">'
                      '<button type="button" data-qa="ArticleReadFullArticle-Button">'
                      'READ FULL ARTICLE</button></div>'),
        "register": (f'<div data-qa="RegistrationWall-Container" class="{c["register"]}">'
                     '<p>Create an account to save articles and follow topics and authors.</p>'
                     '<button type="button">Sign up</button>'
                     '<p data-qa="RegistrationWall-Terms">By registering, you agree to our '
                     '<a href="/terms-conditions">T&amp;C</a> and '
                     '<a href="/privacy-policy">Privacy Policy</a></p></div>'),
        "newsletter": (f'<div data-qa="InlineWidget-Container" class="{c["widget"]}" '
                       'data-widget="newsletter"><div data-qa="NewsletterWidget-Container">'
                       '<span data-qa="NewsletterWidget-Title">Get the latest news from our '
                       'morning newsletter, in your inbox every weekday</span>'
                       '<input type="email" placeholder="Your email"/>'
                       '<button type="button">SIGN UP</button><span data-qa="NewsletterWidget-Terms">'
                       'By registering, you agree to our T&amp;C and Privacy Policy</span>'
                       '</div></div>'),
    }


# -- body.json -------------------------------------------------------------------------------
def _absolute_node(node: dict[str, Any], base: str) -> dict[str, Any]:
    """``node`` with every ``img`` src made absolute; shares everything it does not change."""
    if node.get("type") == "img":
        attribs = node.get("attribs") or {}
        src = attribs.get("src") or ""
        if src.startswith("/"):
            return {**node, "attribs": {**attribs, "src": base + src}}
        return node
    children = node.get("children")
    if not children:
        return node
    new = [_absolute_node(child, base) for child in children]
    if all(a is b for a, b in zip(new, children, strict=True)):
        return node
    return {**node, "children": new}


def _absolute_nodes(nodes: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    return [_absolute_node(node, base) for node in nodes]


def _text_tree(text: str) -> list[dict[str, Any]]:
    return [{"type": "p", "children": [{"type": "text", "data": text}]}]


def _bullets_tree(bullets: list[str]) -> list[dict[str, Any]]:
    return [{"type": "ul", "children": [
        {"type": "li", "children": [{"type": "text", "data": b}]} for b in bullets]}]


def _node_text(node: dict[str, Any]) -> str:
    if node.get("type") == "text":
        return node.get("data") or ""
    return "".join(_node_text(child) for child in node.get("children") or ())


def _related_link(node: dict[str, Any]) -> dict[str, Any] | None:
    """The ``a`` of an ``h3`` whose only child is a link (an inline "READ MORE" link)."""
    children = node.get("children") or ()
    if len(children) == 1 and children[0].get("type") == "a":
        return children[0]
    return None


def _split_title(title: str, fallback: str) -> tuple[str, str]:
    caption, sep, credit = title.rpartition(" Photo: ")
    return (caption, credit) if sep else (title or fallback, "")


# -- HTML of body nodes ------------------------------------------------------------------------
def _inline(children: Any, out: list[str]) -> None:
    """Inline markup of text, links and emphasis."""
    for child in children or ():
        kind = child.get("type")
        if kind == "text":
            out.append(esc(child.get("data") or ""))
        elif kind == "a":
            attribs = child.get("attribs") or {}
            target = attribs.get("target")
            out.append(f'<a href="{esc(attribs.get("href") or "")}"'
                       + (f' target="{esc(target)}" rel="noopener noreferrer"' if target else "")
                       + ">")
            _inline(child.get("children"), out)
            out.append("</a>")
        elif kind in _INLINE_TAGS:
            out.append(f"<{kind}>")
            _inline(child.get("children"), out)
            out.append(f"</{kind}>")
        elif kind == "br":
            out.append("<br/>")
        else:
            _inline(child.get("children"), out)


class _BodyWriter:
    """Writes ``body.json`` nodes as HTML, one component per node: the walk both page kinds
    share. ``tags`` holds the markup that differs (opening tags by node kind, the pull quote's
    and the social embed's wrappers); subclasses render images, ads, embeds, ``div`` children
    and the nodes only one kind of page shows."""

    def __init__(self, base: str, entity_id: str, tags: dict[str, str]) -> None:
        self.base = base
        self.entity_id = entity_id
        self.tags = tags
        self.ads = 0
        self.out: list[str] = []

    def write(self, nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            self.block(node)

    def block(self, node: dict[str, Any]) -> None:
        out, tags = self.out, self.tags
        kind = node.get("type") or ""
        attribs = node.get("attribs") or {}
        if kind == "p":
            out.append(tags["p"])
            _inline(node.get("children"), out)
            out.append("</p>")
        elif kind in _HEADINGS:
            link = _related_link(node)
            if link is not None:
                href = (link.get("attribs") or {}).get("href") or ""
                out.append(f'{tags["read-more " + kind]}READ MORE: <a href="{esc(href)}">'
                           f"{esc(_node_text(link))}</a></{kind}>")
            else:
                out.append(tags[kind])
                _inline(node.get("children"), out)
                out.append(f"</{kind}>")
        elif kind in ("ul", "ol"):
            out.append(tags[kind])
            for item in node.get("children") or ():
                out.append("<li>")
                _inline(item.get("children"), out)
                out.append("</li>")
            out.append(f"</{kind}>")
        elif kind == "img":
            caption, credit = _split_title(attribs.get("title") or "", attribs.get("alt") or "")
            out.append(self.figure(attribs.get("src") or "", caption, credit))
        elif kind in AD_NODE_TYPES:
            self.ads += 1
            out.append(self.ad(kind, self.ads))
        elif kind == "blockquote-quote":
            children = node.get("children") or ()
            out.append(tags["quote"])
            if children:
                out.append(tags["quote p"])
                _inline(children[0].get("children"), out)
                out.append("</p>")
            for child in children[1:]:
                out.append(tags["quote cite"])
                _inline(child.get("children"), out)
                out.append("</cite>")
            out.append(tags["/quote"])
        elif kind == "blockquote":
            out.append(self.embed(attribs))
            for child in node.get("children") or ():
                if child.get("type") == "p":
                    out.append('<p lang="en" dir="ltr">')
                    _inline(child.get("children"), out)
                    out.append("</p>")
                else:
                    _inline([child], out)
            out.append(tags["/embed"])
        elif kind == "iframe":
            out.append(self.iframe(attribs))
        elif kind == "div":
            out.append(f'{tags["div"]}{esc(attribs.get("class") or "")}">')
            self.write_div(node.get("children") or [])
            out.append("</div>")
        else:
            self.other(kind, attribs, node)

    def figure(self, src: str, caption: str, credit: str) -> str:
        raise NotImplementedError

    def ad(self, kind: str, n: int) -> str:
        raise NotImplementedError

    def embed(self, attribs: dict[str, Any]) -> str:
        raise NotImplementedError

    def iframe(self, attribs: dict[str, Any]) -> str:
        raise NotImplementedError

    def write_div(self, nodes: list[dict[str, Any]]) -> None:
        self.write(nodes)

    def other(self, kind: str, attribs: dict[str, Any], node: dict[str, Any]) -> None:
        """Nodes of no kind above (widgets, trackers, scripts, text): not shown by default."""


@lru_cache(maxsize=8)
def _nextjs_body_tags(seed: int) -> dict[str, str]:
    c = _classes(seed)

    def component(kind: str, role: str) -> str:
        return f'<{kind} data-qa="Component-Component" datatype="{kind}" class="{c[role]}">'

    tags = {
        "p": component("p", "p"), "ul": component("ul", "ul"), "ol": component("ol", "ul"),
        "div": '<div data-qa="Component-Component" datatype="div" class="',
        "quote": (f'<div data-qa="ArticlePullQuote-Container" class="{c["quote"]}">'
                  '<blockquote data-qa="ArticlePullQuote-Blockquote">'),
        "quote p": '<p data-qa="Component-Component" datatype="p">',
        "quote cite": '<cite data-qa="ArticlePullQuote-Author">',
        "/quote": "</blockquote></div>",
        "/embed": "</blockquote></div>",
    }
    for kind in _HEADINGS:
        tags[kind] = component(kind, "h3")
        tags["read-more " + kind] = component(kind, "related")
    return tags


class _BodyHtml(_BodyWriter):
    """The server-rendered body of a Next.js page: one component per ``body.json`` node."""

    def __init__(self, base: str, seed: int, entity_id: str) -> None:
        super().__init__(base, entity_id, _nextjs_body_tags(seed))
        self.c = _classes(seed)
        self.newsletter = ""

    def figure(self, src: str, caption: str, credit: str) -> str:
        return _figure(self.base, self.c, src, caption, credit, "inline")

    def ad(self, kind: str, n: int) -> str:
        return (f'<div data-qa="InlineAdSlot-Container" class="{self.c["ad"]}" '
                f'data-type="{esc(kind)}"><div data-qa="AdSlot-Container">'
                '<div data-qa="AdSlot-Label">Advertisement</div>'
                f'<div id="div-gpt-ad-inline{n}-{self.entity_id}" '
                f'data-ad-unit="/8134/scmp/web/article/inline{n}"></div></div></div>')

    def embed(self, attribs: dict[str, Any]) -> str:
        return (f'<div data-qa="SocialEmbed-Container" class="{self.c["embed"]}">'
                f'<blockquote class="{esc(attribs.get("class") or "")}" data-dnt="true">')

    def iframe(self, attribs: dict[str, Any]) -> str:
        return (f'<div data-qa="YouTubeEmbed-Container" class="{self.c["embed"]}">'
                f'<iframe src="{esc(attribs.get("src") or "")}" '
                f'width="{esc(attribs.get("width") or "560")}" '
                f'height="{esc(attribs.get("height") or "315")}" frameborder="0" '
                'allow="autoplay; encrypted-media; picture-in-picture" allowfullscreen '
                'title="YouTube video player" loading="lazy"></iframe></div>')

    def other(self, kind: str, attribs: dict[str, Any], node: dict[str, Any]) -> None:
        out, c = self.out, self.c
        if kind == "inline-widget" or kind == "article-inline-widget":
            out.append(self.newsletter)
        elif kind in TRACKER_NODE_TYPES:
            out.append(f'<div data-qa="TrackViewedPercentage-Tracker" class="{c["tracker"]}" '
                       f'data-percentage="{esc(attribs.get("data-percentage") or "")}" '
                       'aria-hidden="true"></div>')
        elif kind == "script":
            out.append(f'<script async src="{esc(attribs.get("src") or "")}" '
                       'charset="utf-8"></script>')
        elif kind == "text":
            out.append(esc(node.get("data") or ""))
        else:  # a placeholder the front end fills in (smart embeds, widgets)
            name = "".join(part.title() for part in kind.split("-")) or "Unknown"
            out.append(f'<div data-qa="{esc(name)}-Container" data-type="{esc(kind)}" '
                       f'class="{c["widget"]}"></div>')


def _figure(base: str, c: dict[str, str], src: str, caption: str, credit: str, role: str) -> str:
    """An image with its caption printed twice (under the picture and in the zoom overlay)."""
    url = base + src if src.startswith("/") else src
    title = f"{caption} Photo: {credit}" if credit else caption
    credit_html = (f' <span data-qa="ArticleImage-Credit">Photo: {esc(credit)}</span>'
                   if credit else "")
    return (f'<figure data-qa="ArticleImage-Figure" class="{c["figure"]}" data-role="{role}">'
            f'<div data-qa="ArticleImage-ImageContainer"><img src="{esc(url)}" alt="{esc(caption)}" '
            f'title="{esc(title)}" width="1200" height="800" '
            f'loading="{"eager" if role == "leading" else "lazy"}"/></div>'
            f'<figcaption data-qa="ArticleImage-Caption" class="{c["caption"]}">'
            f'<span data-qa="ArticleImage-CaptionText">{esc(caption)}</span>{credit_html}'
            '</figcaption>'
            f'<div data-qa="ArticleImage-ZoomCaption" aria-hidden="true" hidden>{esc(title)}</div>'
            "</figure>")


# -- the data the pages carry ------------------------------------------------------------------
class _Item:
    """Everything a page of one item needs, computed once per render."""

    def __init__(self, world: World, content: ArticleContent, base: str) -> None:
        spec = content.spec
        self.world = world
        self.content = content
        self.spec = spec
        self.base = base
        self.seed = world.config.seed
        self.id = str(spec.article_id)
        self.canonical = base + spec.path
        self.typename = TYPENAMES[spec.kind]
        self.uuid = _uuid(self.seed, spec.article_id)
        self.images = [dict(img, url=base + img["url"]) for img in content.images]
        self.paragraphs = content.paragraphs if spec.is_article else []
        self.sponsor = SPONSORS[_n(self.seed, "sponsor", self.id) % len(SPONSORS)] \
            if spec.sponsored else None

    def pick(self, what: str, modulo: int) -> int:
        return _n(self.seed, what, self.id) % modulo

    def related(self, count: int = 3) -> list[ItemSpec]:
        """Earlier articles (published, so their links resolve), newest first."""
        found = []
        j = self.spec.index - 1
        while j >= 0 and len(found) < count and self.spec.index - j < 40:
            other = self.world.spec(j)
            if other.is_article:
                found.append(other)
            j -= 1
        return found

    # the article object shared by __NEXT_DATA__ and (normalised) the Apollo state
    def authors_data(self) -> list[dict[str, Any]]:
        if not self.spec.is_article:
            return [{"name": a, "urlAlias": _author_alias(a), "entityId": _entity("author", a)}
                    for a in self.spec.authors[:1]] if self.spec.kind == "gallery" else []
        return [{"__typename": "Author", "entityId": _entity("author", a), "name": a,
                 "urlAlias": _author_alias(a),
                 "types": ["Wire"] if a in ("Reuters", "Agence France-Presse", "Associated Press",
                                            "Bloomberg") else ["SCMP staff"]}
                for a in self.spec.authors]

    def images_data(self) -> list[dict[str, Any]]:
        return [{"type": "leading" if k == 0 else "inline", "url": img["url"],
                 "title": f"{img['caption']} Photo: {img['credit']}", "width": 1200,
                 "height": 800}
                for k, img in enumerate(self.images)]

    def topics_data(self) -> list[dict[str, str]]:
        return [{"entityId": _entity("topic", t), "name": t, "urlAlias": _topic_alias(t)}
                for t in self.content.topics]

    def keywords(self) -> list[str]:
        words = list(self.content.topics) + [self.spec.place, self.spec.section.names[-1]]
        return [", ".join(dict.fromkeys(words))]

    def article_data(self) -> dict[str, Any]:
        spec, content = self.spec, self.content
        return {
            "__typename": self.typename,
            "entityId": self.id,
            "entityUuid": self.uuid,
            "urlAlias": spec.path,
            "shortUrl": f"https://sc.mp/{_n(self.seed, 'short', self.id) % 36**5:05x}",
            "headline": spec.headline,
            "socialHeadline": spec.social_headline,
            "subHeadline": {"json": _bullets_tree(content.subheadline)}
            if content.subheadline else None,
            "summary": {"json": _text_tree(content.summary), "text": content.summary},
            "articleTypes": [{"entityId": "20" if spec.kind == "opinion" else "10",
                              "name": "Opinion" if spec.kind == "opinion" else "News"}]
            if spec.is_article else [],
            "authors": self.authors_data(),
            "publishedDate": spec.published_ms,
            "updatedDate": content.updated_ms,
            "createdDate": spec.published_ms,
            "sections": [{"value": _section_levels(spec)}],
            "topics": self.topics_data(),
            "keywords": self.keywords(),
            "images": self.images_data(),
            "body": {"json": _absolute_nodes(content.body_nodes, self.base)},
            "readingTime": _reading_time(self.paragraphs) if spec.is_article else None,
            "commentCount": self.pick("comments", 250),
            "paywallTypes": PAYWALL_TYPES[spec.access],
            "sponsorType": "sponsored" if spec.sponsored else None,
            "sponsor": {"name": self.sponsor} if self.sponsor else None,
            "flag": None,
        }

    # JSON-LD
    def organization(self) -> dict[str, Any]:
        return {"@type": "Organization", "name": SITE_NAME, "url": self.base + "/",
                "logo": {"@type": "ImageObject",
                         "url": self.base + "/_next/static/media/scmp-logo.png",
                         "width": 600, "height": 60}}

    def ld_blocks(self, *, apollo: bool) -> list[dict[str, Any]]:
        spec, content = self.spec, self.content
        ctx = "https://schema.org"
        org = self.organization()
        blocks: list[dict[str, Any]] = [
            {"@context": ctx, **org,
             "sameAs": ["https://www.facebook.com/SouthChinaMorningPost",
                        "https://x.com/SCMPNews", "https://www.youtube.com/@SCMPdigital"]},
            {"@context": ctx, "@type": "WebPage", "@id": self.canonical, "url": self.canonical,
             "name": spec.headline, "description": content.summary, "inLanguage": "en-GB",
             "isPartOf": {"@type": "WebSite", "name": SITE_NAME, "url": self.base + "/"}},
        ]
        leading = self.images[0] if self.images else None
        image_ld = ({"@type": "ImageObject", "url": leading["url"], "width": 1200, "height": 800}
                    if leading else None)
        if spec.kind == "video":
            blocks.append({
                "@context": ctx, "@type": "VideoObject", "name": spec.headline,
                "description": content.summary, "url": self.canonical,
                "thumbnailUrl": [leading["url"]] if leading else [],
                "uploadDate": _iso_hkt(spec.published_ms),
                "duration": f"PT{1 + self.pick('vmin', 9)}M{self.pick('vsec', 60)}S",
                "embedUrl": f"https://www.youtube.com/embed/{self.youtube_id()}",
                "publisher": org, "inLanguage": "en-GB"})
        elif spec.kind == "gallery":
            blocks.append({
                "@context": ctx, "@type": "ImageGallery", "name": spec.headline,
                "headline": spec.headline, "description": content.summary,
                "url": self.canonical, "datePublished": _iso_hkt(spec.published_ms),
                "dateModified": _iso_hkt(content.updated_ms), "publisher": org,
                "image": [{"@type": "ImageObject", "url": img["url"],
                           "caption": f"{img['caption']} Photo: {img['credit']}"}
                          for img in self.images]})
        else:
            blocks.append(self.ld_article(ctx, org, image_ld, apollo=apollo))
        crumbs = [{"@type": "ListItem", "position": k + 1, "name": level["name"],
                   "item": self.base + level["urlAlias"]}
                  for k, level in enumerate(_section_levels(spec))]
        crumbs.append({"@type": "ListItem", "position": len(crumbs) + 1,
                       "name": spec.headline, "item": self.canonical})
        blocks.append({"@context": ctx, "@type": "BreadcrumbList", "itemListElement": crumbs})
        if spec.is_article and self.pick("ld-images", 3):
            blocks.extend({"@context": ctx, "@type": "ImageObject", "url": img["url"],
                           "contentUrl": img["url"],
                           "caption": f"{img['caption']} Photo: {img['credit']}",
                           "creditText": img["credit"], "width": 1200, "height": 800}
                          for img in self.images)
        return blocks

    def ld_author(self, *, apollo: bool) -> Any:
        people = [{"@type": "Person", "name": a, "url": self.base + _author_alias(a)}
                  for a in self.spec.authors]
        if apollo and self.pick("ld-author-string", 3) == 0:
            value: Any = people[0] if len(people) == 1 else people
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if len(people) == 1 and self.pick("ld-author-list", 2):
            return people[0]
        return people

    def ld_article(self, ctx: str, org: dict[str, Any], image_ld: dict[str, Any] | None, *,
                   apollo: bool) -> dict[str, Any]:
        spec, content = self.spec, self.content
        headline = spec.headline
        if len(headline) > LD_HEADLINE_CUT:
            headline = headline[:LD_HEADLINE_CUT].rstrip() + "..."
        words = " ".join(self.paragraphs).split()
        description = (" ".join(words[:25]) if words and self.pick("ld-description", 3)
                       else content.summary)
        ld: dict[str, Any] = {
            "@context": ctx,
            "@type": "OpinionNewsArticle" if spec.kind == "opinion" else "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": self.canonical},
            "url": self.canonical,
            "identifier": self.id,
            "headline": headline,
            "alternativeHeadline": spec.social_headline,
            "description": description,
            "image": image_ld,
            "author": self.ld_author(apollo=apollo),
            "publisher": org,
            "datePublished": _iso_hkt(spec.published_ms),
            "dateModified": _iso_hkt(content.updated_ms),
            "dateCreated": _iso_hkt(spec.published_ms),
            "inLanguage": "en-GB",
            "articleSection": spec.section.names[-1],
            "keywords": ", ".join(content.topics),
            "isAccessibleForFree": "False" if content.is_paywalled else "True",
        }
        body = self.ld_article_body(apollo=apollo)
        if body is not None:
            ld["articleBody"] = body
        if content.is_paywalled:
            ld["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": "False",
                             "cssSelector": ".paywalled-content"}
        if self.sponsor:
            ld["sponsor"] = {"@type": "Organization", "name": self.sponsor}
        return ld

    def ld_article_body(self, *, apollo: bool) -> str | None:
        if apollo:
            if self.pick("ld-body", 2) == 0:
                return None
        elif self.pick("ld-body", 5) == 0:
            return None
        body = " ".join(self.paragraphs)
        bios = self.content.author_bios
        if bios and self.spec.kind == "opinion" and self.pick("ld-bio", 2):
            body = f"{body} {bios[-1]}"
        return body

    def ld_html(self, *, apollo: bool) -> str:
        return "".join(f'<script type="application/ld+json">{_script_json(block)}</script>'
                       for block in self.ld_blocks(apollo=apollo))

    # head meta
    def head_meta(self, *, apollo: bool) -> str:
        spec, content = self.spec, self.content
        leading = self.images[0]["url"] if self.images else ""
        parts = [
            f'<link rel="canonical" href="{esc(self.canonical)}"/>',
            f'<meta name="description" content="{esc(content.summary)}"/>',
            '<meta property="og:site_name" content="South China Morning Post"/>',
            '<meta property="og:type" content="'
            + ("video.other" if spec.kind == "video" else "article") + '"/>',
            f'<meta property="og:title" content="{esc(spec.social_headline)}"/>',
            f'<meta property="og:description" content="{esc(content.summary)}"/>',
            f'<meta property="og:url" content="{esc(self.canonical)}"/>',
            '<meta property="og:locale" content="en_GB"/>',
            '<meta name="twitter:card" content="summary_large_image"/>',
            '<meta name="twitter:site" content="@SCMPNews"/>',
            f'<meta name="twitter:title" content="{esc(spec.social_headline)}"/>',
            f'<meta name="twitter:description" content="{esc(content.summary)}"/>',
        ]
        if spec.is_article:
            parts.insert(1, f'<link rel="amphtml" href="{esc(self.base + "/amp" + spec.path)}"/>')
        if leading:
            parts += [f'<meta property="og:image" content="{esc(leading)}"/>',
                      '<meta property="og:image:width" content="1200"/>',
                      '<meta property="og:image:height" content="800"/>',
                      f'<meta name="twitter:image" content="{esc(leading)}"/>',
                      f'<link rel="preload" as="image" href="{esc(leading)}"/>']
        parts += [f'<meta property="article:published_time" '
                  f'content="{_iso_hkt(spec.published_ms)}"/>',
                  f'<meta property="article:modified_time" '
                  f'content="{_iso_hkt(content.updated_ms)}"/>']
        if spec.is_article:
            parts += [f'<meta property="article:author" '
                      f'content="{esc(self.base + _author_alias(a))}"/>' for a in spec.authors]
            parts.append(f'<meta property="article:content_tier" '
                         f'content="{CONTENT_TIER[spec.access]}"/>')
        parts += [f'<meta property="article:tag" content="{esc(t)}"/>' for t in content.topics]
        sections = [spec.section.names[-1]]
        related = [s.section.names[-1] for s in self.related()]
        sections = list(dict.fromkeys(related + sections if self.pick("meta-sections", 2)
                                      else sections + related))
        parts += [f'<meta property="article:section" content="{esc(s)}"/>' for s in sections]
        if apollo:
            kind = {"article": "News", "opinion": "Opinion", "video": "Video",
                    "gallery": "Gallery"}[spec.kind]
            parts += [
                f'<meta name="cse_headline" content="{esc(spec.headline)}"/>',
                f'<meta name="cse_socialheadline" content="{esc(spec.social_headline)}"/>',
                f'<meta name="cse_author" content="{esc(",".join(spec.authors))}"/>',
                f'<meta name="cse_sectionname" content="{esc(spec.section.names[-1])}"/>',
                f'<meta name="cse_topic" content="{esc(",".join(content.topics))}"/>',
                f'<meta name="cse_articletype" content="{kind}"/>',
                f'<meta name="cse_uuid" content="{self.uuid}"/>',
            ]
        return "".join(parts)

    def youtube_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        value = _n(self.seed, "youtube", self.id)
        return "".join(alphabet[(value >> (6 * k)) & 63] for k in range(11))

    def target_size(self) -> int:
        return (MIN_KB + self.pick("weight", MAX_KB - MIN_KB + 1)) * 1024

    def filler(self, used: int) -> list[str]:
        """Related-content JSON (one valid JSON array, as cached parts) that brings the page to
        its target size."""
        kb = max(1, (self.target_size() - used) // 1024)
        return filler_parts(self.seed, _n(self.seed, "filler", self.id), kb)


# -- Next.js pages -------------------------------------------------------------------------------
def _authors_html(item: _Item, c: dict[str, str]) -> str:
    names = item.spec.authors
    links = [f'<a data-qa="AuthorNames-AuthorName" href="{esc(_author_alias(a))}">{esc(a)}</a>'
             for a in names]
    if len(links) > 1:
        joined = '<span>, </span>'.join(links[:-1]) + "<span> and </span>" + links[-1]
    else:
        joined = "".join(links)
    return (f'<div data-qa="AuthorNames-AuthorNamesContainer" class="{c["authors"]}">'
            f"{joined}</div>")


def _dates_html(item: _Item, c: dict[str, str]) -> str:
    spec, content = item.spec, item.content
    html = (f'<div data-qa="Article20Date-Container" class="{c["date"]}">'
            f'<time data-qa="Article20Date-PublishedDate" datetime="{_iso_z(spec.published_ms)}">'
            f"Published: {_display(spec.published_ms)}</time>")
    if content.updated_ms != spec.published_ms:
        html += (f'<time data-qa="Article20Date-UpdatedDate" datetime="{_iso_z(content.updated_ms)}">'
                 f"Updated: {_display(content.updated_ms)}</time>")
    return html + "</div>"


def _section_tag(item: _Item, c: dict[str, str]) -> str:
    level = _section_levels(item.spec)[-1]
    return (f'<div data-qa="ArticleSectionTag-Container" class="{c["section"]}">'
            f'<a data-qa="BaseLink-renderAnchor-StyledAnchor" href="{esc(level["urlAlias"])}">'
            f'{esc(level["name"])}</a></div>')


def _headline_html(item: _Item, c: dict[str, str]) -> str:
    return (f'<h1 data-qa="ContentHeadline-ContainerWithTag" class="{c["headline"]}">'
            f'<span data-qa="ContentHeadline-Headline">{esc(item.spec.headline)}</span></h1>')


def _bullets_html(item: _Item, c: dict[str, str]) -> str:
    bullets = item.content.subheadline
    if not bullets:
        return ""
    return (f'<h3 data-qa="ContentSubHeadline-ContainerWithTag" class="{c["bullets"]}"><ul>'
            + "".join(f"<li>{esc(b)}</li>" for b in bullets) + "</ul></h3>")


def _sponsor_html(item: _Item, c: dict[str, str]) -> str:
    if not item.sponsor:
        return ""
    return (f'<div data-qa="ArticleSponsorLabel-Container" class="{c["sponsor"]}">'
            '<span data-qa="ArticleSponsorLabel-Label">Sponsored</span>'
            '<span data-qa="ArticleSponsorLabel-Partner">In partnership with '
            f'<strong>{esc(item.sponsor)}</strong></span></div>')


def _topics_html(item: _Item, c: dict[str, str]) -> str:
    topics = "".join(
        f'<div data-qa="ArticleTopics-Topic"><a data-qa="BaseLink-renderAnchor-StyledAnchor" '
        f'href="{esc(_topic_alias(t))}">{esc(t)}</a><button type="button" '
        f'data-qa="FollowButton-Button" class="{c["follow"]}">+ FOLLOW</button></div>'
        for t in item.content.topics)
    return (f'<div data-qa="ArticleTopics-Container" class="{c["topics"]}">'
            f'<span data-qa="ArticleTopics-Title">Topics</span>{topics}</div>')


def _further_reading_html(item: _Item, c: dict[str, str]) -> str:
    cards = "".join(
        f'<li><a data-qa="BaseLink-renderAnchor-StyledAnchor" href="{esc(s.path)}">'
        f'<h2 data-qa="ContentHeadline-ContainerWithTag"><span data-qa="ContentHeadline-Headline">'
        f"{esc(s.headline)}</span></h2></a></li>"
        for s in item.related())
    return (f'<div data-qa="ArticleFurtherReadingWidget-Container" class="{c["more"]}">'
            f'<h2 data-qa="ArticleFurtherReadingWidget-Title">More on this</h2><ul>{cards}</ul>'
            "</div>")


def _paywall_html(item: _Item, c: dict[str, str]) -> str:
    access = item.spec.access
    if access == "plus":
        inner = ('<div data-qa="GenericArticle-PaywallOverlay">'
                 '<h2>This article is exclusive to SCMP Plus subscribers</h2>'
                 '<p>Unlock in-depth analysis of China and Asia, and every story on the site.</p>'
                 '<a href="/plus/subscribe">Subscribe now</a>'
                 '<p>Already a subscriber? <a href="/login">Log in</a></p></div>')
    elif access == "metered":
        inner = ('<div data-qa="GenericArticle-PaywallOffer" hidden>'
                 '<h2>You have reached your free article limit</h2>'
                 '<p>Subscribe for unlimited access to the South China Morning Post.</p>'
                 '<a href="/subscribe">Subscribe</a></div>')
    else:
        inner = ""
    return (f'<div data-qa="GenericArticle-PaywallContainer" class="{c["paywall"]}" '
            f'data-paywall="{access}">{inner}</div>')


def _nextjs_article_html(item: _Item, c: dict[str, str], furniture: dict[str, str]) -> str:
    content = item.content
    writer = _BodyHtml(item.base, item.seed, item.id)
    writer.newsletter = furniture["newsletter"]
    writer.write(content.body_nodes)
    paywalled = content.is_paywalled
    minutes = _reading_time(item.paragraphs)
    leading = item.images[0] if item.images else None
    lead_html = (_figure("", c, leading["url"], leading["caption"], leading["credit"], "leading")
                 if leading else "")
    return "".join((
        furniture["top_ad"],
        f'<article data-qa="GenericArticle-Container" class="{c["article"]}" '
        f'data-entity-id="{item.id}">',
        _sponsor_html(item, c),
        f'<div data-qa="ArticleHeader-Container" class="{c["header"]}">',
        _section_tag(item, c),
        _headline_html(item, c),
        _bullets_html(item, c),
        furniture["trust"],
        _authors_html(item, c),
        _dates_html(item, c),
        f'<div data-qa="ArticleReadingTime-Container" class="{c["reading"]}">Reading Time:'
        f'{minutes} minute{"s" if minutes != 1 else ""}</div>',
        furniture["speech"],
        furniture["share"],
        "</div>",
        lead_html,
        f'<section data-qa="ContentBody-ContentBodyContainer" class="{c["body"]}'
        + (' paywalled-content"' if paywalled else '"') + ">",
        "".join(writer.out),
        _paywall_html(item, c) if paywalled else "",
        "</section>",
        "" if paywalled else _paywall_html(item, c),
        furniture["read_full"],
        _topics_html(item, c),
        _further_reading_html(item, c),
        furniture["register"],
        f'<div data-qa="ArticleComments-Container"><button type="button">'
        f'{item.pick("comments", 250)} Comments</button></div>',
        "</article>",
        furniture["rail_ad"],
    ))


def _video_html(item: _Item, c: dict[str, str], furniture: dict[str, str]) -> str:
    spec, content = item.spec, item.content
    return "".join((
        furniture["top_ad"],
        f'<div data-qa="VideoPage-Container" class="{c["video"]}" data-entity-id="{item.id}">',
        f'<div data-qa="VideoPlayer-Container"><iframe src="https://www.youtube.com/embed/'
        f'{item.youtube_id()}" width="1280" height="720" frameborder="0" allowfullscreen '
        'title="YouTube video player"></iframe></div>',
        _section_tag(item, c),
        _headline_html(item, c),
        f'<time data-qa="VideoDate-PublishedDate" datetime="{_iso_z(spec.published_ms)}">'
        f"{_display(spec.published_ms)}</time>",
        f'<p data-qa="VideoDescription-Description">{esc(content.summary)}</p>',
        furniture["share"],
        _topics_html(item, c),
        "</div>",
        furniture["rail_ad"],
    ))


def _gallery_html(item: _Item, c: dict[str, str], furniture: dict[str, str]) -> str:
    spec, content = item.spec, item.content
    figures = "".join(
        f'<figure data-qa="GalleryImage-Container" class="{c["gallery"]}">'
        f'<img src="{esc(img["url"])}" alt="{esc(img["caption"])}" loading="lazy"/>'
        f'<figcaption><span>{k + 1}/{len(item.images)}</span> {esc(img["caption"])} '
        f'Photo: {esc(img["credit"])}</figcaption></figure>'
        for k, img in enumerate(item.images))
    return "".join((
        furniture["top_ad"],
        f'<div data-qa="GalleryPage-Container" class="{c["gallery"]}" data-entity-id="{item.id}">',
        _section_tag(item, c),
        _headline_html(item, c),
        f'<time data-qa="GalleryDate-PublishedDate" datetime="{_iso_z(spec.published_ms)}">'
        f"{_display(spec.published_ms)}</time>",
        f'<p data-qa="GalleryDescription-Description">{esc(content.summary)}</p>',
        f'<div data-qa="GalleryPage-ImageList">{figures}</div>',
        furniture["share"],
        _topics_html(item, c),
        "</div>",
        furniture["rail_ad"],
    ))


def _break_json(item: _Item, text: str, start: int, length: int) -> str:
    """``text`` made invalid JSON; the article's JSON is ``text[start:start + length]``."""
    if item.pick("broken-mode", 3) == 0:
        marker = f'"commentCount":{item.pick("comments", 250)}'
        return text.replace(marker, '"commentCount":undefined', 1)
    return text[: start + length * (20 + item.pick("broken-cut", 61)) // 100]


def _nextjs_page(item: _Item, *, malformed: bool) -> list[str]:
    spec, seed = item.spec, item.seed
    c = _classes(seed)
    furniture = _furniture(seed)
    if spec.kind == "video":
        dom = _video_html(item, c, furniture)
    elif spec.kind == "gallery":
        dom = _gallery_html(item, c, furniture)
    else:
        dom = _nextjs_article_html(item, c, furniture)
    head = item.head_meta(apollo=False) + item.ld_html(apollo=False)
    title = f"{spec.headline} | South China Morning Post"
    page_name = {"video": "/video", "gallery": "/gallery"}.get(spec.kind, "/article")
    app = _app_config_text(seed)
    broken = malformed or spec.variant == "nextdata_broken"
    if spec.variant == "nextdata_missing" and not broken:
        # No __NEXT_DATA__ (a static export of the page): the weight sits in another script.
        before = ['<script id="__SCMP_APP_STATE__" type="application/json">{"appConfig":',
                  app, ',"relatedContents":']
        after = "}</script>"
    else:
        article_json = _script_json(item.article_data())
        before = ['<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":'
                  '{"appInitialProps":{"appConfig":', app, '},"relatedContents":']
        payload = ',"payload":{"data":{"article":'
        after = (payload + article_json + '}},"pageType":' + json.dumps(page_name.strip("/")) + '},"__N_SSP":true},"page":'
                 + json.dumps(page_name) + ',"query":{"entityId":"' + item.id + '"},"buildId":"'
                 + build_id(seed) + '","isFallback":false,"gssp":true,"scriptLoader":[]}')
        if broken:
            after = _break_json(item, after, len(payload), len(article_json))
        after += "</script>"
    esc_title_len = len(esc(title))
    used = (_chrome_length(seed) + esc_title_len + len(head) + len(dom)
            + sum(map(len, before)) + len(after))
    body = [dom, *before, *item.filler(used), after]
    return page_parts(title=title, head=head, body=body, seed=seed)


# -- Apollo pages -------------------------------------------------------------------------------
def _ref(node_id: str, typename: str | None = None, generated: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"type": "id", "generated": generated, "id": node_id}
    if typename:
        ref["typename"] = typename
    return ref


def _apollo_state(item: _Item, filler: str) -> str:
    """``window.__APOLLO_STATE__``'s JSON, with ``filler`` (JSON text) as trending items."""
    spec, content = item.spec, item.content
    key = f"{item.typename}:{item.id}"
    cache: dict[str, Any] = {}
    node: dict[str, Any] = {
        "__typename": item.typename,
        "entityId": item.id,
        "entityUuid": item.uuid,
        "headline": spec.headline,
        "socialHeadline": spec.social_headline,
        "subHeadline": {"type": "json", "json": _bullets_tree(content.subheadline)}
        if content.subheadline else None,
        "summary": {"type": "json", "json": _text_tree(content.summary)},
        f"body({BODY_ARGS})": {"type": "json",
                               "json": _absolute_nodes(content.body_nodes, item.base)},
        "publishedDate": spec.published_ms,
        "updatedDate": content.updated_ms,
        "createdDate": spec.published_ms,
        "urlAlias": spec.path,
        "sponsorType": "sponsored" if spec.sponsored else None,
        "readingTime": _reading_time(item.paragraphs) if spec.is_article else None,
    }
    authors = []
    for author in item.authors_data():
        author_key = f"Author:{author['entityId']}"
        cache[author_key] = {**author, "__typename": "Author"}
        authors.append(_ref(author_key, "Author"))
    node["authors"] = authors
    images = []
    for k, image in enumerate(item.images_data()):
        image_key = f"${key}.images.{k}"
        cache[image_key] = {**image, "__typename": "Image"}
        images.append(_ref(image_key, "Image", generated=True))
    node["images"] = images
    levels = []
    for level in _section_levels(spec):
        section_key = f"Section:{_entity('section', level['urlAlias'])}"
        cache[section_key] = {"__typename": "Section",
                              "entityId": section_key.split(":")[1], **level}
        levels.append(_ref(section_key, "Section"))
    cache[f"${key}.sections.0"] = {"value": levels, "__typename": "SectionSegment"}
    node["sections"] = [_ref(f"${key}.sections.0", "SectionSegment", generated=True)]
    topics = []
    for topic in item.topics_data():
        topic_key = f"Topic:{topic['entityId']}"
        cache[topic_key] = {**topic, "__typename": "Topic"}
        topics.append(_ref(topic_key, "Topic"))
    node["topics"] = topics
    paywall = []
    for entry in PAYWALL_TYPES[spec.access]:
        paywall_key = f"PaywallType:{entry['entityId']}"
        cache[paywall_key] = {**entry, "__typename": "PaywallType"}
        paywall.append(_ref(paywall_key, "PaywallType"))
    node["paywallTypes"] = paywall
    related = []
    for other in item.related():
        other_key = f"Article:{other.article_id}"
        cache[other_key] = {"__typename": "Article", "entityId": str(other.article_id),
                            "headline": other.headline, "urlAlias": other.path,
                            "publishedDate": other.published_ms}
        related.append(_ref(other_key, "Article"))
    node['relatedArticles({"limit":3})'] = related
    content_query = "content(" + json.dumps({"contentType": item.typename.upper(),
                                             "filter": {"entityId": item.id}},
                                            separators=(",", ":")) + ")"
    trending = 'trendingContents({"count":200})'
    root = {content_query: _ref(key, item.typename), trending: _ref(
        f"$ROOT_QUERY.{trending}", "TrendingContents", generated=True)}
    content_cache = {"ROOT_QUERY": root, key: node, **cache}
    user_cache = {"ROOT_QUERY": {"me": None, 'paywallConfig({"platform":"web"})': _ref(
        "PaywallConfig:web", "PaywallConfig")},
        "PaywallConfig:web": {"__typename": "PaywallConfig", "meteredLimit": 3,
                              "registrationWall": True}}
    state = {"userService": user_cache, "contentService": content_cache}
    text = _script_json(state)
    # The trending connection (weight) goes last in the content cache, as JSON text.
    return (text[:-2] + ',"$ROOT_QUERY.' + trending.replace('"', '\\"')
            + '":{"__typename":"TrendingContents","items":' + filler + "}}}")


def _apollo_html(item: _Item, c: dict[str, str]) -> str:
    spec, content = item.spec, item.content
    level = _section_levels(spec)[-1]
    bullets = ("<div class=\"info__subHeadline sub-headline\"><ul>"
               + "".join(f"<li>{esc(b)}</li>" for b in content.subheadline) + "</ul></div>"
               if content.subheadline else "")
    authors = "".join(f'<a class="author-name" href="{esc(_author_alias(a))}">{esc(a)}</a>'
                      for a in spec.authors) if spec.is_article else ""
    updated = (f'<span class="updated-date">Updated: {_display(content.updated_ms, apollo=True)}'
               "</span>" if content.updated_ms != spec.published_ms else "")
    leading = item.images[0] if item.images else None
    figure = (f'<figure class="article-image"><img src="{esc(leading["url"])}" '
              f'alt="{esc(leading["caption"])}"/><figcaption class="article-image__caption">'
              f'<span class="caption-text">{esc(leading["caption"])}</span> '
              f'<span class="caption-credit">Photo: {esc(leading["credit"])}</span>'
              "</figcaption></figure>" if leading else "")
    sponsor = (f'<div class="sponsor-label"><span>Sponsored</span> '
               f'<span>In partnership with {esc(item.sponsor)}</span></div>'
               if item.sponsor else "")
    paywall = (f'<div class="paywall-container" id="paywall-container" '
               f'data-paywall="{spec.access}"></div>')
    return (
        f'<div class="article-page {c["article"]}" data-article-id="{item.id}">{sponsor}'
        '<div class="article-header">'
        f'<div class="article-header__section"><a href="{esc(level["urlAlias"])}">'
        f'{esc(level["name"])}</a></div>'
        f'<h1 class="info__headline headline">{esc(spec.headline)}</h1>{bullets}'
        f'<div class="article-author">{authors}</div>'
        f'<div class="article-date"><span class="published-date">Published: '
        f'{_display(spec.published_ms, apollo=True)}</span>{updated}</div>'
        '<div class="share-widget"><button type="button" class="share-widget__button">Share'
        '</button><span class="share-widget__copied" hidden>Link Copied</span></div>'
        f"</div>{figure}{paywall}"
        '<div class="article-body" id="article-body"></div></div>'
    )


def _apollo_page(item: _Item, *, malformed: bool) -> list[str]:
    spec, seed = item.spec, item.seed
    c = _classes(seed)
    head = item.head_meta(apollo=True) + item.ld_html(apollo=True)
    title = f"{spec.headline} | South China Morning Post"
    dom = _apollo_html(item, c)
    config = ["<script>window.__APP_CONFIG__ = ", _app_config_text(seed), ";</script>"]
    # Measure with a one-item filler, then build the real one.
    probe = _apollo_state(item, "[]")
    used = (_chrome_length(seed) + len(esc(title)) + len(head) + len(dom)
            + sum(map(len, config)) + len(probe)
            + len("<script>window.__APOLLO_STATE__ = ;</script>"))
    before_filler, after_filler = _apollo_state(item, _FILLER_MARK).split(_FILLER_MARK)
    if malformed:  # a JavaScript literal, not JSON
        before_filler = before_filler.replace(
            '"sponsorType":null', '"sponsorType":undefined', 1).replace(
            '"sponsorType":"sponsored"', '"sponsorType":undefined', 1)
    body = [dom, *config, "<script>window.__APOLLO_STATE__ = ", before_filler,
            *item.filler(used), after_filler, ";</script>"]
    return page_parts(title=title, head=head, body=body, seed=seed)


_FILLER_MARK = "\x00filler\x00"


# -- public functions --------------------------------------------------------------------------
def render_article_page(world: World, content: ArticleContent, *, base: str,
                        malformed_nextdata: bool = False) -> str:
    """The HTML page of ``content``'s item (article, opinion, video or gallery).

    ``malformed_nextdata`` (a fault the server injects) makes the page's data script invalid
    JSON, as the ``nextdata_broken`` variant does; on an Apollo-generation page it breaks the
    Apollo state instead.
    """
    return "".join(render_article_parts(world, content, base=base,
                                        malformed_nextdata=malformed_nextdata))


def render_article_parts(world: World, content: ArticleContent, *, base: str,
                         malformed_nextdata: bool = False) -> list[str]:
    """``render_article_page`` as parts, for ``chrome.splice`` (what the server sends)."""
    item = _Item(world, content, base)
    if content.spec.generation == "apollo":
        return _apollo_page(item, malformed=malformed_nextdata)
    return _nextjs_page(item, malformed=malformed_nextdata)


_AMP_STYLE = (
    "<style amp-boilerplate>body{-webkit-animation:-amp-start 8s steps(1,end) 0s 1 normal both;"
    "-moz-animation:-amp-start 8s steps(1,end) 0s 1 normal both;-ms-animation:-amp-start 8s "
    "steps(1,end) 0s 1 normal both;animation:-amp-start 8s steps(1,end) 0s 1 normal both}"
    "@-webkit-keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}"
    "@-moz-keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}"
    "@-ms-keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}"
    "@-o-keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}"
    "@keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}</style>"
    "<noscript><style amp-boilerplate>body{-webkit-animation:none;-moz-animation:none;"
    "-ms-animation:none;animation:none}</style></noscript>"
)
_AMP_SCRIPTS = "".join(
    f'<script async custom-element="{name}" src="https://cdn.ampproject.org/v0/{name}-0.1.js">'
    "</script>" for name in ("amp-ad", "amp-analytics", "amp-youtube", "amp-twitter",
                             "amp-social-share", "amp-sidebar"))


@lru_cache(maxsize=8)
def _amp_css(seed: int) -> str:
    c = _classes(seed)
    rules = [f".{cls}{{margin:0 0 {8 + k % 9}px;padding:{k % 5}px;font-size:{14 + k % 6}px}}"
             for k, cls in enumerate(c.values())]
    rules += [".article__body p{line-height:1.6;margin:0 0 16px}",
              ".ad-label{font-size:10px;color:#999;text-transform:uppercase}",
              ".pull-quote{border-left:4px solid #001246;padding-left:12px}"]
    return "<style amp-custom>" + "".join(rules) + "</style>"


def _amp_ad(n: int, item_id: str) -> str:
    return ('<div class="amp-ad-container"><div class="ad-label">Advertisement</div>'
            f'<amp-ad width="300" height="250" type="doubleclick" '
            f'data-slot="/8134/scmp/amp/article/inline{n}" '
            f'json=\'{{"targeting":{{"articleId":"{item_id}","pos":"{n}"}}}}\'></amp-ad></div>')


_AMP_BODY_TAGS = {
    "p": "<p>", "ul": "<ul>", "ol": "<ol>", "div": '<div class="',
    "quote": '<blockquote class="pull-quote">', "quote p": "<p>", "quote cite": "<cite>",
    "/quote": "</blockquote>", "/embed": "</blockquote></amp-twitter>",
    **{kind: f"<{kind}>" for kind in _HEADINGS},
    **{"read-more " + kind: f'<{kind} class="read-more">' for kind in _HEADINGS},
}


class _AmpBodyHtml(_BodyWriter):
    """The body of an AMP page: plain tags, ``amp-*`` components; scripts, widgets, trackers
    and loose text have no place in AMP."""

    def __init__(self, base: str, entity_id: str) -> None:
        super().__init__(base, entity_id, _AMP_BODY_TAGS)

    def figure(self, src: str, caption: str, credit: str) -> str:
        return _amp_figure(self.base, src, caption, credit)

    def ad(self, kind: str, n: int) -> str:
        return _amp_ad(n, self.entity_id)

    def embed(self, attribs: dict[str, Any]) -> str:
        return ('<amp-twitter width="375" height="472" layout="responsive" '
                'data-tweetid="1"><blockquote placeholder class="twitter-tweet">')

    def iframe(self, attribs: dict[str, Any]) -> str:
        video_id = (attribs.get("src") or "").rsplit("/", 1)[-1]
        return (f'<amp-youtube data-videoid="{esc(video_id)}" layout="responsive" '
                'width="480" height="270"></amp-youtube>')

    def write_div(self, nodes: list[dict[str, Any]]) -> None:
        # The ads of a div count from 1 again (inline1, inline2, ...); then the outer count goes on.
        outer, self.ads = self.ads, 0
        self.write(nodes)
        self.ads = outer


def _amp_figure(base: str, src: str, caption: str, credit: str) -> str:
    url = base + src if src.startswith("/") else src
    credit_html = f' <span class="credit">Photo: {esc(credit)}</span>' if credit else ""
    return (f'<figure class="article__image"><amp-img src="{esc(url)}" width="1200" '
            f'height="800" layout="responsive" alt="{esc(caption)}"></amp-img>'
            f'<figcaption>{esc(caption)}{credit_html}</figcaption></figure>')


def render_amp_page(world: World, content: ArticleContent, *, base: str) -> str:
    """The AMP copy of ``content``'s item; its canonical link points to the page."""
    item = _Item(world, content, base)
    spec, seed = item.spec, item.seed
    body = _AmpBodyHtml(item.base, item.id)
    body.write(content.body_nodes)
    leading = item.images[0] if item.images else None
    authors = ", ".join(f'<a href="{esc(_author_alias(a))}">{esc(a)}</a>' for a in spec.authors)
    bullets = ('<ul class="article__bullets">'
               + "".join(f"<li>{esc(b)}</li>" for b in content.subheadline) + "</ul>"
               if content.subheadline else "")
    paywall = ""
    if spec.access == "plus":
        paywall = ('<div class="paywall"><p>This article is exclusive to SCMP Plus subscribers.'
                   '</p><a href="/plus/subscribe">Subscribe now</a></div>')
    sections = "".join(f'<li><a href="{esc(level["urlAlias"])}">{esc(level["name"])}</a></li>'
                       for level in _section_levels(spec))
    analytics = _script_json({"vars": {"account": "UA-0000000-1"}, "triggers": {
        "trackPageview": {"on": "visible", "request": "pageview"}},
        "extraUrlParams": {"articleId": item.id, "section": spec.section.path,
                           "paywall": spec.access}})
    return "".join((
        '<!DOCTYPE html><html amp lang="en-GB"><head><meta charset="utf-8"/>',
        '<script async src="https://cdn.ampproject.org/v0.js"></script>',
        _AMP_SCRIPTS,
        f"<title>{esc(spec.headline)} | South China Morning Post</title>",
        f'<link rel="canonical" href="{esc(item.canonical)}"/>',
        '<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1"/>',
        f'<meta name="description" content="{esc(content.summary)}"/>',
        f'<meta property="og:title" content="{esc(spec.social_headline)}"/>',
        _AMP_STYLE,
        _amp_css(seed),
        item.ld_html(apollo=False),
        "</head><body>",
        '<header class="amp-header"><a href="/" class="logo">South China Morning Post</a>'
        f'<nav><ul>{sections}</ul></nav></header>',
        _amp_ad(0, item.id),
        f'<article class="article" data-article-id="{item.id}">',
        f'<h1 class="article__headline">{esc(spec.headline)}</h1>',
        bullets,
        f'<div class="article__authors">{authors}</div>' if spec.is_article else "",
        f'<time class="article__date" datetime="{_iso_z(spec.published_ms)}">Published: '
        f"{_display(spec.published_ms)}</time>",
        _amp_figure("", leading["url"], leading["caption"], leading["credit"])
        if leading else "",
        '<div class="article__body">',
        "".join(body.out),
        "</div>",
        paywall,
        '<div class="article__topics">'
        + "".join(f'<a href="{esc(_topic_alias(t))}">{esc(t)}</a>' for t in content.topics)
        + "</div>",
        "</article>",
        '<amp-analytics type="googleanalytics"><script type="application/json">',
        analytics,
        "</script></amp-analytics>",
        '<footer class="amp-footer"><p>Copyright © 2026 South China Morning Post Publishers Ltd. '
        "All rights reserved.</p></footer>",
        "</body></html>",
    ))
