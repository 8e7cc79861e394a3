"""Section pages and the "load more" GraphQL gateway of the replica (MARKUP.md 2.1, 2.2, 5).

A section page (``/news/china``, ``/opinion``, ...) serves its newest 20 cards twice: as
server-rendered HTML cards carrying the ``data-qa`` hooks of MARKUP 2.2, and in
``__NEXT_DATA__`` at ``props.pageProps.payload.data.contents`` (``edges[].node`` and
``pageInfo {endCursor, hasNextPage}``). Video and gallery cards are mixed in, as on the real
site. Each card has three ``BaseLink`` anchors: the image (no text), the section tag (a
section URL) and the headline; the two article anchors of about one card in twelve carry
``?module=perpetual_scroll_0&pgtype=section``.

Where the gateway contract lives
--------------------------------
Like a Next.js site's ``publicRuntimeConfig``, the contract is in ``__NEXT_DATA__`` at
``runtimeConfig.contentDelivery``::

    "runtimeConfig": {"contentDelivery": {
        "endpoint": "/content-delivery/v2",
        "apikey": "<32 alphanumerics, per site (seed)>",
        "persistedQueries": {
            "trendingContents": {"operationName": "TrendingContentsQuery", "sha256Hash": "..."},
            "sectionContents": {"operationName": "SectionContentsPaginationQuery",
                                "sha256Hash": "<64 hex, changes with every deploy>"},
            "topicContents": {...}, "authorContents": {...}}}}

The front end holds several persisted queries; the section listing's is
``persistedQueries.sectionContents`` and it is *not* the first ``sha256Hash`` in the page,
so a reader must take that entry (or the entry whose ``operationName`` is the section
query), not the first hash it meets. The "Load more" script reads exactly that entry.

The gateway
-----------
``GET /content-delivery/v2?operationName=<op>&variables=<json>&extensions=<json>`` with
headers ``apikey`` and ``content-type: application/json``; ``variables`` are
``{"sectionUrlAlias": "/news/china", "after": <endCursor or null>, "count": 20}``. A cursor
is opaque (base64 of a small JSON object) and means "items older than item index N". The
server checks apikey, operation name and hash against :func:`gateway_contract`; this module
builds the answer (:func:`gateway_response`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newscrawl.replica.pages.chrome import app_config_json, build_id, esc, page
from newscrawl.replica.text import plural
from newscrawl.replica.world import (
    HKT,
    MONTHS,
    RSS_FEEDS,
    SECTION_BY_PATH,
    SECTION_PAGES,
    TYPENAMES,
    ItemSpec,
    World,
    author_alias,
    image_title,
    iso_ms,
    section_levels,
)

GATEWAY_ENDPOINT = "/content-delivery/v2"
OPERATION_NAME = "SectionContentsPaginationQuery"
#: The other persisted queries the front end knows (decoys for a reader of the page).
OTHER_OPERATIONS = {
    "trendingContents": "TrendingContentsQuery",
    "topicContents": "TopicContentsPaginationQuery",
    "authorContents": "AuthorContentsPaginationQuery",
}
PAGE_SIZE = 20
MAX_COUNT = 50
TRACKING_QUERY = "?module=perpetual_scroll_0&pgtype=section"
CARD_ANCHOR_QA = "BaseLink-renderAnchor-StyledAnchor"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# -- the gateway contract ------------------------------------------------------------------
@dataclass(frozen=True)
class GatewayContract:
    apikey: str
    operation_name: str
    sha256_hash: str


def _query_hash(operation: str, seed: int, deploy: int) -> str:
    return hashlib.sha256(f"persisted:{operation}:{seed}:{deploy}".encode()).hexdigest()


def gateway_contract(seed: int, deploy: int) -> GatewayContract:
    """The apikey (per site: depends on ``seed`` only), operation and persisted-query hash
    (changes with every front-end ``deploy``) of the section listing query."""
    digest = int.from_bytes(hashlib.blake2b(f"apikey:{seed}".encode(), digest_size=24).digest(),
                            "big")
    key = []
    for _ in range(32):
        digest, rem = divmod(digest, 62)
        key.append(_BASE62[rem])
    return GatewayContract(apikey="".join(key), operation_name=OPERATION_NAME,
                           sha256_hash=_query_hash(OPERATION_NAME, seed, deploy))


def _runtime_config(seed: int, deploy: int) -> dict[str, Any]:
    contract = gateway_contract(seed, deploy)
    queries: dict[str, dict[str, str]] = {
        "trendingContents": {"operationName": OTHER_OPERATIONS["trendingContents"],
                             "sha256Hash": _query_hash(OTHER_OPERATIONS["trendingContents"],
                                                       seed, deploy)},
        "sectionContents": {"operationName": contract.operation_name,
                            "sha256Hash": contract.sha256_hash},
    }
    for name in ("topicContents", "authorContents"):
        queries[name] = {"operationName": OTHER_OPERATIONS[name],
                         "sha256Hash": _query_hash(OTHER_OPERATIONS[name], seed, deploy)}
    return {
        "contentDelivery": {"endpoint": GATEWAY_ENDPOINT, "apikey": contract.apikey,
                            "persistedQueries": queries},
        "deploy": deploy,
        "sentry": {"environment": "production", "release": build_id(seed)[:12]},
    }


# -- cursors ----------------------------------------------------------------------------------
def encode_cursor(index: int) -> str:
    """An opaque cursor meaning "items older than item ``index``"."""
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"cursor index must be a non-negative int, not {index!r}")
    return base64.b64encode(json.dumps({"before": index}, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The item index of a cursor; ``ValueError`` for anything that is not one of ours."""
    if not isinstance(cursor, str) or not cursor:
        raise ValueError(f"Invalid cursor {cursor!r}")
    try:
        data = json.loads(base64.b64decode(cursor.encode("ascii"), validate=True))
    except (ValueError, UnicodeError):
        raise ValueError(f"Invalid cursor {cursor!r}") from None
    if not isinstance(data, dict) or set(data) != {"before"}:
        raise ValueError(f"Invalid cursor {cursor!r}")
    index = data["before"]
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"Invalid cursor {cursor!r}")
    return index


