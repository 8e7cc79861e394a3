"""The AMP copy of an item's page (``/amp/...``, MARKUP.md 7).

``<html amp>`` with a simplified body holding the paragraphs, ``amp-img``, ``amp-ad`` slots,
``amp-youtube`` and ``amp-twitter`` embeds, the JSON-LD of the Next.js page and
``<link rel="canonical">`` back to the page.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from newscrawl.replica.pages.article.body import HEADINGS, BodyWriter
from newscrawl.replica.pages.article.data import (
    Item,
    classes,
    display_time,
    script_json,
    topic_alias,
)
from newscrawl.replica.pages.chrome import esc
from newscrawl.replica.world import author_alias, iso_ms

if TYPE_CHECKING:
    from newscrawl.replica.world import ArticleContent, World


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
    c = classes(seed)
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
    **{kind: f"<{kind}>" for kind in HEADINGS},
    **{"read-more " + kind: f'<{kind} class="read-more">' for kind in HEADINGS},
}


class _AmpBodyHtml(BodyWriter):
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
    item = Item(world, content, base)
    spec, seed = item.spec, item.seed
    body = _AmpBodyHtml(item.base, item.id)
    body.write(content.body_nodes)
    leading = item.images[0] if item.images else None
    authors = ", ".join(f'<a href="{esc(author_alias(a))}">{esc(a)}</a>' for a in spec.authors)
    bullets = ('<ul class="article__bullets">'
               + "".join(f"<li>{esc(b)}</li>" for b in content.subheadline) + "</ul>"
               if content.subheadline else "")
    paywall = ""
    if spec.access == "plus":
        paywall = ('<div class="paywall"><p>This article is exclusive to SCMP Plus subscribers.'
                   '</p><a href="/plus/subscribe">Subscribe now</a></div>')
    sections = "".join(f'<li><a href="{esc(level["urlAlias"])}">{esc(level["name"])}</a></li>'
                       for level in item.levels)
    analytics = script_json({"vars": {"account": "UA-0000000-1"}, "triggers": {
        "trackPageview": {"on": "visible", "request": "pageview"}},
        "extraUrlParams": {"articleId": item.id, "section": spec.section.path,
                           "paywall": spec.access}})
    return "".join((
        '<!DOCTYPE html><html amp lang="en-GB"><head><meta charset="utf-8"/>',
        '<script async src="https://cdn.ampproject.org/v0.js"></script>',
        _AMP_SCRIPTS,
        f"<title>{esc(item.title)}</title>",
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
        f'<time class="article__date" datetime="{iso_ms(spec.published_ms)}">Published: '
        f"{display_time(spec.published_ms)}</time>",
        _amp_figure("", leading["url"], leading["caption"], leading["credit"])
        if leading else "",
        '<div class="article__body">',
        "".join(body.out),
        "</div>",
        paywall,
        '<div class="article__topics">'
        + "".join(f'<a href="{esc(topic_alias(t))}">{esc(t)}</a>' for t in content.topics)
        + "</div>",
        "</article>",
        '<amp-analytics type="googleanalytics"><script type="application/json">',
        analytics,
        "</script></amp-analytics>",
        '<footer class="amp-footer"><p>Copyright © 2026 South China Morning Post Publishers Ltd. '
        "All rights reserved.</p></footer>",
        "</body></html>",
    ))
