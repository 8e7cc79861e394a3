"""The Apollo generation of an item's page: Vue/React + Apollo GraphQL, 2019 to Oct 2023
(MARKUP.md 3).

``window.__APOLLO_STATE__`` holds two client caches, normalised nodes and refs (Apollo 2
``{"type": "id", "id": ...}``); the visible HTML has header chrome only and no body
paragraphs; the head carries ``cse_*`` meta. ``malformed=True`` (a fault the server injects)
writes a JavaScript ``undefined`` into the state, which is then not JSON.
"""

from __future__ import annotations

import json
from typing import Any

from newscrawl.replica.pages.article.body import absolute_nodes, bullets_tree, text_tree
from newscrawl.replica.pages.article.data import (
    PAYWALL_TYPES,
    Item,
    app_config_text,
    classes,
    display_time,
    entity_for,
    reading_time,
    script_json,
)
from newscrawl.replica.pages.chrome import esc, page_parts
from newscrawl.replica.world import author_alias

BODY_ARGS = json.dumps({"customContents": ["IMAGE", "YOUTUBE_VIDEO", "TWEET", "PULL_QUOTE",
                                           "RELATED_LINK", "INLINE_AD", "NEWSLETTER"]},
                       separators=(",", ":"))


def _ref(node_id: str, typename: str | None = None, generated: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"type": "id", "generated": generated, "id": node_id}
    if typename:
        ref["typename"] = typename
    return ref


def _normalise(cache: dict[str, Any], typename: str, entries: list[tuple[str, dict[str, Any]]],
               *, generated: bool = False) -> list[dict[str, Any]]:
    """Put ``(cache key, node)`` entries in ``cache`` as ``typename`` nodes; return their refs.

    ``__typename`` goes last unless the node has it already: the key order is the site's."""
    refs = []
    for node_key, entry in entries:
        cache[node_key] = {**entry, "__typename": typename}
        refs.append(_ref(node_key, typename, generated))
    return refs


def _apollo_state(item: Item) -> tuple[str, str]:
    """``window.__APOLLO_STATE__``'s JSON text before and after its trending items, where the
    page's weight (the filler, a JSON array) goes."""
    spec, content = item.spec, item.content
    key = f"{item.typename}:{item.id}"
    cache: dict[str, Any] = {}
    node: dict[str, Any] = {
        "__typename": item.typename,
        "entityId": item.id,
        "entityUuid": item.uuid,
        "headline": spec.headline,
        "socialHeadline": spec.social_headline,
        "subHeadline": {"type": "json", "json": bullets_tree(content.subheadline)}
        if content.subheadline else None,
        "summary": {"type": "json", "json": text_tree(content.summary)},
        f"body({BODY_ARGS})": {"type": "json",
                               "json": absolute_nodes(content.body_nodes, item.base)},
        "publishedDate": spec.published_ms,
        "updatedDate": content.updated_ms,
        "createdDate": spec.published_ms,
        "urlAlias": spec.path,
        "sponsorType": "sponsored" if spec.sponsored else None,
        "readingTime": reading_time(item.paragraphs) if spec.is_article else None,
    }
    node["authors"] = _normalise(cache, "Author", [
        (f"Author:{author['entityId']}", author) for author in item.authors_data()])
    node["images"] = _normalise(cache, "Image", [
        (f"${key}.images.{k}", image) for k, image in enumerate(item.images_data())],
        generated=True)
    levels = []
    for level in item.levels:
        section_id = entity_for("section", level["urlAlias"])
        levels.append((f"Section:{section_id}",
                       {"__typename": "Section", "entityId": section_id, **level}))
    section_refs = _normalise(cache, "Section", levels)
    node["sections"] = _normalise(cache, "SectionSegment", [
        (f"${key}.sections.0", {"value": section_refs})], generated=True)
    node["topics"] = _normalise(cache, "Topic", [
        (f"Topic:{topic['entityId']}", topic) for topic in item.topics_data()])
    node["paywallTypes"] = _normalise(cache, "PaywallType", [
        (f"PaywallType:{entry['entityId']}", entry) for entry in PAYWALL_TYPES[spec.access]])
    node['relatedArticles({"limit":3})'] = _normalise(cache, "Article", [
        (f"Article:{other.article_id}",
         {"__typename": "Article", "entityId": str(other.article_id), "headline": other.headline,
          "urlAlias": other.path, "publishedDate": other.published_ms})
        for other in item.related()])
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
    text = script_json(state)
    # The trending connection (weight) goes last in the content cache, as JSON text.
    return (text[:-2] + ',"$ROOT_QUERY.' + trending.replace('"', '\\"')
            + '":{"__typename":"TrendingContents","items":', "}}}")


def _apollo_html(item: Item, c: dict[str, str]) -> str:
    spec, content = item.spec, item.content
    level = item.levels[-1]
    bullets = ("<div class=\"info__subHeadline sub-headline\"><ul>"
               + "".join(f"<li>{esc(b)}</li>" for b in content.subheadline) + "</ul></div>"
               if content.subheadline else "")
    authors = "".join(f'<a class="author-name" href="{esc(author_alias(a))}">{esc(a)}</a>'
                      for a in spec.authors) if spec.is_article else ""
    updated = (f'<span class="updated-date">Updated: {display_time(content.updated_ms, apollo=True)}'
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
        f'{display_time(spec.published_ms, apollo=True)}</span>{updated}</div>'
        '<div class="share-widget"><button type="button" class="share-widget__button">Share'
        '</button><span class="share-widget__copied" hidden>Link Copied</span></div>'
        f"</div>{figure}{paywall}"
        '<div class="article-body" id="article-body"></div></div>'
    )


def apollo_page(item: Item, *, malformed: bool) -> list[str]:
    seed = item.seed
    c = classes(seed)
    head = item.head_meta(apollo=True) + item.ld_html(apollo=True)
    dom = _apollo_html(item, c)
    config = ["<script>window.__APP_CONFIG__ = ", app_config_text(seed), ";</script>"]
    before_filler, after_filler = _apollo_state(item)
    # Weighed with an empty filler ("[]") and before the fault's edit, as it always was: the
    # filler's size, and so every page's bytes, stay as they were.
    used = (len(dom) + sum(map(len, config)) + len(before_filler) + len("[]") + len(after_filler)
            + len("<script>window.__APOLLO_STATE__ = ;</script>"))
    if malformed:  # a JavaScript literal, not JSON
        before_filler = before_filler.replace(
            '"sponsorType":null', '"sponsorType":undefined', 1).replace(
            '"sponsorType":"sponsored"', '"sponsorType":undefined', 1)
    body = [dom, *config, "<script>window.__APOLLO_STATE__ = ", before_filler,
            *item.filler(head, used), after_filler, ";</script>"]
    return page_parts(title=item.title, head=head, body=body, seed=seed)
