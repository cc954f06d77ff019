"""Power analysis for N-PowerAI questions: formulas for six designs, a parser for their prose, and ``solve``.

``solve(question)`` reads a question (a one-sample, paired or two-sample t test, a one-way ANOVA, a
chi-square test of independence or a Cox model; asking for a power or a sample size) and returns the power,
or the sample size rounded up and counted per group or in total as the question asks. It is the N-PowerAI
family's oracle for official rows. By default it answers as MedAgentGym's labels do: four official templates'
labels use a constant of the scenario's textbook example instead of a stated value (``labels``); other
questions, and all with ``convention="stated"``, are answered from the numbers they state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import PowerQuestionError
from .labels import LABEL_TEMPLATES, Convention, LabelTemplate, as_labelled, label_template
from .parse import detect_design, parse_question
from .question import DESIGNS, Call, Design, PowerQuestion, Target

if TYPE_CHECKING:
    from . import formulas

__all__ = [
    "DESIGNS",
    "LABEL_TEMPLATES",
    "Call",
    "Convention",
    "Design",
    "LabelTemplate",
    "PowerQuestion",
    "PowerQuestionError",
    "Target",
    "as_labelled",
    "detect_design",
    "formulas",
    "label_template",
    "parse_question",
    "solve",
]


def __getattr__(name: str) -> object:
    """``npower.formulas`` on first use: it imports scipy.stats, which takes seconds, and only answers need it."""
    if name == "formulas":
        import importlib

        return importlib.import_module(".formulas", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def solve(question: str, *, convention: Convention = "official") -> int | float:
    """The answer to a power-analysis question; ``PowerQuestionError`` names what its wording lacks.

    ``convention="official"``: as the official labels compute it (``labels``); ``"stated"``: from the numbers
    the question states.
    """
    parsed = parse_question(question)
    return (as_labelled(parsed, question) if convention == "official" else parsed).answer()
