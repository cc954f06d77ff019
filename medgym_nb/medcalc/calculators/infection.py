"""Infection and pneumonia: Centor (McIsaac), FeverPAIN, CURB-65, Pneumonia Severity Index, SIRS criteria."""

from __future__ import annotations

from ..common import (
    AGE,
    BUN,
    DIASTOLIC,
    GLUCOSE,
    HEART_RATE,
    RESPIRATORY_RATE,
    SEX,
    SODIUM,
    SYSTOLIC,
    TEMPERATURE,
    count_flags,
    criterion,
    exact_score,
    lab,
    score_flags,
)
from ..entities import Entities
from ..registry import register
from ..spec import Input

__all__: list[str] = []

CENTOR_FLAGS = (
    criterion("Exudate or swelling on tonsils", "tonsillar exudate or swelling", "exudate_swelling_tonsils"),
    criterion(
        "Tender/swollen anterior cervical lymph nodes",
        "tender/swollen anterior cervical nodes",
        "tender_lymph_nodes",
    ),
    criterion("Cough Absent", "absence of cough", "cough_absent"),
)


@register(
    exact_score(
        20,
        "Centor Score (Modified/McIsaac) for Strep Pharyngitis",
        (AGE, TEMPERATURE, *CENTOR_FLAGS),
        "What is the patient's Centor Score?",
    )
)
def centor_mcisaac(ents: Entities) -> int:
    """McIsaac WJ et al. CMAJ 1998;158:75: age 3-14 +1, 15-44 0, ≥ 45 −1; exudate, tender nodes, temperature
    > 38 °C, absent cough +1 each."""
    age = ents.years()
    score = 1 if 3 <= age <= 14 else -1 if age >= 45 else 0
    score += ents.number("Temperature") > 38
    return score + count_flags(ents, CENTOR_FLAGS)


FEVERPAIN_FLAGS = (
    criterion("Fever in past 24 hours", "fever in the past 24 hours", "fever_24_hours"),
    criterion("Absence of cough or coryza", "absence of cough or coryza", "cough_coryza_absent"),
    criterion("Symptom onset ≤3 days", "symptom onset ≤ 3 days", "symptom_onset"),
    criterion("Purulent tonsils", "purulent tonsils", "purulent_tonsils"),
    criterion("Severe tonsil inflammation", "severe tonsil inflammation", "severe_tonsil_inflammation"),
)


@register(
    exact_score(
        33,
        "FeverPAIN Score for Strep Pharyngitis",
        FEVERPAIN_FLAGS,
        "What is the patient's FeverPAIN score?",
    )
)
def feverpain(ents: Entities) -> int:
    """Little P et al. BMJ 2013;347:f5806: one point each for Fever, Purulence, Attend rapidly (≤ 3 days),
    severely Inflamed tonsils, No cough or coryza."""
    return count_flags(ents, FEVERPAIN_FLAGS)


CONFUSION = criterion("Confusion", "new confusion", "confusion")


@register(
    exact_score(
        45,
        "CURB-65 Score for Pneumonia Severity",
        (AGE, CONFUSION, BUN, RESPIRATORY_RATE, SYSTOLIC, DIASTOLIC),
        "What is the patient's CURB-65 score?",
    )
)
def curb65(ents: Entities) -> int:
    """Lim WS et al. Thorax 2003;58:377: confusion; urea > 7 mmol/L (BUN > 19 mg/dL); respiratory rate ≥ 30;
    systolic < 90 or diastolic ≤ 60 mm Hg; age ≥ 65 — one point each."""
    score = ents.flag(CONFUSION.key) + (ents.number(BUN.key) > 19)
    score += ents.number("respiratory rate") >= 30
    score += ents.number("Systolic Blood Pressure") < 90 or ents.number("Diastolic Blood Pressure") <= 60
    return score + (ents.years() >= 65)


def _optional(item: Input, normal: float) -> Input:
    """A lab or vital that, when not measured, counts as normal (scores no points)."""
    return item.model_copy(update={"required": False, "default": normal})


