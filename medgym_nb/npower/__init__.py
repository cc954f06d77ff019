"""Power analysis for N-PowerAI questions: formulas for six designs, a parser for their prose, and ``solve``.

``solve(question)`` reads a question (a one-sample, paired or two-sample t test, a one-way ANOVA, a
chi-square test of independence or a Cox model; asking for a power or a sample size) and returns the power,
or the sample size rounded up and counted per group or in total as the question asks. It is the N-PowerAI
family's oracle and its generated suite's ground truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .parse import detect_design, parse_question
from .question import DESIGNS, Call, Design, PowerQuestion, Target

if TYPE_CHECKING:
    from . import formulas

__all__ = [
    "DESIGNS",
    "Call",
    "Design",
    "PowerQuestion",
    "Target",
    "detect_design",
    "formulas",
    "parse_question",
    "solve",
]


def __getattr__(name: str) -> object:
    """``npower.formulas`` on first use: it imports scipy.stats, which takes seconds, and only answers need it."""
    if name == "formulas":
        import importlib

        return importlib.import_module(".formulas", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def solve(question: str) -> int | float:
    """The answer to a power-analysis question; ``PowerQuestionError`` names what its wording lacks."""
    return parse_question(question).answer()
