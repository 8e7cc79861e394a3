"""The redesign: a new markup generation of the article pages, switched on by
``POST /__replica__/redesign`` (issue 14's health checks).

MARKUP.md describes the site up to now; this generation is the replica's own invention of
what the next one could look like: the change a crawler meets without notice, made to be
noticed by the crawl's health checks. It differs from the Next.js generation (:mod:`.nextjs`)
in the three places the SCMP parser reads, and nowhere a generic extractor relies on:

* **the data script** is still ``<script id="__NEXT_DATA__">``, but the story sits at
  ``props.pageProps.initialState.story.data`` (not ``props.pageProps.payload.data.article``)
  and its keys are renamed: ``title``, ``socialTitle``, ``keyPoints`` (strings),
  ``standfirst`` (the summary's text), ``bylines[].displayName``, ``firstPublishedAt`` /
  ``lastUpdatedAt`` (ISO 8601 strings, no longer epoch milliseconds), ``sectionPath[]``
  (``label``, ``path``), ``tags[]``, ``media[]`` (``role``, ``src``, ``caption``,
  ``credit``), ``blocks`` (the ``body.json`` node tree of MARKUP 2.1, unchanged),
  ``readMinutes``, ``access``, ``sponsor``;
* **the ``data-qa`` hooks** have new names: the story's own components are ``Story*``
  (``StoryHeader-Headline`` on a bare ``h1``, ``StoryHeader-KeyPoints``,
  ``StoryByline-Author``, ``StoryTimestamp-Published``, ``StoryBody-Container``,
  ``StoryBody-Paragraph``, ``StoryMedia-Figure``...), and the furniture's components are
  renamed the same way (``AdSlot-Container`` is ``StoryAd-Container``);
* **the JSON-LD** keeps every block, the article's headline, dates and author included, but
  never carries ``articleBody``.

What stays: the chrome (navigation, footer, scripts, page weight), the head meta, the
furniture and its text (ad slots printing "Advertisement", reading time, trust label, speech
widget, share widget, "+ FOLLOW", "READ MORE" links, pull quotes, captions printed twice,
paywall and registration containers, "More on this"), and the body as real markup: one
``<p>`` per paragraph, ``<h3>`` subheadings and ``<ul>`` lists, in order, inside
``div[data-qa="StoryBody-Container"]`` inside ``<article>`` inside ``<main>``, so that a
generic extractor still finds the text. Like every page of the replica, a redesigned page is
a pure function of ``(seed, content, base)``.

Only article and opinion pages are redesigned (of either earlier generation and any
variant); video and gallery pages and the AMP copies keep their markup.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from newscrawl.replica.pages.article.body import HEADINGS, absolute_nodes
from newscrawl.replica.pages.article.data import (
    Item,
    app_config_text,
    classes,
    display_time,
    iso_hkt,
    reading_time,
    script_json,
)
from newscrawl.replica.pages.article.nextjs import (
    NextjsBodyHtml,
    article_html,
    figure_texts,
    furniture_markup,
    header_end,
)
from newscrawl.replica.pages.chrome import build_id, esc
from newscrawl.replica.world import author_alias, iso_ms

#: The redesign's name of each component of the Next.js generation (the part of a ``data-qa``
#: value before its first dash); the rest of the value is kept.
COMPONENTS = {
    "AdSlot": "StoryAd", "InlineAdSlot": "StoryInlineAd", "ArticleRightRail": "StoryRail",
    "ArticleTrustLabel": "StoryTrust", "ArticleSpeechInlineWidgetArticle20": "StoryAudio",
    "ArticleActionBar": "StoryActions", "ShareWidget": "StoryShare",
    "ArticleReadFullArticle": "StoryReadFull", "RegistrationWall": "StoryRegistration",
    "InlineWidget": "StoryWidget", "NewsletterWidget": "StoryNewsletter",
    "ArticleTopics": "StoryTags", "FollowButton": "StoryFollow", "BaseLink": "StoryLink",
    "ArticleFurtherReadingWidget": "StoryMore", "ContentHeadline": "StoryCard",
    "GenericArticle": "StoryAccess", "ArticleSponsorLabel": "StorySponsor",
    "ArticleComments": "StoryComments", "ArticlePullQuote": "StoryPullQuote",
    "SocialEmbed": "StoryEmbed", "YouTubeEmbed": "StoryVideo",
    "TrackViewedPercentage": "StoryTracker", "ArticleImage": "StoryMedia",
}
_OLD_COMPONENT = re.compile(r'data-qa="(' + "|".join(sorted(COMPONENTS, key=len, reverse=True))
                            + r')-')


def rename_hooks(html: str) -> str:
    """``html`` with the Next.js generation's ``data-qa`` components renamed."""
    return _OLD_COMPONENT.sub(lambda m: f'data-qa="{COMPONENTS[m.group(1)]}-', html)


