"""SCMP listings: the cards of a section page and the "load more" gateway (MARKUP.md 2.1, 5).

A section page carries its first cards twice, in ``__NEXT_DATA__``
(``payload.data.contents.edges[].node`` with ``pageInfo.endCursor``) and as ``data-qa``
anchors. The next cards come from the GraphQL gateway ``/content-delivery/v2``, called with a
persisted-query hash and an ``apikey`` header that the page's own JavaScript holds; both
change with front-end deploys, so they are read from each page, never hard-coded. When the
page does not expose them, the listing says ``has_more`` without a ``next_page`` and the
crawl falls back to clicking "Load more" in a browser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from parsel import Selector

from newscrawl.extraction import dates
from newscrawl.outlets.spec import Card, Listing, NextPage

GATEWAY_PATH = "/content-delivery/v2"
CARD_SELECTOR = 'a[data-qa="BaseLink-renderAnchor-StyledAnchor"]'
LOAD_MORE_SELECTOR = "button:has-text('Load more'), a:has-text('Load more')"
PAGE_SIZE = 20

_NEXT_DATA = re.compile(r'<script id="__NEXT_DATA__" type="application/json"[^>]*>(.*?)</script>',
                        re.S)
_APIKEY = re.compile(r'["\']?apikey["\']?\s*[:=]\s*["\']([A-Za-z0-9_\-]{8,})["\']', re.I)
_HASH = re.compile(r'["\']?sha256Hash["\']?\s*[:=]\s*["\']([0-9a-f]{64})["\']')
_OPERATION = re.compile(r'["\']?operationName["\']?\s*[:=]\s*["\']([A-Za-z_][A-Za-z0-9_]*)["\']')
_NON_ARTICLE_TYPES = {"Video", "Gallery", "Podcast", "Live", "Topic", "Author"}


def _iso(ms: Any) -> str | None:
    if isinstance(ms, int | float) and ms > 0:
        return dates.utc_iso(datetime.fromtimestamp(ms / 1000, UTC))
    return None


def _card(node: dict[str, Any]) -> Card | None:
    url = node.get("urlAlias") or node.get("url")
    if not isinstance(url, str) or not url:
        return None
    typename = node.get("__typename") or ""
    return Card(url=url, published_at=_iso(node.get("publishedDate")),
                updated_at=_iso(node.get("updatedDate")), headline=node.get("headline"),
                is_article=typename not in _NON_ARTICLE_TYPES and not url.startswith("/video/"))


def _contents(data: Any) -> dict[str, Any] | None:
    """``contents`` of a page's payload or of a gateway answer."""
    for path in (("props", "pageProps", "payload", "data", "contents"), ("data", "contents")):
        node = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            return node
    return None


def read_listing(url: str, html: str) -> Listing:
    """Cards of a section page (newest first) and how to get the next ones."""
    cards: list[Card] = []
    page_info: dict[str, Any] = {}
    next_data: Any = None
    match = _NEXT_DATA.search(html)
    if match:
        try:
            next_data = json.loads(match.group(1))
        except ValueError:
            next_data = None
        contents = _contents(next_data)
        if contents:
            cards = [c for c in (_card(e.get("node") or {}) for e in contents.get("edges") or [])
                     if c]
            page_info = contents.get("pageInfo") or {}
    # Cards the browser appended after "load more" exist only in the DOM, and a page whose
    # __NEXT_DATA__ is broken still shows its cards: read the anchors too.
    seen = {c.url.split("?")[0] for c in cards}
    for anchor in Selector(text=html).css(CARD_SELECTOR):
        href = anchor.attrib.get("href") or ""
        if "/article/" not in href and not href.startswith("/video/"):
            continue
        if href.split("?")[0] in seen:
            continue
        seen.add(href.split("?")[0])
        when = anchor.xpath("following::time[1]/@datetime").get() or anchor.css(
            "time::attr(datetime)").get()
        cards.append(Card(url=href, published_at=_normalise_iso(when),
                          headline=" ".join(anchor.css("::text").getall()).strip() or None,
                          is_article=not href.startswith("/video/")))
    has_more = bool(page_info.get("hasNextPage")) if page_info else bool(cards)
    cursor = page_info.get("endCursor")
    next_page = None
    section = urlsplit(url).path or "/"
    contract = find_gateway_contract(html, next_data)
    if has_more and cursor and contract:
        next_page = gateway_page(url, contract, section, cursor)
    return Listing(cards=cards, next_page=next_page, has_more=has_more)


