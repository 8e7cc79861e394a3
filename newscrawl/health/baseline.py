"""Robust statistics for a baseline learned from a few dozen runs: the median and the median
absolute deviation (one odd run moves neither), and a binomial tolerance on a share, so a
small run's natural scatter is not taken for a change."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

#: MAD times this estimates a normal distribution's standard deviation.
MAD_SIGMA = 1.4826


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def mad(values: Sequence[float]) -> float:
    """The median absolute deviation from the median, scaled to a standard deviation."""
    if not values:
        return 0.0
    centre = median(values)
    return MAD_SIGMA * median([abs(v - centre) for v in values])


def share_tolerance(p: float, n: int, *, z: float = 3.0) -> float:
    """How far a share measured on ``n`` items may stray from ``p`` by chance (``z`` standard
    errors). ``p`` is kept away from 0 and 1 so a field that is always filled does not make
    one missing value in a small run a change."""
    if n <= 0:
        return 1.0
    q = min(max(p, 0.05), 0.95)
    return z * math.sqrt(q * (1 - q) / n)
