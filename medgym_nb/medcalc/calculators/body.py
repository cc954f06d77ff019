"""Body size and haemodynamics: BMI, body surface area, ideal/adjusted/target weight, maintenance fluids, MAP."""

from __future__ import annotations

import math

from ..common import DIASTOLIC, HEIGHT, SEX, SYSTOLIC, WEIGHT, lab
from ..entities import Entities
from ..registry import register
from ..spec import Calculator

__all__ = ["adjusted_body_weight", "ideal_weight_kg"]


def ideal_weight_kg(ents: Entities) -> float:
    """Devine (1974) ideal body weight: 50 kg (men) or 45.5 kg (women) + 2.3 kg per inch over 5 feet."""
    inches = ents.number("height") / 2.54
    base = 50.0 if ents.choice("sex") == "Male" else 45.5
    return base + 2.3 * (inches - 60)


def adjusted_body_weight(ents: Entities) -> float:
    """Adjusted body weight, IBW + 0.4 × (actual − IBW) (Bauer, Applied Clinical Pharmacokinetics)."""
    ibw = ideal_weight_kg(ents)
    return ibw + 0.4 * (ents.number("weight") - ibw)


@register(
    Calculator(
        id=5,
        name="Mean Arterial Pressure (MAP)",
        inputs=(SYSTOLIC, DIASTOLIC),
        answer="number",
        tolerance="relative_5pct",
        question="What is patient's mean arterial pressure in mm Hg?",
    )
)
def mean_arterial_pressure(ents: Entities) -> float:
    """MAP = 2/3 × diastolic + 1/3 × systolic (the standard estimate; MDCalc "Mean Arterial Pressure")."""
    return 2 / 3 * ents.number("Diastolic Blood Pressure") + 1 / 3 * ents.number("Systolic Blood Pressure")


@register(
    Calculator(
        id=6,
        name="Body Mass Index (BMI)",
        inputs=(WEIGHT, HEIGHT),
        answer="number",
        tolerance="relative_5pct",
        question="What is the patient's BMI? Your answer should be in terms of kg/m².",
    )
)
def body_mass_index(ents: Entities) -> float:
    """Quetelet index, weight (kg) / height (m)²."""
    return ents.number("weight") / (ents.number("height") / 100) ** 2


@register(
    Calculator(
        id=10,
        name="Ideal Body Weight",
        inputs=(HEIGHT, SEX),
        answer="number",
        tolerance="relative_5pct",
        question="Based on the patient's height and sex, what is the patient's ideal body weight in terms of kg?",
    )
)
def ideal_body_weight(ents: Entities) -> float:
    """Devine BJ. Gentamicin therapy. Drug Intell Clin Pharm 1974;8:650 — see :func:`ideal_weight_kg`."""
    return ideal_weight_kg(ents)


@register(
    Calculator(
        id=22,
        name="Maintenance Fluids Calculations",
        inputs=(WEIGHT,),
        answer="number",
        tolerance="relative_5pct",
        question=(
            "Based on the patient's weight, what is the patient's maintenance fluid in mL/hr using the 4-2-1 rule?"
        ),
    )
)
def maintenance_fluids(ents: Entities) -> float:
    """Holliday & Segar (Pediatrics 1957) 4-2-1 rule in mL/h: 4 per kg to 10 kg, 2 per kg to 20 kg, 1 beyond."""
    weight = ents.number("weight")
    if weight < 10:
        return 4 * weight
    if weight <= 20:
        return 40 + 2 * (weight - 10)
    return 60 + (weight - 20)


@register(
    Calculator(
        id=60,
        name="Body Surface Area Calculator",
        inputs=(WEIGHT, HEIGHT),
        answer="number",
        tolerance="relative_5pct",
        question="What is the patient's body surface area? Please output your answer in terms of m².",
    )
)
def body_surface_area(ents: Entities) -> float:
    """Mosteller RD. Simplified calculation of body-surface area. N Engl J Med 1987;317:1098: √(cm × kg / 3600)."""
    return math.sqrt(ents.number("height") * ents.number("weight") / 3600)


TARGET_BMI = lab(
    "Body Mass Index (BMI)",
    "target BMI",
    "body_mass_index",
    "kg/m^2",
    ("kg/m^2",),
    18.5,
    30,
    aliases=("Target BMI", "target body mass index"),
)


@register(
    Calculator(
        id=61,
        name="Target weight",
        inputs=(TARGET_BMI, HEIGHT),
        answer="number",
        tolerance="relative_5pct",
        question="Based on the patient's height and target BMI, what is the patient's target weight in kg?",
    )
)
def target_weight(ents: Entities) -> float:
    """Weight that gives the target BMI at this height: BMI × height (m)² (MDCalc "Target Weight")."""
    return ents.number("Body Mass Index (BMI)") * (ents.number("height") / 100) ** 2


@register(
    Calculator(
        id=62,
        name="Adjusted Body Weight",
        inputs=(WEIGHT, HEIGHT, SEX),
        answer="number",
        tolerance="relative_5pct",
        question="Using the adjusted body weight formula, what is the patient's adjusted body weight in terms of kg?",
    )
)
def adjusted_weight(ents: Entities) -> float:
    """IBW + 0.4 × (weight − IBW), with the Devine IBW (see :func:`adjusted_body_weight`)."""
    return adjusted_body_weight(ents)
