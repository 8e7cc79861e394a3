"""Rebuild the golden fixtures of SCMP's current parser version (STYLE.md example 10), in
tests/goldens/scmp/<version>/ (``tests/goldens/scmp/V1`` for ``scmp.V1``).

    .venv/bin/python scripts/regenerate_goldens.py          # rewrite every golden
    .venv/bin/python scripts/regenerate_goldens.py --check  # only report what would change

Each golden is a page as the replica serves it (rendered for ``https://www.scmp.com``, so the
fixtures carry the real site's host names), or a hand-made variant of one (a source removed
or broken by an edit made here: a ``Case``'s ``edit``), stored as ``<name>.html.gz`` beside
``<name>.json`` = ``{"url", "fetched_at", "expected"}``. ``expected`` is what the current
parser returns: the Article as a dict, or ``{"error": "NotAnArticle", "reason": ...}``. The
parser is the registry's current version (``get_outlet("scmp").current_parser``): the
replica serves today's site, and an older version's goldens stay as they were.

The expected records are *not* checked by this script, you check them: for every page taken
from the replica it prints where the record differs from the replica's truth (a JSON-LD-only
page is expected to differ in its body, which has no paragraph breaks). Review that report
and the diff of the JSON files like code, then commit both. Never run this in CI.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newscrawl.extraction.dates import parse_utc  # noqa: E402
from newscrawl.extraction.errors import PageRejected  # noqa: E402
from newscrawl.outlets import get_outlet  # noqa: E402
from newscrawl.replica import ReplicaConfig, World  # noqa: E402
from newscrawl.replica.pages.article import (  # noqa: E402
    render_amp_page,
    render_article_page,
)
from newscrawl.replica.world import ArticleContent, ItemSpec  # noqa: E402

OUTLET = get_outlet("scmp")
PARSER = OUTLET.current_parser
GOLDEN_DIR = ROOT / "tests" / "goldens" / OUTLET.name / OUTLET.version_suffix(PARSER)
BASE = "https://www.scmp.com"
FETCHED_AT = "2026-06-01T08:00:00Z"
WORLD_CONFIG = ReplicaConfig(articles=300, seed=1)
TRACKING = "?utm_source=rss_feed&utm_medium=feed&module=perpetual_scroll_0&pgtype=article"


@dataclass
class Case:
    name: str
    pick: Callable[[World, ItemSpec, ArticleContent, str], bool]  # (world, spec, content, html)
    render: str = "page"  # "page", "amp", "malformed" (a broken __NEXT_DATA__)
    edit: Callable[[str], str] | None = None  # a hand-made variant of the served page
    url: Callable[[ItemSpec], str] | None = None  # the URL the page was fetched from
    note: str = ""


def _inline_images(content: ArticleContent) -> int:
    return sum(1 for node in content.body_nodes if node.get("type") == "img")


def _plain(spec: ItemSpec) -> bool:
    """A page with no special access, sponsorship or syndication."""
    return (spec.access == "free" and not spec.sponsored and spec.duplicate_of is None
            and spec.variant == "full" and spec.is_article)


def _strip_next_data(html: str) -> str:
    return re.sub(r'<script id="__NEXT_DATA__"[^>]*>.*?</script>', "", html, count=1, flags=re.S)


def _json_ld_only(html: str) -> str:
    """Keep only the head and its JSON-LD: no __NEXT_DATA__, no Apollo state, no DOM body."""
    html = _strip_next_data(html)
    return re.sub(r"<body>.*</body>", "<body><main></main></body>", html, count=1, flags=re.S)


def _no_canonical(html: str) -> str:
    html = re.sub(r'<link rel="canonical"[^>]*>', "", html, count=1)
    html = re.sub(r'<link rel="amphtml"[^>]*>', "", html, count=1)
    return re.sub(r'<meta property="og:url"[^>]*>', "", html, count=1)


CASES: list[Case] = [
    Case("news_inline_images",
         lambda w, s, c, h: _plain(s) and s.kind == "article" and s.generation == "nextjs"
         and _inline_images(c) >= 2 and len(c.subheadline) >= 2,
         note="current generation, leading + two inline images, bullets"),
    Case("opinion_bio",
         lambda w, s, c, h: _plain(s) and s.kind == "opinion" and s.generation == "nextjs"
         and bool(c.author_bios) and any(n.get("type") == "blockquote-quote"
                                         for n in c.body_nodes),
         note="OpinionNewsArticle, pull quote, closing author bio"),
    Case("apollo",
         lambda w, s, c, h: _plain(s) and s.generation == "apollo" and s.kind == "article"
         and '"author":"{' not in h and '"articleBody"' not in h,
         note="Apollo generation, body only in __APOLLO_STATE__, no articleBody"),
    Case("apollo_author_json_string",
         lambda w, s, c, h: s.is_article and s.generation == "apollo"
         and '"author":"{' in h and s.legacy_opinion_path,
         url=lambda s: BASE + s.path + TRACKING,
         note="Apollo opinion on /comment/opinion/, JSON-LD author as a JSON string, "
              "tracking parameters in the URL"),
    Case("apollo_state_broken",
         lambda w, s, c, h: s.is_article and s.generation == "apollo" and s.access == "free"
         and '"author":"{' in h and '"articleBody"' in h,
         render="malformed",
         note="Apollo page whose state is invalid JSON: JSON-LD (author as a JSON string "
              "inside the string, articleBody as one paragraph) and meta"),
    Case("json_ld_only",
         lambda w, s, c, h: _plain(s) and s.generation == "nextjs" and len(s.headline) > 110
         and '"articleBody"' in h,
         edit=_json_ld_only,
         note="hand-made: only head + JSON-LD; headline cut at 105 chars, body one paragraph"),
    Case("next_data_broken",
         lambda w, s, c, h: _plain(s) and s.generation == "nextjs" and _inline_images(c) >= 1
         and s.kind == "article",
         render="malformed",
         note="invalid __NEXT_DATA__ (the replica's bad_nextdata fault): DOM + JSON-LD"),
    Case("next_data_missing",
         lambda w, s, c, h: s.variant == "nextdata_missing",
         note="no __NEXT_DATA__ at all: DOM + JSON-LD"),
    Case("metered",
         lambda w, s, c, h: s.access == "metered" and s.generation == "nextjs"
         and s.variant == "full" and s.duplicate_of is None and s.kind == "article",
         note='metered paywall: isAccessibleForFree "False", full body served'),
    Case("plus_truncated",
         lambda w, s, c, h: s.access == "plus" and s.generation == "nextjs",
         note="SCMP Plus hard paywall: /plus/ path, body truncated"),
    Case("sponsored",
         lambda w, s, c, h: s.sponsored and s.generation == "nextjs",
         note="sponsorType"),
    Case("amp_copy",
         lambda w, s, c, h: _plain(s) and s.generation == "nextjs" and _inline_images(c) >= 1
         and s.kind == "article",
         render="amp", url=lambda s: "https://amp.scmp.com" + s.path,
         note="AMP copy on amp.scmp.com, canonical back to www"),
    Case("syndicated",
         lambda w, s, c, h: s.duplicate_of is not None,
         note="wire copy of another article under its own id"),
    Case("public_service_notice",
         lambda w, s, c, h: s.public_service and s.generation == "nextjs" and s.is_article
         and s.access != "plus",
         note='"This story has been made freely available ..." dropped'),
    Case("no_canonical_tracking_url",
         lambda w, s, c, h: _plain(s) and s.generation == "nextjs" and s.kind == "article",
         edit=_no_canonical, url=lambda s: BASE + s.path + TRACKING,
         note="hand-made: no canonical/og:url, canonical rebuilt from the URL"),
    Case("video", lambda w, s, c, h: s.kind == "video", note="NotAnArticle video"),
    Case("gallery", lambda w, s, c, h: s.kind == "gallery", note="NotAnArticle gallery"),
]


def render(world: World, content: ArticleContent, how: str) -> str:
    if how == "amp":
        return render_amp_page(world, content, base=BASE)
    return render_article_page(world, content, base=BASE, malformed_nextdata=how == "malformed")


def find(world: World, case: Case, taken: set[int]) -> tuple[int, ItemSpec, str]:
    for index in range(world.count):
        if index in taken:
            continue
        spec = world.spec(index)
        content = world.content_at(index)
        html = render_article_page(world, content, base=BASE)
        if case.pick(world, spec, content, html):
            return index, spec, render(world, content, case.render)
    raise SystemExit(f"no item of the replica world fits golden {case.name!r}")


def expected_record(url: str, html: str) -> dict[str, Any]:
    fetched_at = parse_utc(FETCHED_AT)
    try:
        return asdict(PARSER.parse(url, html, fetched_at))
    except PageRejected as exc:
        return {"error": type(exc).__name__, "reason": exc.reason}


def truth_report(name: str, record: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    if "error" in record:
        ok = record["reason"] == truth["kind"]
        return [] if ok else [f"{name}: rejected as {record['reason']}, truth kind {truth['kind']}"]
    lines = []
    for field in ("canonical_url", "article_id", "kind", "headline", "social_headline",
                  "subheadline", "summary", "authors", "published_at", "updated_at", "section",
                  "topics", "language", "word_count", "is_paywalled", "is_truncated",
                  "is_sponsored"):
        if record[field] != truth[field]:
            lines.append(f"{name}: {field} = {record[field]!r}, truth {truth[field]!r}")
    if record["body"].split("\n\n") != truth["body"]:
        lines.append(f"{name}: body differs from the truth's {len(truth['body'])} paragraphs "
                     f"(source {record['field_sources'].get('body')})")
    images = [{"url": i["url"], "caption": i["caption"], "credit": i["credit"]}
              for i in record["images"]]
    if images != truth["images"]:
        lines.append(f"{name}: images {images!r}, truth {truth['images']!r}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing, report changes")
    args = parser.parse_args()
    world = World(WORLD_CONFIG)
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    taken: set[int] = set()
    changed = 0
    for case in CASES:
        index, spec, html = find(world, case, taken)
        taken.add(index)
        if case.edit:
            html = case.edit(html)
        url = case.url(spec) if case.url else BASE + spec.path
        record = expected_record(url, html)
        golden = {"url": url, "fetched_at": FETCHED_AT, "note": case.note, "item": index,
                  "expected": record}
        for line in truth_report(case.name, record, world.truth(index, BASE)):
            print(("  (hand-made) " if case.edit else "  ") + line)
        json_path = GOLDEN_DIR / f"{case.name}.json"
        text = json.dumps(golden, ensure_ascii=False, indent=2) + "\n"
        old = json_path.read_text(encoding="utf-8") if json_path.exists() else None
        status = "unchanged" if old == text else "new" if old is None else "CHANGED"
        changed += status != "unchanged"
        print(f"{case.name:28s} item {index:3d} {spec.path[:60]:60s} {status}")
        if not args.check:
            json_path.write_text(text, encoding="utf-8")
            # mtime=0: the same page always gives the same bytes.
            (GOLDEN_DIR / f"{case.name}.html.gz").write_bytes(
                gzip.compress(html.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{len(CASES)} goldens, {changed} new or changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
