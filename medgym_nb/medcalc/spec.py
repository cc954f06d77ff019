"""What a MedCalc-Bench calculator takes and answers: the serialisable description generators and graders read.

A :class:`Calculator` says which entities a calculator reads (their official ``Relevant Entities`` keys, the
canonical unit of each and every unit we convert from), how its answer is written and how the official file
sets the accepted range around it. The formulas themselves live in the calculator modules; this file is data.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["AnswerKind", "Calculator", "Input", "InputKind", "Tolerance"]

InputKind = Literal["number", "bool", "choice", "date", "duration"]
AnswerKind = Literal["number", "date", "weeks_days"]
Tolerance = Literal["exact", "relative_5pct"]


class Input(BaseModel, frozen=True):
    """One entity a calculator reads.

    ``key`` is the key the official ``Relevant Entities`` use. ``code_key`` is the key MedCalc-Bench's own
    implementation (the ``medcalc-bench`` package) reads, and ``aliases`` are other spellings seen in the
    files; all of them are accepted, compared case- and punctuation-insensitively. ``analyte`` names the
    substance of a lab value (a key of ``units.ANALYTES``) so mass, molar and mEq units convert. ``step`` is
    the resolution notes report the value at (1 for counts such as doses per day), for generators.
    """

    key: str
    label: str
    kind: InputKind
    unit: str | None = None
    units: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = True
    step: float | None = None
    default: str | float | bool | None = None
    analyte: str | None = None
    code_key: str | None = None
    aliases: tuple[str, ...] = ()


class Calculator(BaseModel, frozen=True):
    """One of the 55 MedCalc-Bench calculators, by its official id and name."""

    id: int
    name: str
    inputs: tuple[Input, ...]
    answer: AnswerKind
    tolerance: Tolerance
    question: str

    def input(self, key: str) -> Input:
        """The input with this official key (a programming error if absent, hence KeyError)."""
        for item in self.inputs:
            if item.key == key:
                return item
        raise KeyError(f"{self.name} has no input {key!r}")