# -- cards ------------------------------------------------------------------------------------
def _h(*parts: object) -> str:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=4).hexdigest()


def _classes(deploy: int) -> dict[str, str]:
    """Generated CSS class names: they change with every deploy (MARKUP 2.2)."""
    roles = ("card", "image", "body", "tag", "link", "headline", "summary", "bar", "time", "label")
    return {role: f"css-{_h('cls', deploy, role)[:6]}" for role in roles}


def _tracked(entity_id: int) -> bool:
    """About one card in twelve links with tracking parameters (same rule in the page's JS)."""
    return entity_id % 12 == 7


def _node(world: World, spec: ItemSpec, base: str) -> dict[str, Any]:
    """The card of one item as the site's GraphQL answers it."""
    content = world.content_at(spec.index)
    image = content.images[0]
    version = spec.version_at(world.now_ms)
    return {
        "__typename": TYPENAMES[spec.kind],
        "entityId": str(spec.article_id),
        "entityUuid": world.uuid(spec.article_id),
        "headline": spec.headline,
        "socialHeadline": spec.social_headline,
        "urlAlias": spec.path,
        "publishedDate": spec.published_ms,
        "updatedDate": spec.updated_ms(version),
        "summary": {"text": content.summary},
        "sections": [{"value": spec.section.levels}],
        "images": [{"type": "leading", "url": base + image["url"],
                    "title": image_title(image),
                    "width": 1200, "height": 800}],
        "authors": [{"name": a, "urlAlias": author_alias(a)}
                    for a in spec.authors] if spec.is_article else [],
        "paywallTypes": [{"entityId": "493", "name": "Plus"}] if spec.access == "plus" else [],
        "sponsorType": "sponsored" if spec.sponsored else None,
    }


