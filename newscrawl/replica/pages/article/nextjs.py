"""The current generation of an item's page: Next.js, late 2023 to now (MARKUP.md 2, 4).

``nextjs_page`` writes ``<script id="__NEXT_DATA__">`` with the whole article at
``props.pageProps.payload.data.article`` (MARKUP 2.1), the server-rendered HTML with the
``data-qa`` hooks of MARKUP 2.2 and every piece of furniture the real site mixes into and
around the body (ad slots, reading time, trust label, speech widget, "More on this", share
widget, "+ FOLLOW", "READ FULL ARTICLE", paywall container, registration wall, "READ MORE"
links, pull quotes, captions printed twice, the opinion bio and the public-service notice),
JSON-LD (2.3) and head meta (2.4). Video and gallery pages share the chrome and the headline
hook, with ``__typename`` ``Video`` / ``Gallery`` in the data.

Variant ``nextdata_broken`` (or ``malformed=True``, a fault the server injects) serves a
``__NEXT_DATA__`` whose JSON is invalid: cut off inside the article on ~2/3, a JavaScript
``undefined`` value on the rest; ``nextdata_missing`` serves none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from newscrawl.replica.pages.article.body import HEADINGS, TRACKER_NODE_TYPES, BodyWriter
from newscrawl.replica.pages.article.data import (
    Item,
    app_config_text,
    classes,
    display_time,
    reading_time,
    script_json,
    topic_alias,
)
from newscrawl.replica.pages.chrome import build_id, esc
from newscrawl.replica.text import plural
from newscrawl.replica.world import author_alias, iso_ms


# -- furniture and the body ----------------------------------------------------------------
@lru_cache(maxsize=8)
def furniture_markup(seed: int) -> dict[str, str]:
    """Markup of the page furniture that is the same on every article page of a site."""
    c = classes(seed)
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


@lru_cache(maxsize=8)
def _nextjs_body_tags(seed: int) -> dict[str, str]:
    c = classes(seed)

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
    for kind in HEADINGS:
        tags[kind] = component(kind, "h3")
        tags["read-more " + kind] = component(kind, "related")
    return tags


class NextjsBodyHtml(BodyWriter):
    """The server-rendered body of a Next.js page: one component per ``body.json`` node."""

    def __init__(self, base: str, seed: int, entity_id: str) -> None:
        super().__init__(base, entity_id, _nextjs_body_tags(seed))
        self.c = classes(seed)
        self.newsletter = ""

    def figure(self, src: str, caption: str, credit: str, role: str = "inline") -> str:
        return _figure(self.base, self.c, src, caption, credit, role)

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


def figure_texts(base: str, src: str, caption: str, credit: str,
                 component: str) -> tuple[str, str, str]:
    """What a figure of either generation says of its image: the URL (``src`` on ``base``),
    the title (caption and credit) and the credit's markup (``<component>-Credit``)."""
    url = base + src if src.startswith("/") else src
    title = f"{caption} Photo: {credit}" if credit else caption
    credit_html = (f' <span data-qa="{component}-Credit">Photo: {esc(credit)}</span>'
                   if credit else "")
    return url, title, credit_html


def _figure(base: str, c: dict[str, str], src: str, caption: str, credit: str, role: str) -> str:
    """An image with its caption printed twice (under the picture and in the zoom overlay)."""
    url, title, credit_html = figure_texts(base, src, caption, credit, "ArticleImage")
    return (f'<figure data-qa="ArticleImage-Figure" class="{c["figure"]}" data-role="{role}">'
            f'<div data-qa="ArticleImage-ImageContainer"><img src="{esc(url)}" alt="{esc(caption)}" '
            f'title="{esc(title)}" width="1200" height="800" '
            f'loading="{"eager" if role == "leading" else "lazy"}"/></div>'
            f'<figcaption data-qa="ArticleImage-Caption" class="{c["caption"]}">'
            f'<span data-qa="ArticleImage-CaptionText">{esc(caption)}</span>{credit_html}'
            '</figcaption>'
            f'<div data-qa="ArticleImage-ZoomCaption" aria-hidden="true" hidden>{esc(title)}</div>'
            "</figure>")


# -- Next.js pages -------------------------------------------------------------------------------
def _authors_html(item: Item, c: dict[str, str]) -> str:
    names = item.spec.authors
    links = [f'<a data-qa="AuthorNames-AuthorName" href="{esc(author_alias(a))}">{esc(a)}</a>'
             for a in names]
    if len(links) > 1:
        joined = '<span>, </span>'.join(links[:-1]) + "<span> and </span>" + links[-1]
    else:
        joined = "".join(links)
    return (f'<div data-qa="AuthorNames-AuthorNamesContainer" class="{c["authors"]}">'
            f"{joined}</div>")


def _dates_html(item: Item, c: dict[str, str]) -> str:
    spec, content = item.spec, item.content
    html = (f'<div data-qa="Article20Date-Container" class="{c["date"]}">'
            f'<time data-qa="Article20Date-PublishedDate" datetime="{iso_ms(spec.published_ms)}">'
            f"Published: {display_time(spec.published_ms)}</time>")
    if content.updated_ms != spec.published_ms:
        html += (f'<time data-qa="Article20Date-UpdatedDate" datetime="{iso_ms(content.updated_ms)}">'
                 f"Updated: {display_time(content.updated_ms)}</time>")
    return html + "</div>"


