"""Content fingerprints: stable across releases (signatures are stored), and what they claim."""

from __future__ import annotations

import hashlib
import random
import re

from newscrawl.records.fingerprints import MIN_SHINGLES, SCHEME, Signature, body_hash, shingles

TEXT = " ".join(f"Word{i % 37} alpha Beta, gamma-{i % 11} délta ü{i % 5}." for i in range(60))


def naive_shingles(body: str, size: int = 5) -> set[bytes]:
    words = re.findall(r"\w+", body.lower())
    return {" ".join(words[i:i + size]).encode("utf-8") for i in range(max(len(words) - size + 1, 0))}


def test_stored_fingerprints_stay_valid():
    # Archives hold these values: a change in how they are made must change the scheme's name,
    # which makes every archive fingerprint its stories again (tests/utils/records.py).
    sig = Signature.of(TEXT)
    assert body_hash(TEXT) == "b83df32c452ea3e1e4353c7ad0956045"
    assert sig.values[:4] == (828656551, 240371712, 336792824, 90363060)
    assert hashlib.sha1(sig.to_bytes()).hexdigest() == "4afc3f2b8e2d65c3cc60729040714f4c4f644385"
    assert sig.bands()[:3] == [57052235688519905, 30463122459414839, 45625935031110884]
    assert len(sig.bands()) == 42 and Signature.from_bytes(sig.to_bytes()) == sig
    assert SCHEME == "rminhash-75f31da7d3eb"


def test_estimates_follow_the_true_jaccard_similarity():
    rng = random.Random(3)
    words = [f"w{rng.randrange(400)}" for _ in range(600)]
    base = " ".join(words)
    for edits in (5, 30, 120, 300):
        edited = list(words)
        for _ in range(edits):
            edited[rng.randrange(len(edited))] = f"x{rng.randrange(10**6)}"
        a, b = shingles(base), shingles(" ".join(edited))
        true = len(a & b) / len(a | b)
        assert abs(Signature.of(base).jaccard(Signature.of(" ".join(edited))) - true) < 0.12


def test_shingles_and_body_hash_follow_their_definition():
    rng = random.Random(5)
    vocabulary = ["Hong", "Kong's", "policy", "北京", "économie", "naïve", "x", "42", "über",
                  "—", "Straße", "said:", "العربية"]
    for size in range(0, 40):
        body = " ".join(rng.choice(vocabulary) for _ in range(size))
        body = body.replace(" ", rng.choice([" ", "\n\n", "  ", ", "]), 3)
        assert shingles(body) == naive_shingles(body), body
        words = re.findall(r"\w+", body.lower())
        want = hashlib.blake2b(" ".join(words).encode(), digest_size=16).hexdigest() \
            if words else None
        assert body_hash(body) == want
        assert body_hash(body.replace(" ", " \n  ")) == want  # spacing ignored
    assert body_hash("Hong KONG  said") == body_hash("hong kong said")  # and case


def test_short_bodies_have_no_signature_and_copies_match():
    assert Signature.of("too short to compare " * 3) is None
    assert Signature.of("") is None and body_hash("") is None
    long = TEXT + " " + TEXT.replace("alpha", "omega")
    assert len(shingles(long)) >= MIN_SHINGLES
    edited = long.replace("gamma-3", "gamma-three", 2)
    assert Signature.of(long).jaccard(Signature.of(edited)) > 0.8
    unrelated = " ".join(f"other{i} story{i * 7} text" for i in range(80))
    assert Signature.of(long).jaccard(Signature.of(unrelated)) < 0.1
