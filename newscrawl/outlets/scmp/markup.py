"""The sources an SCMP page carries in its markup and URL, each a ``Source`` of the cascade
with its field readers (``sources`` holds the JSON ones):

``dom`` (``DomSource``)
    the ``data-qa`` hooks of the server-rendered HTML (and the Drupal classes of pre-2019
    pages, and the AMP copy's markup): used when the JSON sources are missing or broken.
``meta`` (``MetaSource``)
    head tags: canonical, ``og:*``, ``article:*``, the Apollo-era ``cse_*``.
``url`` (``UrlSource``)
    the URL the page was fetched from, and its canonical link.
"""

from __future__ import annotations

from functools import cached_property
from urllib.parse import urlsplit

from newscrawl.extraction import dates, jsonld
from newscrawl.extraction.cascade import field
from newscrawl.extraction.html import IMAGE_TAGS, absolute_url, dedupe_images, inline_text
from newscrawl.extraction.meta import HeadMeta, language_code
from newscrawl.extraction.text import first_words_of, normalize_space, optional_text
from newscrawl.items import ImageRef
from newscrawl.outlets.scmp.body import DomBody, dom_image, image_ref
from newscrawl.outlets.scmp.furniture import is_furniture
from newscrawl.outlets.scmp.outlet import ARTICLE_ID_IN_PATH, canonical_twin, unamp_path
from newscrawl.outlets.scmp.sources import ScmpSource

_TITLE_SUFFIXES = (" | South China Morning Post", " | SCMP", " - South China Morning Post")


class DomSource(ScmpSource):
    @field("headline")
    def headline(self) -> str | None:
        element = self.page.dom_headline_element()
        if element is None:
            found = self.page.root.xpath("(//main//h1 | //article//h1)[1]")
            element = found[0] if found else None
        if element is None:
            return None
        return inline_text(element) or None

    @field("subheadline")
    def subheadline(self) -> list[str]:
        container = self.page.qa_first("ContentSubHeadline-ContainerWithTag")
        if container is None:
            found = self.page.by_class(("field-name-field-subheading", "subheadline",
                                        "sub-headline", "bullets"))
            container = found[0] if found else None
        if container is None:
            return []
        items = [inline_text(li) for li in container.iter("li")]
        items = [i for i in items if i]
        if not items:
            text = inline_text(container)
            items = [text] if text else []
        return items

    @field("authors")
    def authors(self) -> list[str]:
        container = self.page.qa_first("AuthorNames-AuthorNamesContainer")
        if container is None:
            found = self.page.by_class(("authors", "byline"))
            container = found[0] if found else None
        if container is None:
            return []
        names = [inline_text(a) for a in container.iter("a")]
        return list(dict.fromkeys(n for n in names if n))

    def _time(self, qa_names: tuple[str, ...], itemprop: str) -> tuple[str, str] | None:
        for name in qa_names:
            element = self.page.qa_first(name)
            if element is not None:
                pair = dates.raw_and_iso(element.get("datetime") or element.get("content"))
                if pair:
                    return pair
        for element in self.page.root.xpath(f'//*[@itemprop="{itemprop}"]'):
            pair = dates.raw_and_iso(element.get("datetime") or element.get("content")
                              or inline_text(element))
            if pair:
                return pair
        return None

    @field("published_at")
    def published_at(self) -> tuple[str, str] | None:
        return self._time(("Article20Date-PublishedDate",), "dateCreated") or self._time(
            (), "datePublished")

    @field("updated_at")
    def updated_at(self) -> tuple[str, str] | None:
        return self._time(("Article20Date-UpdatedDate",), "dateModified")

    @cached_property
    def _body(self) -> tuple[list[str], list[ImageRef]]:
        containers = self.page.body_containers
        return DomBody(self.page, self.byline, self.opinion).read(containers)

    @field("body")
    def body(self) -> list[str]:
        return self._body[0]

    @field("topics")
    def topics(self) -> list[str]:
        containers = [el for name, els in self.page.qa.items() if "topics" in name.lower()
                      for el in els] or self.page.by_class(("topics", "tags"))
        for container in containers:
            names = [inline_text(a) for a in container.iter("a")
                     if "/topics/" in (a.get("href") or "")]
            names = [n for n in names if n and not is_furniture(n)]
            if names:
                return list(dict.fromkeys(names))
        return []

    @field("images")
    def images(self) -> list[ImageRef]:
        images = []
        containers = self.page.qa.get("ArticleImage-ImageContainer", ())
        if not containers:
            # No data-qa hooks (AMP, Drupal): the figures of the article, body ones included.
            scope = self.page.article_element
            containers = scope.xpath(".//figure") if scope is not None else []
        for container in containers:
            for img in container.iter(*IMAGE_TAGS):
                image = dom_image(self.page.url, img)
                if image:
                    images.append(image)
                break
        images.extend(self._body[1])
        return dedupe_images(images)