def _section_tag(item: Item, c: dict[str, str]) -> str:
    level = item.levels[-1]
    return (f'<div data-qa="ArticleSectionTag-Container" class="{c["section"]}">'
            f'<a data-qa="BaseLink-renderAnchor-StyledAnchor" href="{esc(level["urlAlias"])}">'
            f'{esc(level["name"])}</a></div>')


def _headline_html(item: Item, c: dict[str, str]) -> str:
    return (f'<h1 data-qa="ContentHeadline-ContainerWithTag" class="{c["headline"]}">'
            f'<span data-qa="ContentHeadline-Headline">{esc(item.spec.headline)}</span></h1>')


def _bullets_html(item: Item, c: dict[str, str]) -> str:
    bullets = item.content.subheadline
    if not bullets:
        return ""
    return (f'<h3 data-qa="ContentSubHeadline-ContainerWithTag" class="{c["bullets"]}"><ul>'
            + "".join(f"<li>{esc(b)}</li>" for b in bullets) + "</ul></h3>")


def header_end(item: Item, c: dict[str, str], furniture: dict[str, str], component: str) -> str:
    """The end of an article's header in either generation: the reading time
    (``<component>-Container``), the speech and share widgets, the header's closing tag."""
    minutes = reading_time(item.paragraphs)
    return (f'<div data-qa="{component}-Container" class="{c["reading"]}">Reading Time:'
            f'{plural(minutes, "minute")}</div>{furniture["speech"]}{furniture["share"]}</div>')


def sponsor_html(item: Item, c: dict[str, str]) -> str:
    if not item.sponsor:
        return ""
    return (f'<div data-qa="ArticleSponsorLabel-Container" class="{c["sponsor"]}">'
            '<span data-qa="ArticleSponsorLabel-Label">Sponsored</span>'
            '<span data-qa="ArticleSponsorLabel-Partner">In partnership with '
            f'<strong>{esc(item.sponsor)}</strong></span></div>')


def topics_html(item: Item, c: dict[str, str]) -> str:
    topics = "".join(
        f'<div data-qa="ArticleTopics-Topic"><a data-qa="BaseLink-renderAnchor-StyledAnchor" '
        f'href="{esc(topic_alias(t))}">{esc(t)}</a><button type="button" '
        f'data-qa="FollowButton-Button" class="{c["follow"]}">+ FOLLOW</button></div>'
        for t in item.content.topics)
    return (f'<div data-qa="ArticleTopics-Container" class="{c["topics"]}">'
            f'<span data-qa="ArticleTopics-Title">Topics</span>{topics}</div>')


def further_reading_html(item: Item, c: dict[str, str]) -> str:
    cards = "".join(
        f'<li><a data-qa="BaseLink-renderAnchor-StyledAnchor" href="{esc(s.path)}">'
        f'<h2 data-qa="ContentHeadline-ContainerWithTag"><span data-qa="ContentHeadline-Headline">'
        f"{esc(s.headline)}</span></h2></a></li>"
        for s in item.related())
    return (f'<div data-qa="ArticleFurtherReadingWidget-Container" class="{c["more"]}">'
            f'<h2 data-qa="ArticleFurtherReadingWidget-Title">More on this</h2><ul>{cards}</ul>'
            "</div>")


def paywall_html(item: Item, c: dict[str, str]) -> str:
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


def article_html(item: Item, c: dict[str, str], furniture: dict[str, str],
                 writer: NextjsBodyHtml, *, opening: str, header: str, container: str,
                 closing: str, hooks: Callable[[str], str] | None = None) -> str:
    """An article page's markup in either generation: ``opening`` (the ``<article>`` tag),
    the sponsor label, ``header``, the leading image, the body ``writer`` writes in its
    container (``container``: the opening tag up to the end of its class; ``closing``) with
    the paywall in it on a paywalled page and after it otherwise, and the furniture after
    the body. ``hooks`` renames the hooks of what the Next.js helpers write (the redesign's)."""
    rename = hooks or (lambda html: html)
    content = item.content
    writer.newsletter = furniture["newsletter"]
    writer.write(content.body_nodes)
    paywalled = content.is_paywalled
    paywall = rename(paywall_html(item, c))
    leading = item.images[0] if item.images else None
    lead_html = (writer.figure(leading["url"], leading["caption"], leading["credit"], "leading")
                 if leading else "")
    return "".join((
        furniture["top_ad"],
        opening,
        rename(sponsor_html(item, c)),
        header,
        lead_html,
        container + (' paywalled-content"' if paywalled else '"') + ">",
        rename("".join(writer.out)),
        paywall if paywalled else "",
        closing,
        "" if paywalled else paywall,
        furniture["read_full"],
        rename(topics_html(item, c)),
        rename(further_reading_html(item, c)),
        furniture["register"],
        rename(f'<div data-qa="ArticleComments-Container"><button type="button">'
               f'{item.pick("comments", 250)} Comments</button></div>'),
        "</article>",
        furniture["rail_ad"],
    ))


