"""A directory of saved pages as one news site: which page is served at which path, what
its listings say about it (title, section, dates), and its edits.

``DIR/index.json`` is a JSON list with one object per page:

``url`` (required)
    the page's original address. The page is served at its path and query on the replica's
    host (the fragment is dropped). A ``url`` that is not http(s) (a label such as
    ``hard::name``) is served at the page's file path.
``file`` (required)
    the saved page, relative to ``DIR``: ``.html``/``.htm`` or gzip-compressed ``.html.gz``
    (bytes as the server sent them; the replica sends them as they are).
``kind``
    ``article`` (the default: listed in the sitemaps, the feed, the section pages and
    ``articles.json``), ``listing`` (a front or section page) or ``page`` (anything else: an
    about page, a search page). Pages of the last two kinds are served and never listed.
``section``
    the section whose page lists the article (a slug, default ``news``).
``published``, ``title``
    overrides of what the page itself says (ISO 8601; text).

Other keys (the web-pages corpus carries ``with``, ``without``, ``author``, ``date``) are
ignored. Files under ``DIR`` that no entry names (every page, when there is no index) are
articles served at their file path (``DIR/a/b.html.gz`` at ``/a/b.html``). A page whose path
is taken by an earlier entry, or is one of the replica's own (``/robots.txt``,
``/sitemap_index.xml``, ``/sitemap_news.xml``, ``/sitemaps/``, ``/feed.xml``, ``/section/``,
``/__replica__/``), is served at its file path too.

Dates: ``published`` from the index, else the page's JSON-LD ``datePublished``, else its
``article:published_time`` meta, else its first ``<time datetime>``; else a date chosen by
the page's path between the oldest and the newest date of the other pages (2026-05-02 to
2026-06-01 when no page has one); a page date before 1991 (a CMS's epoch-zero default) does
not count. The last modification is the page's ``dateModified`` /
``article:modified_time`` when later, then the time of its last edit. The corpus clock is the
newest of all those times; an edit moves it on by a minute and happens then.

The replica reads the pages it is given and does not use newscrawl's extraction: what the
listings say must not depend on the code a crawl of them is testing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from newscrawl.replica import text as gen
from newscrawl.replica.world import DEFAULT_START, stable_hash

KINDS = ("article", "listing", "page")
DEFAULT_SECTION = "news"
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
#: Paths the replica serves itself; a saved page at one of them is served at its file path.
RESERVED_PATHS = ("/robots.txt", "/sitemap_index.xml", "/sitemap_news.xml", "/feed.xml")
RESERVED_PREFIXES = ("/sitemaps/", "/section/", "/__replica__/")
EDIT_STEP_MS = 60_000
EARLIEST_PAGE_DATE_MS = int(datetime(1991, 1, 1, tzinfo=UTC).timestamp()) * 1000
_UNDATED_SPAN_MS = 30 * 86_400_000
_SECTION = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_PARAGRAPH = re.compile(rb"<p(?:\s[^>]*)?>.*?</p\s*>", re.I | re.S)
_TAG = re.compile(rb"<[^>]*>")
#: Markup between two paragraphs that says they belong to different parts of the page.
_RUN_BREAK = re.compile(rb"</(?:article|main)\s*>|<(?:footer|aside|nav|header)[\s>]", re.I)
#: Paragraphs of one story are at most this many bytes of other markup apart. Measured on
#: the 781 pages of ../shared/corpus/web-pages whose story snippets are found: an edit lands
#: inside or right after the story (before the boilerplate that follows it) on 78% of them
#: (47% after the last paragraph of the first-to-last <article> span; 69% with 3000).
PARAGRAPH_RUN_GAP = 500
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


class CorpusError(ValueError):
    """The directory or its index cannot be served: a message for the user."""


@dataclass(frozen=True)
class CorpusConfig:
    """What a corpus replica serves. ``directory`` holds the pages (and ``index.json``)."""

    directory: Path | str
    crawl_delay: float = 10.0  # what robots.txt says
    name: str = "Corpus replica"  # the site's name in the feed and the section pages
    seed: int = 1  # what the text of edits and the generated documents' ETags are keyed on

    def __post_init__(self) -> None:
        if self.crawl_delay < 0:
            raise ValueError("crawl_delay must not be negative")


def path_key(target: str) -> str:
    """A request target as the replica matches it: percent-encoded the way clients send it
    (non-ASCII as UTF-8, spaces), escapes in upper case."""
    quoted = urllib.parse.quote(target, safe="/?&=%:@!$'()*+,;~-._[]")
    return _ESCAPE.sub(lambda m: m.group(0).upper(), quoted)


def split_key(key: str) -> str:
    """The path part of a ``path_key``."""
    return key.split("?", 1)[0]


def is_reserved(key: str) -> bool:
    path = split_key(key)
    return path in RESERVED_PATHS or path.startswith(RESERVED_PREFIXES) or path + "/" in RESERVED_PREFIXES


@dataclass
class PageFacts:
    """What a saved page says about itself, read once when the corpus is loaded."""

    title: str | None = None
    description: str | None = None
    published: tuple[int, str] | None = None  # epoch ms and where it was found
    modified: int | None = None
    charset: str | None = None
    language: str | None = None
    digest: str = ""


@dataclass
class CorpusPage:
    """One served page."""

    key: str  # where it is served: path and query, percent-encoded (``path_key``)
    file: Path
    relative: str  # the file, relative to the directory
    original_url: str | None
    kind: str
    section: str
    title: str
    description: str | None
    published_ms: int
    date_source: str  # index, json-ld, meta, time or none
    modified_ms: int
    charset: str | None
    language: str  # the two letters of <html lang>, else "en"
    digest: str  # of the current bytes: the ETag
    edits: list[str] = field(default_factory=list)  # paragraphs appended, oldest first

    @property
    def version(self) -> int:
        return len(self.edits)

    @property
    def gzipped(self) -> bool:
        return self.file.name.endswith(".gz")

    @property
    def content_type(self) -> str:
        return f"text/html; charset={self.charset}" if self.charset else "text/html"

    def saved_bytes(self) -> tuple[bytes, bytes | None]:
        """The file as saved: its HTML, and its gzip encoding when it is stored so."""
        data = self.file.read_bytes()
        if self.gzipped:
            return gzip.decompress(data), data
        return data, None

    def current(self) -> tuple[bytes, bytes | None]:
        """The page as served now (edits applied), and its gzip encoding if it is the file's."""
        raw, packed = self.saved_bytes()
        if not self.edits:
            return raw, packed
        for paragraph in self.edits:
            raw = append_paragraph(raw, paragraph, self.charset)
        return raw, None


