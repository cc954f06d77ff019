"""Distinct draws from a template, for generators (``TaskFamily.generate``): a template's parameter space is
finite, so drawing stops once it keeps repeating itself instead of looping for a count it cannot reach."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

__all__ = ["MISSES", "distinct_draws"]

T = TypeVar("T")

MISSES = 40
"""Draws in a row that repeat an earlier one before a template counts as saturated."""


def distinct_draws(
    draw: Callable[[], T], key: Callable[[T], Hashable], count: int, misses: int = MISSES
) -> Iterator[T]:
    """Up to ``count`` draws whose ``key`` differ, in the order drawn; fewer once ``misses`` draws in a row
    repeat a key already seen (the template is saturated)."""
    seen: set[Hashable] = set()
    repeated = 0
    while len(seen) < count and repeated < misses:
        item = draw()
        k = key(item)
        if k in seen:
            repeated += 1
            continue
        repeated = 0
        seen.add(k)
        yield item
