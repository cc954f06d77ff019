"""A parametrised BioCoder function template: one spec, many distinct tasks.

A template's parameters (a window size, a k-mer length, a codon-table change, a quality encoding…) are part
of what the function must do, so each instance is a distinct question, with its own reference solution and a
hidden program that calls it on seeded random inputs. Templates are in ``templates_sequence.py`` and
``templates_reads.py``; ``generated.py`` enumerates them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["Params", "Parts", "Template", "code"]

Params = Mapping[str, Any]


class Parts(NamedTuple):
    """One instance: the problem text, the reference solution, the body of the program's ``main()`` and the
    module-level helpers the function may use (see ``suite.SuiteFunction``)."""

    problem: str
    solution: str
    main: str
    helpers: str = ""


@dataclass(frozen=True)
class Template:
    """``make`` turns one point of ``grid`` (every combination of its values that ``allow`` accepts) into
    an instance; ``name`` is the task category (a generated suite is split by it)."""

    name: str
    grid: Mapping[str, Sequence[Any]]
    make: Callable[[Params], Parts]
    allow: Callable[[Params], bool] | None = None

    def points(self) -> Iterator[dict[str, Any]]:
        keys = list(self.grid)
        for values in itertools.product(*(self.grid[k] for k in keys)):
            point = dict(zip(keys, values, strict=True))
            if self.allow is None or self.allow(point):
                yield point


def code(text: str, **values: Any) -> str:
    """``text`` (source with ``$NAME`` slots, so its braces stay Python's) with each slot replaced by
    ``repr`` of its value; the longest names first, so ``$W`` never eats ``$WIDTH``."""
    for name in sorted(values, key=len, reverse=True):
        text = text.replace(f"${name}", repr(values[name]))
    return text
