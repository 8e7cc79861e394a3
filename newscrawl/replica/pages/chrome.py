"""Page furniture shared by every replica page: head assets, navigation, footer, scripts.

Real scmp.com pages weigh 150-400 KB, most of it navigation, inline configuration and
JavaScript. The replica reproduces that weight so that crawl and memory measurements are
honest, but builds the heavy parts once per process (they depend only on the seed), so a
page costs little more than its article-specific part.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import struct
import zlib
from functools import lru_cache

from newscrawl.replica.world import SECTION_PAGES, SECTIONS

esc = html.escape


class Static(str):
    """Markup that is the same on many pages, encoded and deflated once per process.

    Pages are built as lists of parts; ``splice`` turns them into bytes and one standard gzip
    stream while compressing only the parts that are not ``Static``. A cold page then costs the
    replica its article-specific work, not 270 KB of encoding and compression.
    """

    data: bytes
    deflated: bytes  # raw deflate blocks ending in a sync flush: concatenable
    crc: int


def static(text: str) -> Static:
    piece = Static(text)
    piece.data = text.encode()
    piece.deflated = _compress(piece.data)
    return piece


#: Page-specific runs shorter than this go into stored (uncompressed) deflate blocks. Every
#: page-specific run is stored: compressing ~40 KB per cold page cost the replica 0.3 ms, a
#: fifth of its budget (bench/replica_speed.py); the constant 85% of a page is compressed once.
STORED_BELOW = 1 << 30


def _deflate(data: bytes) -> bytes:
    if len(data) < STORED_BELOW:  # a stored block: no compressor to start
        return b"".join(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk
                        for chunk in (data[i:i + 65535] for i in range(0, len(data), 65535)))
    return _compress(data)


def _compress(data: bytes) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_FINAL_EMPTY_BLOCK = b"\x03\x00"


def splice(parts: list[str]) -> tuple[bytes, bytes]:
    """The UTF-8 bytes of a page and their gzip encoding, reusing ``Static`` parts' blocks."""
    raw: list[bytes] = []
    packed: list[bytes] = [_GZIP_HEADER]
    run: list[bytes] = []
    for part in parts:
        if isinstance(part, Static):
            if run:
                packed.append(_deflate(b"".join(run)))
                run = []
            raw.append(part.data)
            packed.append(part.deflated)
        else:
            data = part.encode()
            raw.append(data)
            run.append(data)
    if run:
        packed.append(_deflate(b"".join(run)))
    body = b"".join(raw)
    packed.append(_FINAL_EMPTY_BLOCK)
    packed.append(struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF))
    return body, b"".join(packed)


@lru_cache(maxsize=8)
def build_id(seed: int) -> str:
    """The Next.js build id; it also names the static chunks."""
    return hashlib.sha1(f"build:{seed}".encode()).hexdigest()[:21]


@lru_cache(maxsize=8)
def head_assets(seed: int) -> str:
    """``<link>``/``<script src>`` tags for the static chunks (served by the replica as assets)."""
    bid = build_id(seed)
    chunks = ["webpack", "framework", "main", "pages/_app", "pages/article"]
    tags = [f'<link rel="preload" href="/_next/static/chunks/{c}-{bid[:8]}.js" as="script"/>'
            for c in chunks]
    tags.append(f'<link rel="stylesheet" href="/_next/static/css/{bid[:12]}.css"/>')
    tags.extend(f'<script defer src="/_next/static/chunks/{c}-{bid[:8]}.js"></script>' for c in chunks)
    return static("\n".join(tags))


@lru_cache(maxsize=8)
def navigation(seed: int) -> str:
    """The mega-menu: every section, subsection and a long tail of topic links (~40 KB)."""
    rng = random.Random(seed)
    items = []
    for path in SECTION_PAGES:
        items.append(f'<li class="css-{rng.getrandbits(24):06x}"><a data-qa="Navigation-Link" '
                     f'href="/{path}">{esc(path.split("/")[-1].replace("-", " ").title())}</a></li>')
    for n in range(220):
        slug = f"topic-{rng.getrandbits(32):08x}"
        items.append(f'<li class="css-{rng.getrandbits(24):06x}"><a data-qa="Navigation-TopicLink" '
                     f'href="/topics/{slug}">Topic {n}</a></li>')
    return static('<header class="css-1x2y3z"><nav data-qa="Header-Navigation"><ul>'
                  + "".join(items) + "</ul></nav></header>")