def _nextjs_article_html(item: Item, c: dict[str, str], furniture: dict[str, str]) -> str:
    header = "".join((
        f'<div data-qa="ArticleHeader-Container" class="{c["header"]}">',
        _section_tag(item, c),
        _headline_html(item, c),
        _bullets_html(item, c),
        furniture["trust"],
        _authors_html(item, c),
        _dates_html(item, c),
        header_end(item, c, furniture, "ArticleReadingTime"),
    ))
    return article_html(
        item, c, furniture, NextjsBodyHtml(item.base, item.seed, item.id),
        opening=(f'<article data-qa="GenericArticle-Container" class="{c["article"]}" '
                 f'data-entity-id="{item.id}">'),
        header=header,
        container=f'<section data-qa="ContentBody-ContentBodyContainer" class="{c["body"]}',
        closing="</section>")


def _video_html(item: Item, c: dict[str, str], furniture: dict[str, str]) -> str:
    player = (f'<div data-qa="VideoPlayer-Container"><iframe src="https://www.youtube.com/embed/'
              f'{item.youtube_id()}" width="1280" height="720" frameborder="0" allowfullscreen '
              'title="YouTube video player"></iframe></div>')
    return _media_html(item, c, furniture, "Video", player=player)


def _gallery_html(item: Item, c: dict[str, str], furniture: dict[str, str]) -> str:
    figures = "".join(
        f'<figure data-qa="GalleryImage-Container" class="{c["gallery"]}">'
        f'<img src="{esc(img["url"])}" alt="{esc(img["caption"])}" loading="lazy"/>'
        f'<figcaption><span>{k + 1}/{len(item.images)}</span> {esc(img["caption"])} '
        f'Photo: {esc(img["credit"])}</figcaption></figure>'
        for k, img in enumerate(item.images))
    return _media_html(item, c, furniture, "Gallery",
                       extra=f'<div data-qa="GalleryPage-ImageList">{figures}</div>')


def _media_html(item: Item, c: dict[str, str], furniture: dict[str, str], name: str, *,
                player: str = "", extra: str = "") -> str:
    """A video or gallery page (``name`` "Video" or "Gallery"): ``player`` above the section
    tag, ``extra`` under the description."""
    published = item.spec.published_ms
    return "".join((
        furniture["top_ad"],
        f'<div data-qa="{name}Page-Container" class="{c[name.lower()]}" '
        f'data-entity-id="{item.id}">',
        player,
        _section_tag(item, c),
        _headline_html(item, c),
        f'<time data-qa="{name}Date-PublishedDate" datetime="{iso_ms(published)}">'
        f"{display_time(published)}</time>",
        f'<p data-qa="{name}Description-Description">{esc(item.content.summary)}</p>',
        extra,
        furniture["share"],
        topics_html(item, c),
        "</div>",
        furniture["rail_ad"],
    ))


def _break_json(item: Item, text: str, start: int, length: int) -> str:
    """``text`` made invalid JSON; the article's JSON is ``text[start:start + length]``."""
    if item.pick("broken-mode", 3) == 0:
        marker = f'"commentCount":{item.pick("comments", 250)}'
        return text.replace(marker, '"commentCount":undefined', 1)
    return text[: start + length * (20 + item.pick("broken-cut", 61)) // 100]


def nextjs_page(item: Item, *, malformed: bool) -> list[str]:
    spec, seed = item.spec, item.seed
    c = classes(seed)
    furniture = furniture_markup(seed)
    if spec.kind == "video":
        dom = _video_html(item, c, furniture)
    elif spec.kind == "gallery":
        dom = _gallery_html(item, c, furniture)
    else:
        dom = _nextjs_article_html(item, c, furniture)
    head = item.head_meta(apollo=False) + item.ld_html(apollo=False)
    page_name = {"video": "/video", "gallery": "/gallery"}.get(spec.kind, "/article")
    app = app_config_text(seed)
    broken = malformed or spec.variant == "nextdata_broken"
    if spec.variant == "nextdata_missing" and not broken:
        # No __NEXT_DATA__ (a static export of the page): the weight sits in another script.
        before = ['<script id="__SCMP_APP_STATE__" type="application/json">{"appConfig":',
                  app, ',"relatedContents":']
        after = "}</script>"
    else:
        article_json = script_json(item.article_data())
        before = ['<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":'
                  '{"appInitialProps":{"appConfig":', app, '},"relatedContents":']
        payload = ',"payload":{"data":{"article":'
        after = (payload + article_json + '}},"pageType":' + json.dumps(page_name.strip("/")) + '},"__N_SSP":true},"page":'
                 + json.dumps(page_name) + ',"query":{"entityId":"' + item.id + '"},"buildId":"'
                 + build_id(seed) + '","isFallback":false,"gssp":true,"scriptLoader":[]}')
        if broken:
            after = _break_json(item, after, len(payload), len(article_json))
        after += "</script>"
    return item.parts(head, dom, before, after)
