"""The calculator registry: each calculator module registers its formulas here with :func:`register`.

Kept apart from :mod:`.api` so calculator modules can import the decorator without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from .spec import Calculator

if TYPE_CHECKING:
    from .entities import Entities

__all__ = ["Answer", "Entry", "Formula", "entries", "register"]

Answer: TypeAlias = float | int | str | tuple[str, str]
Formula: TypeAlias = Callable[["Entities"], Answer]


@dataclass(frozen=True)
class Entry:
    """A calculator's description and the function that computes it."""

    spec: Calculator
    formula: Formula


_ENTRIES: dict[int, Entry] = {}


def register(spec: Calculator) -> Callable[[Formula], Formula]:
    """Class-less registration: ``@register(Calculator(...))`` above the formula; ids and names must be unique."""

    def decorate(formula: Formula) -> Formula:
        clash = [e.spec for e in _ENTRIES.values() if e.spec.id == spec.id or e.spec.name == spec.name]
        if clash:
            raise ValueError(f"calculator {spec.id} {spec.name!r} registered twice")
        _ENTRIES[spec.id] = Entry(spec, formula)
        return formula

    return decorate


def entries() -> dict[int, Entry]:
    """Every registered calculator by id (a copy)."""
    return dict(_ENTRIES)
