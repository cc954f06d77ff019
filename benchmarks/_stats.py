"""Small statistics shared by the benchmark scripts."""

from __future__ import annotations

import statistics


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]