@lru_cache(maxsize=8)
def _redesigned_furniture(seed: int) -> dict[str, str]:
    """The furniture of :mod:`.nextjs` with new hooks and classes: the same text."""
    renamed = {}
    for name, markup in furniture_markup(seed).items():
        markup = rename_hooks(markup)
        for role, old in classes(seed).items():
            markup = markup.replace(f'class="{old}"', f'class="{_story_classes(seed)[role]}"')
        renamed[name] = markup
    return renamed


@lru_cache(maxsize=8)
def _story_classes(seed: int) -> dict[str, str]:
    """Class names of the new build: hashes again, none of them the old ones."""
    return {role: "css-" + name[4:][::-1] for role, name in classes(seed).items()}


@lru_cache(maxsize=8)
def _body_tags(seed: int) -> dict[str, str]:
    c = _story_classes(seed)
    tags = {
        "p": f'<p data-qa="StoryBody-Paragraph" class="{c["p"]}">',
        "ul": f'<ul data-qa="StoryBody-List" class="{c["ul"]}">',
        "ol": f'<ol data-qa="StoryBody-List" class="{c["ul"]}">',
        "div": '<div data-qa="StoryBody-Group" class="',
        "quote": (f'<figure data-qa="StoryPullQuote-Figure" class="{c["quote"]}">'
                  '<blockquote data-qa="StoryPullQuote-Quote">'),
        "quote p": "<p>",
        "quote cite": '<cite data-qa="StoryPullQuote-Attribution">',
        "/quote": "</blockquote></figure>",
        "/embed": "</blockquote></div>",
    }
    for kind in HEADINGS:
        tags[kind] = f'<{kind} data-qa="StoryBody-Subheading" class="{c["h3"]}">'
        tags["read-more " + kind] = (f'<{kind} data-qa="StoryRelatedLink-Heading" '
                                     f'class="{c["related"]}">')
    return tags


class _StoryBody(NextjsBodyHtml):
    """The body of a redesigned page: the Next.js body's components, new tags and names."""

    def __init__(self, base: str, seed: int, entity_id: str) -> None:
        super().__init__(base, seed, entity_id)
        self.tags = _body_tags(seed)
        self.c = _story_classes(seed)

    def figure(self, src: str, caption: str, credit: str, role: str = "inline") -> str:
        return _figure(self.base, self.c, src, caption, credit, role)


def _figure(base: str, c: dict[str, str], src: str, caption: str, credit: str, role: str) -> str:
    """A picture, its caption and credit, and the caption again in the zoom overlay."""
    url, title, credit_html = figure_texts(base, src, caption, credit, "StoryMedia")
    return (f'<figure data-qa="StoryMedia-Figure" class="{c["figure"]}" data-role="{role}">'
            f'<picture data-qa="StoryMedia-Picture"><img src="{esc(url)}" alt="{esc(caption)}" '
            f'width="1200" height="800" '
            f'loading="{"eager" if role == "leading" else "lazy"}"/></picture>'
            f'<figcaption data-qa="StoryMedia-Caption" class="{c["caption"]}">{esc(caption)}'
            f'{credit_html}</figcaption>'
            f'<div data-qa="StoryMedia-Zoom" aria-hidden="true" hidden>{esc(title)}</div>'
            "</figure>")


