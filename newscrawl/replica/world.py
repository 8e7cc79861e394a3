"""The replica's world: which items exist, when, in which version, and what they say.

Everything is a pure function of ``(seed, index)`` plus the replica clock, so 100,000
articles cost nothing until they are asked for, and two replicas with the same seed serve
byte-identical sites.

Items are numbered 0, 1, 2, ... in publication order. Item ``i`` is published at
``origin + i * interval + jitter(i)`` with ``0 <= jitter < interval``, so publication time
is strictly increasing with ``i`` and "how many items exist at time t" is a division. At the
start clock exactly ``config.articles`` items exist; items with a larger index are due in the
future and appear as the clock advances. Some articles are edited after publication: each
carries a list of update times, and its version at time ``t`` is the number of updates
before ``t``.

``ArticleContent`` is what an item says in one version: the body as the node tree of
MARKUP.md 2.1 (with every placeholder, ad slot, pull quote and related link the real site
mixes in) and, generated alongside it, the truth record a perfect extractor must produce.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from newscrawl.replica import text as gen

ID_BASE = 3_200_000
DEFAULT_START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
#: Hong Kong time: the site prints its dates in it, and its editors count months in it.
HKT = timezone(timedelta(hours=8))
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: The GraphQL ``__typename`` of each kind of item.
TYPENAMES = {"article": "Article", "opinion": "Article", "video": "Video", "gallery": "Gallery"}

#: Strings of MARKUP.md 2.2 that are page furniture, never article text. The generator never
#: produces them in body text; a record whose body contains one has leaked boilerplate.
BOILERPLATE_STRINGS = (
    "Advertisement", "Reading Time", "Why you can trust SCMP", "Select Voice",
    "Choose your listening speed", "Get through articles 2x faster", "1.25x", "250 WPM",
    "More on this", "Link Copied", "+ FOLLOW", "READ FULL ARTICLE", "By registering, you agree",
    "READ MORE", "This story has been made freely available",
)
PUBLIC_SERVICE_NOTICE = ("This story has been made freely available as a public service to our "
                         "readers. If you like our work, please consider subscribing.")


@dataclass(frozen=True)
class Section:
    path: str  # url path without leading slash: "news/china/diplomacy"
    names: tuple[str, ...]  # the section path as the site names it
    weight: int  # share of items published in this section
    places: tuple[str, ...]
    topic_group: str

    @property
    def url(self) -> str:
        return "/" + self.path

    @property
    def levels(self) -> list[dict[str, str]]:
        return section_levels(self.path, self.names)


SECTIONS: tuple[Section, ...] = (
    Section("news/hong-kong", ("News", "Hong Kong"), 10, ("Hong Kong", "Kowloon", "Sha Tin", "Tuen Mun"), "news"),
    Section("news/hong-kong/politics", ("News", "Hong Kong", "Politics"), 5, ("Hong Kong",), "news"),
    Section("news/china", ("News", "China"), 8, ("Beijing", "Shanghai", "Shenzhen", "Wuhan", "Chengdu"), "news"),
    Section("news/china/diplomacy", ("News", "China", "Diplomacy"), 5, ("Beijing", "Washington", "Brussels"), "news"),
    Section("news/asia", ("News", "Asia"), 7, ("Singapore", "Jakarta", "Manila", "Seoul", "Tokyo"), "news"),
    Section("news/world", ("News", "World"), 6, ("Washington", "London", "Geneva", "Nairobi"), "news"),
    Section("business", ("Business",), 6, ("Hong Kong", "Shanghai", "Singapore"), "business"),
    Section("business/markets", ("Business", "Markets"), 3, ("Hong Kong", "Shanghai"), "business"),
    Section("economy", ("Economy",), 4, ("Beijing", "Hong Kong", "Shenzhen"), "business"),
    Section("tech", ("Tech",), 4, ("Shenzhen", "Hangzhou", "Beijing"), "tech"),
    Section("tech/big-tech", ("Tech", "Big Tech"), 3, ("Shenzhen", "Hangzhou"), "tech"),
    Section("opinion/comment", ("Opinion", "Comment"), 5, ("Hong Kong", "Beijing", "Washington"), "opinion"),
    Section("lifestyle", ("Lifestyle",), 3, ("Hong Kong", "Macau", "Tokyo"), "lifestyle"),
    Section("sport", ("Sport",), 4, ("Hong Kong", "Sha Tin", "Tokyo"), "sport"),
    Section("week-asia", ("This Week in Asia",), 3, ("Jakarta", "Manila", "Hanoi", "Bangkok"), "news"),
)
SECTION_BY_PATH = {s.path: s for s in SECTIONS}
_SECTION_CUMULATIVE = []
_total = 0
for _s in SECTIONS:
    _total += _s.weight
    _SECTION_CUMULATIVE.append(_total)

#: Section pages the replica serves: every section above plus the top-level parents.
SECTION_PAGES: tuple[str, ...] = tuple(sorted(
    {s.path for s in SECTIONS} | {s.path.split("/")[0] for s in SECTIONS if "/" in s.path
                                  and s.path.split("/")[0] != "news"}
    | {"news/hong-kong", "news/china", "news/asia", "news/world", "opinion"}
))

#: RSS feed ids of MARKUP.md 6 and the section subtree each one covers ("" = everything).
RSS_FEEDS: dict[str, str] = {
    "91": "news", "2": "news/hong-kong", "4": "news/china", "3": "news/asia", "5": "news/world",
    "92": "business", "36": "tech", "94": "lifestyle", "95": "sport",
}

WIRE_AUTHORS = ("Reuters", "Agence France-Presse", "Associated Press", "Bloomberg")


def in_section(section_path: str, subtree: str) -> bool:
    """True if ``section_path`` is ``subtree`` or below it ("" matches everything)."""
    return not subtree or section_path == subtree or section_path.startswith(subtree + "/")


def stable_hash(*parts: object) -> int:
    """A 64-bit number that stands for ``parts``, the same on every machine and run: what
    every deterministic choice of the replica is keyed on."""
    data = ":".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def iso(ms: int) -> str:
    """Epoch milliseconds to ISO 8601 UTC with a Z, second precision."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(ms: int) -> str:
    """ISO 8601 UTC with milliseconds: ``2026-05-26T08:30:17.000Z`` (the pages' ``<time>``)."""
    return (datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{ms % 1000:03d}Z")


def author_alias(name: str) -> str:
    """The path of an author's page: ``/author/ka-man-chan``."""
    return "/author/" + name.lower().replace(" ", "-")


def section_levels(path: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """A section path as the site's data gives it: ``[{name, urlAlias}, ...]``, top first."""
    parts = path.split("/")
    return [{"name": name, "urlAlias": "/" + "/".join(parts[: k + 1])}
            for k, name in enumerate(names)]


def image_title(image: dict[str, str]) -> str:
    """An image's title as the site writes it, credit included: "... Photo: Sam Tsang"."""
    return f"{image['caption']} Photo: {image['credit']}"


@dataclass(frozen=True)
class ReplicaConfig:
    """What a replica serves. Everything else follows from these values."""

    articles: int = 5000  # items that exist at the start clock
    seed: int = 1
    crawl_delay: float = 10.0  # what robots.txt says
    apollo_share: float = 0.15  # share of articles of the Apollo generation
    start: datetime = DEFAULT_START  # the clock at start-up
    minutes_per_item: float = 30.0  # mean spacing of publications
    # The Google News sitemap "existed up to 2023; whether it still does is unknown"
    # (MARKUP.md 6): False serves the site without it (404, no robots.txt line).
    news_sitemap: bool = True
    # Article pages in the markup of the redesign (pages/article/redesign.py) from the start
    # clock on, as after POST /__replica__/redesign.
    redesigned: bool = False

    def __post_init__(self) -> None:
        if self.articles < 1:
            raise ValueError("articles must be at least 1")
        if not 0 <= self.apollo_share <= 1:
            raise ValueError("apollo_share must be between 0 and 1")
        if self.crawl_delay < 0:
            raise ValueError("crawl_delay must not be negative")
        if self.minutes_per_item <= 0:
            raise ValueError("minutes_per_item must be positive")


@dataclass(frozen=True)
class ItemSpec:
    """The cheap facts about one item: enough for listings, feeds and sitemaps."""

    index: int
    article_id: int
    kind: str  # article | opinion | video | gallery
    section: Section
    published_ms: int
    update_ms: tuple[int, ...]  # times of later edits, ascending
    generation: str  # nextjs | apollo
    access: str  # free | metered | plus
    sponsored: bool
    variant: str  # full | nextdata_broken | nextdata_missing (a source missing or broken)
    duplicate_of: int | None  # index of the original of a syndicated copy
    headline: str
    social_headline: str
    slug: str
    old_slug: str | None  # a slug the article had before; requests for it redirect
    authors: tuple[str, ...]
    place: str
    public_service: bool
    legacy_opinion_path: bool

    @property
    def path(self) -> str:
        """The canonical path of the item's page."""
        if self.kind == "video":
            return f"/video/{self.section.path.split('/')[0]}/{self.article_id}/{self.slug}"
        if self.access == "plus":
            return f"/plus/article/{self.article_id}/{self.slug}"
        if self.legacy_opinion_path:
            return f"/comment/opinion/article/{self.article_id}/{self.slug}"
        return f"/{self.section.path}/article/{self.article_id}/{self.slug}"

    @property
    def old_path(self) -> str | None:
        if not self.old_slug:
            return None
        return self.path.rsplit("/", 1)[0] + "/" + self.old_slug

    @property
    def is_article(self) -> bool:
        return self.kind in ("article", "opinion")

    def version_at(self, now_ms: int) -> int:
        return bisect.bisect_left(self.update_ms, now_ms)

    def updated_ms(self, version: int) -> int:
        return self.published_ms if version == 0 else self.update_ms[version - 1]


@dataclass
class Paragraph:
    """A body paragraph as inline segments: ("text"|"em"|"strong"|"a", text, href)."""

    segments: list[tuple[str, str, str | None]]

    @property
    def text(self) -> str:
        return "".join(seg[1] for seg in self.segments)


@dataclass
class ArticleContent:
    """One item in one version: the node tree the site serves and the truth it implies."""

    spec: ItemSpec
    version: int
    updated_ms: int
    summary: str
    subheadline: list[str]
    topics: list[str]
    body_nodes: list[dict[str, Any]]  # MARKUP.md 2.1 body.json
    paragraphs: list[str]  # the truth body, in order
    images: list[dict[str, str]]  # truth images: url (path), caption, credit
    author_bios: list[str] = field(default_factory=list)
    served_paragraphs_total: int = 0

    @property
    def is_truncated(self) -> bool:
        return self.spec.access == "plus"

    @property
    def is_paywalled(self) -> bool:
        return self.spec.access in ("metered", "plus")

    def truth(self, base: str) -> dict[str, Any]:
        spec = self.spec
        body = self.paragraphs if spec.is_article else []
        return {
            "article_id": str(spec.article_id),
            "canonical_url": base + spec.path,
            "kind": spec.kind,
            "headline": spec.headline,
            "social_headline": spec.social_headline,
            "subheadline": list(self.subheadline),
            "summary": self.summary,
            "authors": list(spec.authors),
            "published_at": iso(spec.published_ms),
            "updated_at": iso(self.updated_ms),
            "section": list(spec.section.names),
            "section_url": spec.section.url,
            "topics": list(self.topics),
            "body": list(body),
            "word_count": sum(len(p.split()) for p in body),
            "images": [dict(img, url=base + img["url"]) for img in self.images],
            "language": "en",
            "is_paywalled": self.is_paywalled,
            "is_truncated": self.is_truncated,
            "is_sponsored": spec.sponsored,
            "duplicate_of": None,  # filled in by World.truth, which knows the original's id
            "generation": spec.generation,
            "version": self.version,
        }


class World:
    """The replica's items and clock."""

    def __init__(self, config: ReplicaConfig) -> None:
        self.config = config
        self.interval_ms = int(config.minutes_per_item * 60_000)
        self.start_ms = int(config.start.timestamp() * 1000)
        self.origin_ms = self.start_ms - config.articles * self.interval_ms
        self.now_ms = self.start_ms
        self.spec = lru_cache(maxsize=50_000)(self._spec)
        self.content = lru_cache(maxsize=2_000)(self._content)

    # -- time ---------------------------------------------------------------
    def published_ms(self, index: int) -> int:
        jitter = stable_hash(self.config.seed, "t", index) % self.interval_ms
        return (self.origin_ms + index * self.interval_ms + jitter) // 1000 * 1000

    def count_at(self, t_ms: int) -> int:
        """How many items are published strictly before ``t_ms``."""
        if t_ms <= self.origin_ms:
            return 0
        k = (t_ms - self.origin_ms) // self.interval_ms
        return int(k + (self.published_ms(k) < t_ms))

    def first_index_at_or_after(self, t_ms: int) -> int:
        return self.count_at(t_ms)

    @property
    def count(self) -> int:
        return self.count_at(self.now_ms)

    def advance(self, minutes: float) -> dict[str, list[int]]:
        """Move the clock on; return the ids published and updated in the window."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        before, after = self.now_ms, self.now_ms + int(minutes * 60_000)
        first_new, end = self.count_at(before), self.count_at(after)
        published = [self.spec(i).article_id for i in range(first_new, end)]
        updated = []
        # Updates happen within 48 hours of publication (see _spec).
        lookback = self.count_at(before - 49 * 3_600_000)
        for i in range(lookback, first_new):
            spec = self.spec(i)
            if spec.version_at(after) != spec.version_at(before):
                updated.append(spec.article_id)
        self.now_ms = after
        return {"published": published, "updated": updated}

    # -- identity -----------------------------------------------------------
    def uuid(self, article_id: int) -> str:
        """The item's ``entityUuid``."""
        h = hashlib.md5(f"uuid:{self.config.seed}:{article_id}".encode()).hexdigest()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    def article_id(self, index: int) -> int:
        return ID_BASE + 3 * index + stable_hash(self.config.seed, "id", index) % 3

    def index_of(self, article_id: int) -> int | None:
        """The index of a published item with this id, or None."""
        index = (article_id - ID_BASE) // 3
        if index < 0 or index >= self.count or self.article_id(index) != article_id:
            return None
        return index

    # -- items --------------------------------------------------------------
    def _spec(self, index: int) -> ItemSpec:
        seed = self.config.seed
        rng = random.Random(stable_hash(seed, "spec", index))
        pick = rng.random() * _total
        section = SECTIONS[bisect.bisect_right(_SECTION_CUMULATIVE, pick)]
        kind, section = _kind(rng, section)
        published = self.published_ms(index)
        place = rng.choice(section.places)
        generation = "apollo" if rng.random() < self.config.apollo_share else "nextjs"
        access, sponsored, variant = _access(rng, kind, generation)
        headline = gen.headline(rng, place)
        social = gen._cap(f"{place}: {gen.phrase(rng)} {rng.choice(gen.VERBS_PAST)}")
        authors = _authors(rng, kind)
        updates = _updates(rng, kind, published)
        duplicate_of = None
        if kind == "article" and index > 5 and rng.random() < 0.03 and not sponsored:
            candidate = index - rng.randint(1, 40)
            if candidate >= 0:
                orig = self.spec(candidate)
                if orig.kind in ("article", "opinion") and orig.duplicate_of is None \
                        and orig.access != "plus" and orig.kind == "article":
                    duplicate_of = candidate
                    headline = _syndicated_headline(orig.headline, rng)
                    social, place = orig.social_headline, orig.place
                    authors = (rng.choice(WIRE_AUTHORS),)
                    section, updates, access = orig.section, [], orig.access
                    generation, variant = "nextjs", "full"
        slug = gen.slugify(headline)
        old_slug = _old_slug(rng, kind, place, slug)
        legacy_opinion = kind == "opinion" and generation == "apollo" and rng.random() < 0.5
        return ItemSpec(
            index=index, article_id=self.article_id(index), kind=kind, section=section,
            published_ms=published, update_ms=tuple(sorted(updates)), generation=generation,
            access=access, sponsored=sponsored, variant=variant, duplicate_of=duplicate_of,
            headline=headline, social_headline=social, slug=slug, old_slug=old_slug,
            authors=authors, place=place,
            public_service=rng.random() < 0.03 and kind in ("article", "opinion"),
            legacy_opinion_path=legacy_opinion,
        )

    def _content(self, index: int, version: int) -> ArticleContent:
        spec = self.spec(index)
        if spec.duplicate_of is not None:
            original = self.content(spec.duplicate_of, 0)
            return _syndicate(self, spec, original)
        return _build_content(self, spec, version)

    def content_at(self, index: int, now_ms: int | None = None) -> ArticleContent:
        spec = self.spec(index)
        return self.content(index, spec.version_at(self.now_ms if now_ms is None else now_ms))

    def truth(self, index: int, base: str) -> dict[str, Any]:
        record = self.content_at(index).truth(base)
        spec = self.spec(index)
        if spec.duplicate_of is not None:
            record["duplicate_of"] = str(self.article_id(spec.duplicate_of))
        return record

    def image_path(self, index: int, n: int) -> str:
        day = datetime.fromtimestamp(self.published_ms(index) / 1000, UTC)
        token = f"{stable_hash(self.config.seed, 'img', index, n):016x}"
        return f"/d8/images/canvas/{day:%Y/%m/%d}/{token}.jpg"

    # -- listings -----------------------------------------------------------
    def newest_first(self, subtree: str = "", before_index: int | None = None,
                     articles_only: bool = False):
        """Yield published specs in ``subtree``, newest first, older than ``before_index``."""
        i = self.count - 1 if before_index is None else min(before_index, self.count) - 1
        while i >= 0:
            spec = self.spec(i)
            if in_section(spec.section.path, subtree) and (spec.is_article or not articles_only):
                yield spec
            i -= 1

    def between(self, since_ms: int, until_ms: int):
        """Yield published specs with since <= published < until, oldest first."""
        until_ms = min(until_ms, self.now_ms)
        for i in range(self.count_at(since_ms), self.count_at(until_ms)):
            yield self.spec(i)


def _kind(rng: random.Random, section: Section) -> tuple[str, Section]:
    """What an item is (video, gallery, opinion, article), and its section for that kind."""
    roll = rng.random()
    if roll < 0.03:
        kind = "video"
    elif roll < 0.05:
        kind = "gallery"
    else:
        kind = "opinion" if section.topic_group == "opinion" else "article"
    if kind in ("video", "gallery") and section.topic_group == "opinion":
        section = SECTION_BY_PATH["news/hong-kong"]
    return kind, section


def _access(rng: random.Random, kind: str, generation: str) -> tuple[str, bool, str]:
    """Who may read an item (plus, metered, free), whether it is sponsored, and the state of
    its Next.js payload (full, broken, missing)."""
    access_roll = rng.random()
    access = "plus" if access_roll < 0.04 else "metered" if access_roll < 0.34 else "free"
    sponsored = rng.random() < 0.03 and kind == "article"
    if sponsored or kind in ("video", "gallery"):
        access = "free"
    variant_roll = rng.random()
    variant = ("nextdata_broken" if variant_roll < 0.02 else
               "nextdata_missing" if variant_roll < 0.03 else "full")
    if generation == "apollo" or kind != "article" and kind != "opinion":
        variant = "full"
    return access, sponsored, variant


def _authors(rng: random.Random, kind: str) -> tuple[str, ...]:
    if kind == "opinion":
        return (gen.person(rng),)
    n = 1 if rng.random() < 0.7 else 2 if rng.random() < 0.85 else 3
    return tuple(dict.fromkeys(gen.person(rng) for _ in range(n)))


def _updates(rng: random.Random, kind: str, published: int) -> list[int]:
    """When a story is edited after publication (epoch ms), if it is."""
    updates: list[int] = []
    if kind in ("article", "opinion") and rng.random() < 0.35:
        for _ in range(1 if rng.random() < 0.7 else 2):
            updates.append(published + rng.randint(45 * 60, 48 * 3600) * 1000)
    return updates


def _old_slug(rng: random.Random, kind: str, place: str, slug: str) -> str | None:
    """The slug a renamed story had, whose URL now redirects."""
    if kind in ("article", "opinion") and rng.random() < 0.08:
        old = gen.slugify(gen.headline(rng, place))
        return old if old != slug else None
    return None


def _syndicated_headline(headline: str, rng: random.Random) -> str:
    words = headline.split()
    if len(words) > 6:
        words[rng.randint(2, len(words) - 2)] = rng.choice(("plan", "move", "row", "push", "bid"))
    return " ".join(words)


def _split_inline(rng: random.Random, text: str, link_host: str) -> list[tuple[str, str, str | None]]:
    """Mark up some words of a paragraph as a link, emphasis or strong text."""
    if rng.random() > 0.35 or len(text) < 60:
        return [("text", text, None)]
    words = text.split(" ")
    a = rng.randint(1, max(1, len(words) - 4))
    b = min(len(words) - 1, a + rng.randint(1, 3))
    kind = rng.choice(("a", "a", "em", "strong"))
    href = None
    if kind == "a":
        href = rng.choice((f"{link_host}/news/hong-kong/article/{ID_BASE + rng.randint(0, 90000)}/story",
                           "https://www.info.gov.hk/gia/general/",
                           "https://www.reuters.com/world/"))
    segs: list[tuple[str, str, str | None]] = [("text", " ".join(words[:a]) + " ", None),
                                               (kind, " ".join(words[a:b]), href),
                                               ("text", " " + " ".join(words[b:]), None)]
    return segs


def _p_node(par: Paragraph) -> dict[str, Any]:
    children: list[dict[str, Any]] = []
    for kind, txt, href in par.segments:
        leaf = {"type": "text", "data": txt}
        if kind == "text":
            children.append(leaf)
        elif kind == "a":
            children.append({"type": "a", "attribs": {"href": href, "target": "_blank"}, "children": [leaf]})
        else:
            children.append({"type": kind, "children": [leaf]})
    return {"type": "p", "children": children}


def _text_node(kind: str, txt: str) -> dict[str, Any]:
    return {"type": kind, "children": [{"type": "text", "data": txt}]}


def _img_node(image: dict[str, str]) -> dict[str, Any]:
    return {"type": "img", "attribs": {"src": image["url"], "alt": image["caption"],
                                       "title": image_title(image)}}


def _build_content(world: World, spec: ItemSpec, version: int) -> ArticleContent:
    # Every draw from ``rng`` happens in one fixed order: the same seed serves the same page.
    seed = world.config.seed
    rng = random.Random(stable_hash(seed, "body", spec.index))
    place = spec.place
    summary = gen.sentence(rng)
    bullets = gen.bullets(rng, place) if rng.random() < 0.85 else []
    pool = gen.TOPIC_POOL[spec.section.topic_group]
    topics = list(dict.fromkeys(rng.choice(pool) for _ in range(rng.randint(2, 4))))
    leading_credit = rng.choice(gen.CREDITS)
    images = [{"url": world.image_path(spec.index, 0), "caption": gen.caption(rng, place),
               "credit": leading_credit}]
    if spec.kind in ("video", "gallery"):
        nodes = _media_nodes(rng, world, spec, summary, images)
        return ArticleContent(spec, 0, spec.published_ms, summary, [], topics, nodes, [], images)
    pars = _paragraphs(rng, seed, spec, version)
    extras = _Extras.draw(rng, world, spec)
    served = pars[:3] if spec.access == "plus" else pars
    nodes, truth = _body_nodes(rng, spec, served, extras)
    # Inline images sit after paragraphs 4 and 7: a truncated body serves fewer of them.
    images.extend(img for n, img in enumerate(extras.inline_images) if len(served) > (3, 6)[n])
    bio = extras.bio
    return ArticleContent(spec, version, spec.updated_ms(version), summary, bullets, topics,
                          nodes, truth, images, [bio] if bio else [], len(served))


def _media_nodes(rng: random.Random, world: World, spec: ItemSpec, summary: str,
                 images: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The body of a video page (its summary) or a gallery (its pictures, added to images)."""
    if spec.kind == "video":
        return [_text_node("p", summary)]
    for n in range(1, rng.randint(5, 12)):
        images.append({"url": world.image_path(spec.index, n),
                       "caption": gen.caption(rng, spec.place), "credit": rng.choice(gen.CREDITS)})
    return [{"type": "div", "attribs": {"class": "photo-gallery"}, "children": [
        _img_node(img) for img in images[1:]]}]


def _paragraphs(rng: random.Random, seed: int, spec: ItemSpec, version: int) -> list[Paragraph]:
    """The story's paragraphs as of ``version``."""
    n_pars = rng.randint(6, 20)
    pars = [Paragraph(_split_inline(rng, gen.paragraph(rng), ""))
            for _ in range(n_pars)]
    # Editorial edits, one per version: a sentence rewritten or a paragraph added.
    for v in range(1, version + 1):
        erng = random.Random(stable_hash(seed, "edit", spec.index, v))
        if erng.random() < 0.5 and pars:
            k = erng.randrange(len(pars))
            pars[k] = Paragraph([("text", gen.paragraph(erng, (1, 2)), None)])
        else:
            pars.insert(erng.randint(len(pars) // 2, len(pars)),
                        Paragraph([("text", gen.paragraph(erng, (1, 2)), None)]))
    return pars


@dataclass
class _Extras:
    """What a story's body holds besides its paragraphs."""

    subhead: str | None
    list_items: list[str]
    inline_images: list[dict[str, str]]
    has_pull_quote: bool
    has_read_more: bool
    has_tweet: bool
    has_youtube: bool
    read_more_id: int
    read_more_headline: str
    bio: str | None

    @classmethod
    def draw(cls, rng: random.Random, world: World, spec: ItemSpec) -> _Extras:
        place = spec.place
        subhead = gen._cap(gen.phrase(rng) + " in " + place) if rng.random() < 0.3 else None
        list_items = [gen.sentence(rng) for _ in range(rng.randint(2, 4))] \
            if rng.random() < 0.15 else []
        inline_images = []
        for n in range(1, 1 + (rng.random() < 0.4) + (rng.random() < 0.15)):
            inline_images.append({"url": world.image_path(spec.index, n),
                                  "caption": gen.caption(rng, place),
                                  "credit": rng.choice(gen.CREDITS)})
        has_pull_quote = rng.random() < 0.3
        has_read_more = rng.random() < 0.5
        has_tweet = rng.random() < 0.05
        has_youtube = rng.random() < 0.1
        read_more_id = ID_BASE + rng.randint(0, 3 * max(1, spec.index))
        read_more_headline = gen.headline(rng, rng.choice(gen.PLACES))
        bio = gen.bio(rng, spec.authors[0]) if spec.kind == "opinion" else None
        return cls(subhead, list_items, inline_images, has_pull_quote, has_read_more, has_tweet,
                   has_youtube, read_more_id, read_more_headline, bio)


def _body_nodes(rng: random.Random, spec: ItemSpec, served: list[Paragraph],
                extras: _Extras) -> tuple[list[dict[str, Any]], list[str]]:
    """The body's node tree, and its truth: the paragraphs, subheading and list items."""
    nodes: list[dict[str, Any]] = []
    truth: list[str] = []
    if spec.public_service:
        nodes.append({"type": "p", "children": [_text_node("em", PUBLIC_SERVICE_NOTICE)]})
    old_style = spec.generation == "apollo"
    for k, par in enumerate(served):
        nodes.append(_p_node(par))
        truth.append(par.text)
        _after_paragraph(k, rng, spec, served, extras, nodes, truth)
        if k == len(served) // 2:
            nodes.append({"type": "native-ads" if old_style else "track-viewed-percentage",
                          "attribs": {"data-percentage": "50"}})
    if extras.bio and spec.access != "plus":
        nodes.append({"type": "p", "children": [_text_node("em", extras.bio)]})
    nodes.append({"type": "reading-100-percent-completion-tracker" if old_style
                  else "track-viewed-percentage", "attribs": {"data-percentage": "100"}})
    return nodes, truth


def _after_paragraph(k: int, rng: random.Random, spec: ItemSpec, served: list[Paragraph],
                     extras: _Extras, nodes: list[dict[str, Any]], truth: list[str]) -> None:
    """What the body holds after its ``k``-th paragraph: ads, widgets, a subheading..."""
    old_style = spec.generation == "apollo"
    if k == 1:
        nodes.append({"type": "ad1" if old_style else "inline-ad-slot",
                      "attribs": {"data-position": "1"}})
    elif k == 2 and extras.has_read_more and spec.access != "plus":
        headline = extras.read_more_headline
        nodes.append({"type": "h3", "children": [{"type": "a", "attribs": {
            "href": f"/news/hong-kong/article/{extras.read_more_id}/{gen.slugify(headline)}"},
            "children": [{"type": "text", "data": headline}]}]})
    elif k == 3:
        _after_third(extras, nodes, truth)
    elif k == 4:
        nodes.append({"type": "outstream-1" if old_style else "inline-widget",
                      "attribs": {"data-widget": "newsletter"}})
        if extras.has_pull_quote:
            quote = served[rng.randrange(k)].text.split(". ")[0].rstrip(".") + "."
            nodes.append({"type": "blockquote-quote", "children": [
                _text_node("p", quote), _text_node("p", spec.authors[0])]})
    elif k == 5 and extras.has_youtube:
        nodes.append({"type": "iframe", "attribs": {
            "src": f"https://www.youtube.com/embed/{stable_hash(spec.index, 'yt') % 10**10:010d}",
            "width": "560", "height": "315"}})
    elif k == 6:
        _after_sixth(rng, extras, nodes)


def _after_third(extras: _Extras, nodes: list[dict[str, Any]], truth: list[str]) -> None:
    if extras.subhead:
        nodes.append(_text_node("h3", extras.subhead))
        truth.append(extras.subhead)
    if extras.list_items:
        nodes.append({"type": "ul", "children": [_text_node("li", li)
                                                 for li in extras.list_items]})
        truth.extend(extras.list_items)
    if extras.inline_images:
        nodes.append(_img_node(extras.inline_images[0]))


def _after_sixth(rng: random.Random, extras: _Extras, nodes: list[dict[str, Any]]) -> None:
    if extras.has_tweet:
        nodes.append({"type": "blockquote", "attribs": {"class": "twitter-tweet"}, "children": [
            _text_node("p", gen.sentence(rng)),
            {"type": "a", "attribs": {"href": "https://twitter.com/scmpnews/status/1"},
             "children": [{"type": "text", "data": "— SCMP News (@SCMPNews)"}]}]})
        nodes.append({"type": "script", "attribs": {"src": "https://platform.twitter.com/widgets.js"}})
    if len(extras.inline_images) > 1:
        nodes.append(_img_node(extras.inline_images[1]))


def _syndicate(world: World, spec: ItemSpec, original: ArticleContent) -> ArticleContent:
    """A wire copy of ``original``: same story, lightly edited, under another id."""
    rng = random.Random(stable_hash(world.config.seed, "syndicate", spec.index))
    pars = list(original.paragraphs)
    if len(pars) > 4:
        pars.pop()
    k = rng.randrange(len(pars))
    sentences = pars[k].split(". ")
    sentences[-1] = gen.sentence(rng).rstrip(".")
    pars[k] = ". ".join(sentences) + "."
    pars[0] = f"{spec.place.upper()} — " + pars[0]
    nodes = []
    for n, par in enumerate(pars):
        nodes.append(_text_node("p", par))
        if n == 1:
            nodes.append({"type": "inline-ad-slot", "attribs": {"data-position": "1"}})
    images = original.images[:1]
    return ArticleContent(spec, 0, spec.published_ms, original.summary, list(original.subheadline),
                          list(original.topics), nodes, pars, images)
