"""Generated N-PowerAI questions: the six designs in several phrasings each, asking for a power or a size.

Parameters are drawn in realistic ranges and the ground truth is the formulas' answer for exactly those
parameters (``PowerQuestion.answer``), never the parser's reading of the text; tests check that the parser
reads every generated text back to the same answer. Draws that would make a degenerate task (a power above
0.995 or below 0.1, a size above 5000) are drawn again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .question import Design, Number, PowerQuestion, Target

__all__ = ["GeneratedQuestion", "generate"]


@dataclass(frozen=True)
class GeneratedQuestion:
    """A question's text, the parameters it was written from, and its answer."""

    text: str
    params: PowerQuestion
    answer: int | float


@dataclass(frozen=True)
class _Draw:
    """One design's drawn values and the scenario sentences stating them (everything but the ask)."""

    values: dict[str, Number]
    scenario: str
    groups: int
    subjects: str


def _alpha_phrase(rng: random.Random, alpha: float) -> str:
    return rng.choice(
        [
            f"at a significance level of {alpha}",
            f"with α = {alpha}",
            f"at the {alpha} level",
            f"using a {alpha * 100:g}% significance level",
        ]
    )


def _power_phrase(rng: random.Random, power: float) -> str:
    return rng.choice([f"a power of {power * 100:g}%", f"{power * 100:g}% power", f"a power of {power}"])


def _sides_phrase(rng: random.Random, sides: int) -> str:
    return rng.choice(["two-sided", "two-tailed"] if sides == 2 else ["one-sided", "one-tailed"])


def _one_sample(rng: random.Random) -> _Draw:
    sd = round(rng.uniform(5, 25), 1)
    reference = round(rng.uniform(80, 140))
    mean = round(reference + rng.choice([-1, 1]) * rng.uniform(0.15, 0.8) * sd, 1)
    scenario = rng.choice(
        [
            f"The population mean of fasting glucose in healthy adults is {reference} mg/dL. An "
            f"endocrinologist expects the mean in adults on a new diet to be {mean} mg/dL, with a standard "
            f"deviation of {sd} mg/dL, and will test whether it differs from {reference}.",
            f"A one-sample study will compare the mean heart rate of marathon runners with the known mean of "
            f"{reference} beats per minute. The investigators anticipate a mean of {mean} with a standard "
            f"deviation of {sd}.",
        ]
    )
    return _Draw({"reference": float(reference), "mean": mean, "sd": sd}, scenario, 1, "participants")


def _paired(rng: random.Random) -> _Draw:
    sd = round(rng.uniform(6, 30), 1)
    difference = round(rng.uniform(0.2, 0.7) * sd, 1)
    scenario = rng.choice(
        [
            f"A nurse researcher will measure anxiety scores before and after a mindfulness course in the "
            f"same patients. She expects a mean reduction of {difference} points, with a standard deviation of "
            f"the differences of {sd}.",
            f"In a paired design, each subject's systolic pressure is recorded at baseline and after 8 weeks of "
            f"treatment. The expected mean change is {difference} mmHg and the standard deviation of the "
            f"changes is {sd} mmHg.",
        ]
    )
    return _Draw({"difference": difference, "sd": sd}, scenario, 1, "patients")


def _two_sample(rng: random.Random) -> _Draw:
    sd1, sd2 = round(rng.uniform(8, 25), 1), round(rng.uniform(8, 25), 1)
    difference = round(rng.uniform(0.3, 0.9) * (sd1 + sd2) / 2, 1)
    common = rng.random() < 0.4
    spread = (
        f"a common standard deviation of {sd1}"
        if common
        else f"standard deviations of {sd1} and {sd2} in the first and second groups"
    )
    scenario = rng.choice(
        [
            f"A trial will randomise patients to two treatments for hypertension, a new drug or the standard "
            f"one. The expected mean difference in systolic pressure between the groups is {difference} "
            f"mmHg, with {spread}.",
            f"Two independent groups of children will receive either a reading intervention or usual "
            f"teaching. The difference in mean test scores is expected to be {difference} points, assuming "
            f"{spread}.",
        ]
    )
    return _Draw({"difference": difference, "sds": [sd1] if common else [sd1, sd2]}, scenario, 2, "subjects")


def _anova(rng: random.Random) -> _Draw:
    groups = rng.choice([3, 4, 5])
    sd = round(rng.uniform(5, 20), 1)
    base = rng.uniform(30, 90)
    means = [round(base + rng.uniform(-0.6, 0.6) * sd, 1) for _ in range(groups)]
    listed = ", ".join(str(m) for m in means[:-1]) + f", and {means[-1]}"
    scenario = rng.choice(
        [
            f"A one-way ANOVA will compare {groups} exercise programmes on weight loss. The expected mean "
            f"weight losses for each group are {listed} kg, respectively, with a common standard deviation of "
            f"{sd} kg.",
            f"An analysis of variance will compare pain scores across {groups} analgesic regimens. The "
            f"investigators assume that the means for each group will be {listed}, and that the standard "
            f"deviation within every group is {sd}.",
        ]
    )
    return _Draw({"means": means, "sd": sd}, scenario, groups, "patients")


