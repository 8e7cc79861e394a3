"""newscrawl.idset: a set of story ids kept as bits where it can."""

from __future__ import annotations

import tracemalloc

from newscrawl.idset import MAX_BIT_ID, IdSet


def test_it_answers_as_a_set_of_strings_does():
    keys = ["3352060", "0", "7", "3352060", "0123", "123", str(MAX_BIT_ID), str(MAX_BIT_ID - 1),
            "https://www.scmp.com/x?utm_source=rss", "", "١٢٣", "12345678901234567890", "-5"]
    ids, plain = IdSet(), set()
    for key in keys:
        assert (key in ids) == (key in plain), key
        ids.add(key)
        plain.add(key)
        assert key in ids and len(ids) == len(plain)
    assert sorted(ids) == sorted(plain)
    # A leading zero, a non-ASCII digit or a number past the bitmap are other strings.
    assert "123" in ids and "0123" in ids and "00123" not in ids and "١٢" not in ids
    assert "3352061" not in ids and "99999999" not in ids and 3352060 not in ids
    assert not IdSet() and IdSet(["1"])


def test_numeric_ids_cost_bits_not_objects():
    ids = [str(3_000_000 + 3 * i) for i in range(100_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        compact = IdSet(ids)
        size = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(compact) == 100_000 and all(i in compact for i in ids[::997])
    assert size < 1_000_000  # a set of these strings takes about 10 MB
    assert list(compact)[:3] == ids[:3]