@lru_cache(maxsize=8)
def footer(seed: int) -> str:
    links = "".join(f'<li><a href="/{s.path}">{esc(" ".join(s.names))}</a></li>' for s in SECTIONS)
    return static(f'<footer data-qa="Footer-Container"><ul>{links}</ul>'
                  '<p>Copyright © 2026 South China Morning Post Publishers Ltd. All rights '
                  'reserved.</p></footer>')


@lru_cache(maxsize=8)
def inline_scripts(seed: int) -> str:
    """Tracking, consent and ad scripts inlined in every page (~60 KB of minified-looking JS)."""
    rng = random.Random(seed * 7 + 1)
    parts = []
    for n in range(40):
        body = ";".join(f"var _{rng.getrandbits(20):05x}=function(e,t){{return e[{k}]||t}}"
                        for k in range(18))
        parts.append(f'<script id="tracker-{n}">{body};</script>')
    return static("\n".join(parts))


@lru_cache(maxsize=8)
def app_config_json(seed: int) -> dict:
    """A large runtime configuration blob carried inside ``__NEXT_DATA__`` (~50 KB)."""
    rng = random.Random(seed * 13 + 5)
    return {
        "experiments": {f"exp_{n}": {"variant": rng.choice("ABC"), "weight": rng.random()}
                        for n in range(150)},
        "adUnits": [{"slot": f"/8134/scmp/web/{n}", "sizes": [[300, 250], [728, 90]]}
                    for n in range(250)],
        "menu": [{"name": p, "urlAlias": "/" + p} for p in SECTION_PAGES] * 20,
    }


def filler_parts(seed: int, variant: int, kb: int) -> list[str]:
    """About ``kb`` KB of related-content JSON (one valid JSON array) as cached parts.

    Pages share a small pool of blocks per seed, so the weight costs nothing per page.
    """
    big, small = divmod(max(1, kb), 16)
    parts: list[str] = ["["]
    for n in range(big):
        parts.append(_filler_block(seed, variant % 8, 16, n > 0))
    for n in range(small):
        parts.append(_filler_block(seed, variant % 8, 1, big > 0 or n > 0))
    parts.append("]")
    return parts


@lru_cache(maxsize=64)
def _filler_block(seed: int, variant: int, kb: int, leading_comma: bool) -> Static:
    rng = random.Random(f"{seed}:{variant}:{kb}")
    items: list[str] = []
    size = 0
    while size < kb * 1024 - 200:
        item = json.dumps({"entityId": str(3_100_000 + rng.randrange(10**5)),
                           "headline": f"Related story {rng.getrandbits(32):08x}",
                           "urlAlias": f"/news/article/{rng.getrandbits(24)}/related"})
        items.append(item)
        size += len(item) + 1
    return static(("," if leading_comma else "") + ",".join(items))


def page_parts(*, title: str, head: str, body: list[str], seed: int) -> list[str]:
    """A full HTML document around page-specific head and body parts, as parts."""
    return [
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{esc(title)}</title>"
        '<meta name="keywords" content="Hong Kong, China, Asia, news, business, SCMP"/>'
        '<meta name="news_keywords" content="Hong Kong, China, Asia, news, business, SCMP"/>'
        f"{head}\n", head_assets(seed), '</head><body><div id="__next">', navigation(seed),
        "<main>", *body, "</main>", footer(seed), "</div>", inline_scripts(seed),
        "</body></html>",
    ]


def page(*, title: str, head: str, body: str, seed: int) -> str:
    """Assemble a full HTML document around page-specific head and body markup."""
    return "".join(page_parts(title=title, head=head, body=[body], seed=seed))
