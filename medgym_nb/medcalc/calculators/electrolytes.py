"""Electrolytes and chemistry: anion gap family, corrected calcium and sodium, osmolality, free water deficit,
LDL (Friedewald) and HOMA-IR."""

from __future__ import annotations

from ..common import AGE, ALBUMIN, BICARBONATE, BUN, CHLORIDE, GLUCOSE, SEX, SODIUM, WEIGHT, lab
from ..entities import Entities
from ..errors import MedcalcInputError
from ..registry import register
from ..spec import Calculator

__all__: list[str] = []

NORMAL_ALBUMIN_G_DL = 4.0
NORMAL_ANION_GAP = 12.0
NORMAL_BICARBONATE = 24.0


def _calculator(id: int, name: str, inputs: tuple, question: str) -> Calculator:  # type: ignore[type-arg]
    return Calculator(
        id=id, name=name, inputs=inputs, answer="number", tolerance="relative_5pct", question=question
    )


def anion_gap_value(ents: Entities) -> float:
    """Na − (Cl + HCO₃⁻), all in mEq/L (Emmett M, Narins RG. Medicine 1977;56:38)."""
    return ents.number("Sodium") - (ents.number("Chloride") + ents.number("Bicarbonate"))


def albumin_corrected_gap(ents: Entities) -> float:
    """Anion gap + 2.5 × (4 − albumin g/dL) (Figge J et al. Crit Care Med 1998;26:1807)."""
    return anion_gap_value(ents) + 2.5 * (NORMAL_ALBUMIN_G_DL - ents.number("Albumin"))


def _ratio(ents: Entities, delta_gap: float) -> float:
    """Δgap / Δbicarbonate, (gap − 12) / (24 − HCO₃⁻); undefined at a bicarbonate of exactly 24."""
    denominator = NORMAL_BICARBONATE - ents.number("Bicarbonate")
    if denominator == 0:
        raise MedcalcInputError(
            f"{ents.calculator.name}: undefined for a bicarbonate of 24 mEq/L (divides by 0)"
        )
    return delta_gap / denominator


GAP_INPUTS = (SODIUM, CHLORIDE, BICARBONATE)


@register(_calculator(39, "Anion Gap", GAP_INPUTS, "What is the patient's anion gap in terms of mEq/L?"))
def anion_gap(ents: Entities) -> float:
    """Serum anion gap, Na − (Cl + HCO₃⁻)."""
    return anion_gap_value(ents)


@register(_calculator(63, "Delta Gap", GAP_INPUTS, "What is the patient's delta gap in mEq/L?"))
def delta_gap(ents: Entities) -> float:
    """Δgap = anion gap − 12 (Wrenn K. Ann Emerg Med 1990;19:1310)."""
    return anion_gap_value(ents) - NORMAL_ANION_GAP


@register(_calculator(64, "Delta Ratio", GAP_INPUTS, "What is the patient's delta ratio?"))
def delta_ratio(ents: Entities) -> float:
    """Δ ratio = (anion gap − 12) / (24 − HCO₃⁻) (Rastegar A. J Am Soc Nephrol 2007;18:2429)."""
    return _ratio(ents, anion_gap_value(ents) - NORMAL_ANION_GAP)


ALBUMIN_GAP_INPUTS = (SODIUM, CHLORIDE, BICARBONATE, ALBUMIN)


@register(
    _calculator(
        65,
        "Albumin Corrected Anion Gap",
        ALBUMIN_GAP_INPUTS,
        "What is the patient's albumin corrected anion gap in mEq/L?",
    )
)
def albumin_corrected_anion_gap(ents: Entities) -> float:
    """Anion gap + 2.5 × (4 − albumin g/dL) (Figge 1998)."""
    return albumin_corrected_gap(ents)


@register(
    _calculator(
        66,
        "Albumin Corrected Delta Gap",
        ALBUMIN_GAP_INPUTS,
        "What is the patient's albumin corrected delta gap in mEq/L?",
    )
)
def albumin_corrected_delta_gap(ents: Entities) -> float:
    """Albumin-corrected anion gap − 12."""
    return albumin_corrected_gap(ents) - NORMAL_ANION_GAP


@register(
    _calculator(
        67,
        "Albumin Corrected Delta Ratio",
        ALBUMIN_GAP_INPUTS,
        "What is the patient's albumin corrected delta ratio?",
    )
)
def albumin_corrected_delta_ratio(ents: Entities) -> float:
    """(Albumin-corrected anion gap − 12) / (24 − HCO₃⁻)."""
    return _ratio(ents, albumin_corrected_gap(ents) - NORMAL_ANION_GAP)


CALCIUM = lab(
    "Calcium", "serum calcium", "calcium", "mg/dL", ("mg/dL", "mmol/L", "mEq/L"), 6.0, 14.0, "calcium"
)