PH = lab("pH", "arterial pH", "pH", None, (), 7.0, 7.6)
HEMATOCRIT = lab("Hematocrit", "hematocrit", "hemocratit", "%", ("%",), 20, 55)
PAO2 = lab(
    "Partial pressure of oxygen (PaO₂) for Apache II",
    "arterial PaO₂",
    "partial_pressure_oxygen",
    "mm Hg",
    ("mm Hg", "kPa"),
    40,
    110,
    aliases=("PaO₂", "Partial pressure of oxygen"),
)
PSI_FLAGS = {
    criterion("Nursing home resident", "nursing home resident", "nursing_home_resident"): 10,
    criterion("Neoplastic disease", "neoplastic disease", "neoplastic_disease"): 30,
    criterion("Liver disease severity", "liver disease", "liver_disease", "Liver disease history"): 20,
    criterion("Congestive Heart Faliure", "congestive heart failure", "chf", "Congestive Heart Failure"): 10,
    criterion("Cerebrovascular disease history", "cerebrovascular disease", "cerebrovascular_disease"): 10,
    criterion("Renal disease", "renal disease", "renal_disease", "Renal disease history"): 10,
    criterion("Altered mental status", "altered mental status", "altered_mental_status"): 20,
    criterion("Pleural effusion on x-ray", "pleural effusion on x-ray", "pleural_effusion"): 10,
}
PSI_VITALS_AND_LABS = (
    _optional(HEART_RATE, 80),
    _optional(TEMPERATURE, 37),
    _optional(PH, 7.4),
    _optional(RESPIRATORY_RATE, 16),
    _optional(SYSTOLIC, 120),
    _optional(BUN, 15),
    _optional(SODIUM, 140),
    _optional(GLUCOSE, 100),
    _optional(HEMATOCRIT, 40),
    _optional(PAO2, 90),
)


@register(
    exact_score(
        29,
        "PSI Score: Pneumonia Severity Index for CAP",
        (AGE, SEX, *PSI_FLAGS, *PSI_VITALS_AND_LABS),
        "What is the patient's Pneumonia Severity Index (PSI)?",
    )
)
def pneumonia_severity_index(ents: Entities) -> int:
    """Fine MJ et al. N Engl J Med 1997;336:243: age (−10 if female) plus points for nursing home, comorbidities,
    exam (altered mental status, RR ≥ 30, SBP < 90, temperature < 35 or ≥ 40 °C, pulse ≥ 125) and findings (pH
    < 7.35, BUN ≥ 30 mg/dL, Na < 130, glucose ≥ 250 mg/dL, hematocrit < 30 %, PaO₂ < 60 mm Hg, effusion).
    An unmeasured vital or lab scores no points."""
    score = ents.years() - 10 * (ents.choice("sex") == "Female")
    score += score_flags(ents, PSI_FLAGS)
    temperature = ents.number("Temperature")
    score += 20 * (ents.number("respiratory rate") >= 30) + 20 * (ents.number("Systolic Blood Pressure") < 90)
    score += 15 * (temperature < 35 or temperature >= 40) + 10 * (ents.number("Heart Rate or Pulse") >= 125)
    score += (
        30 * (ents.number("pH") < 7.35)
        + 20 * (ents.number(BUN.key) >= 30)
        + 20 * (ents.number("Sodium") < 130)
    )
    score += 10 * (ents.number("Glucose") >= 250) + 10 * (ents.number("Hematocrit") < 30)
    return score + 10 * (ents.number(PAO2.key) < 60)


WBC = lab(
    "White blood cell count",
    "white blood cell count",
    "wbc",
    "10^3/µL",
    ("10^3/µL", "µL", "10^9/L", "mm^3", "L"),
    1,
    30,
)
PACO2 = lab(
    "PaCO₂", "arterial PaCO₂", "paco2", "mm Hg", ("mm Hg", "kPa"), 20, 60, required=False, default=40.0
)
BANDS = criterion("Band form > 10%", "bands > 10 %", "bands", "Bands > 10%")


@register(
    exact_score(
        51,
        "SIRS Criteria",
        (
            TEMPERATURE,
            HEART_RATE,
            _optional(RESPIRATORY_RATE, 16),
            PACO2,
            _optional(WBC, 8),
            BANDS,
        ),
        "How many criteria for Systemic Inflammatory Response Syndrome (SIRS) does the patient meet?",
    )
)
def sirs(ents: Entities) -> int:
    """Bone RC et al. Chest 1992;101:1644: temperature > 38 or < 36 °C; heart rate > 90; respiratory rate > 20
    or PaCO₂ < 32 mm Hg; WBC > 12 or < 4 ×10³/µL or > 10 % bands. An unmeasured value meets no criterion."""
    temperature, wbc = ents.number("Temperature"), ents.number(WBC.key)
    count = (temperature > 38 or temperature < 36) + (ents.number("Heart Rate or Pulse") > 90)
    count += ents.number("respiratory rate") > 20 or ents.number(PACO2.key) < 32
    return count + (wbc > 12 or wbc < 4 or ents.flag(BANDS.key))
