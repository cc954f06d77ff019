"""Intensive care: Glasgow Coma Scale, APACHE II, SOFA."""

from __future__ import annotations

from ..common import (
    AGE,
    CREATININE,
    DIASTOLIC,
    HEART_RATE,
    RESPIRATORY_RATE,
    SODIUM,
    SYSTOLIC,
    TEMPERATURE,
    band,
    criterion,
    exact_score,
    lab,
)
from ..entities import Entities
from ..registry import register
from ..spec import Input
from .hepatology import BILIRUBIN, PLATELETS
from .infection import HEMATOCRIT, PAO2, PH, WBC

__all__: list[str] = []

EYE = Input(
    key="Best eye response",
    label="best eye response",
    kind="choice",
    choices=(
        "no eye opening",
        "eye opening to pain",
        "eye opening to verbal command",
        "eyes open spontaneously",
    ),
    code_key="best_eye_response",
)
VERBAL = Input(
    key="Best verbal response",
    label="best verbal response",
    kind="choice",
    choices=("no verbal response", "incomprehensible sounds", "inappropriate words", "confused", "oriented"),
    code_key="best_verbal_response",
)
MOTOR = Input(
    key="Best motor response",
    label="best motor response",
    kind="choice",
    choices=(
        "no motor response",
        "extension to pain",
        "flexion to pain",
        "withdrawal from pain",
        "localizes pain",
        "obeys commands",
    ),
    code_key="best_motor_response",
)
NOT_TESTABLE = "not testable"
# MedCalc-Bench's convention for a component that cannot be tested (e.g. intubated): eye 4, verbal 4.
NOT_TESTABLE_POINTS = {EYE.key: 4, VERBAL.key: 4}


@register(
    exact_score(
        21,
        "Glasgow Coma Score (GCS)",
        (
            EYE.model_copy(update={"choices": (*EYE.choices, NOT_TESTABLE)}),
            VERBAL.model_copy(update={"choices": (*VERBAL.choices, NOT_TESTABLE)}),
            MOTOR,
        ),
        "What is the patient's Glasgow Coma Score?",
    )
)
def glasgow_coma_scale(ents: Entities) -> int:
    """Teasdale G, Jennett B. Lancet 1974;2:81: eye 1-4, verbal 1-5, motor 1-6 (the option's rank)."""
    score = 0
    for item in (EYE, VERBAL, MOTOR):
        answer = ents.choice(item.key)
        score += NOT_TESTABLE_POINTS[item.key] if answer == NOT_TESTABLE else 1 + item.choices.index(answer)
    return score


FIO2 = lab("FiO₂", "inspired oxygen fraction", "fio2", "%", ("%",), 21, 100)


def fio2_percent(ents: Entities) -> float:
    """FiO₂ in percent; a value of at most 1 is a fraction (no one breathes under 1 % oxygen)."""
    value = ents.number(FIO2.key)
    return value * 100 if value <= 1 else value


A_A_GRADIENT = lab(
    "A-a gradient",
    "alveolar-arterial gradient",
    "a_a_gradient",
    "mm Hg",
    ("mm Hg",),
    10,
    600,
    required=False,
    default=0.0,
)
POTASSIUM = lab(
    "Potassium", "serum potassium", "potassium", "mEq/L", ("mEq/L", "mmol/L"), 2.5, 7.0, "potassium"
)
GCS_VALUE = lab("Glasgow Coma Score", "Glasgow Coma Score", "gcs", None, (), 3, 15)
ACUTE_RENAL_FAILURE = criterion("Acute renal failure", "acute renal failure", "acute_renal_failure")
CHRONIC_RENAL_FAILURE = criterion("Chronic Renal Failure", "chronic renal failure", "chronic_renal_failure")
ORGAN_FAILURE = criterion(
    "History of severe organ failure or immunocompromise",
    "severe organ insufficiency or immunocompromise",
    "organ_failure_immunocompromise",
)
SURGERY_TYPE = Input(
    key="Surgery Type",
    label="admission type",
    kind="choice",
    choices=("Nonoperative", "Emergency", "Elective", "Nonelective"),
    required=False,
    default="Nonoperative",
    code_key="surgery_type",
)


