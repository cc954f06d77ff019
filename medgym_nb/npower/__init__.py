"""Power analysis for N-PowerAI questions: formulas for six designs, a parser for their prose, and ``solve``.

``solve(question)`` reads a question (a one-sample, paired or two-sample t test, a one-way ANOVA, a
chi-square test of independence or a Cox model; asking for a power or a sample size) and returns the power,
or the sample size rounded up and counted per group or in total as the question asks. It is the N-PowerAI
family's oracle and its generated suite's ground truth.
"""

from __future__ import annotations

from . import formulas
from .parse import detect_design, parse_question
from .question import DESIGNS, Call, Design, PowerQuestion, Target

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


def solve(question: str) -> int | float:
    """The answer to a power-analysis question; ``PowerQuestionError`` names what its wording lacks."""
    return parse_question(question).answer()
