"""What every generation of an item's page renders from (MARKUP.md 2.1, 2.3, 2.4).

``Item`` holds one item's data, computed once per render: the article object of
``__NEXT_DATA__`` (which the Apollo state normalises), the JSON-LD blocks, the head meta, the
related articles and the page weight. Beside it sit the small helpers (entity ids, topic
paths, the article pages' time formats) and the per-seed pieces (generated class names, the
serialised app configuration, the chrome's length) that every page module shares; the facts
the listings share too (hashes, UUIDs, section levels, author paths) are in ``world``.

Deterministic choices (all keyed on the article id, so a page never changes between renders):

* page weight: a target between 160 and 380 KB, reached with ``chrome.filler_parts`` (cached blocks);
* JSON-LD ``author``: Next.js pages give one author as an object or as a one-element list,
  several as a list; Apollo pages give a JSON string inside the string on ~1/3;
* JSON-LD ``articleBody``: Next.js pages omit it on ~1/5; opinion pages append the author bio
  on ~1/2 of the rest; Apollo pages carry it on ~1/2;
* JSON-LD ``description``: the first 25 words of the body on ~2/3, else the summary;
* ``ImageObject`` blocks on ~2/3 of the pages.

``paywallTypes`` are objects ``{"entityId", "name"}`` (``"Metered"`` or ``"Plus"``, the shape of
the section cards of :mod:`newscrawl.replica.pages.listing`), empty for free pages;
``sponsorType`` is ``"sponsored"`` or ``null``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from newscrawl.replica import text as gen
from newscrawl.replica.pages.article.body import absolute_nodes, bullets_tree, text_tree
from newscrawl.replica.pages.chrome import (
    app_config_json,
    build_id,
    esc,
    filler_parts,
    page,
    page_parts,
    static,
)
from newscrawl.replica.world import (
    HKT,
    MONTHS,
    TYPENAMES,
    author_alias,
    image_title,
    stable_hash,
)

if TYPE_CHECKING:
    from newscrawl.replica.world import ArticleContent, ItemSpec, World

SITE_NAME = "South China Morning Post"
LD_HEADLINE_CUT = 105
MIN_KB, MAX_KB = 160, 380  # page weight targets (MARKUP: real pages weigh 150-400 KB)
PAYWALL_TYPES = {"free": [], "metered": [{"entityId": "491", "name": "Metered"}],
                 "plus": [{"entityId": "493", "name": "Plus"}]}
CONTENT_TIER = {"free": "free", "metered": "metered", "plus": "locked"}
SPONSORS = ("InvestHK", "Hong Kong Tourism Board", "Swire Properties", "Cyberport",
            "Ocean Park Corporation", "Hong Kong Trade Development Council")


# -- small deterministic helpers ------------------------------------------------------------
def entity_for(kind: str, name: str) -> str:
    return str(100_000 + stable_hash("entity", kind, name) % 900_000)


def topic_alias(name: str) -> str:
    return "/topics/" + gen.slugify(name)


def script_json(data: Any) -> str:
    """JSON for an inline ``<script>``: raw UTF-8 like Next.js, ``</`` escaped."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def reading_time(paragraphs: list[str]) -> int:
    return max(1, round(_words(paragraphs) / 200))


# -- time ----------------------------------------------------------------------------------
def _hkt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, HKT)


def iso_hkt(ms: int) -> str:
    """ISO 8601 in Hong Kong time: ``2026-05-26T16:30:17+08:00`` (JSON-LD and meta)."""
    return _hkt(ms).strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"


def display_time(ms: int, *, apollo: bool = False) -> str:
    """"4:30pm, 26 May 2026" (Next.js) or "4:30pm, 26 May, 2026" (Apollo), Hong Kong time."""
    t = _hkt(ms)
    clock = f"{t.hour % 12 or 12}:{t.minute:02d}{'am' if t.hour < 12 else 'pm'}"
    if apollo:
        return f"{clock}, {t.day} {MONTHS[t.month - 1]}, {t.year}"
    return f"{clock}, {t.day} {MONTHS[t.month - 1]} {t.year}"