def _header_html(item: Item, c: dict[str, str], furniture: dict[str, str]) -> str:
    spec, content = item.spec, item.content
    crumbs = '<span aria-hidden="true"> / </span>'.join(
        f'<a href="{esc(level["urlAlias"])}">{esc(level["name"])}</a>' for level in item.levels)
    points = ("".join(f"<li>{esc(b)}</li>" for b in content.subheadline))
    names = "".join(
        (", " if 0 < k < len(spec.authors) - 1 else " and " if k else "")
        + f'<a data-qa="StoryByline-Author" href="{esc(author_alias(a))}">{esc(a)}</a>'
        for k, a in enumerate(spec.authors))
    published = (f'<time data-qa="StoryTimestamp-Published" '
                 f'datetime="{iso_hkt(spec.published_ms)}">First published: '
                 f"{display_time(spec.published_ms)}</time>")
    updated = (f'<time data-qa="StoryTimestamp-Updated" datetime="{iso_hkt(content.updated_ms)}">'
               f"Last updated: {display_time(content.updated_ms)}</time>"
               if content.updated_ms != spec.published_ms else "")
    return "".join((
        f'<div data-qa="StoryHeader-Container" class="{c["header"]}">',
        f'<nav data-qa="StoryHeader-Breadcrumb" class="{c["section"]}">{crumbs}</nav>',
        f'<h1 data-qa="StoryHeader-Headline" class="{c["headline"]}">{esc(spec.headline)}</h1>',
        f'<ul data-qa="StoryHeader-KeyPoints" class="{c["bullets"]}">{points}</ul>'
        if points else "",
        furniture["trust"],
        f'<div data-qa="StoryByline-Container" class="{c["authors"]}"><span>By </span>{names}'
        "</div>",
        f'<div data-qa="StoryTimestamp-Container" class="{c["date"]}">{published}{updated}</div>',
        header_end(item, c, furniture, "StoryReadingTime"),
    ))


def _article_html(item: Item) -> str:
    seed = item.seed
    c = _story_classes(seed)
    furniture = _redesigned_furniture(seed)
    # The furniture written by the Next.js helpers gets the new names in one pass.
    return article_html(
        item, c, furniture, _StoryBody(item.base, seed, item.id),
        opening=(f'<article data-qa="StoryLayout-Article" class="{c["article"]}" '
                 f'data-story-id="{item.id}">'),
        header=_header_html(item, c, furniture),
        container=f'<div data-qa="StoryBody-Container" class="{c["body"]}',
        closing="</div>", hooks=rename_hooks)


def story_data(item: Item) -> dict[str, Any]:
    """The story as the new front end's data carries it: the article of ``__NEXT_DATA__``
    (MARKUP 2.1) under new names."""
    spec, content = item.spec, item.content
    return {
        "__typename": "Story",
        "id": item.id,
        "uuid": item.uuid,
        "contentType": "OPINION" if spec.kind == "opinion" else "NEWS",
        "path": spec.path,
        "title": spec.headline,
        "socialTitle": spec.social_headline,
        "keyPoints": list(content.subheadline),
        "standfirst": content.summary,
        "bylines": [{"id": a["entityId"], "displayName": a["name"], "profilePath": a["urlAlias"]}
                    for a in item.authors_data()],
        "firstPublishedAt": iso_ms(spec.published_ms),
        "lastUpdatedAt": iso_ms(content.updated_ms),
        "sectionPath": [{"label": level["name"], "path": level["urlAlias"]}
                        for level in item.levels],
        "tags": [{"id": t["entityId"], "label": t["name"], "path": t["urlAlias"]}
                 for t in item.topics_data()],
        "media": [{"role": "lead" if k == 0 else "inline", "src": img["url"],
                   "caption": img["caption"], "credit": img["credit"], "width": 1200,
                   "height": 800} for k, img in enumerate(item.images)],
        "blocks": absolute_nodes(content.body_nodes, item.base),
        "readMinutes": reading_time(item.paragraphs),
        "commentTotal": item.pick("comments", 250),
        "access": {"plus": "PLUS", "metered": "METERED"}.get(spec.access, "FREE"),
        "sponsor": {"name": item.sponsor} if item.sponsor else None,
    }


def _data_before(seed: int) -> tuple[str, ...]:
    return ('<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":'
            '{"appConfig":', app_config_text(seed), ',"relatedStories":')


def redesigned_page(item: Item, *, malformed: bool) -> list[str]:
    """The redesigned page of an article or opinion item, as parts for ``chrome.splice``.

    ``malformed=True`` (the ``bad_nextdata`` fault) cuts the story's JSON short."""
    seed = item.seed
    dom = _article_html(item)
    head = item.head_meta(apollo=False) + item.ld_html(apollo=False, article_body=False)
    story = script_json(story_data(item))
    before = _data_before(seed)
    opening = ',"initialState":{"story":{"data":'
    after = (opening + story + '}}},"__N_SSP":true},"page":"/story/[...slug]","query":{"id":"'
             + item.id + '"},"buildId":"' + build_id(seed)[::-1]
             + '","isFallback":false,"gssp":true,"scriptLoader":[]}')
    if malformed:
        after = after[: len(opening) + len(story) * (20 + item.pick("broken-cut", 61)) // 100]
    after += "</script>"
    return item.parts(head, dom, before, after)


__all__ = ["COMPONENTS", "redesigned_page", "rename_hooks", "story_data"]
