"""Random entity dicts for a calculator, drawn from its spec: the plausible range of each input, in any accepted unit.

Generators of new task instances and the cross-check against MedCalc-Bench's reference code both need entities
that look like the official files' (``[value, unit]`` pairs, booleans, option strings, ``MM/DD/YYYY`` dates);
drawing them from the :class:`~.spec.Calculator` keeps one source of truth for ranges and units.
"""

from __future__ import annotations

import datetime as dt
import random

from .spec import Calculator, Input
from .units import convert

__all__ = ["sample_entities", "sample_value"]

_FIRST_DAY = dt.date(2000, 1, 1)
_SPAN_DAYS = 365 * 25


def _in_unit(item: Input, canonical: float, unit: str) -> float:
    if item.unit is None or unit == item.unit:
        return canonical
    try:
        return convert(canonical, item.unit, unit, item.analyte)
    except ValueError:
        return canonical


def _round(value: float, step: float | None = None) -> float:
    """On the input's step if it has one, else three significant digits, as notes report measurements."""
    if step:
        return round(round(value / step) * step, 6)
    return float(f"{value:.3g}")


def sample_value(item: Input, rng: random.Random) -> object:
    """One value for ``item`` in the files' form; the unit is drawn from the accepted ones."""
    if item.kind == "bool":
        return rng.random() < 0.4
    if item.kind == "date":
        return (_FIRST_DAY + dt.timedelta(days=rng.randrange(_SPAN_DAYS))).strftime("%m/%d/%Y")
    low = item.low if item.low is not None else 0.0
    high = item.high if item.high is not None else 1.0
    if item.kind == "duration":
        return rng.randint(round(low), round(high))
    if item.kind == "choice":
        option = rng.choice(item.choices)
        if item.unit is None:
            return option
        unit = rng.choice(item.units)  # a dose of a named drug: [name, dose, unit]
        return [option, _round(_in_unit(item, rng.uniform(low, high), unit)), unit]
    canonical = rng.uniform(low, high)
    if not item.units:
        return _round(canonical, item.step)
    unit = rng.choice(item.units)
    step = item.step if unit == item.unit else None
    return [_round(_in_unit(item, canonical, unit), step), unit]


def sample_entities(
    calculator: Calculator, rng: random.Random, optional_share: float = 0.7
) -> dict[str, object]:
    """Entities for ``calculator``: every required input, and each optional one with probability ``optional_share``."""
    return {
        item.key: sample_value(item, rng)
        for item in calculator.inputs
        if item.required or rng.random() < optional_share
    }
