"""Inputs several calculators share (age, sex, vitals, common labs) and short constructors for the rest.

One definition per entity keeps the official key, units and plausible range the same wherever it is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .entities import Entities
from .spec import Calculator, Input

__all__ = [
    "AGE",
    "ALBUMIN",
    "BICARBONATE",
    "BUN",
    "CHLORIDE",
    "CREATININE",
    "DIASTOLIC",
    "GLUCOSE",
    "HEART_RATE",
    "HEIGHT",
    "QT",
    "RESPIRATORY_RATE",
    "SEX",
    "SODIUM",
    "SYSTOLIC",
    "TEMPERATURE",
    "WEIGHT",
    "band",
    "count_flags",
    "criterion",
    "exact_score",
    "lab",
    "score_flags",
]

CONCENTRATION_MASS = ("mg/dL", "µmol/L", "mmol/L")


def lab(
    key: str,
    label: str,
    code_key: str,
    unit: str | None,
    units: tuple[str, ...],
    low: float,
    high: float,
    analyte: str | None = None,
    **extra: object,
) -> Input:
    """A measured value with a unit."""
    return Input(
        key=key,
        label=label,
        kind="number",
        unit=unit,
        units=units,
        low=low,
        high=high,
        analyte=analyte,
        code_key=code_key,
        **extra,  # type: ignore[arg-type]
    )


def criterion(key: str, label: str, code_key: str, *aliases: str) -> Input:
    """An optional yes/no criterion; absent counts as not present (MedCalc-Bench's convention)."""
    return Input(
        key=key, label=label, kind="bool", required=False, default=False, code_key=code_key, aliases=aliases
    )


AGE = lab("age", "age", "age", "years", ("years", "months"), 18, 90, step=1)
SEX = Input(
    key="sex", label="sex", kind="choice", choices=("Male", "Female"), code_key="sex", aliases=("gender",)
)
WEIGHT = lab("weight", "body weight", "weight", "kg", ("kg", "lbs", "g"), 40, 150)
HEIGHT = lab("height", "height", "height", "cm", ("cm", "m", "in", "ft"), 145, 200)
CREATININE = lab(
    "creatinine", "serum creatinine", "creatinine", "mg/dL", CONCENTRATION_MASS, 0.4, 8.0, "creatinine"
)
SODIUM = lab("Sodium", "serum sodium", "sodium", "mEq/L", ("mEq/L", "mmol/L"), 115, 165, "sodium")
CHLORIDE = lab("Chloride", "serum chloride", "chloride", "mEq/L", ("mEq/L", "mmol/L"), 85, 120, "chloride")
BICARBONATE = lab(
    "Bicarbonate", "serum bicarbonate", "bicarbonate", "mEq/L", ("mEq/L", "mmol/L"), 8, 35, "bicarbonate"
)
ALBUMIN = lab("Albumin", "serum albumin", "albumin", "g/dL", ("g/dL", "g/L"), 1.5, 5.0, "albumin")
GLUCOSE = lab("Glucose", "serum glucose", "glucose", "mg/dL", ("mg/dL", "mmol/L"), 60, 600, "glucose")
BUN = lab(
    "Blood Urea Nitrogen (BUN)", "blood urea nitrogen", "bun", "mg/dL", ("mg/dL", "mmol/L"), 5, 120, "bun"
)
HEART_RATE = lab(
    "Heart Rate or Pulse",
    "heart rate",
    "heart_rate",
    "beats per minute",
    ("beats per minute",),
    40,
    160,
    step=1,
)
RESPIRATORY_RATE = lab(
    "respiratory rate",
    "respiratory rate",
    "respiratory_rate",
    "breaths per minute",
    ("breaths per minute",),
    8,
    40,
    step=1,
)
SYSTOLIC = lab(
    "Systolic Blood Pressure", "systolic blood pressure", "sys_bp", "mm Hg", ("mm Hg",), 70, 200, step=1
)
DIASTOLIC = lab(
    "Diastolic Blood Pressure", "diastolic blood pressure", "dia_bp", "mm Hg", ("mm Hg",), 40, 120, step=1
)
TEMPERATURE = lab(
    "Temperature",
    "body temperature",
    "temperature",
    "degrees celsius",
    ("degrees celsius", "degrees fahrenheit"),
    34,
    41,
    step=0.1,
)
QT = lab("QT interval", "QT interval", "qt_interval", "msec", ("msec",), 300, 500, step=1)


def score_flags(ents: Entities, points: Mapping[Input, int]) -> int:
    """The points of every yes/no criterion that is present."""
    return sum(value for item, value in points.items() if ents.flag(item.key))


def count_flags(ents: Entities, items: Iterable[Input]) -> int:
    """How many of these yes/no criteria are present (one point each)."""
    return sum(ents.flag(item.key) for item in items)


def exact_score(id: int, name: str, inputs: tuple[Input, ...], question: str) -> Calculator:
    """A calculator whose answer is an integer score, matched exactly."""
    return Calculator(id=id, name=name, inputs=inputs, answer="number", tolerance="exact", question=question)


def band(value: float, bounds: tuple[float, ...], points: tuple[int, ...]) -> int:
    """Points of the band ``value`` falls in; ``bounds`` are the ascending lower limits of bands 2..n."""
    return points[sum(value >= bound for bound in bounds)]
