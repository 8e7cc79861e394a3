"""A set of story ids whose memory does not grow with each story.

A crawl remembers which stories it has scheduled, emitted and stored in this run. Outlets
number their stories with a counter (scmp.com's ids are seven digits), so a numeric id is kept
as one bit of a bitmap: 100,000 stories among ids up to 3.4 million take 425 KB, where a
Python set of their strings takes about 10 MB (bench/scale_memory.py). Anything else (an id
with a leading zero, a huge number, a URL standing in for a missing id) goes to an ordinary set.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

#: Ids below this are bits (a bitmap of at most 8 MB); larger numbers go to the fallback set.
MAX_BIT_ID = 1 << 26


def _as_bit(key: str) -> int | None:
    """The bit of a plain decimal id ("3352060"), or None for any other key."""
    if not key.isdigit() or not key.isascii() or len(key) > 8 or (key[0] == "0" and key != "0"):
        return None
    number = int(key)
    return number if number < MAX_BIT_ID else None


class IdSet:
    """``add``, ``in``, ``len`` and iteration over string keys, numeric ones as bits."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._bits = bytearray()
        self._count = 0  # keys held as bits
        self._other: set[str] = set()
        for key in keys:
            self.add(key)

    def add(self, key: str) -> None:
        bit = _as_bit(key)
        if bit is None:
            self._other.add(key)
            return
        byte, mask = bit >> 3, 1 << (bit & 7)
        if byte >= len(self._bits):
            # Grow by at least half again: amortised, and room for the next ids of a counter.
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits) // 2)))
        if not self._bits[byte] & mask:
            self._bits[byte] |= mask
            self._count += 1

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        bit = _as_bit(key)
        if bit is None:
            return key in self._other
        byte = bit >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (bit & 7)))

    def __len__(self) -> int:
        return self._count + len(self._other)

    def __iter__(self) -> Iterator[str]:
        """Numeric ids in ascending order, then the others."""
        for byte, value in enumerate(self._bits):
            if value:
                for shift in range(8):
                    if value >> shift & 1:
                        yield str(byte << 3 | shift)
        yield from self._other

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"IdSet({len(self)} ids)"
