"""The sources of any news page, each a ``Source`` of the cascade with its field readers:

``json_ld`` (``JsonLdSource``)
    the article object (``NewsArticle``, ``Article``, ``ReportageNewsArticle``,
    ``BlogPosting``..., inside ``@graph`` too) and the page's ``BreadcrumbList``;
``meta`` (``MetaSource``)
    head tags: OpenGraph, ``article:*``, Twitter cards, Dublin Core, ``<title>``, canonical;
``dom`` (``DomSource``)
    the markup: the ``<h1>``, ``<time>``, ``itemprop`` dates and authors, bylines and
    breadcrumbs, read inside the story's ``<article>`` where the page has one;
``generic_body`` (``BodySource``)
    the main content (``body.main_text``);
``url`` (``UrlSource``)
    the address: the canonical URL and a stable id.

Dates are checked against the fetch time (``dates.checked``): a reader gives only an
accepted date, and keeps the first one it refused in ``refused`` so that the parser can
keep the raw value of a page whose every date is refused.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from newscrawl.extraction import dates, jsonld
from newscrawl.extraction.cascade import Source, field
from newscrawl.extraction.generic.body import main_text
from newscrawl.extraction.generic.page import GenericPage
from newscrawl.extraction.html import absolute_url, dedupe_images, inline_text
from newscrawl.extraction.meta import language_code
from newscrawl.extraction.text import normalize_space, optional_text
from newscrawl.items import ImageRef

#: Words that say a breadcrumb is the site's home, not a section.
_HOME_CRUMBS = frozenset({"home", "start", "startseite", "accueil", "inicio", "portada",
                          "homepage", "main page"})
_BYLINE_PREFIX = re.compile(r"^(?:by|von|par|por|di|door|av|af)\s+", re.I)
_BYLINE_CLASSES = ("byline", "author")
_BREADCRUMB_XPATH = ('//*[@itemtype and contains(@itemtype, "BreadcrumbList")]'
                     ' | //nav[contains(translate(@aria-label, "BREADCUM", "breadcum"),'
                     ' "breadcrumb")]'
                     ' | //*[contains(@class, "breadcrumb")]')
_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished",
                   "publishdate", "pubdate", "dc.date.issued", "dcterms.issued", "dc.date",
                   "dcterms.date", "dcterms.created", "sailthru.date", "parsely-pub-date",
                   "date")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified",
                  "dcterms.modified", "dc.date.modified", "last-modified")
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")


class PageSource(Source):
    """A source of one generic page fetched at ``fetched_at``."""

    def __init__(self, page: GenericPage, fetched_at: datetime) -> None:
        super().__init__()
        self.page = page
        self.fetched_at = fetched_at
        self.refused: dict[str, dates.CheckedDate] = {}  # field -> the first date refused

    def date(self, name: str, *values: Any) -> tuple[str, str] | None:
        """The first of ``values`` that is an acceptable date, as (raw, ISO); a refused one
        is remembered under ``name``."""
        for value in values:
            found = dates.checked(value, self.fetched_at)
            if found is None:
                continue
            if found.iso is not None:
                return found.raw, found.iso
            if found.problem != "unreadable":
                self.refused.setdefault(name, found)
        return None


class JsonLdSource(PageSource):
    @property
    def obj(self) -> dict[str, Any]:
        return self.page.ld_article or {}

    def _string(self, key: str) -> str | None:
        return optional_text(jsonld.first_string(self.obj.get(key)))

    @field("headline")
    def headline(self) -> str | None:
        headline = self._string("headline") or self._string("name")
        if headline and headline.endswith(("...", "…")):
            return None  # cut to fit a search engine's limit: not the headline of record
        return headline

    @field("social_headline")
    def social_headline(self) -> str | None:
        return self._string("alternativeHeadline")

    @field("summary")
    def summary(self) -> str | None:
        return self._string("description")

    @field("authors")
    def authors(self) -> list[str]:
        return jsonld.person_names(self.obj.get("author") or self.obj.get("creator"))

    @field("published_at")
    def published_at(self) -> tuple[str, str] | None:
        return self.date("published_at", jsonld.first_string(self.obj.get("datePublished")),
                         jsonld.first_string(self.obj.get("dateCreated")))

    @field("updated_at")
    def updated_at(self) -> tuple[str, str] | None:
        return self.date("updated_at", jsonld.first_string(self.obj.get("dateModified")))

    @field("section")
    def section(self) -> list[str]:
        for crumbs in jsonld.find_by_type(self.page.ld_objects, "BreadcrumbList"):
            names = _crumbs(self.page, [(_crumb_name(e), _crumb_target(e))
                                        for e in _ordered_crumbs(crumbs)])
            if names:
                return names
        section = self.obj.get("articleSection")
        given: list[Any] = section if isinstance(section, list) else [section]
        first = next((normalize_space(s) for s in given if isinstance(s, str) and s.strip()),
                     None)
        return [first] if first else []

    @field("topics")
    def topics(self) -> list[str]:
        return _keywords(self.obj.get("keywords"))

    @field("images")
    def images(self) -> list[ImageRef]:
        images = [_image(self.page.url, url, caption)
                  for url, caption in jsonld.image_candidates(self.obj)]
        return dedupe_images([image for image in images if image])[:1]

    @field("language")
    def language(self) -> str | None:
        return language_code(jsonld.first_string(self.obj.get("inLanguage")))

    @field("kind")
    def kind(self) -> str | None:
        return jsonld.kind(self.obj) if self.obj else None

    @field("is_paywalled")
    def is_paywalled(self) -> bool | None:
        return jsonld.is_paywalled(self.obj)

    @field("body")
    def body(self) -> list[str]:
        """``articleBody`` when the page's own text says the same (most of its stretches of
        eight words are in it): a last resort, it is often a summary or cut short."""
        text = normalize_space(jsonld.first_string(self.obj.get("articleBody")))
        if len(text) < 200 or not _agrees(text, self.page.root):
            return []
        return [text]


class MetaSource(PageSource):
    @field("canonical_url")
    def canonical_url(self) -> str | None:
        for href in (self.page.head.link("canonical"), self.page.head.first("og:url")):
            url = absolute_url(self.page.url, href)
            if url and urlsplit(url).scheme in ("http", "https"):
                return url
        return None

    @field("headline")
    def headline(self) -> str | None:
        head = self.page.head
        title = optional_text(head.first("og:title", "twitter:title", "dc.title", "title"))
        if title:
            return title
        # a page whose markup starts before <html> may leave its <title> out of <head>
        page_title = head.title or optional_text(self.page.root.findtext(".//title"))
        return _without_site_name(page_title, head.first("og:site_name"))

    @field("social_headline")
    def social_headline(self) -> str | None:
        return optional_text(self.page.head.first("og:title", "twitter:title"))

    @field("summary")
    def summary(self) -> str | None:
        return optional_text(self.page.head.first("og:description", "description",
                                                  "twitter:description", "dc.description"))

    @field("authors")
    def authors(self) -> list[str]:
        head = self.page.head
        for name in ("author", "article:author", "dc.creator", "parsely-author",
                     "sailthru.author", "twitter:creator"):
            values = [v for v in head.all(name) if not v.startswith(("http", "@"))]
            if values:
                return list(dict.fromkeys(normalize_space(v) for v in values))
        return []

    @field("published_at")
    def published_at(self) -> tuple[str, str] | None:
        return self.date("published_at", *(self.page.head.first(n) for n in _PUBLISHED_META))

    @field("updated_at")
    def updated_at(self) -> tuple[str, str] | None:
        return self.date("updated_at", *(self.page.head.first(n) for n in _MODIFIED_META))

    @field("section")
    def section(self) -> list[str]:
        section = optional_text(self.page.head.first("article:section", "section"))
        return [section] if section else []

    @field("topics")
    def topics(self) -> list[str]:
        head = self.page.head
        return (list(dict.fromkeys(normalize_space(t) for t in head.all("article:tag")))
                or _keywords(head.first("news_keywords", "keywords")))

    @field("images")
    def images(self) -> list[ImageRef]:
        image = _image(self.page.url, self.page.head.first("og:image", "twitter:image"), None)
        return [image] if image else []

    @field("language")
    def language(self) -> str | None:
        head = self.page.head
        return (language_code(head.lang) or language_code(head.first("og:locale"))
                or language_code(head.first("content-language", "dc.language", "language")))


class DomSource(PageSource):
    @property
    def scope(self) -> etree._Element:
        return self.page.article_scope

    @field("headline")
    def headline(self) -> str | None:
        return self.page.h1

    @field("authors")
    def authors(self) -> list[str]:
        for xpath in ('.//*[@itemprop="author"]', './/a[@rel="author"]'):
            names = _names(self.scope.xpath(xpath))
            if names:
                return names
        test = " or ".join(f'contains(@class, "{c}")' for c in _BYLINE_CLASSES)
        for element in self.scope.xpath(f".//*[{test}]"):
            names = _names(element.iter("a")) or _names([element])
            if names:
                return names
        return []

    def _time(self, name: str, itemprop: str, first_time: bool) -> tuple[str, str] | None:
        values = [el.get("datetime") or el.get("content")
                  for el in self.scope.xpath(f'.//*[@itemprop="{itemprop}"]')]
        if first_time:
            values += [el.get("datetime") for el in self.scope.iter("time")]
        return self.date(name, *(v for v in values if v))

    @field("published_at")
    def published_at(self) -> tuple[str, str] | None:
        return self._time("published_at", "datePublished", first_time=True)

    @field("updated_at")
    def updated_at(self) -> tuple[str, str] | None:
        return self._time("updated_at", "dateModified", first_time=False)

    @field("section")
    def section(self) -> list[str]:
        for trail in self.page.root.xpath(_BREADCRUMB_XPATH):
            names = _crumbs(self.page, [(inline_text(a), a.get("href")) for a in trail.iter("a")])
            if names:
                return names
        return []


class BodySource(PageSource):
    @field("body")
    def body(self) -> list[str]:
        return main_text(self.page.root, self.page.url or None, self.page.visible_text_chars)


class UrlSource(PageSource):
    @field("canonical_url")
    def canonical_url(self) -> str | None:
        parts = urlsplit(self.page.url)
        if parts.scheme not in ("http", "https"):
            return None
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))

    @field("article_id")
    def article_id(self) -> str | None:
        return story_id(self.page.url)


def story_id(url: str) -> str:
    """A stable id of the story at ``url``: 16 hex digits of a hash of its host and path
    (scheme, ``www.``, query, fragment and a trailing slash do not change it)."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = f"{host}{parts.path.rstrip('/') or '/'}"
    return hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=8).hexdigest()