def append_paragraph(html: bytes, text: str, charset: str | None) -> bytes:
    """``html`` with a ``<p>`` of ``text`` after the last paragraph of the story, where a
    reader of it looks for more: the run of ``<p>`` elements with the most text (paragraphs
    less than ``PARAGRAPH_RUN_GAP`` bytes apart, with no end of an ``<article>`` or ``<main>``
    and no start of a footer, aside, navigation or header between them, make one run), else
    before ``</body>``."""
    best_end, best_score = -1, 0
    run_end, run_score = -1, 0
    for match in _PARAGRAPH.finditer(html):
        if (run_end < 0 or match.start() - run_end > PARAGRAPH_RUN_GAP
                or _RUN_BREAK.search(html, run_end, match.start())):
            run_score = 0
        run_end = match.end()
        run_score += len(_TAG.sub(b"", match.group(0)).strip())
        if run_score > best_score:
            best_end, best_score = run_end, run_score
    at = best_end
    if at < 0:
        at = html.lower().rfind(b"</body")
        at = len(html) if at < 0 else at
    encoded = ("<p>" + _escape(text) + "</p>").encode(charset or "utf-8", "xmlcharrefreplace")
    return html[:at] + encoded + html[at:]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def edit_text(seed: int, key: str, version: int) -> str:
    """The paragraph an edit appends unless told what to write: deterministic prose."""
    rng = random.Random(stable_hash(seed, "corpus-edit", key, version))
    return "Update: " + gen.paragraph(rng, (1, 2))