def relative_time(now_ms: int, t_ms: int) -> str:
    """The card's display time: "5 minutes ago", "3 hours ago", "2 days ago", then a date
    in Hong Kong time ("12 May 2026 - 4:05PM"). The page's JS has the same rule."""
    seconds = max(0, (now_ms - t_ms) // 1000)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 1:
        return "Just now"
    if hours < 1:
        return plural(minutes, "minute") + " ago"
    if days < 1:
        return plural(hours, "hour") + " ago"
    if days < 7:
        return plural(days, "day") + " ago"
    when = datetime.fromtimestamp(t_ms / 1000, HKT)
    hour12 = when.hour % 12 or 12
    return (f"{when.day} {MONTHS[when.month - 1]} {when.year} - "
            f"{hour12}:{when.minute:02d}{'AM' if when.hour < 12 else 'PM'}")


def render_card(node: dict[str, Any], now_ms: int, classes: dict[str, str]) -> str:
    """One listing card's HTML. ``_LOAD_MORE_JS`` builds byte-identical markup."""
    c = classes
    href = node["urlAlias"] + (TRACKING_QUERY if _tracked(int(node["entityId"])) else "")
    section = node["sections"][0]["value"][-1]
    image = node["images"][0]
    label = ""
    if node["__typename"] != "Article":
        label = (f'<span data-qa="ContentItem-TypeLabel" class="{c["label"]}">'
                 f'{esc(node["__typename"])}</span>')
    anchor = f'<a data-qa="{CARD_ANCHOR_QA}"'
    return (
        f'<div data-qa="ContentItem-Container" class="{c["card"]}" '
        f'data-entity-id="{esc(node["entityId"])}">'
        f'{anchor} class="{c["image"]}" href="{esc(href)}" aria-hidden="true" tabindex="-1">'
        f'<img data-qa="ContentItemImage-Image" src="{esc(image["url"])}" '
        f'alt="{esc(image["title"])}" loading="lazy"/></a>'
        f'<div data-qa="ContentItem-Body" class="{c["body"]}">'
        f'{anchor} class="{c["tag"]}" href="{esc(section["urlAlias"])}">'
        f'<span data-qa="ContentItemSection-Name">{esc(section["name"])}</span></a>{label}'
        f'{anchor} class="{c["link"]}" href="{esc(href)}">'
        f'<h2 data-qa="ContentHeadline-ContainerWithTag" class="{c["headline"]}">'
        f'<span data-qa="ContentHeadline-Headline">{esc(node["headline"])}</span></h2></a>'
        f'<p data-qa="ContentSummary-Summary" class="{c["summary"]}">'
        f'{esc(node["summary"]["text"])}</p>'
        f'<div data-qa="ContentActionBar-Container" class="{c["bar"]}">'
        f'<time data-qa="ContentActionBar-handleRenderDisplayDateTime-time" class="{c["time"]}" '
        f'datetime="{iso_ms(node["publishedDate"])}">'
        f'{esc(relative_time(now_ms, node["publishedDate"]))}</time></div></div></div>'
    )


# -- listing pages ----------------------------------------------------------------------------
def _contents(world: World, subtree: str, before: int | None, count: int,
              base: str) -> dict[str, Any]:
    """``count`` nodes of ``subtree`` older than item ``before``, and the page info."""
    specs = world.newest_first(subtree, before_index=before)
    taken: list[ItemSpec] = []
    for spec in specs:
        taken.append(spec)
        if len(taken) == count:
            break
    has_next = len(taken) == count and next(specs, None) is not None
    return {
        "edges": [{"cursor": encode_cursor(s.index), "node": _node(world, s, base)}
                  for s in taken],
        "pageInfo": {"endCursor": encode_cursor(taken[-1].index) if taken else None,
                     "hasNextPage": has_next},
    }


def _section_name(section_path: str) -> str:
    section = SECTION_BY_PATH.get(section_path)
    if section:
        return section.names[-1]
    return section_path.split("/")[-1].replace("-", " ").title()


def _script_json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def render_section_page(world: World, section_path: str, *, base: str, deploy: int) -> str:
    """The section page: 20 newest cards of the subtree in HTML and ``__NEXT_DATA__``."""
    if section_path not in SECTION_PAGES:
        raise KeyError(section_path)
    seed = world.config.seed
    now = world.now_ms
    name = _section_name(section_path)
    url_alias = "/" + section_path
    parts = section_path.split("/")
    lineage = tuple(_section_name("/".join(parts[: k + 1])) for k in range(len(parts)))
    contents = _contents(world, section_path, None, PAGE_SIZE, base)
    classes = _classes(deploy)
    cards = []
    for n, edge in enumerate(contents["edges"]):
        cards.append(render_card(edge["node"], now, classes))
        if n in (3, 11):
            cards.append(f'<div data-qa="AdSlot-Container" class="css-{_h("ad", deploy)[:6]}">'
                         f'<span>Advertisement</span><div id="dfp-ad-section-{n}"></div></div>')
    next_data = {
        "props": {
            "pageProps": {
                "payload": {"data": {
                    "section": {"entityId": str(500_000 + int(_h("sec", section_path), 16) % 99_999),
                                "name": name, "urlAlias": url_alias,
                                "parentSection": section_levels(section_path, lineage)},
                    "contents": contents,
                }},
                "serverTime": now,
                "appConfig": app_config_json(seed),
            },
            "__N_SSP": True,
        },
        "page": "/section",
        "query": {"sectionPath": section_path.split("/")},
        "buildId": build_id(seed),
        "runtimeConfig": _runtime_config(seed, deploy),
        "isFallback": False,
        "gssp": True,
        "scriptLoader": [],
    }
    feed_id = next((fid for fid, sub in RSS_FEEDS.items() if sub == section_path), None)
    head = (
        f'<link rel="canonical" href="{esc(base + url_alias)}"/>'
        f'<meta name="description" content="{esc(f"The latest {name} news from the South China Morning Post.")}"/>'
        f'<meta property="og:title" content="{esc(name)} | South China Morning Post"/>'
        f'<meta property="og:type" content="website"/>'
        f'<meta property="og:url" content="{esc(base + url_alias)}"/>'
        + (f'<link rel="alternate" type="application/rss+xml" title="{esc(name)}" '
           f'href="{esc(base)}/rss/{feed_id}/feed"/>' if feed_id else "")
    )
    hidden = "" if contents["pageInfo"]["hasNextPage"] else ' style="display:none"'
    body = (
        f'<div data-qa="SectionPage-Container" class="css-{_h("page", deploy)[:6]}">'
        f'<h1 data-qa="SectionHeader-Title">{esc(name)}</h1>'
        f'<div data-qa="SectionContentList-Container" class="css-{_h("list", deploy)[:6]}">'
        + "".join(cards) + "</div>"
        f'<div data-qa="SectionContentList-LoadMoreContainer">'
        f'<button type="button" data-qa="SectionContentList-LoadMoreButton" '
        f'class="css-{_h("more", deploy)[:6]}"{hidden}>Load more</button></div></div>'
        f'<script id="__NEXT_DATA__" type="application/json">{_script_json(next_data)}</script>'
        f"<script>{_LOAD_MORE_JS.replace('__CLASSES__', _script_json(classes))}</script>"
    )
    return page(title=f"{name} - Latest news | South China Morning Post", head=head, body=body,
                seed=seed)


def gateway_response(world: World, variables: dict, *, base: str) -> dict:
    """The gateway's answer to ``variables`` ``{sectionUrlAlias, after, count}``.

    ``count`` defaults to 20 when absent. ``ValueError`` (with a message fit for the client)
    for an unknown section, a malformed cursor or a count outside 1..50.
    """
    if not isinstance(variables, dict):
        raise ValueError("variables must be a JSON object")
    alias = variables.get("sectionUrlAlias")
    if not isinstance(alias, str) or not alias.startswith("/") \
            or alias.strip("/") not in SECTION_PAGES:
        raise ValueError(f"Unknown section {alias!r}: sectionUrlAlias must be a section path "
                         "such as \"/news/china\"")
    after = variables.get("after")
    if after is None:
        before = None
    elif isinstance(after, str):
        before = decode_cursor(after)
    else:
        raise ValueError(f"Invalid cursor {after!r}")
    count = variables.get("count", PAGE_SIZE)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"Invalid count {count!r}: must be an integer from 1 to {MAX_COUNT}")
    return {"data": {"contents": _contents(world, alias.strip("/"), before, count, base)}}


