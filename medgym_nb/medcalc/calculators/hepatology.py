"""Liver and upper GI: Child-Pugh, MELD Na (UNOS/OPTN), FIB-4, Glasgow-Blatchford bleeding score."""

from __future__ import annotations

import math

from ..common import (
    AGE,
    ALBUMIN,
    BUN,
    CREATININE,
    HEART_RATE,
    SEX,
    SODIUM,
    SYSTOLIC,
    band,
    criterion,
    exact_score,
    lab,
    score_flags,
)
from ..entities import Entities
from ..registry import register
from ..spec import Calculator, Input

__all__: list[str] = []

BILIRUBIN = lab(
    "Bilirubin", "total bilirubin", "bilirubin", "mg/dL", ("mg/dL", "µmol/L"), 0.3, 15, "bilirubin"
)
INR = lab("international normalized ratio", "INR", "inr", None, (), 0.9, 4.0, aliases=("INR",))
ASCITES = Input(
    key="Ascites",
    label="ascites",
    kind="choice",
    choices=("Absent", "Slight", "Moderate"),
    required=False,
    default="Absent",
    code_key="ascites",
)
ENCEPHALOPATHY = Input(
    key="Encephalopathy",
    label="hepatic encephalopathy",
    kind="choice",
    choices=("No Encephalopathy", "Grade 1-2", "Grade 3-4"),
    required=False,
    default="No Encephalopathy",
    code_key="encephalopathy",
)


@register(
    exact_score(
        15,
        "Child-Pugh Score for Cirrhosis Mortality",
        (BILIRUBIN, ALBUMIN, INR, ASCITES, ENCEPHALOPATHY),
        "What is the patient's Child-Pugh Score?",
    )
)
def child_pugh(ents: Entities) -> int:
    """Pugh RNH et al. Br J Surg 1973;60:646 (as on MDCalc): bilirubin < 2 / 2-3 / > 3 mg/dL, albumin > 3.5 /
    2.8-3.5 / < 2.8 g/dL, INR < 1.7 / 1.7-2.3 / > 2.3, ascites and encephalopathy 1 to 3 points each."""
    bilirubin, albumin, inr = ents.number("Bilirubin"), ents.number("Albumin"), ents.number(INR.key)
    score = 1 if bilirubin < 2 else 2 if bilirubin <= 3 else 3
    score += 1 if albumin > 3.5 else 2 if albumin >= 2.8 else 3
    score += 1 if inr < 1.7 else 2 if inr <= 2.3 else 3
    score += 1 + ASCITES.choices.index(ents.choice(ASCITES.key))
    return score + 1 + ENCEPHALOPATHY.choices.index(ents.choice(ENCEPHALOPATHY.key))


DIALYSIS = criterion(
    "Dialysis at least twice in the past week",
    "dialysis twice in the past week",
    "dialysis_twice",
)
CVVHD = criterion(
    "Continuous veno-venous hemodialysis for ≥24 hours in the past week",
    "CVVHD ≥ 24 h in the past week",
    "cvvhd",
)


@register(
    exact_score(
        23,
        "MELD Na (UNOS/OPTN)",
        (CREATININE, BILIRUBIN, INR, SODIUM, DIALYSIS, CVVHD),
        "What is the patient's MELD Na score?",
    )
)
def meld_na(ents: Entities) -> int:
    """UNOS/OPTN MELD-Na (policy of January 2016; Kim WR et al. N Engl J Med 2008;359:1018).

    Creatinine, bilirubin and INR below 1 count as 1; creatinine above 4, or dialysis twice / CVVHD ≥ 24 h in the
    past week, counts as 4; sodium is bounded to 125-137. MELD(i) = 0.957 ln Cr + 0.378 ln bili + 1.120 ln INR +
    0.643, rounded to the tenth and × 10; if > 11, MELD-Na = MELD + 1.32 (137 − Na) − 0.033 MELD (137 − Na);
    rounded to an integer, at most 40.
    """
    dialysis = ents.flag(DIALYSIS.key) or ents.flag(CVVHD.key)
    creatinine = 4.0 if dialysis else min(max(ents.number("creatinine"), 1.0), 4.0)
    bilirubin = max(ents.number("Bilirubin"), 1.0)
    inr = max(ents.number(INR.key), 1.0)
    sodium = min(max(ents.number("Sodium"), 125.0), 137.0)
    meld_i = 0.957 * math.log(creatinine) + 0.378 * math.log(bilirubin) + 1.120 * math.log(inr) + 0.643
    meld = round(meld_i, 1) * 10
    if meld > 11:
        meld = meld + 1.32 * (137 - sodium) - 0.033 * meld * (137 - sodium)
    return min(round(meld), 40)