# -- reading a page ---------------------------------------------------------------------------
def read_facts(raw: bytes) -> PageFacts:
    """Title, description, dates and declared charset of a saved page."""
    facts = PageFacts(digest=hashlib.blake2b(raw, digest_size=10).hexdigest())
    facts.charset = declared_charset(raw)
    try:
        root = lxml_html.document_fromstring(raw)
    except (etree.ParserError, ValueError):
        return facts
    lang = (root.get("lang") or "").strip().lower()[:2]
    facts.language = lang if lang.isalpha() and len(lang) == 2 else None
    lds = list(_ld_objects(root))
    article = next((obj for obj in lds if obj.get("datePublished")), None)
    meta = _meta(root)
    facts.title = _first_text(meta.get("og:title"), article and article.get("headline"),
                              root.findtext(".//title"), _h1(root))
    facts.description = _first_text(meta.get("og:description"), meta.get("description"))
    for where, value in (("json-ld", article and article.get("datePublished")),
                         ("meta", meta.get("article:published_time")),
                         ("time", _first_time(root))):
        when = _page_date(value)
        if when is not None:
            facts.published = (when, where)
            break
    facts.modified = _page_date((article or {}).get("dateModified")) or _page_date(
        meta.get("article:modified_time"))
    return facts


def _page_date(value: Any) -> int | None:
    """A date a page gives, unless it is one no page can have: before the web (a CMS's
    epoch-zero default, say)."""
    when = parse_date(value)
    return when if when is not None and when >= EARLIEST_PAGE_DATE_MS else None


def declared_charset(raw: bytes) -> str | None:
    """The charset a page declares (a BOM, a ``<meta>`` in its first 4 KB), if a known one."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    match = _CHARSET.search(raw[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    try:
        "".encode(name)
    except LookupError:
        return None
    return name


def _ld_objects(root: etree._Element):
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        yield from _ld_walk(data)


def _ld_walk(data: Any):
    if isinstance(data, list):
        for item in data:
            yield from _ld_walk(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_walk(data["@graph"])


def _meta(root: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = meta.get("content")
        if name and content and name not in found:
            found[name] = content
    return found


def _h1(root: etree._Element) -> str | None:
    h1 = next(root.iter("h1"), None)
    return h1.text_content() if h1 is not None else None


def _first_time(root: etree._Element) -> str | None:
    for element in root.iter("time"):
        if element.get("datetime"):
            return element.get("datetime")
    return None


def _first_text(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def parse_date(value: Any) -> int | None:
    """An ISO 8601 or RFC 822 date or time as epoch ms (UTC when it names no zone)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp()) * 1000


# -- the corpus -------------------------------------------------------------------------------
@dataclass
class _Entry:
    """An index entry, checked."""

    file: Path
    relative: str
    url: str | None
    kind: str
    section: str
    published: int | None
    title: str | None


