"""The sources an SCMP page carries as JSON, each a ``Source`` of the cascade with its field
readers (``markup`` holds the ones read from its HTML and URL):

``next_data`` (``NextDataSource``)
    ``__NEXT_DATA__``'s ``props.pageProps.payload.data.article`` (Next.js, late 2023 on): every
    field, the body as a node tree.
``apollo`` (``ApolloSource``)
    ``window.__APOLLO_STATE__`` (2019 to Oct 2023): the same fields behind ``ROOT_QUERY`` and
    refs; the body under a ``body(...)`` key. The HTML of these pages has no body.
``json_ld`` (``JsonLdSource``)
    the article object: dates, authors, language, access; its headline is cut at ~105
    characters and its ``articleBody`` has no paragraph breaks, so both are last resorts.

Which source wins for which field is the parser's to say (``parser.CASCADE``). The body
readers get the byline and the opinion flag (``ScmpSource.byline``, ``.opinion``) from the
parser, which reads those first: the closing bio line is found by its author's name.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from newscrawl.extraction import dates, jsonld
from newscrawl.extraction.cascade import Source, field
from newscrawl.extraction.html import dedupe_images
from newscrawl.extraction.meta import language_code
from newscrawl.extraction.text import normalize_space, optional_text
from newscrawl.items import ImageRef
from newscrawl.outlets.scmp.body import (
    NodeBody,
    block_texts,
    image_ref,
    strip_trailing_bio,
)
from newscrawl.outlets.scmp.furniture import PUBLIC_SERVICE_NOTICE
from newscrawl.outlets.scmp.outlet import ARTICLE_ID, ARTICLE_ID_IN_PATH
from newscrawl.outlets.scmp.page import ScmpPage

# GraphQL keys whose presence makes an empty value authoritative (an article without bullets
# has an empty subHeadline: the DOM must not be searched for some).
_CONTENT_KEYS: dict[str, tuple[str, ...]] = {
    "social_headline": ("socialHeadline",), "subheadline": ("subHeadline",),
    "summary": ("summary",), "authors": ("authors",), "updated_at": ("updatedDate",),
    "section": ("sections",), "topics": ("topics",), "images": ("images", "body"),
}


class ScmpSource(Source):
    """A source of one SCMP page."""

    def __init__(self, page: ScmpPage) -> None:
        super().__init__()
        self.page = page
        self.byline: list[str] = []  # the record's authors, for the body's closing bio
        self.opinion = False  # the record is an opinion piece (its bio has no byline name)


class ContentSource(ScmpSource):
    """Fields shared by the two GraphQL shapes (``__NEXT_DATA__`` and Apollo)."""

    def get(self, key: str) -> Any:
        raise NotImplementedError

    def has(self, key: str) -> bool:
        raise NotImplementedError

    def body_nodes(self) -> Any:
        raise NotImplementedError

    def knows_empty(self, name: str) -> bool:
        keys = _CONTENT_KEYS.get(name, ())
        return bool(keys) and all(self.has(key) for key in keys)

    @field("article_id")
    def article_id(self) -> str | None:
        for key in ("entityId", "articleId", "id"):
            value = self.get(key)
            if isinstance(value, int | str) and ARTICLE_ID.match(str(value).strip()):
                return str(value).strip()
        return None

    @field("headline")
    def headline(self) -> str | None:
        return optional_text(self.get("headline"))

    @field("social_headline")
    def social_headline(self) -> str | None:
        return optional_text(self.get("socialHeadline"))

    @field("subheadline")
    def subheadline(self) -> list[str]:
        return _bullets(self.get("subHeadline"))

    @field("summary")
    def summary(self) -> str | None:
        value = self.get("summary")
        if isinstance(value, str):
            return optional_text(value)
        if isinstance(value, dict):
            text = optional_text(value.get("text"))
            if text:
                return text
            tree = value.get("json")
            if tree is not None:
                return " ".join(block_texts(tree)) or None
        if isinstance(value, list):
            return " ".join(block_texts(value)) or None
        return None

    @field("authors")
    def authors(self) -> list[str]:
        names = []
        for author in _as_list(self.get("authors")):
            name = author.get("name") if isinstance(author, dict) else author
            name = optional_text(name)
            if name:
                names.append(name)
        return list(dict.fromkeys(names))

    @field("published_at")
    def published_at(self) -> tuple[str, str] | None:
        return (dates.raw_and_iso(self.get("publishedDate"))
                or dates.raw_and_iso(self.get("createdDate")))

    @field("updated_at")
    def updated_at(self) -> tuple[str, str] | None:
        return dates.raw_and_iso(self.get("updatedDate"))

    @field("section")
    def section(self) -> list[str]:
        return _section_path(self.get("sections"))

    @field("topics")
    def topics(self) -> list[str]:
        names = [optional_text(t.get("name")) for t in _as_list(self.get("topics"))
                 if isinstance(t, dict)]
        return list(dict.fromkeys(n for n in names if n))

    @cached_property
    def _body(self) -> tuple[list[str], list[ImageRef]]:
        nodes = self.body_nodes()
        if isinstance(nodes, dict):
            nodes = nodes.get("json", nodes.get("children"))
        if not isinstance(nodes, list):
            return [], []
        return NodeBody(self.page, self.byline, self.opinion).read(nodes)

    @field("body")
    def body(self) -> list[str]:
        return self._body[0]

    @field("images")
    def images(self) -> list[ImageRef]:
        images: list[ImageRef] = []
        listed = [i for i in _as_list(self.get("images")) if isinstance(i, dict)]
        leading = [i for i in listed if str(i.get("type") or "").lower() == "leading"]
        if not leading and listed and not any(i.get("type") for i in listed):
            leading = listed[:1]  # untyped list: the first picture leads
        for item in leading[:1]:
            image = image_ref(self.page.url, item.get("url") or item.get("src"),
                              item.get("title") or item.get("caption"), item.get("alt"))
            if image:
                images.append(image)
        # Inline pictures come from the body, in body order: images[] may also list ones a
        # truncated (SCMP Plus) body does not show.
        images.extend(self._body[1])
        return dedupe_images(images)

    @field("kind")
    def kind(self) -> str | None:
        typename = str(self.get("__typename") or "").lower()
        if "opinion" in typename:
            return "opinion"
        for kind in _as_list(self.get("types")) + _as_list(self.get("articleTypes")):
            name = kind.get("name") if isinstance(kind, dict) else kind
            if isinstance(name, str) and "opinion" in name.lower():
                return "opinion"
        path = self.section()
        if path:
            return "opinion" if path[0].lower() == "opinion" else "article"
        return None

    def _paywall_types(self) -> list[str]:
        out = []
        for item in _as_list(self.get("paywallTypes")):
            if isinstance(item, dict):
                item = item.get("name") or item.get("value") or item.get("type") or ""
            text = str(item).strip().lower()
            if text and text not in ("free", "none", "null", "false", "0"):
                out.append(text)
        return out

    @field("is_paywalled")
    def is_paywalled(self) -> bool | None:
        if self.get("paywallTypes") is None:
            return None
        return bool(self._paywall_types())

    @field("is_truncated")
    def is_truncated(self) -> bool | None:
        if self.get("paywallTypes") is None:
            return None
        return any("plus" in t or "hard" in t for t in self._paywall_types())

    @field("is_sponsored")
    def is_sponsored(self) -> bool | None:
        value = self.get("sponsorType")
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get("name") or value.get("type") or value.get("value")
        if isinstance(value, list):
            return bool(value)
        text = str(value or "").strip().lower()
        return text not in ("", "none", "null", "false", "0", "no")


class NextDataSource(ContentSource):
    def get(self, key: str) -> Any:
        return (self.page.next_article or {}).get(key)

    def has(self, key: str) -> bool:
        return key in (self.page.next_article or {})

    def body_nodes(self) -> Any:
        return self.get("body")


class ApolloSource(ContentSource):
    def get(self, key: str) -> Any:
        apollo = self.page.apollo
        return apollo.get(key) if apollo else None

    def has(self, key: str) -> bool:
        apollo = self.page.apollo
        return apollo is not None and key in apollo.node

    def body_nodes(self) -> Any:
        apollo = self.page.apollo
        return apollo.body() if apollo else None


class JsonLdSource(ScmpSource):
    @property
    def obj(self) -> dict[str, Any]:
        return self.page.ld_article or {}

    @field("headline")
    def headline(self) -> str | None:
        headline = optional_text(jsonld.first_string(self.obj.get("headline")))
        if headline and headline.endswith(("...", "…")):
            return None  # cut at ~105 characters: never a headline of record
        return headline

    @field("social_headline")
    def social_headline(self) -> str | None:
        return optional_text(jsonld.first_string(self.obj.get("alternativeHeadline")))

    @field("authors")
    def authors(self) -> list[str]:
        return jsonld.person_names(self.obj.get("author"))

    @field("published_at")
    def published_at(self) -> tuple[str, str] | None:
        return (dates.raw_and_iso(jsonld.first_string(self.obj.get("datePublished")))
                or dates.raw_and_iso(jsonld.first_string(self.obj.get("dateCreated"))))

    @field("updated_at")
    def updated_at(self) -> tuple[str, str] | None:
        return dates.raw_and_iso(jsonld.first_string(self.obj.get("dateModified")))

    @field("language")
    def language(self) -> str | None:
        return language_code(jsonld.first_string(self.obj.get("inLanguage")))

    @field("section")
    def section(self) -> list[str]:
        for crumbs in jsonld.find_by_type(self.page.ld_objects, "BreadcrumbList"):
            names = _breadcrumb_names(crumbs)
            if names:
                return names
        section = self.obj.get("articleSection")
        if isinstance(section, str) and section.strip():
            return [normalize_space(section)]
        if isinstance(section, list):
            return [normalize_space(s) for s in section if isinstance(s, str) and s.strip()][:1]
        return []

    @field("body")
    def body(self) -> list[str]:
        text = normalize_space(jsonld.first_string(self.obj.get("articleBody")))
        if text.startswith(PUBLIC_SERVICE_NOTICE):
            end = text.find("subscribing.")
            text = text[end + len("subscribing."):].strip() if end >= 0 else text
        text = strip_trailing_bio(text, self.byline)
        return [text] if text else []

    @field("images")
    def images(self) -> list[ImageRef]:
        captions: dict[str, str] = {}
        for obj in jsonld.find_by_type(self.page.ld_objects, "ImageObject"):
            url = jsonld.first_string(obj.get("url")) or jsonld.first_string(obj.get("contentUrl"))
            caption = jsonld.first_string(obj.get("caption"))
            if url and caption:
                captions.setdefault(url.strip(), caption)
        images = [image_ref(self.page.url, url, caption)
                  for url, caption in jsonld.image_candidates(self.obj, captions)]
        return dedupe_images([image for image in images if image])[:1]

    @field("kind")
    def kind(self) -> str | None:
        return jsonld.kind(self.obj)

    @field("is_paywalled")
    def is_paywalled(self) -> bool | None:
        return jsonld.is_paywalled(self.obj)

    @field("is_sponsored")
    def is_sponsored(self) -> bool | None:
        for key in ("sponsor", "funder"):
            if self.obj.get(key):
                return True
        return None


# -- values as the JSON sources give them -----------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    """A value that may come as one item or a list, as a list (None: an empty one)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _bullets(value: Any) -> list[str]:
    if isinstance(value, str):
        text = normalize_space(value)
        return [text] if text else []
    if isinstance(value, dict):
        if "json" in value:
            return block_texts(value["json"])
        if "type" in value:
            return block_texts([value])
        line = optional_text(value.get("text"))
        return [line] if line else []
    if isinstance(value, list):
        return block_texts(value)
    return []


def _section_path(value: Any) -> list[str]:
    """Names of the article's own section path: ``[{value: [{name}, ...]}]`` or ``[{name}]``."""
    items = _as_list(value)
    if not items:
        return []
    first = items[0]
    if isinstance(first, dict) and "value" in first:
        return _section_path(first["value"])
    if isinstance(first, list):
        return _section_path(first)
    names = [optional_text(item.get("name")) for item in items if isinstance(item, dict)]
    return [n for n in names if n]


def _breadcrumb_names(crumbs: dict[str, Any]) -> list[str]:
    elements = [e for e in _as_list(crumbs.get("itemListElement")) if isinstance(e, dict)]
    elements.sort(key=lambda e: e["position"] if isinstance(e.get("position"), int) else 0)
    names = []
    for element in elements:
        item = element.get("item")
        name = element.get("name") or (item.get("name") if isinstance(item, dict) else None)
        target = item.get("@id") if isinstance(item, dict) else item
        if isinstance(target, str) and ARTICLE_ID_IN_PATH.search(urlsplit(target).path):
            continue  # the article itself
        name = optional_text(name)
        if name and name.lower() not in ("home", "scmp", "south china morning post"):
            names.append(name)
    return names
