"""Content fingerprints: what makes two records the same version, or the same story.

Pure functions, no Scrapy. ``content_hash`` identifies a version of an article (a change in
any field a reader sees is a new revision; fetch details are not). ``body_hash`` spots exact
copies of a body under another id. ``Signature`` is a MinHash over word shingles of the body:
two bodies whose shingle sets have a Jaccard similarity above ``NEAR_DUPLICATE_JACCARD`` are
near-duplicates (a wire copy lightly edited, a syndicated republication). Signatures are cut
into LSH bands, so candidates are found by exact band lookups in an index on disk, and only
candidates are compared.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import Any

from rensa import RMinHash

#: Fields that belong to the fetch or the archive, not to the article: they never make a new
#: revision.
FETCH_FIELDS = frozenset({"url", "fetched_at", "http_status", "discovered_via", "field_sources",
                          "parser_version", "duplicate_of", "outlet", "revision",
                          "first_fetched_at"})

NUM_PERM = 128
# 42 bands of 3 values: a pair with Jaccard 0.5 shares a band with p > 0.998, one with 0.05
# (unrelated stories on the same beat) with p < 0.006.
BANDS, ROWS = 42, 3
SHINGLE_WORDS = 5
MIN_SHINGLES = 20  # shorter bodies (a paywalled stub) are too small to call near-duplicates
# Edited wire copies measure 0.5-0.9 on the replica, unrelated stories below 0.06.
NEAR_DUPLICATE_JACCARD = 0.3

_WORD = re.compile(r"\w+", re.UNICODE)
_SEED = 1  # fixed: signatures are stored and compared across runs and processes


def minhash(grams: set[bytes]) -> list[int]:
    """The MinHash signature (NUM_PERM unsigned 32-bit values) of a set of shingles.

    rensa's ``RMinHash`` (Rust): about 20 us for a story's 900 shingles, where one SHA-1 per
    shingle and NUM_PERM affine maps in numpy (datasketch's scheme, until 2026-12) took 0.6 ms,
    a tenth of newscrawl's work per article. Its values are its own: an archive records the
    scheme its signatures were made with (``SCHEME``) and recomputes them when it changes
    (``store.duplicates``).
    """
    sketch = RMinHash(num_perm=NUM_PERM, seed=_SEED)
    sketch.update(list(grams))
    return sketch.digest()


def content_hash(record: Mapping[str, Any]) -> str:
    """A stable hash of everything a reader sees in ``record`` (a dict of Article fields)."""
    content = {k: v for k, v in record.items() if k not in FETCH_FIELDS}
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(blob.encode("utf-8"), digest_size=16).hexdigest()


@lru_cache(maxsize=16)
def _words(body: str) -> tuple[bytes, list[int]]:
    """The body's words, lower-cased and joined by single spaces, in UTF-8; and the offset
    where each word starts, plus one past the end.

    Cached for the few bodies in flight: a stored story's body is hashed by the de-duplicator
    and the store, and shingled, from one pass over its text.
    """
    words = _WORD.findall(body.lower())
    joined = " ".join(words)
    data = joined.encode("utf-8")
    lengths = map(len, words) if len(data) == len(joined) else \
        (len(word.encode("utf-8")) for word in words)
    return data, [0, *accumulate(n + 1 for n in lengths)]


#: Fingerprints of bodies made elsewhere (the parse process, newscrawl/spiders/parsing.py), by
#: body: the de-duplicator of a record whose body cleaning left as it was finds them here.
#: A few dozen bodies are in flight at once; the oldest go first.
_KNOWN: dict[str, tuple[str | None, Signature | None]] = {}
_KNOWN_MAX = 256


def prints(body: str) -> tuple[str | None, Signature | None]:
    """The body's ``body_hash`` and ``Signature``."""
    return body_hash(body), Signature.of(body)


def remember(body: str, known: tuple[str | None, Signature | None]) -> None:
    """Keep ``prints(body)``, computed in another process, for this one's next lookups."""
    if len(_KNOWN) >= _KNOWN_MAX:
        del _KNOWN[next(iter(_KNOWN))]
    _KNOWN[body] = known


def body_hash(body: str) -> str | None:
    """A hash of the body's words (case and spacing ignored); None for an empty body."""
    if (known := _KNOWN.get(body)) is not None:
        return known[0]
    data, _ = _words(body)
    if not data:
        return None
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def shingles(body: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Every run of ``size`` consecutive words, as in ``body_hash`` (UTF-8, single spaces)."""
    data, starts = _words(body)
    # Shingle i runs from word i's start to one before word i+size's (the space between).
    return {data[start:end - 1] for start, end in zip(starts, starts[size:], strict=False)}


@dataclass(frozen=True)
class Signature:
    """A MinHash signature of a body: ``NUM_PERM`` unsigned 32-bit values."""

    values: tuple[int, ...]

    @classmethod
    def of(cls, body: str) -> Signature | None:
        """The body's signature, or None when it is too short to compare."""
        if (known := _KNOWN.get(body)) is not None:
            return known[1]
        grams = shingles(body)
        if len(grams) < MIN_SHINGLES:
            return None
        return cls(tuple(minhash(grams)))

    def bands(self) -> list[int]:
        """One integer per LSH band (band number folded in), to look up in an index."""
        return list(self._bands)

    @cached_property
    def _bands(self) -> tuple[int, ...]:
        # Looked up and then indexed for the same body: hash the bands once.
        packed, width, blake2b = self.to_bytes(), 4 * ROWS, hashlib.blake2b
        return tuple(int.from_bytes(blake2b(packed[band * width:(band + 1) * width],
                                            digest_size=7).digest(), "big")
                     for band in range(BANDS))

    def jaccard(self, other: Signature) -> float:
        """The estimated Jaccard similarity of the two bodies' shingle sets."""
        return sum(a == b for a, b in zip(self.values, other.values, strict=True)) / NUM_PERM

    def to_bytes(self) -> bytes:
        return struct.pack(f">{NUM_PERM}I", *self.values)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Signature:
        return cls(struct.unpack(f">{NUM_PERM}I", blob))


# A sample body whose signature names the scheme: any change in how values are made (another
# library, another release of it, another seed) gives another name, and archives holding
# signatures of the old one recompute theirs.
_SAMPLE = " ".join(f"word{i % 37} sample{i % 11} text{i % 5}" for i in range(60))
#: The name of the way signatures are made, stored with them (meta ``signature_scheme``).
SCHEME = "rminhash-" + hashlib.blake2b(struct.pack(f">{NUM_PERM}I", *minhash(shingles(_SAMPLE))),
                                       digest_size=6).hexdigest()