class Corpus:
    """The pages of a directory, by the path they are served at."""

    def __init__(self, config: CorpusConfig) -> None:
        self.config = config
        self.directory = Path(config.directory)
        if not self.directory.is_dir():
            raise CorpusError(f"{self.directory} is not a directory")
        self.pages: dict[str, CorpusPage] = {}
        self.by_path: dict[str, list[CorpusPage]] = {}
        self.moved = 0  # pages served at their file path because their own was taken
        entries = self._entries()
        facts = [read_facts(_read(entry.file)) for entry in entries]
        dates = [e.published for e in entries if e.published is not None]
        dates += [f.published[0] for e, f in zip(entries, facts, strict=True)
                  if e.published is None and f.published is not None]
        span = (min(dates), max(dates)) if dates else (
            int(DEFAULT_START.timestamp() * 1000) - _UNDATED_SPAN_MS,
            int(DEFAULT_START.timestamp() * 1000))
        for entry, fact in zip(entries, facts, strict=True):
            self._add(entry, fact, span)
        self.now_ms = max((max(p.published_ms, p.modified_ms) for p in self.pages.values()),
                          default=span[1])

    # -- loading --------------------------------------------------------------------------
    def _entries(self) -> list[_Entry]:
        index = self.directory / "index.json"
        listed: list[_Entry] = []
        if index.exists():
            try:
                data = json.loads(index.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise CorpusError(f"{index}: not JSON ({exc})") from None
            if not isinstance(data, list):
                raise CorpusError(f"{index}: must be a JSON list of {{url, file}} objects")
            listed = [self._entry(n, raw) for n, raw in enumerate(data)]
        named = {entry.relative for entry in listed}
        unlisted = sorted(
            path.relative_to(self.directory).as_posix() for path in self.directory.rglob("*")
            if path.is_file() and path.name.lower().endswith(PAGE_SUFFIXES))
        listed += [_Entry(self.directory / rel, rel, None, "article", DEFAULT_SECTION, None, None)
                   for rel in unlisted if rel not in named]
        return listed

    def _entry(self, n: int, raw: Any) -> _Entry:
        where = f"index.json entry {n}"
        if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
            raise CorpusError(f"{where}: needs a \"file\" (and a \"url\")")
        relative = Path(raw["file"]).as_posix()
        file = self.directory / relative
        if not file.is_file():
            raise CorpusError(f"{where}: no file {file}")
        kind = raw.get("kind", "article")
        if kind not in KINDS:
            raise CorpusError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        section = raw.get("section") or DEFAULT_SECTION
        if not isinstance(section, str) or not _SECTION.match(section):
            raise CorpusError(f"{where}: section {section!r} must be a slug (a-z, 0-9, -)")
        published = None
        if raw.get("published") is not None:
            published = parse_date(raw["published"])
            if published is None:
                raise CorpusError(f"{where}: published {raw['published']!r} is not ISO 8601")
        url = raw.get("url")
        title = raw.get("title")
        return _Entry(file, relative, url.strip() if isinstance(url, str) else None, kind,
                      section, published, title if isinstance(title, str) and title else None)

    def _add(self, entry: _Entry, facts: PageFacts, span: tuple[int, int]) -> None:
        key = _served_key(entry.url)
        if key is None or key in self.pages or is_reserved(key):
            self.moved += key is not None
            key = path_key("/" + _strip_gz(entry.relative))
            if key in self.pages or is_reserved(key):
                raise CorpusError(f"{entry.relative}: its file path {key} is taken by "
                                  f"{self.pages[key].relative if key in self.pages else 'the replica'}")
        if entry.published is not None:
            published, source = entry.published, "index"
        elif facts.published is not None:
            published, source = facts.published
        else:
            lo, hi = span
            published = lo + stable_hash("corpus-date", key) % (hi - lo + 1) // 1000 * 1000
            source = "none"
        page = CorpusPage(
            key=key, file=entry.file, relative=entry.relative,
            original_url=entry.url, kind=entry.kind, section=entry.section,
            title=entry.title or facts.title or _strip_gz(entry.relative).rsplit("/", 1)[-1],
            description=facts.description, published_ms=published, date_source=source,
            modified_ms=max(published, facts.modified or 0), charset=facts.charset,
            language=facts.language or "en", digest=facts.digest)
        self.pages[key] = page
        self.by_path.setdefault(split_key(key), []).append(page)

    # -- looking pages up ---------------------------------------------------------------------
    def find(self, target: str) -> CorpusPage | None:
        """The page a request for ``target`` (path and query, as sent) gets: the page served
        there, else the only page at that path (a server that ignores a query it does not
        know, such as tracking parameters)."""
        key = path_key(target)
        page = self.pages.get(key)
        if page is not None:
            return page
        same_path = self.by_path.get(split_key(key), [])
        return same_path[0] if len(same_path) == 1 else None

    def articles(self) -> list[CorpusPage]:
        """The articles, newest first (then by path, so the order is total)."""
        return sorted((p for p in self.pages.values() if p.kind == "article"),
                      key=lambda p: (-p.published_ms, p.key))

    def sections(self) -> list[str]:
        return sorted({p.section for p in self.pages.values() if p.kind == "article"})

    # -- changing pages ---------------------------------------------------------------------
    def edit(self, page: CorpusPage, text: str | None = None) -> tuple[str, bytes]:
        """Append a paragraph to ``page`` (``text``, else deterministic prose): a new version,
        modified at the corpus clock moved on by a minute. Return the paragraph and the bytes."""
        paragraph = text if text else edit_text(self.config.seed, page.key, page.version + 1)
        page.edits.append(" ".join(paragraph.split()))
        raw = page.current()[0]
        page.digest = hashlib.blake2b(raw, digest_size=10).hexdigest()
        self.now_ms = max(self.now_ms, page.modified_ms) + EDIT_STEP_MS
        page.modified_ms = self.now_ms
        return page.edits[-1], raw


def _read(file: Path) -> bytes:
    data = file.read_bytes()
    if file.name.endswith(".gz"):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise CorpusError(f"{file}: not gzip ({exc})") from None
    return data


def _strip_gz(relative: str) -> str:
    return relative[:-3] if relative.endswith(".gz") else relative


def _served_key(url: str | None) -> str | None:
    """Where the page of an index ``url`` is served (None if ``url`` is no http(s) URL)."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    return path_key(target)


__all__ = ["KINDS", "Corpus", "CorpusConfig", "CorpusError", "CorpusPage", "append_paragraph",
           "parse_date", "path_key", "read_facts"]
