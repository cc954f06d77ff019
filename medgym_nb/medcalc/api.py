"""The public entry points: list calculators, look one up, compute an answer, and the official answer limits."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping

from . import calculators as _calculators  # noqa: F401  (registers every calculator)
from .entities import Entities, parse_entities
from .errors import MedcalcInputError
from .registry import Answer, entries
from .spec import Calculator

__all__ = ["calculators", "compute", "get_calculator", "limits"]


def calculators() -> list[Calculator]:
    """The 55 calculators, by official id."""
    return [entry.spec for _, entry in sorted(entries().items())]


def get_calculator(calculator: int | str) -> Calculator:
    """A calculator by official ``Calculator ID`` (int, or its digits as text) or ``Calculator Name``."""
    table = entries()
    if isinstance(calculator, int) and not isinstance(calculator, bool):
        if calculator in table:
            return table[calculator].spec
        raise MedcalcInputError(f"no MedCalc-Bench calculator has id {calculator}; ids are {sorted(table)}")
    if not isinstance(calculator, str):
        raise MedcalcInputError(f"a calculator is an id or a name, got {type(calculator).__name__}")
    text = calculator.strip()
    if text.isdigit():
        return get_calculator(int(text))
    by_name = {entry.spec.name.lower(): entry.spec for entry in table.values()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    close = difflib.get_close_matches(text.lower(), list(by_name), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(by_name[c].name) for c in close)}?" if close else ""
    raise MedcalcInputError(f"no MedCalc-Bench calculator is named {calculator!r}{hint}")


def _round(value: float) -> float:
    """Three decimals, or three significant digits below 0.001, as MedCalc-Bench writes measurements."""
    if value == 0 or abs(value) >= 0.001:
        return round(value, 3)
    return round(value, 2 - math.floor(math.log10(abs(value))))


def compute(calculator: int | str, entities: Mapping[str, object] | str) -> Answer:
    """The official answer of ``calculator`` for ``entities`` (a dict or its string form from the files).

    Scores come back as ``int`` (``float`` for half points), measurements as ``float`` rounded to three decimals,
    dates as ``MM/DD/YYYY`` and gestational age as ``('N weeks', 'M days')``. Bad entities raise
    :class:`~medgym_nb.medcalc.errors.MedcalcInputError`.
    """
    spec = get_calculator(calculator)
    formula = entries()[spec.id].formula
    try:
        answer = formula(Entities(spec, parse_entities(spec, entities)))
    except ArithmeticError as error:  # a zero creatinine or height: the entities, not the formula, are wrong
        raise MedcalcInputError(
            f"{spec.name}: the entities give no answer ({error}); check for zero values"
        ) from error
    if isinstance(answer, float) and spec.answer == "number":
        if spec.tolerance == "exact" and answer.is_integer():
            return int(answer)
        return _round(answer)
    return answer


def limits(calculator: int | str, answer: Answer) -> tuple[Answer, Answer]:
    """``(Lower Limit, Upper Limit)`` as the official file sets them: ±5 % for measurements, exact otherwise."""
    spec = get_calculator(calculator)
    if spec.tolerance == "exact" or not isinstance(answer, int | float):
        return answer, answer
    low, high = answer * 0.95, answer * 1.05
    return min(low, high), max(low, high)