PLATELETS = lab(
    "Platelet count",
    "platelet count",
    "platelet_count",
    "10^9/L",
    ("10^9/L", "µL", "10^3/µL", "L", "mm^3"),
    20,
    450,
)
AST = lab("Aspartate aminotransferase", "AST", "ast", "U/L", ("U/L",), 10, 300, aliases=("AST",))
ALT = lab("Alanine aminotransferase", "ALT", "alt", "U/L", ("U/L",), 10, 300, aliases=("ALT",))


@register(
    Calculator(
        id=19,
        name="Fibrosis-4 (FIB-4) Index for Liver Fibrosis",
        inputs=(AGE, AST, ALT, PLATELETS),
        answer="number",
        tolerance="relative_5pct",
        question="What is the patient's Fibrosis-4 (FIB-4) index?",
    )
)
def fib4(ents: Entities) -> float:
    """Sterling RK et al. Hepatology 2006;43:1317: age × AST / (platelets [10⁹/L] × √ALT)."""
    denominator = ents.number("Platelet count") * math.sqrt(ents.number(ALT.key))
    return ents.years() * ents.number(AST.key) / denominator


HEMOGLOBIN = lab("Hemoglobin", "hemoglobin", "hemoglobin", "g/dL", ("g/dL", "g/L"), 5, 17, "hemoglobin")
GBS_FLAGS = {
    criterion("Melena present", "melena", "melena_present"): 1,
    criterion("Recent syncope", "recent syncope", "syncope"): 2,
    criterion("Hepatic disease history", "hepatic disease", "hepatic_disease_history"): 2,
    criterion("Cardiac failure present", "cardiac failure", "cardiac_failure"): 2,
}


@register(
    exact_score(
        27,
        "Glasgow-Blatchford Bleeding Score (GBS)",
        (HEMOGLOBIN, BUN, SYSTOLIC, SEX, HEART_RATE, *GBS_FLAGS),
        "What is the patient's Glasgow-Blatchford Bleeding score?",
    )
)
def glasgow_blatchford(ents: Entities) -> int:
    """Blatchford O et al. Lancet 2000;356:1318 (BUN bands in mg/dL as on MDCalc): BUN 18.2-22.3 +2, 22.4-27.9
    +3, 28-69.9 +4, ≥ 70 +6; hemoglobin (men 12-12.9 +1, 10-11.9 +3, < 10 +6; women 10-11.9 +1, < 10 +6);
    systolic 100-109 +1, 90-99 +2, < 90 +3; pulse ≥ 100 +1; melena +1; syncope, hepatic disease, cardiac
    failure +2 each."""
    score = band(ents.number(BUN.key), (18.2, 22.4, 28, 70), (0, 2, 3, 4, 6))
    hemoglobin = ents.number("Hemoglobin")
    if ents.choice("sex") == "Male":
        score += band(hemoglobin, (10, 12, 13), (6, 3, 1, 0))
    else:
        score += band(hemoglobin, (10, 12), (6, 1, 0))
    score += band(ents.number("Systolic Blood Pressure"), (90, 100, 110), (3, 2, 1, 0))
    score += ents.number("Heart Rate or Pulse") >= 100
    return score + score_flags(ents, GBS_FLAGS)