# -- values as the sources give them ------------------------------------------------------


def _keywords(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = [part for item in items if isinstance(item, str) for part in item.split(",")]
    return list(dict.fromkeys(n for n in (normalize_space(n) for n in names) if n))


def _image(page_url: str, src: str | None, caption: str | None) -> ImageRef | None:
    url = absolute_url(page_url, src)
    return ImageRef(url=url, caption=optional_text(caption)) if url else None


def _without_site_name(title: str | None, site: str | None) -> str | None:
    """A ``<title>`` without the site's name at either end ("Story | Site")."""
    if not title:
        return None
    for separator in _TITLE_SEPARATORS:
        parts = title.split(separator)
        if len(parts) < 2:
            continue
        if site and parts[-1].strip().lower() == site.strip().lower():
            return separator.join(parts[:-1]).strip() or None
        if site and parts[0].strip().lower() == site.strip().lower():
            return separator.join(parts[1:]).strip() or None
    return title


def _ordered_crumbs(crumbs: dict[str, Any]) -> list[dict[str, Any]]:
    elements = crumbs.get("itemListElement")
    elements = [e for e in (elements if isinstance(elements, list) else []) if isinstance(e, dict)]
    return sorted(elements, key=lambda e: e["position"] if isinstance(e.get("position"), int)
                  else 0)


def _crumb_name(element: dict[str, Any]) -> str | None:
    item = element.get("item")
    name = element.get("name") or (item.get("name") if isinstance(item, dict) else None)
    return optional_text(name)


def _crumb_target(element: dict[str, Any]) -> str | None:
    item = element.get("item")
    target = item.get("@id") or item.get("url") if isinstance(item, dict) else item
    return target if isinstance(target, str) else None


def _crumbs(page: GenericPage, trail: list[tuple[str | None, str | None]]) -> list[str]:
    """Section names of a breadcrumb trail: without the home page and the story itself."""
    names = []
    for name, target in trail:
        if not name:
            continue
        path = urlsplit(absolute_url(page.url, target) or "").path if target else None
        if name.lower() in _HOME_CRUMBS or path in ("", "/"):
            continue
        if path is not None and path.rstrip("/") == page.path.rstrip("/"):
            continue  # the story itself
        names.append(name)
    if names and page.h1 and names[-1] == page.h1:
        names.pop()
    return list(dict.fromkeys(names))


def _names(elements: Any) -> list[str]:
    """The byline names of ``elements``, each once, in page order."""
    names = (_byline_name(element) for element in elements)
    return list(dict.fromkeys(name for name in names if name))


def _byline_name(element: etree._Element) -> str | None:
    names = element.xpath('.//*[@itemprop="name"]/@content | .//*[@itemprop="name"]')
    value = names[0] if names else element
    text = value if isinstance(value, str) else inline_text(value)
    text = _BYLINE_PREFIX.sub("", normalize_space(text))
    # a byline is a name or two, not a sentence
    return text if text and len(text) <= 80 and len(text.split()) <= 8 else None


def _agrees(text: str, root: etree._Element) -> bool:
    """Most stretches of eight words of ``text`` occur in the page's own text."""
    page = "".join("".join(root.itertext()).split())
    words = text.split()
    stretches = ["".join(words[i:i + 8]) for i in range(0, max(1, len(words) - 7), 8)]
    found = sum(1 for stretch in stretches if stretch in page)
    return found >= 0.8 * len(stretches)