#: The section page's "Load more" script. It reads the contract and the first cursor from
#: ``__NEXT_DATA__`` and appends gateway cards with the same markup as :func:`render_card`.
_LOAD_MORE_JS = r"""
(function () {
  function start() {
    var nd = JSON.parse(document.getElementById('__NEXT_DATA__').textContent);
    var cd = nd.runtimeConfig.contentDelivery;
    var query = cd.persistedQueries.sectionContents;
    var pageProps = nd.props.pageProps;
    var data = pageProps.payload.data;
    var sectionUrlAlias = data.section.urlAlias;
    var cursor = data.contents.pageInfo.endCursor;
    var serverNow = pageProps.serverTime, loadedAt = Date.now();
    var C = __CLASSES__;
    var MONTHS = ['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'];
    var list = document.querySelector('[data-qa="SectionContentList-Container"]');
    var button = document.querySelector('[data-qa="SectionContentList-LoadMoreButton"]');
    if (!list || !button) return;
    if (!data.contents.pageInfo.hasNextPage) button.style.display = 'none';
    function esc(s) {
      return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
    }
    function plural(n, unit) { return n + ' ' + unit + (n === 1 ? '' : 's') + ' ago'; }
    function relative(t) {
      var now = serverNow + (Date.now() - loadedAt);
      var s = Math.max(0, Math.floor((now - t) / 1000));
      var m = Math.floor(s / 60), h = Math.floor(s / 3600), d = Math.floor(s / 86400);
      if (m < 1) return 'Just now';
      if (h < 1) return plural(m, 'minute');
      if (d < 1) return plural(h, 'hour');
      if (d < 7) return plural(d, 'day');
      var w = new Date(t + 8 * 3600 * 1000);
      var hr = w.getUTCHours(), mi = w.getUTCMinutes();
      return w.getUTCDate() + ' ' + MONTHS[w.getUTCMonth()] + ' ' + w.getUTCFullYear() + ' - ' +
        ((hr % 12) || 12) + ':' + (mi < 10 ? '0' : '') + mi + (hr < 12 ? 'AM' : 'PM');
    }
    function isoMs(t) { return new Date(t).toISOString(); }
    function card(node) {
      var href = node.urlAlias +
        (parseInt(node.entityId, 10) % 12 === 7 ? '?module=perpetual_scroll_0&pgtype=section' : '');
      var levels = node.sections[0].value, section = levels[levels.length - 1];
      var image = node.images[0];
      var a = '<a data-qa="BaseLink-renderAnchor-StyledAnchor"';
      var label = node.__typename !== 'Article' ?
        '<span data-qa="ContentItem-TypeLabel" class="' + C.label + '">' + esc(node.__typename) +
        '</span>' : '';
      return '<div data-qa="ContentItem-Container" class="' + C.card + '" data-entity-id="' +
        esc(node.entityId) + '">' +
        a + ' class="' + C.image + '" href="' + esc(href) + '" aria-hidden="true" tabindex="-1">' +
        '<img data-qa="ContentItemImage-Image" src="' + esc(image.url) + '" alt="' +
        esc(image.title) + '" loading="lazy"/></a>' +
        '<div data-qa="ContentItem-Body" class="' + C.body + '">' +
        a + ' class="' + C.tag + '" href="' + esc(section.urlAlias) + '">' +
        '<span data-qa="ContentItemSection-Name">' + esc(section.name) + '</span></a>' + label +
        a + ' class="' + C.link + '" href="' + esc(href) + '">' +
        '<h2 data-qa="ContentHeadline-ContainerWithTag" class="' + C.headline + '">' +
        '<span data-qa="ContentHeadline-Headline">' + esc(node.headline) + '</span></h2></a>' +
        '<p data-qa="ContentSummary-Summary" class="' + C.summary + '">' +
        esc(node.summary.text) + '</p>' +
        '<div data-qa="ContentActionBar-Container" class="' + C.bar + '">' +
        '<time data-qa="ContentActionBar-handleRenderDisplayDateTime-time" class="' + C.time +
        '" datetime="' + isoMs(node.publishedDate) + '">' + esc(relative(node.publishedDate)) +
        '</time></div></div></div>';
    }
    var loading = false;
    button.addEventListener('click', function (event) {
      event.preventDefault();
      if (loading || !cursor) return;
      loading = true;
      button.setAttribute('aria-busy', 'true');
      var url = cd.endpoint + '?operationName=' + encodeURIComponent(query.operationName) +
        '&variables=' + encodeURIComponent(JSON.stringify(
          {sectionUrlAlias: sectionUrlAlias, after: cursor, count: 20})) +
        '&extensions=' + encodeURIComponent(JSON.stringify(
          {persistedQuery: {version: 1, sha256Hash: query.sha256Hash}}));
      fetch(url, {headers: {apikey: cd.apikey, 'content-type': 'application/json'}})
        .then(function (response) {
          if (!response.ok) throw new Error('content delivery answered ' + response.status);
          return response.json();
        })
        .then(function (result) {
          var contents = result.data.contents;
          var html = '';
          contents.edges.forEach(function (edge) { html += card(edge.node); });
          list.insertAdjacentHTML('beforeend', html);
          cursor = contents.pageInfo.endCursor;
          if (!contents.pageInfo.hasNextPage) button.style.display = 'none';
        })
        .catch(function (error) { if (window.console) console.error(error); })
        .then(function () { loading = false; button.removeAttribute('aria-busy'); });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
"""