# -- per-seed pieces -------------------------------------------------------------------------
@lru_cache(maxsize=8)
def classes(seed: int) -> dict[str, str]:
    """Generated CSS class names (hashes of the build: they mean nothing)."""
    roles = ("article", "header", "section", "headline", "bullets", "authors", "date", "p", "h3",
             "ul", "figure", "caption", "body", "ad", "widget", "quote", "topics", "follow",
             "related", "paywall", "speech", "trust", "share", "reading", "sponsor", "rail",
             "embed", "more", "register", "readfull", "tracker", "video", "gallery")
    bid = build_id(seed)
    return {role: f"css-{stable_hash('cls', bid, role) % 16**6:06x}" for role in roles}


@lru_cache(maxsize=8)
def app_config_text(seed: int) -> str:
    return static(script_json(app_config_json(seed)))


@lru_cache(maxsize=8)
def chrome_length(seed: int) -> int:
    """Characters ``chrome.page`` adds around a page's own title, head and body."""
    return len(page(title="", head="", body="", seed=seed))


# -- the data the pages carry ------------------------------------------------------------------
class Item:
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
        self.title = f"{spec.headline} | {SITE_NAME}"
        self.typename = TYPENAMES[spec.kind]
        self.uuid = world.uuid(spec.article_id)
        self.levels = spec.section.levels
        self.images = [dict(img, url=base + img["url"]) for img in content.images]
        self.paragraphs = content.paragraphs if spec.is_article else []
        self.sponsor = SPONSORS[stable_hash(self.seed, "sponsor", self.id) % len(SPONSORS)] \
            if spec.sponsored else None

    def pick(self, what: str, modulo: int) -> int:
        return stable_hash(self.seed, what, self.id) % modulo

    def related(self, count: int = 3) -> list[ItemSpec]:
        """Earlier articles (published, so their links resolve), newest first."""
        found: list[ItemSpec] = []
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
            return [{"name": a, "urlAlias": author_alias(a), "entityId": entity_for("author", a)}
                    for a in self.spec.authors[:1]] if self.spec.kind == "gallery" else []
        return [{"__typename": "Author", "entityId": entity_for("author", a), "name": a,
                 "urlAlias": author_alias(a),
                 "types": ["Wire"] if a in ("Reuters", "Agence France-Presse", "Associated Press",
                                            "Bloomberg") else ["SCMP staff"]}
                for a in self.spec.authors]

    def images_data(self) -> list[dict[str, Any]]:
        return [{"type": "leading" if k == 0 else "inline", "url": img["url"],
                 "title": image_title(img), "width": 1200,
                 "height": 800}
                for k, img in enumerate(self.images)]

    def topics_data(self) -> list[dict[str, str]]:
        return [{"entityId": entity_for("topic", t), "name": t, "urlAlias": topic_alias(t)}
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
            "shortUrl": f"https://sc.mp/{stable_hash(self.seed, 'short', self.id) % 36**5:05x}",
            "headline": spec.headline,
            "socialHeadline": spec.social_headline,
            "subHeadline": {"json": bullets_tree(content.subheadline)}
            if content.subheadline else None,
            "summary": {"json": text_tree(content.summary), "text": content.summary},
            "articleTypes": [{"entityId": "20" if spec.kind == "opinion" else "10",
                              "name": "Opinion" if spec.kind == "opinion" else "News"}]
            if spec.is_article else [],
            "authors": self.authors_data(),
            "publishedDate": spec.published_ms,
            "updatedDate": content.updated_ms,
            "createdDate": spec.published_ms,
            "sections": [{"value": self.levels}],
            "topics": self.topics_data(),
            "keywords": self.keywords(),
            "images": self.images_data(),
            "body": {"json": absolute_nodes(content.body_nodes, self.base)},
            "readingTime": reading_time(self.paragraphs) if spec.is_article else None,
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

    def ld_blocks(self, *, apollo: bool, article_body: bool = True) -> list[dict[str, Any]]:
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
                "uploadDate": iso_hkt(spec.published_ms),
                "duration": f"PT{1 + self.pick('vmin', 9)}M{self.pick('vsec', 60)}S",
                "embedUrl": f"https://www.youtube.com/embed/{self.youtube_id()}",
                "publisher": org, "inLanguage": "en-GB"})
        elif spec.kind == "gallery":
            blocks.append({
                "@context": ctx, "@type": "ImageGallery", "name": spec.headline,
                "headline": spec.headline, "description": content.summary,
                "url": self.canonical, "datePublished": iso_hkt(spec.published_ms),
                "dateModified": iso_hkt(content.updated_ms), "publisher": org,
                "image": [{"@type": "ImageObject", "url": img["url"],
                           "caption": image_title(img)}
                          for img in self.images]})
        else:
            blocks.append(self.ld_article(ctx, org, image_ld, apollo=apollo,
                                          article_body=article_body))
        crumbs = [{"@type": "ListItem", "position": k + 1, "name": level["name"],
                   "item": self.base + level["urlAlias"]}
                  for k, level in enumerate(self.levels)]
        crumbs.append({"@type": "ListItem", "position": len(crumbs) + 1,
                       "name": spec.headline, "item": self.canonical})
        blocks.append({"@context": ctx, "@type": "BreadcrumbList", "itemListElement": crumbs})
        if spec.is_article and self.pick("ld-images", 3):
            blocks.extend({"@context": ctx, "@type": "ImageObject", "url": img["url"],
                           "contentUrl": img["url"],
                           "caption": image_title(img),
                           "creditText": img["credit"], "width": 1200, "height": 800}
                          for img in self.images)
        return blocks

    def ld_author(self, *, apollo: bool) -> Any:
        people = [{"@type": "Person", "name": a, "url": self.base + author_alias(a)}
                  for a in self.spec.authors]
        if apollo and self.pick("ld-author-string", 3) == 0:
            value: Any = people[0] if len(people) == 1 else people
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if len(people) == 1 and self.pick("ld-author-list", 2):
            return people[0]
        return people

    def ld_article(self, ctx: str, org: dict[str, Any], image_ld: dict[str, Any] | None, *,
                   apollo: bool, article_body: bool = True) -> dict[str, Any]:
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
            "datePublished": iso_hkt(spec.published_ms),
            "dateModified": iso_hkt(content.updated_ms),
            "dateCreated": iso_hkt(spec.published_ms),
            "inLanguage": "en-GB",
            "articleSection": spec.section.names[-1],
            "keywords": ", ".join(content.topics),
            "isAccessibleForFree": "False" if content.is_paywalled else "True",
        }
        body = self.ld_article_body(apollo=apollo) if article_body else None
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

    def ld_html(self, *, apollo: bool, article_body: bool = True) -> str:
        """The JSON-LD blocks as scripts; ``article_body=False`` leaves ``articleBody`` out
        (the redesign's pages)."""
        return "".join(f'<script type="application/ld+json">{script_json(block)}</script>'
                       for block in self.ld_blocks(apollo=apollo, article_body=article_body))

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
                  f'content="{iso_hkt(spec.published_ms)}"/>',
                  f'<meta property="article:modified_time" '
                  f'content="{iso_hkt(content.updated_ms)}"/>']
        if spec.is_article:
            parts += [f'<meta property="article:author" '
                      f'content="{esc(self.base + author_alias(a))}"/>' for a in spec.authors]
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
        value = stable_hash(self.seed, "youtube", self.id)
        return "".join(alphabet[(value >> (6 * k)) & 63] for k in range(11))

    def target_size(self) -> int:
        return (MIN_KB + self.pick("weight", MAX_KB - MIN_KB + 1)) * 1024

    def parts(self, head: str, dom: str, before: Sequence[str], after: str) -> list[str]:
        """The page as parts for ``chrome.splice``: ``head``, then ``dom`` and a data script,
        ``before`` and ``after`` the filler that brings the page to its target size."""
        filler = self.filler(head, len(dom) + sum(map(len, before)) + len(after))
        return page_parts(title=self.title, head=head, body=[dom, *before, *filler, after],
                          seed=self.seed)

    def filler(self, head: str, used: int) -> list[str]:
        """Related-content JSON (one valid JSON array, as cached parts) that brings the page to
        its target size: the chrome around ``head`` and body parts of ``used`` characters."""
        used += chrome_length(self.seed) + len(esc(self.title)) + len(head)
        kb = max(1, (self.target_size() - used) // 1024)
        return filler_parts(self.seed, stable_hash(self.seed, "filler", self.id), kb)
