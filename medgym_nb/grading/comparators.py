"""Typed comparators: numbers with tolerances, normalised strings, lists with or without order.

Never substring matching: ``"42"`` does not pass for ``4``, and an answer that prints many candidates does
not pass because one of them is right.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from ..tasks.model import AnswerSpec

__all__ = ["GRADE_MIME", "Grade", "combine_parts", "compare", "publish"]

GRADE_MIME = "application/vnd.medgym.grade+json"

_TRUE = {"true", "yes"}
_FALSE = {"false", "no"}
_NULL = {"none", "null", "nan"}


class Grade(BaseModel):
    """A verdict: ``score`` in [0, 1], ``passed``, a message the agent may see, and named sub-scores."""

    score: float = Field(ge=0, le=1)
    passed: bool
    message: str
    subscores: dict[str, float] = Field(default_factory=dict)


def _norm(value: Any) -> Any:
    """A comparable form: numbers become floats, strings are trimmed, lower-cased and space-folded."""
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    if isinstance(value, list | tuple) and len(value) == 1:  # a one-column row such as (42,)
        return _norm(value[0])
    text = " ".join(str(value).split()).lower()
    if text in _NULL:
        return None
    if text in _TRUE or text in _FALSE:
        return float(text in _TRUE)
    try:
        number = float(text)
    except ValueError:
        return text
    return None if math.isnan(number) else number


def _same(a: Any, b: Any, spec: AnswerSpec) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=spec.rel_tol, abs_tol=spec.abs_tol)
    return a == b


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else list(value)
        return [_norm(v) for v in items]
    return [_norm(value)]


def compare(spec: AnswerSpec, expected: Any, submitted: Any) -> Grade:
    """Compare ``submitted`` with ``expected`` under ``spec``; the message never reveals expected values."""
    want, got = _as_list(expected), _as_list(submitted)
    if spec.kind != "list" and len(got) != 1:
        return Grade(
            score=0.0, passed=False, message=f"incorrect: expected one {spec.kind}, got {len(got)} values"
        )
    if spec.ordered:
        matched = sum(_same(w, g, spec) for w, g in zip(want, got, strict=False))
    else:
        unused = list(got)
        matched = 0
        for w in want:
            hit = next((i for i, g in enumerate(unused) if _same(w, g, spec)), None)
            if hit is not None:
                unused.pop(hit)
                matched += 1
    recall = matched / len(want) if want else float(not got)
    passed = len(got) == len(want) and matched == len(want)
    if passed:
        message = f"correct: all {len(want)} expected value(s) match"
    elif len(got) != len(want):
        message = f"incorrect: expected {len(want)} value(s), got {len(got)}"
    elif spec.ordered:
        message = f"incorrect: {len(want) - matched} of {len(want)} value(s) differ or are out of order"
    else:
        message = f"incorrect: {len(want) - matched} of {len(want)} expected value(s) not found in the answer"
    return Grade(
        score=1.0 if passed else 0.0, passed=passed, message=message, subscores={"value_recall": recall}
    )


def combine_parts(grades: list[Grade], total: int) -> Grade:
    """The verdict of a multi-part task: the share of its ``total`` questions answered correctly (an
    unanswered question counts as wrong), passed only when all are; each part's score is a sub-score."""
    right = sum(g.passed for g in grades)
    subscores = {f"q{i + 1}": (grades[i].score if i < len(grades) else 0.0) for i in range(total)}
    return Grade(
        score=sum(subscores.values()) / total,
        passed=right == total,
        message=f"{right} of {total} questions answered correctly",
        subscores=subscores,
    )


def publish(grade: Grade) -> None:
    """Display ``grade`` under our MIME type; called from grader notebooks, read back by ``grading.notebook``."""
    from IPython.display import display

    display({GRADE_MIME: grade.model_dump(), "text/plain": repr(grade)}, raw=True)
