"""Reading a ``Relevant Entities`` value for one calculator: parsed safely, matched to its inputs, converted.

The official files store entities as the string form of a Python dict (``{'sex': 'Male', 'age': [87,
'years'], ...}``): measurements are ``[value, unit]`` pairs (or compound, ``[5, 'ft', 7, 'in']``), criteria are
booleans, some scores are plain numbers, dates are ``'MM/DD/YYYY'`` strings. The string is parsed with
``ast.literal_eval`` (never ``eval``). Keys are matched case- and punctuation-insensitively against each input's
official key, MedCalc-Bench's code key, known aliases and the names other calculators give the same input
(:mod:`.names`); an unknown key is an error rather than silently ignored, because an ignored criterion changes a
score without anyone noticing.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
from collections.abc import Mapping

from .errors import MedcalcInputError
from .names import describe, name_index, normalize_key
from .spec import Calculator, Input
from .units import convert, normalize_unit

__all__ = ["Entities", "normalize_key", "parse_entities"]

_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y")


def parse_entities(calculator: Calculator, entities: Mapping[str, object] | str) -> dict[str, object]:
    """The entities as a dict; the string form is read with ``ast.literal_eval``."""
    value: object = entities
    if isinstance(entities, str):
        try:
            value = ast.literal_eval(entities.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            raise MedcalcInputError(
                f"{calculator.name}: the entities are not a Python dict literal ({type(exc).__name__}: {exc})"
            ) from None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise MedcalcInputError(
            f"{calculator.name}: the entities must be a dict with string keys, got {type(value).__name__}"
        )
    return dict(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class Entities:
    """The entities of one call, matched to one calculator's inputs, read in each input's canonical unit."""

    def __init__(self, calculator: Calculator, raw: Mapping[str, object]) -> None:
        self.calculator = calculator
        index = name_index(calculator)
        self._values: dict[str, object] = {}
        for key, value in raw.items():
            item = index.find(key)
            if item is None:
                raise MedcalcInputError(
                    f"{calculator.name}: unknown entity {key!r}; accepted names: "
                    f"{describe(calculator, calculator.inputs)}"
                )
            if item.key in self._values:
                raise MedcalcInputError(f"{calculator.name}: entity {item.key!r} is given twice")
            self._values[item.key] = value
        missing = [i.key for i in calculator.inputs if i.required and i.key not in self._values]
        if missing:
            raise MedcalcInputError(f"{calculator.name}: missing required entities {missing}")

    def _fail(self, key: str, problem: str) -> MedcalcInputError:
        item = self.calculator.input(key)
        accepted = f"; accepted units: {', '.join(item.units)}" if item.units else ""
        return MedcalcInputError(f"{self.calculator.name}: entity {key!r} {problem}{accepted}")

    def has(self, key: str) -> bool:
        """Whether the entities state this input at all."""
        return key in self._values

    def raw(self, key: str) -> object:
        """The value as given (for inputs with a structure of their own, such as the steroid dose)."""
        if key not in self._values:
            raise self._fail(key, "is missing")
        return self._values[key]

    def _numeric_default(self, key: str) -> float:
        """What an absent input counts as: its numeric default, or an error that it is missing."""
        default = self.calculator.input(key).default
        if _is_number(default):
            return float(default)  # type: ignore[arg-type]
        raise self._fail(key, "is missing")

    def number(self, key: str) -> float:
        """The value in the input's canonical unit; an absent optional input gives its default."""
        item = self.calculator.input(key)
        if key not in self._values:
            return self._numeric_default(key)
        value = self._values[key]
        if _is_number(value):
            return float(value)  # type: ignore[arg-type]
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise self._fail(key, f"is not a number: {value!r}") from None
        if not isinstance(value, list | tuple) or len(value) < 2 or len(value) % 2:
            raise self._fail(key, f"must be a number or [value, unit] pairs, got {value!r}")
        total = 0.0
        for amount, unit in zip(value[::2], value[1::2], strict=True):
            if not _is_number(amount) or not isinstance(unit, str):
                raise self._fail(key, f"must be [value, unit] pairs, got {value!r}")
            total += self._convert(item, float(amount), unit)
        return total

    def _convert(self, item: Input, amount: float, unit: str) -> float:
        if item.unit is None or normalize_unit(unit) == normalize_unit(item.unit):
            return amount
        try:
            return convert(amount, unit, item.unit, item.analyte)
        except (ValueError, ZeroDivisionError):
            raise self._fail(item.key, f"has a unit we cannot convert to {item.unit}: {unit!r}") from None

    def years(self, key: str = "age") -> int:
        """An age in completed years, the way scores and MedCalc-Bench count it."""
        return math.floor(self.number(key) + 1e-9)

    def flag(self, key: str) -> bool:
        """A yes/no criterion; absent means the calculator's default (normally "not present")."""
        item = self.calculator.input(key)
        if key not in self._values:
            return bool(item.default)
        value = self._values[key]
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in {"true", "false", "yes", "no"}:
            return value.strip().lower() in {"true", "yes"}
        raise self._fail(key, f"must be true or false, got {value!r}")

    def choice(self, key: str) -> str:
        """One of the input's official options (matched case-insensitively); absent means its default."""
        item = self.calculator.input(key)
        value = self._values.get(key, item.default)
        if value is False and isinstance(item.default, str):  # "not present" for a graded criterion
            value = item.default
        if not isinstance(value, str):
            raise self._fail(key, f"must be one of {list(item.choices)}, got {value!r}")
        for option in item.choices:
            if normalize_key(option) == normalize_key(value):
                return option
        raise self._fail(key, f"must be one of {list(item.choices)}, got {value!r}")

    def date(self, key: str) -> dt.date:
        """A calendar date, ``MM/DD/YYYY`` as in the files (ISO ``YYYY-MM-DD`` also accepted)."""
        value = self.raw(key)
        if isinstance(value, str):
            for fmt in _DATE_FORMATS:
                try:
                    return dt.datetime.strptime(value.strip(), fmt).date()
                except ValueError:
                    continue
        raise self._fail(key, f"must be a date MM/DD/YYYY, got {value!r}")

    def days(self, key: str) -> float:
        """A duration in days: a plain number of days, or ``[value, unit]`` in days or weeks."""
        if key not in self._values:
            return self._numeric_default(key)
        value = self._values[key]
        if _is_number(value):
            return float(value)  # type: ignore[arg-type]
        if (
            isinstance(value, list | tuple)
            and len(value) == 2
            and _is_number(value[0])
            and isinstance(value[1], str)
        ):
            try:
                return convert(float(value[0]), value[1], "days")
            except ValueError:
                pass
        raise self._fail(key, f"must be a number of days or [value, 'days'], got {value!r}")