def _proportions(rng: random.Random, categories: int) -> list[float]:
    weights = [rng.uniform(0.2, 1) for _ in range(categories)]
    shares = [round(w / sum(weights), 3) for w in weights]
    shares[-1] = round(1 - sum(shares[:-1]), 3)
    return shares


def _chisq(rng: random.Random) -> _Draw:
    categories = rng.choice([3, 4])
    names = rng.choice([("smokers", "non-smokers"), ("females", "males"), ("urban", "rural")])
    rows = [_proportions(rng, categories) for _ in names]
    stated = ", and ".join(
        ", ".join(str(p) for p in row[:-1]) + f" and {row[-1]} in {name}"
        for row, name in zip(rows, names, strict=True)
    )
    scenario = rng.choice(
        [
            f"A survey will test the association between {names[0]}/{names[1]} status and self-rated health in "
            f"{categories} categories. The expected proportions of the categories are {stated}.",
            f"A chi-square test of independence will relate {names[0]} versus {names[1]} to {categories} levels "
            f"of physical activity; the proportions of the levels are assumed to be {stated}.",
        ]
    )
    return _Draw({"table": rows}, scenario, len(names), "respondents")


def _cox(rng: random.Random) -> _Draw:
    hr = round(rng.choice([rng.uniform(0.45, 0.8), rng.uniform(1.3, 2.2)]), 2)
    p1, p2 = round(rng.uniform(0.15, 0.6), 3), round(rng.uniform(0.15, 0.6), 3)
    scenario = rng.choice(
        [
            f"A randomised trial will compare a new chemotherapy with standard care in two arms of equal size, "
            f"analysed with a Cox proportional-hazards model. The probabilities of death during follow-up are "
            f"expected to be {p1} and {p2} in the two arms, and the hazard ratio is assumed to be {hr}.",
            f"Patients will be randomised to two groups to compare time to relapse. The probabilities of "
            f"relapse over the study are {p1} and {p2}, and the hazard ratio between the groups is {hr}.",
        ]
    )
    return _Draw({"hazard_ratio": hr, "event_probs": [p1, p2]}, scenario, 2, "patients")


_DRAWS: dict[Design, Callable[[random.Random], _Draw]] = {
    "one_sample_t": _one_sample,
    "paired_t": _paired,
    "two_sample_t": _two_sample,
    "anova": _anova,
    "chisq": _chisq,
    "cox": _cox,
}


def _ask(rng: random.Random, draw: _Draw, design: Design, target: Target) -> tuple[str, PowerQuestion]:
    alpha = rng.choice([0.05, 0.05, 0.01, 0.1])
    sides = 1 if design in ("anova", "chisq") else rng.choice([1, 2])
    test = "" if design in ("anova", "chisq") else f" with a {_sides_phrase(rng, sides)} test"
    grouped = draw.groups > 1
    unit = rng.choice(["per_group", "total"]) if grouped else "per_group"
    fields: dict[str, object] = {
        "design": design,
        "target": target,
        "alpha": alpha,
        "sides": sides,
        "values": draw.values,
        "size_unit": unit,
    }
    if target == "size":
        power = rng.choice([0.8, 0.85, 0.9, 0.95])
        counted = (" in each group" if unit == "per_group" else " in total") if grouped else ""
        ask = rng.choice(
            [
                f"How many {draw.subjects} are needed{counted} to achieve {_power_phrase(rng, power)}{test} "
                f"{_alpha_phrase(rng, alpha)}?",
                f"What sample size is required{counted} for {_power_phrase(rng, power)}{test} "
                f"{_alpha_phrase(rng, alpha)}?",
            ]
        )
        return ask, PowerQuestion.model_validate({**fields, "power": power})
    per_group = rng.randrange(10, 400 if design in ("chisq", "cox") else 120)
    n = per_group * draw.groups if unit == "total" else per_group
    stated = (
        f"{per_group} {draw.subjects} in each group"
        if grouped and unit == "per_group"
        else f"a total of {n} {draw.subjects}"
        if grouped
        else f"{n} {draw.subjects}"
    )
    ask = rng.choice(
        [
            f"The study will enrol {stated}. What is the power{test} {_alpha_phrase(rng, alpha)}?",
            f"With {stated}, what would be the power of the study{test} {_alpha_phrase(rng, alpha)}?",
        ]
    )
    return ask, PowerQuestion.model_validate({**fields, "n": n})


def _acceptable(question: PowerQuestion, answer: int | float) -> bool:
    if question.target == "power":
        return 0.1 <= answer <= 0.995
    return answer <= 5000


def generate(design: Design, target: Target, rng: random.Random) -> GeneratedQuestion:
    """One question of ``design`` asking for ``target``, drawn with ``rng``."""
    while True:
        draw = _DRAWS[design](rng)
        ask, params = _ask(rng, draw, design, target)
        answer = params.answer()
        if _acceptable(params, answer):
            return GeneratedQuestion(f"{draw.scenario} {ask}", params, answer)