@register(
    _calculator(
        7,
        "Calcium Correction for Hypoalbuminemia",
        (CALCIUM, ALBUMIN),
        "Using the Calcium Correction for Hypoalbuminemia formula, what is the patient's corrected calcium in "
        "mg/dL? Your may set your normal albumin concentration to be 4 g/dL.",
    )
)
def corrected_calcium(ents: Entities) -> float:
    """Payne RB et al. BMJ 1973;4:643: Ca (mg/dL) + 0.8 × (4 − albumin g/dL)."""
    return ents.number("Calcium") + 0.8 * (NORMAL_ALBUMIN_G_DL - ents.number("Albumin"))


@register(
    _calculator(
        26,
        "Sodium Correction for Hyperglycemia",
        (SODIUM, GLUCOSE),
        "What is the patient's corrected sodium concentration in terms of mEq/L?",
    )
)
def corrected_sodium(ents: Entities) -> float:
    """Hillier TA et al. Am J Med 1999;106:399: Na + 0.024 × (glucose mg/dL − 100)."""
    return ents.number("Sodium") + 0.024 * (ents.number("Glucose") - 100)


@register(
    _calculator(
        30,
        "Serum Osmolality",
        (SODIUM, BUN, GLUCOSE),
        "What is the patient's serum osmolality in terms of mOsm/kg?",
    )
)
def serum_osmolality(ents: Entities) -> float:
    """Calculated osmolality 2 × Na + BUN/2.8 + glucose/18 (mg/dL inputs; Dorwart WV, Chalmers L. Clin Chem 1975)."""
    return (
        2 * ents.number("Sodium")
        + ents.number("Blood Urea Nitrogen (BUN)") / 2.8
        + ents.number("Glucose") / 18
    )


INSULIN = lab(
    "Insulin", "fasting insulin", "insulin", "µIU/mL", ("µIU/mL", "pmol/L", "ng/mL"), 2, 60, "insulin"
)
FASTING_GLUCOSE = lab(
    "Fasting Glucose",
    "fasting glucose",
    "glucose",
    "mg/dL",
    ("mg/dL", "mmol/L"),
    60,
    300,
    "glucose",
    aliases=("Glucose",),
)


@register(
    _calculator(
        31,
        "HOMA-IR (Homeostatic Model Assessment for Insulin Resistance)",
        (INSULIN, FASTING_GLUCOSE),
        "What is the patient's HOMA-IR score?",
    )
)
def homa_ir(ents: Entities) -> float:
    """Matthews DR et al. Diabetologia 1985;28:412: insulin (µIU/mL) × glucose (mg/dL) / 405."""
    return ents.number("Insulin") * ents.number("Fasting Glucose") / 405


TOTAL_CHOLESTEROL = lab(
    "Total cholesterol",
    "total cholesterol",
    "total_cholestrol",
    "mg/dL",
    ("mg/dL", "mmol/L"),
    120,
    320,
    "cholesterol",
)
HDL = lab(
    "high-density lipoprotein cholesterol",
    "HDL cholesterol",
    "hdl_cholestrol",
    "mg/dL",
    ("mg/dL", "mmol/L"),
    25,
    90,
    "cholesterol",
)
TRIGLYCERIDES = lab(
    "Triglycerides", "triglycerides", "triglycerides", "mg/dL", ("mg/dL", "mmol/L"), 40, 399, "triglycerides"
)


@register(
    _calculator(
        44,
        "LDL Calculated",
        (TOTAL_CHOLESTEROL, HDL, TRIGLYCERIDES),
        "What is the patient's LDL cholestrol concentration? Please outuput your answer in terms of mg/dL.",
    )
)
def ldl_friedewald(ents: Entities) -> float:
    """Friedewald WT et al. Clin Chem 1972;18:499: LDL = TC − HDL − TG/5 (mg/dL)."""
    total = ents.number("Total cholesterol")
    return total - ents.number("high-density lipoprotein cholesterol") - ents.number("Triglycerides") / 5


def total_body_water_fraction(ents: Entities) -> float:
    """Share of weight that is water: 0.6 children and adult men, 0.5 adult women and older men, 0.45 older women."""
    age, male = ents.years(), ents.choice("sex") == "Male"
    if age < 18:
        return 0.6
    if age < 65:
        return 0.6 if male else 0.5
    return 0.5 if male else 0.45


@register(
    _calculator(
        38,
        "Free Water Deficit",
        (AGE, SEX, WEIGHT, SODIUM),
        "What is the patient's free water deficit in terms of liters? You may take the ideal sodium concentration "
        "to be 140 mEq/L.",
    )
)
def free_water_deficit(ents: Entities) -> float:
    """Adrogué HJ, Madias NE. N Engl J Med 2000;342:1493: TBW fraction × weight × (Na / 140 − 1), in litres."""
    return total_body_water_fraction(ents) * ents.number("weight") * (ents.number("Sodium") / 140 - 1)
