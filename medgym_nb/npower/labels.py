"""How MedAgentGym's N-PowerAI labels were computed where they depart from the numbers their question states.

The official files are written from twelve question templates, one per design × target, each a fixed study
scenario with varied numbers. In four of them the released answer is not the formula's answer for the
question's own numbers but for a constant of the scenario's textbook example, whatever the question says:
the diet study's two-sample sizes use a mean difference of 10, the cholesterol study's paired powers 42 pairs,
the mathematics-education study's ANOVA powers 31 subjects per group, and the vitamin A study's Cox powers a
hazard ratio of 0.7 (Rosner's example). Every train row that disagrees with its stated numbers is one of these
and agrees with its constant (tests).

``solve`` answers as the labels do (``convention="official"``, the default, since the labels are what the
benchmark scores) only for questions of those templates — their design, target and scenario; any other
question, and every question with ``convention="stated"``, is answered from the numbers it states.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .question import Design, PowerQuestion, Target

__all__ = ["LABEL_TEMPLATES", "Convention", "LabelTemplate", "as_labelled", "label_template"]

Convention = Literal["official", "stated"]


class LabelTemplate(BaseModel):
    """An official template whose labels use ``constants`` (fields of ``PowerQuestion``, or entries of its
    ``values``) in place of the stated ones; ``scenario`` is a regular expression its study description matches."""

    model_config = ConfigDict(frozen=True)

    design: Design
    target: Target
    scenario: str
    constants: dict[str, Any]


LABEL_TEMPLATES: tuple[LabelTemplate, ...] = (
    LabelTemplate(
        design="two_sample_t",
        target="size",
        scenario=r"\bdietician\b",
        constants={"values": {"difference": 10.0}},
    ),
    LabelTemplate(
        design="paired_t",
        target="power",
        scenario=r"\bcholesterol levels before and after\b",
        constants={"n": 42},
    ),
    LabelTemplate(design="anova", target="power", scenario=r"\bmathematics education\b", constants={"n": 31}),
    LabelTemplate(
        design="cox",
        target="power",
        scenario=r"\bvitamin A\b.*\bvisual loss\b",
        constants={"values": {"hazard_ratio": 0.7}},
    ),
)


def label_template(question: PowerQuestion, text: str) -> LabelTemplate | None:
    """The template whose label convention applies to ``question`` (parsed from ``text``), if any."""
    for template in LABEL_TEMPLATES:
        if (template.design, template.target) == (question.design, question.target) and re.search(
            template.scenario, text, re.IGNORECASE | re.DOTALL
        ):
            return template
    return None


def as_labelled(question: PowerQuestion, text: str) -> PowerQuestion:
    """``question`` as its official template's labels read it: unchanged unless ``label_template`` applies."""
    template = label_template(question, text)
    if template is None:
        return question
    update = dict(template.constants)
    if "values" in update:
        update["values"] = {**question.values, **update["values"]}
    return question.model_copy(update=update)