def read_listing_api(url: str, data: Any, page: NextPage) -> Listing:
    """Cards of one gateway answer, and the request for the page after it."""
    contents = _contents(data)
    if not contents:
        return Listing(cards=[])
    cards = [c for c in (_card(e.get("node") or {}) for e in contents.get("edges") or []) if c]
    info = contents.get("pageInfo") or {}
    next_page = None
    if info.get("hasNextPage") and info.get("endCursor"):
        query = parse_qs(urlsplit(page.url).query)
        variables = json.loads(query["variables"][0])
        contract = {"operationName": query["operationName"][0], "apikey": page.headers["apikey"],
                    "sha256Hash": json.loads(query["extensions"][0])["persistedQuery"]["sha256Hash"]}
        next_page = gateway_page(url, contract, variables["sectionUrlAlias"], info["endCursor"])
    return Listing(cards=cards, next_page=next_page, has_more=bool(info.get("hasNextPage")))


def find_gateway_contract(html: str, next_data: Any = None) -> dict[str, str] | None:
    """The gateway's apikey and the *section* query's operation name and persisted-query hash.

    The front end holds several persisted queries (trending, section, topic, author...): the
    section one is picked by name, never by position. Next.js exposes it in
    ``runtimeConfig.contentDelivery``; failing that, the page's scripts are searched.
    """
    delivery = _find_key(next_data, "contentDelivery") if next_data is not None else None
    if isinstance(delivery, dict) and delivery.get("apikey"):
        queries = delivery.get("persistedQueries") or {}
        entries = list(queries.items()) if isinstance(queries, dict) else list(enumerate(queries))
        for name, query in entries:
            if not isinstance(query, dict):
                continue
            op = str(query.get("operationName") or "")
            if ("section" in str(name).lower() or "section" in op.lower()) and query.get("sha256Hash"):
                return {"apikey": str(delivery["apikey"]), "operationName": op or str(name),
                        "sha256Hash": str(query["sha256Hash"])}
    key = _APIKEY.search(html)
    for operation in _OPERATION.finditer(html):
        if "section" in operation.group(1).lower():
            sha = (_HASH.search(html, operation.end())
                   or _HASH.search(html, max(0, operation.start() - 300)))
            if key and sha:
                return {"apikey": key.group(1), "sha256Hash": sha.group(1),
                        "operationName": operation.group(1)}
    return None


def _find_key(node: Any, key: str, depth: int = 0) -> Any:
    """The first value stored under ``key`` anywhere in a JSON tree (breadth-limited)."""
    if depth > 6:
        return None
    children: Iterable[Any]
    if isinstance(node, dict):
        if key in node:
            return node[key]
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        if isinstance(child, dict | list):
            found = _find_key(child, key, depth + 1)
            if found is not None:
                return found
    return None


def gateway_page(url: str, contract: dict[str, str], section: str, cursor: str) -> NextPage:
    parts = urlsplit(url)
    query = urlencode({
        "operationName": contract["operationName"],
        "variables": json.dumps({"sectionUrlAlias": section, "after": cursor, "count": PAGE_SIZE},
                                separators=(",", ":")),
        "extensions": json.dumps({"persistedQuery": {"version": 1,
                                                     "sha256Hash": contract["sha256Hash"]}},
                                 separators=(",", ":")),
    })
    return NextPage(url=f"{parts.scheme}://{parts.netloc}{GATEWAY_PATH}?{query}",
                    headers={"apikey": contract["apikey"], "content-type": "application/json"})


def _normalise_iso(value: str | None) -> str | None:
    when = dates.parse_utc(value)
    return dates.utc_iso(when) if when else None
