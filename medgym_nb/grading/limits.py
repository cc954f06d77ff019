"""Answers graded against accepted limits: a number within [lower, upper], an exact date, an exact
(weeks, days) pair: for calculators whose answers are given with a tolerance interval, dates or durations.

Readers are tolerant of how an agent writes one value (``25.2``, ``'25.2'``, ``25.2 mL/min``, ``12/9/2007``,
``('4 weeks', '2 days')``) and never of several: a list of candidates, a range (``20-30``) or a number followed
by another number is no answer. The verdict message never reveals the limits.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .answers import Answer, parse_printed
from .comparators import Grade

__all__ = [
    "Limits",
    "final_value",
    "grade_within",
    "read_date",
    "read_number",
    "read_weeks_days",
]

_NUMBER = r"[-+\u2212]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
# A unit: letters and unit symbols; digits only as a power (m2, m^2) or the body-surface 1.73 (mL/min/1.73 m²).
_UNIT = r"(?:[A-Za-zµμ°%/²³·.^ ]|(?<=[A-Za-z^])[23]\b|1\.73)*"
_VALUE = re.compile(rf"^\s*(?P<q>['\"]?)\s*(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT}?)\s*(?P=q)\s*$")
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")
_WEEKS_DAYS = (
    re.compile(r"^\W*(\d+)\s*(?:weeks?|wks?)\W*(?:and\W*)?(\d+)\s*(?:days?)?\W*$", re.IGNORECASE),
    re.compile(r"^\(?\s*(\d+)\s*,\s*(\d+)\s*\)?$"),
)


class Limits(BaseModel):
    """An expected answer: ``kind="number"`` is right within [``lower``, ``upper``] (inclusive); ``"date"``
    (``value`` MM/DD/YYYY) and ``"weeks_days"`` (``value`` [weeks, days]) only when exactly equal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["number", "date", "weeks_days"]
    value: Any
    lower: float | None = None
    upper: float | None = None


def final_value(answer: Answer) -> Any:
    """The answer's value; printed text is read by ``parse_printed``, except that text which is no Python
    literal counts by its last line (progress prints, then ``25.2 mL/min``), not as a list of lines."""
    value = answer.typed()
    if answer.kind == "printed" and isinstance(answer.value, str):
        lines = [line.strip() for line in answer.value.splitlines() if line.strip()]
        if len(lines) > 1 and value == lines:
            return parse_printed(lines[-1])
    return value


def _single(value: Any) -> Any:
    """A one-element list or tuple is its element (``[25.2]``, a one-column row); anything else unchanged."""
    if isinstance(value, list | tuple) and len(value) == 1:
        return value[0]
    return value


def read_number(value: Any) -> float | None:
    """One finite number: an int or float, or text holding one number with an optional unit after it."""
    value = _single(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        found = _VALUE.match(value)
        if found is None:
            return None
        number = float(found["number"].replace("\u2212", "-"))
    else:
        return None
    return number if math.isfinite(number) else None


def read_date(value: Any) -> dt.date | None:
    """One calendar date, written M/D/YYYY (zero-padded or not) or ISO YYYY-MM-DD, quoted or not."""
    value = _single(value)
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().strip("'\"").strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _count(value: Any, words: tuple[str, ...]) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        found = re.fullmatch(rf"\s*(\d+)\s*(?:{'|'.join(words)})?\s*", value, re.IGNORECASE)
        if found:
            return int(found[1])
    return None


def read_weeks_days(value: Any) -> tuple[int, int] | None:
    """A (weeks, days) pair: ``(4, 2)``, ``('4 weeks', '2 days')`` or text such as ``4 weeks, 2 days``."""
    if isinstance(value, list | tuple) and len(value) == 2:
        weeks = _count(value[0], ("weeks", "week", "wks", "wk", "w"))
        days = _count(value[1], ("days", "day", "d"))
        return None if weeks is None or days is None else (weeks, days)
    if isinstance(value, str):
        for pattern in _WEEKS_DAYS:
            found = pattern.match(value.strip())
            if found:
                return int(found[1]), int(found[2])
    return None


def _verdict(right: bool, subscore: str) -> Grade:
    return Grade(
        score=float(right),
        passed=right,
        message="correct" if right else f"incorrect: the {subscore} is wrong",
        subscores={subscore: float(right)},
    )


def grade_within(expected: Limits, submitted: Any) -> Grade:
    """Score 1 when ``submitted`` reads as one value of the expected kind and meets the limits, else 0."""
    if expected.kind == "number":
        number = read_number(submitted)
        if number is None:
            return _unreadable("one number (a unit after it is allowed; no lists or ranges)")
        assert expected.lower is not None and expected.upper is not None
        return _verdict(expected.lower <= number <= expected.upper, "value")
    if expected.kind == "date":
        date = read_date(submitted)
        if date is None:
            return _unreadable("one date, MM/DD/YYYY")
        return _verdict(date == read_date(expected.value), "date")
    pair = read_weeks_days(submitted)
    if pair is None:
        return _unreadable("one (weeks, days) pair such as ('4 weeks', '2 days')")
    return _verdict(pair == read_weeks_days(expected.value), "gestational age")


def _unreadable(what: str) -> Grade:
    return Grade(score=0.0, passed=False, message=f"unreadable answer: give {what}")