@register(
    exact_score(
        28,
        "APACHE II Score",
        (
            AGE,
            TEMPERATURE,
            SYSTOLIC,
            DIASTOLIC,
            HEART_RATE,
            RESPIRATORY_RATE,
            FIO2,
            PAO2.model_copy(update={"required": False, "default": 90.0}),
            A_A_GRADIENT,
            PH,
            SODIUM,
            POTASSIUM,
            CREATININE,
            ACUTE_RENAL_FAILURE,
            CHRONIC_RENAL_FAILURE,
            HEMATOCRIT,
            WBC,
            GCS_VALUE,
            ORGAN_FAILURE,
            SURGERY_TYPE,
        ),
        "What is the patient's APACHE II score?",
    )
)
def apache_ii(ents: Entities) -> int:
    """Knaus WA et al. Crit Care Med 1985;13:818: acute physiology points (temperature, MAP, heart rate,
    respiratory rate, oxygenation — A-a gradient if FiO₂ ≥ 50 %, else PaO₂ — pH, Na, K, creatinine doubled in
    acute renal failure, hematocrit, WBC, 15 − GCS) + age points + chronic health points (5 if nonoperative or
    emergency postoperative, 2 if elective postoperative)."""
    age = ents.years()
    score = band(age, (45, 55, 65, 75), (0, 2, 3, 5, 6))
    score += band(ents.number("Temperature"), (30, 32, 34, 36, 38.5, 39, 41), (4, 3, 2, 1, 0, 1, 3, 4))
    mean_pressure = (ents.number("Systolic Blood Pressure") + 2 * ents.number("Diastolic Blood Pressure")) / 3
    score += band(mean_pressure, (50, 70, 110, 130, 160), (4, 2, 0, 2, 3, 4))
    score += band(ents.number("Heart Rate or Pulse"), (40, 55, 70, 110, 140, 180), (4, 3, 2, 0, 2, 3, 4))
    score += band(ents.number("respiratory rate"), (6, 10, 12, 25, 35, 50), (4, 2, 1, 0, 1, 3, 4))
    if fio2_percent(ents) >= 50:
        score += band(ents.number(A_A_GRADIENT.key), (200, 350, 500), (0, 2, 3, 4))
    else:
        score += band(ents.number(PAO2.key), (55, 61, 71), (4, 3, 1, 0))
    score += band(ents.number("pH"), (7.15, 7.25, 7.33, 7.5, 7.6, 7.7), (4, 3, 2, 0, 1, 3, 4))
    score += band(ents.number("Sodium"), (111, 120, 130, 150, 155, 160, 180), (4, 3, 2, 0, 1, 2, 3, 4))
    score += band(ents.number(POTASSIUM.key), (2.5, 3.0, 3.5, 5.5, 6.0, 7.0), (4, 2, 1, 0, 1, 3, 4))
    creatinine_points = band(ents.number("creatinine"), (0.6, 1.5, 2.0, 3.5), (2, 0, 2, 3, 4))
    score += creatinine_points * (2 if ents.flag(ACUTE_RENAL_FAILURE.key) else 1)
    score += band(ents.number("Hematocrit"), (20, 30, 46, 50, 60), (4, 2, 0, 1, 2, 4))
    score += band(ents.number(WBC.key), (1, 3, 15, 20, 40), (4, 2, 0, 1, 2, 4))
    score += 15 - round(ents.number(GCS_VALUE.key))
    if ents.flag(ORGAN_FAILURE.key):
        score += 2 if ents.choice(SURGERY_TYPE.key) == "Elective" else 5
    return score


MECHANICAL_VENTILATION = criterion(
    "On mechanical ventilation", "mechanical ventilation", "mechanical_ventilation"
)
CPAP = criterion("Continuous positive airway pressure", "CPAP", "cpap")
URINE_OUTPUT = lab(
    "Urine Output",
    "urine output",
    "urine_output",
    "mL/day",
    ("mL/day",),
    100,
    3000,
    required=False,
    default=1500.0,
)


def _pressor(key: str, code_key: str, label: str) -> Input:
    return lab(key, label, code_key, "µg/kg/min", ("µg/kg/min",), 0, 20, required=False, default=0.0)


DOPAMINE = _pressor("DOPamine", "dopamine", "dopamine dose")
DOBUTAMINE = _pressor("DOBUTamine", "dobutamine", "dobutamine dose")
EPINEPHRINE = _pressor("EPINEPHrine", "epinephrine", "epinephrine dose")
NOREPINEPHRINE = _pressor("norEPINEPHrine", "norepinephrine", "norepinephrine dose")


@register(
    exact_score(
        43,
        "Sequential Organ Failure Assessment (SOFA) Score",
        (
            PAO2,
            FIO2,
            MECHANICAL_VENTILATION,
            CPAP,
            PLATELETS,
            GCS_VALUE.model_copy(update={"required": False, "default": 15.0}),
            BILIRUBIN,
            SYSTOLIC.model_copy(update={"required": False, "default": 120.0}),
            DIASTOLIC.model_copy(update={"required": False, "default": 80.0}),
            DOPAMINE,
            DOBUTAMINE,
            EPINEPHRINE,
            NOREPINEPHRINE,
            CREATININE.model_copy(update={"required": False, "default": 0.8}),
            URINE_OUTPUT,
        ),
        "What is the patient's Sequential Organ Failure Assessment (SOFA) Score?",
    )
)
def sofa(ents: Entities) -> int:
    """Vincent JL et al. Intensive Care Med 1996;22:707, six organ systems 0-4 points each; PaO₂/FiO₂ < 200 needs
    respiratory support for 3-4 points; the renal score is the worse of creatinine and urine output. An
    unmeasured value counts as normal."""
    ratio = ents.number(PAO2.key) / (fio2_percent(ents) / 100)
    supported = ents.flag(MECHANICAL_VENTILATION.key) or ents.flag(CPAP.key)
    respiration = band(ratio, (100, 200, 300, 400), (4, 3, 2, 1, 0))
    score = respiration if supported else min(respiration, 2)
    score += band(ents.number(PLATELETS.key), (20, 50, 100, 150), (4, 3, 2, 1, 0))
    score += band(ents.number(GCS_VALUE.key), (6, 10, 13, 15), (4, 3, 2, 1, 0))
    score += band(ents.number("Bilirubin"), (1.2, 2.0, 6.0, 12.0), (0, 1, 2, 3, 4))
    dopamine, dobutamine = ents.number(DOPAMINE.key), ents.number(DOBUTAMINE.key)
    catecholamine = max(ents.number(EPINEPHRINE.key), ents.number(NOREPINEPHRINE.key))
    if dopamine > 15 or catecholamine > 0.1:
        score += 4
    elif dopamine > 5 or catecholamine > 0:
        score += 3
    elif dopamine > 0 or dobutamine > 0:
        score += 2
    else:
        mean_pressure = (
            ents.number("Systolic Blood Pressure") + 2 * ents.number("Diastolic Blood Pressure")
        ) / 3
        score += mean_pressure < 70
    renal = band(ents.number("creatinine"), (1.2, 2.0, 3.5, 5.0), (0, 1, 2, 3, 4))
    urine = band(ents.number(URINE_OUTPUT.key), (200, 500), (4, 3, 0))
    return score + max(renal, urine)
