"""Where MedCalc-Bench's labels or its reference code depart from the published calculators, and why we do not.

Two kinds of entry. ``label``: an official answer we are sure is wrong, with the rows of the sample file it
affects (the official test file has more rows of the same calculators; the same causes apply there). ``reference``:
a defect of the ``medcalc-bench`` package (the code that produced the labels) that our cross-check test excludes
explicitly — the test names the entry it excludes a case for, so every exclusion has a reason written here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["KNOWN_ERRORS", "KnownError", "known_error", "label_errors"]


class KnownError(BaseModel, frozen=True):
    """One departure from the published definition, and the evidence."""

    id: str
    kind: Literal["label", "reference"]
    calculators: tuple[int, ...]
    summary: str
    reason: str
    rows: tuple[int, ...] = ()


KNOWN_ERRORS: tuple[KnownError, ...] = (
    KnownError(
        id="child-pugh-case-and-albumin",
        kind="label",
        calculators=(15,),
        rows=(209,),
        summary="Child-Pugh row 209: label 9, published score 11",
        reason=(
            "The reference compares ascites with 'Moderate' case-sensitively, so the file's 'moderate' scores 0 "
            "points instead of 3 (the score has no 0-point option), and it gives albumin 2.8 g/dL 3 points where "
            "Pugh/MDCalc give 2.8-3.5 g/dL 2 points. Bilirubin 2.5 (2), albumin 2.8 (2), INR 1.9 (2), moderate "
            "ascites (3), grade 1-2 encephalopathy (2) = 11."
        ),
    ),
    KnownError(
        id="ldl-mmol-rounding",
        kind="label",
        calculators=(44,),
        rows=(521,),
        summary="LDL row 521: label 109.12 mg/dL, Friedewald on the stated mmol/L values gives 90.85",
        reason=(
            "The reference converts mmol/L to mg/dL through an amount in mol rounded to three decimals "
            "(4.5 mmol → 0.005 mol, 2.86 mmol → 0.003 mol) and uses 861.338 g/mol for triglycerides; "
            "TC 4.5, HDL 0.84, TG 2.86 mmol/L are 174.0, 32.5, 253.3 mg/dL, so LDL = 174.0 − 32.5 − 50.7 = 90.85."
        ),
    ),
    KnownError(
        id="apache-ii-reference-bugs",
        kind="label",
        calculators=(28,),
        rows=(885,),
        summary="APACHE II row 885: label 30, Knaus's score for the stated values is 9",
        reason=(
            "The reference adds the raw GCS (14) instead of 15 − GCS (1), compares a WBC of 8000/mm³ with "
            "thresholds in thousands (+4 instead of 0), and reads the file's misspelt 'degrees celsisus' as "
            "Fahrenheit (37 → 2.8 °C, +4 instead of 0). Published points: A-a gradient 445 at FiO₂ 53 % +3, "
            "creatinine 1.8 (chronic) +2, GCS 14 +1, age 61 +3 = 9."
        ),
    ),
    KnownError(
        id="due-date-short-cycle",
        kind="label",
        calculators=(13,),
        rows=(937,),
        summary="Due date row 937: label 12/09/2007, Naegele with a 24-day cycle gives 12/01/2007",
        reason=(
            "The reference adds |cycle − 28| days for every cycle length, so a 24-day cycle moves the date 4 days "
            "later; the adjustment is (cycle − 28) days, earlier for shorter cycles (02/28/2007 + 280 − 4 days)."
        ),
    ),
    KnownError(
        id="mol-amount-rounding",
        kind="reference",
        calculators=(2, 3, 7, 9, 15, 17, 23, 26, 27, 29, 30, 31, 40, 43, 44, 45, 46),
        summary="molar → mass conversions round the intermediate amount in mol to three decimals",
        reason=(
            "e.g. glucose 7.2 mmol/L becomes 0.007 mol (−2.8 %), urine creatinine 5280 µmol/L 0.005 mol (−5 %); "
            "we convert exactly. Cases whose molar input the reference's rounding changes are excluded."
        ),
    ),
    KnownError(
        id="bilirubin-molar-mass",
        kind="reference",
        calculators=(15, 23),
        summary="bilirubin µmol/L: Child-Pugh uses 548.66 g/mol (a typo of 584.66), MELD Na has no molar mass",
        reason="584.66 g/mol gives the standard 17.1 µmol/L per mg/dL; MELD Na's reference crashes on µmol/L.",
    ),
    KnownError(
        id="child-pugh-bilirubin-boundaries",
        kind="reference",
        calculators=(15,),
        summary="Child-Pugh: bilirubin exactly 2 scores 0 points and exactly 3 scores 3; albumin 2.8 scores 3",
        reason="Published bands: < 2 mg/dL 1, 2-3 mg/dL 2, > 3 mg/dL 3; albumin 2.8-3.5 g/dL 2 points.",
    ),
    KnownError(
        id="ckd-epi-male-kappa",
        kind="reference",
        calculators=(3,),
        summary="CKD-EPI 2021: for men with creatinine ≤ 0.9 mg/dL the reference divides by κ = 0.7, not 0.9",
        reason="Inker 2021: κ = 0.9 for men (the reference's own ckd_epi_2021() uses 0.9; its explanation doesn't).",
    ),
    KnownError(
        id="heart-atherosclerosis",
        kind="reference",
        calculators=(18,),
        summary="HEART: known atherosclerotic disease with fewer than 3 risk factors scores 1, not 2",
        reason="Six et al./MDCalc: '≥ 3 risk factors or history of atherosclerotic disease' = 2 points.",
    ),
    KnownError(
        id="meld-dialysis-low-creatinine",
        kind="reference",
        calculators=(23,),
        summary="MELD Na: dialysis sets creatinine to 4 only if creatinine is between 1 and 4",
        reason="UNOS: dialysis twice or CVVHD ≥ 24 h in the past week sets creatinine to 4.0 whatever its value.",
    ),
    KnownError(
        id="homa-insulin-units",
        kind="reference",
        calculators=(31,),
        summary="HOMA-IR: insulin in pmol/L is multiplied by 6 (it must be divided: 1 µIU/mL = 6 pmol/L)",
        reason="Matthews 1985 uses µIU/mL; pmol/L → µIU/mL divides by 6; ng/mL → µIU/mL is × 28.7, not 24.8.",
    ),
    KnownError(
        id="gbs-boundaries",
        kind="reference",
        calculators=(27,),
        summary="Glasgow-Blatchford: hemoglobin exactly 13 (men) or 12 (women) scores 1, exactly 10 (women) 0; BUN "
        "exactly 70 mg/dL scores 0",
        reason="Blatchford 2000/MDCalc bands: men ≥ 13 g/dL 0, women ≥ 12 g/dL 0, women 10-11.9 1; BUN ≥ 70 (urea ≥ "
        "25 mmol/L) 6.",
    ),
    KnownError(
        id="psi-sodium-valence",
        kind="reference",
        calculators=(29,),
        summary="PSI: the reference crashes on sodium in mEq/L (it converts with no valence)",
        reason="Sodium mEq/L equals mmol/L (valence 1); the sample row 833 gives sodium in mEq/L.",
    ),
    KnownError(
        id="mme-fentanyl-patch",
        kind="reference",
        calculators=(49,),
        summary="MME: the fentanyl patch dose is converted to mg because of a name mismatch ('FentaNYL patch')",
        reason="CDC 2022: fentanyl patch 2.4 MME per µg/h; the reference's branch never matches 'FentANYL patch'.",
    ),
    KnownError(
        id="gcs-not-testable",
        kind="reference",
        calculators=(21,),
        summary="GCS 'not testable' eye/verbal counts 4 points (kept: it is MedCalc-Bench's stated convention)",
        reason="Not a departure we correct; listed so the convention is visible.",
    ),
    KnownError(
        id="broken-reference",
        kind="reference",
        calculators=(28, 36, 43, 46, 51, 61, 64),
        summary="no usable reference: APACHE II, Caprini, SOFA, Framingham, SIRS, target weight, delta ratio",
        reason=(
            "APACHE II adds the raw GCS and scores WBC per mm³ against thresholds in thousands; SOFA divides PaO₂ by "
            "FiO₂ in percent and scores vasopressors +2 when none are given; Framingham takes logs of cholesterol "
            "in mmol/L and rounds the risk to 10 % steps; Caprini never adds the points of its yes/no criteria (and "
            "gives BMI > 25 two points, published one); SIRS counts the heart-rate criterion unconditionally and "
            "compares WBC per m³; target weight fails to import; delta ratio has no module. These calculators are "
            "checked against published worked examples instead."
        ),
    ),
)


def known_error(error_id: str) -> KnownError:
    """The entry with this id (a programming error if absent, hence KeyError)."""
    for entry in KNOWN_ERRORS:
        if entry.id == error_id:
            return entry
    raise KeyError(error_id)


def label_errors() -> dict[int, KnownError]:
    """Official sample rows whose label we are sure is wrong, by ``Row Number``."""
    return {row: entry for entry in KNOWN_ERRORS if entry.kind == "label" for row in entry.rows}