class MetaSource(ScmpSource):
    @property
    def head(self) -> HeadMeta:
        return self.page.head

    @field("canonical_url")
    def canonical_url(self) -> str | None:
        for href in (self.head.link("canonical"), self.head.first("og:url")):
            url = absolute_url(self.page.url, href)
            if url and urlsplit(url).scheme in ("http", "https"):
                return canonical_twin(url)
        return None

    @field("headline")
    def headline(self) -> str | None:
        cse = optional_text(self.head.first("cse_headline"))
        if cse:
            return cse
        title = self.head.title
        if not title:
            return None
        for suffix in _TITLE_SUFFIXES:
            if title.endswith(suffix):
                title = title[: -len(suffix)].strip()
                break
        else:
            return None
        ld = self.page.ld_article
        cut = jsonld.first_string(ld.get("headline")) if ld else None
        if cut and not first_words_of(cut, title):
            return None
        return title or None

    @field("social_headline")
    def social_headline(self) -> str | None:
        return optional_text(self.head.first("og:title", "cse_socialheadline", "twitter:title"))

    @field("summary")
    def summary(self) -> str | None:
        return optional_text(self.head.first("og:description", "description",
                                             "twitter:description"))

    @field("authors")
    def authors(self) -> list[str]:
        value = self.head.first("cse_author")
        if value:
            return [n.strip() for n in value.split(",") if n.strip()]
        names = [v for v in self.head.all("author") if not v.startswith("http")]
        return names

    @field("published_at")
    def published_at(self) -> tuple[str, str] | None:
        return dates.raw_and_iso(self.head.first("article:published_time"))

    @field("updated_at")
    def updated_at(self) -> tuple[str, str] | None:
        return dates.raw_and_iso(self.head.first("article:modified_time"))

    @field("section")
    def section(self) -> list[str]:
        # article:section lists sections of related content too: only the Apollo-era name.
        name = optional_text(self.head.first("cse_sectionname"))
        return [name] if name else []

    @field("topics")
    def topics(self) -> list[str]:
        tags = self.head.all("article:tag")
        if not tags:
            tags = [t.strip() for v in self.head.all("cse_topic") for t in v.split(",")]
        return list(dict.fromkeys(normalize_space(t) for t in tags if t.strip()))

    @field("images")
    def images(self) -> list[ImageRef]:
        image = image_ref(self.page.url, self.head.first("og:image"), None)
        return [image] if image else []

    @field("language")
    def language(self) -> str | None:
        return language_code(self.head.lang) or language_code(self.head.first("og:locale"))

    @field("kind")
    def kind(self) -> str | None:
        kind = self.head.first("cse_articletype")
        if not kind:
            return None
        return "opinion" if "opinion" in kind.lower() else "article"


class UrlSource(ScmpSource):
    @cached_property
    def canonical_path(self) -> str:
        canonical = self.page.head.link("canonical")
        url = absolute_url(self.page.url, canonical) if canonical else None
        return urlsplit(url or self.page.url).path

    @field("article_id")
    def article_id(self) -> str | None:
        for path in (urlsplit(self.page.url).path, self.canonical_path):
            match = ARTICLE_ID_IN_PATH.search(path)
            if match:
                return match.group(1)
        return None

    @field("canonical_url")
    def canonical_url(self) -> str | None:
        return canonical_twin(self.page.url)

    @cached_property
    def _paths(self) -> list[str]:
        return [unamp_path(urlsplit(self.page.url).path), unamp_path(self.canonical_path)]

    @field("kind")
    def kind(self) -> str | None:
        if any(p.startswith(("/opinion/", "/comment/")) for p in self._paths):
            return "opinion"
        return None

    @field("is_truncated")
    def is_truncated(self) -> bool | None:
        return True if any(p.startswith("/plus/") for p in self._paths) else None

    @field("is_paywalled")
    def is_paywalled(self) -> bool | None:
        return self.is_truncated()
