"""Kidney function: Cockcroft-Gault creatinine clearance, CKD-EPI 2021, MDRD GFR, fractional excretion of sodium."""

from __future__ import annotations

from ..common import AGE, CREATININE, HEIGHT, SEX, SODIUM, WEIGHT, lab
from ..entities import Entities, normalize_key
from ..registry import register
from ..spec import Calculator, Input
from .body import adjusted_body_weight, ideal_weight_kg

__all__: list[str] = []

CG_QUESTION = (
    "What is the patient's Creatinine Clearance using the Cockroft-Gault Equation in terms of mL/min? You should "
    "use the patient's adjusted body weight in kg instead of the patient's actual body weight if the patient is "
    "overweight or obese based on their BMI. If the patient's BMI's normal, set their adjusted body weight to the "
    "minimum of the ideal body and actual weight. If the patient is underweight, please set their adjusted body "
    "weight to their actual body weight."
)


def cockcroft_gault_weight(ents: Entities) -> float:
    """The weight MedCalc-Bench's question prescribes by BMI: actual if < 18.5, min(IBW, actual) if < 25, else ABW."""
    weight = ents.number("weight")
    bmi = weight / (ents.number("height") / 100) ** 2
    if bmi < 18.5:
        return weight
    if bmi < 25:
        return min(ideal_weight_kg(ents), weight)
    return adjusted_body_weight(ents)


@register(
    Calculator(
        id=2,
        name="Creatinine Clearance (Cockcroft-Gault Equation)",
        inputs=(AGE, SEX, WEIGHT, HEIGHT, CREATININE),
        answer="number",
        tolerance="relative_5pct",
        question=CG_QUESTION,
    )
)
def cockcroft_gault(ents: Entities) -> float:
    """Cockcroft DW, Gault MH. Nephron 1976;16:31: (140 − age) × weight × (0.85 if female) / (72 × Scr mg/dL)."""
    sex_factor = 1.0 if ents.choice("sex") == "Male" else 0.85
    return (140 - ents.years()) * cockcroft_gault_weight(ents) * sex_factor / (72 * ents.number("creatinine"))


@register(
    Calculator(
        id=3,
        name="CKD-EPI Equations for Glomerular Filtration Rate",
        inputs=(AGE, SEX, CREATININE),
        answer="number",
        tolerance="relative_5pct",
        question=(
            "Using the 2021 CKD-EPI Creatinine equation, what is the patient's Glomerular Filtration Rate (GFR) in "
            "terms of mL/min/1.73 m²?"
        ),
    )
)
def ckd_epi_2021(ents: Entities) -> float:
    """Inker LA et al. N Engl J Med 2021;385:1737 (race-free CKD-EPI creatinine equation).

    eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [female], κ = 0.7 (F) / 0.9 (M),
    α = −0.241 (F) / −0.302 (M).
    """
    female = ents.choice("sex") == "Female"
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = ents.number("creatinine") / kappa
    egfr = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938 ** ents.years()
    return egfr * (1.012 if female else 1.0)


RACE = Input(
    key="Race",
    label="race",
    kind="choice",
    choices=("Black", "White", "Asian", "Hispanic", "Other"),
    required=False,
    default="Other",
    code_key="race",
)


@register(
    Calculator(
        id=9,
        name="MDRD GFR Equation",
        inputs=(AGE, SEX, CREATININE, RACE),
        answer="number",
        tolerance="relative_5pct",
        question=(
            "Using the MDRD GFR equation, what is the patient's Glomerular Filtration Rate (GFR) in terms of "
            "mL/min/1.73 m²?"
        ),
    )
)
def mdrd(ents: Entities) -> float:
    """Levey AS et al. Ann Intern Med 2006;145:247 (IDMS-traceable 4-variable MDRD).

    GFR = 175 × Scr^−1.154 × age^−0.203 × 0.742 [female] × 1.212 [Black].
    """
    race = ents.raw("Race") if ents.has("Race") else ""
    black = isinstance(race, str) and normalize_key(race) in {
        "black",
        "africanamerican",
        "blackorafricanamerican",
    }
    gfr = 175 * ents.number("creatinine") ** -1.154 * ents.years() ** -0.203
    return gfr * (0.742 if ents.choice("sex") == "Female" else 1.0) * (1.212 if black else 1.0)


URINE_SODIUM = lab(
    "Urine sodium", "urine sodium", "urine_sodium", "mEq/L", ("mEq/L", "mmol/L"), 5, 150, "sodium"
)
URINE_CREATININE = lab(
    "Urine creatinine",
    "urine creatinine",
    "urine_creatinine",
    "mg/dL",
    ("mg/dL", "µmol/L", "mmol/L"),
    10,
    300,
    "creatinine",
)


@register(
    Calculator(
        id=40,
        name="Fractional Excretion of Sodium (FENa)",
        inputs=(SODIUM, CREATININE, URINE_SODIUM, URINE_CREATININE),
        answer="number",
        tolerance="relative_5pct",
        question="What is the patient's FENa percentage?",
    )
)
def fena(ents: Entities) -> float:
    """Espinel CH. JAMA 1976;236:579: FENa % = (serum Cr × urine Na) / (serum Na × urine Cr) × 100."""
    numerator = ents.number("creatinine") * ents.number("Urine sodium")
    return numerator / (ents.number("Sodium") * ents.number("Urine creatinine")) * 100
