"""medgym_nb.medcalc: the 55 MedCalc-Bench calculators — worked examples, units, official rows, the reference.

Pure Python (no kernels). The worked examples are computed by hand from each calculator's published definition
(the arithmetic is in the comment beside each); the sample-row test reads the official sample from ``../shared``;
the cross-check draws seeded random entities from each calculator's spec and compares with MedCalc-Bench's own
package, excluding only cases a documented known error explains.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.errors import MedgymError, TaskFileError
from medgym_nb.medcalc import calculators, compute, get_calculator, limits
from medgym_nb.medcalc.audit import Outcome, audit, read_rows
from medgym_nb.medcalc.errors import MedcalcInputError
from medgym_nb.medcalc.known_errors import KNOWN_ERRORS, known_error, label_errors
from medgym_nb.medcalc.names import name_index
from medgym_nb.medcalc.sampling import sample_entities
from medgym_nb.medcalc.units import convert
from tests.medcalc_reference import (
    ALL_INPUTS,
    BROKEN_MODULES,
    REFERENCE,
    exclusion,
    in_canonical_units,
    keys_the_reference_reads,
    paired_doses,
    reference_answer,
    unit_defect,
)

# (calculator id, entities, expected answer, how the answer follows from the published definition)
WORKED_EXAMPLES: list[tuple[int, dict[str, object], object, str]] = [
    (
        2,
        {
            "sex": "Male",
            "age": [60, "years"],
            "weight": [120, "kg"],
            "height": [72, "in"],
            "creatinine": [1.0, "mg/dL"],
        },
        105.067,
        "BMI 35.9 → ABW = 77.6 + 0.4 × 42.4 = 94.56 kg; (140 − 60) × 94.56 / 72 = 105.07",
    ),
    (
        3,
        {"sex": "Female", "age": [50, "years"], "creatinine": [1.0, "mg/dL"]},
        68.6,
        "142 × (1.0/0.7)^−1.2 × 0.9938^50 × 1.012 = 68 (NKF eGFR calculator: 68)",
    ),
    (
        4,
        {
            "sex": "Female",
            "age": [70, "years"],
            "Hypertension history": True,
            "Transient Ischemic Attacks History": True,
        },
        5,
        "age 65-74 +1, female +1, hypertension +1, TIA +2",
    ),
    (
        5,
        {"Systolic Blood Pressure": [120, "mm Hg"], "Diastolic Blood Pressure": [80, "mm Hg"]},
        93.333,
        "2/3 × 80 + 1/3 × 120",
    ),
    (6, {"weight": [70, "kg"], "height": [1.75, "m"]}, 22.857, "70 / 1.75²"),
    (7, {"Calcium": [8.0, "mg/dL"], "Albumin": [2.0, "g/dL"]}, 9.6, "8.0 + 0.8 × (4 − 2)"),
    (
        8,
        {
            "Heart Rate or Pulse": [110, "beats per minute"],
            "Hemoptysis": True,
            "Previously documented Deep Vein Thrombosis": True,
        },
        4.0,
        "HR > 100 +1.5, hemoptysis +1, prior DVT +1.5",
    ),
    (
        9,
        {"sex": "Female", "age": [60, "years"], "creatinine": [1.2, "mg/dL"], "Race": "Black"},
        55.54,
        "175 × 1.2^−1.154 × 60^−0.203 × 0.742 × 1.212 = 55.54",
    ),
    (10, {"sex": "Male", "height": [6, "ft", 0, "in"]}, 77.6, "50 + 2.3 × (72 − 60)"),
    (
        11,
        {"Heart Rate or Pulse": [90, "beats per minute"], "QT interval": [400, "msec"]},
        489.9,
        "RR = 0.667 s; 400 / √0.667",
    ),
    (13, {"Last menstrual date": "01/01/2023", "cycle length": 28}, "10/08/2023", "LMP + 280 days"),
    (
        13,
        {"Last menstrual date": "01/01/2023", "cycle length": [32, "days"]},
        "10/12/2023",
        "+ (32 − 28) days",
    ),
    (
        15,
        {
            "Bilirubin": [1.5, "mg/dL"],
            "Albumin": [3.0, "g/dL"],
            "international normalized ratio": 1.8,
            "Ascites": "slight",
            "Encephalopathy": "No Encephalopathy",
        },
        8,
        "1 + 2 + 2 + 2 + 1",
    ),
    (
        16,
        {
            "Active cancer": True,
            "Entire Leg Swollen": True,
            "Alternative diagnosis to DVT as likely or more likely": True,
        },
        0,
        "1 + 1 − 2",
    ),
    (
        17,
        {
            "Elevated-risk surgery": True,
            "Pre-operative treatment with insulin": True,
            "Pre-operative creatinine": [221, "µmol/L"],
        },
        3,
        "surgery, insulin, creatinine 2.5 mg/dL > 2",
    ),
    (
        18,
        {
            "age": [66, "years"],
            "Suspicion History": "Moderately suspicious",
            "Electrocardiogram Test": "Non-specific repolarization disturbance",
            "Hypertension history": True,
            "smoking": True,
        },
        5,
        "age ≥ 65 +2, history +1, EKG +1, 2 risk factors +1, troponin normal 0",
    ),
    (
        18,
        {"age": [40, "years"], "atherosclerotic disease": True},
        2,
        "known atherosclerotic disease alone +2",
    ),
    (
        19,
        {
            "age": [50, "years"],
            "Aspartate aminotransferase": [40, "U/L"],
            "Alanine aminotransferase": [25, "U/L"],
            "Platelet count": [200000, "µL"],
        },
        2.0,
        "50 × 40 / (200 × √25)",
    ),
    (
        20,
        {
            "age": [10, "years"],
            "Temperature": [101.3, "degrees fahrenheit"],
            "Exudate or swelling on tonsils": True,
            "Cough Absent": True,
        },
        4,
        "age 3-14 +1, 38.5 °C > 38 +1, exudate +1, no cough +1",
    ),
    (
        21,
        {
            "Best eye response": "eye opening to pain",
            "Best verbal response": "confused",
            "Best motor response": "withdrawal from pain",
        },
        10,
        "E2 V4 M4",
    ),
    (22, {"weight": [25, "kg"]}, 65.0, "40 + 20 + (25 − 20) mL/h"),
    (
        23,
        {
            "creatinine": [1.5, "mg/dL"],
            "Bilirubin": [2.0, "mg/dL"],
            "international normalized ratio": 1.5,
            "Sodium": [130, "mEq/L"],
        },
        22,
        "MELD(i) 1.747 → 17; 17 + 1.32 × 7 − 0.033 × 17 × 7 = 22.3",
    ),
    (
        24,
        {"input steroid": ["PredniSONE PO", 10, "mg"], "target steroid": "Dexamethasone IV"},
        1.5,
        "10 mg × 0.75 / 5",
    ),
    (
        25,
        {
            "age": [70, "years"],
            "Hypertension": True,
            "Medication usage predisposing to bleeding": True,
            "Number of alcoholic drinks consumed per week": 10,
        },
        4,
        "elderly, hypertension, drugs, alcohol",
    ),
    (26, {"Sodium": [130, "mEq/L"], "Glucose": [500, "mg/dL"]}, 139.6, "130 + 0.024 × 400"),
    (
        27,
        {
            "sex": "Male",
            "Blood Urea Nitrogen (BUN)": [25, "mg/dL"],
            "Hemoglobin": [11, "g/dL"],
            "Systolic Blood Pressure": [95, "mm Hg"],
            "Heart Rate or Pulse": [105, "beats per minute"],
            "Melena present": True,
        },
        10,
        "BUN +3, Hb +3, SBP +2, pulse +1, melena +1",
    ),
    (
        28,
        {
            "age": [60, "years"],
            "Temperature": [37.0, "degrees celsius"],
            "Systolic Blood Pressure": [110, "mm Hg"],
            "Diastolic Blood Pressure": [50, "mm Hg"],
            "Heart Rate or Pulse": [120, "beats per minute"],
            "respiratory rate": [30, "breaths per minute"],
            "FiO₂": [40, "%"],
            "Partial pressure of oxygen (PaO₂) for Apache II": [65, "mm Hg"],
            "pH": 7.30,
            "Sodium": [135, "mmol/L"],
            "Potassium": [4.0, "mmol/L"],
            "creatinine": [1.0, "mg/dL"],
            "Hematocrit": [35, "%"],
            "White blood cell count": [18000, "µL"],
            "Glasgow Coma Score": 13,
        },
        12,
        "age +3, MAP 70 0, HR +2, RR +1, PaO₂ 65 +1, pH +2, WBC +1, 15 − 13 = 2",
    ),
    (
        29,
        {
            "age": [70, "years"],
            "sex": "Female",
            "Nursing home resident": True,
            "respiratory rate": [32, "breaths per minute"],
            "Blood Urea Nitrogen (BUN)": [35, "mg/dL"],
        },
        110,
        "70 − 10 + 10 + 20 + 20",
    ),
    (
        30,
        {"Sodium": [140, "mmol/L"], "Blood Urea Nitrogen (BUN)": [28, "mg/dL"], "Glucose": [180, "mg/dL"]},
        300.0,
        "2 × 140 + 28/2.8 + 180/18",
    ),
    (
        31,
        {"Insulin": [60, "pmol/L"], "Fasting Glucose": [5.0, "mmol/L"]},
        2.224,
        "10 µIU/mL × 90.08 mg/dL / 405",
    ),
    (
        32,
        {
            "age": [72, "years"],
            "Myocardial infarction": True,
            "Diabetes mellitus criteria for CCI rule": "uncomplicated",
            "Solid tumor": "localized",
        },
        7,
        "3 + 1 + 1 + 2",
    ),
    (
        33,
        {"Fever in past 24 hours": True, "Purulent tonsils": True, "Symptom onset ≤3 days": True},
        3,
        "three items",
    ),
    (
        36,
        {
            "age": [65, "years"],
            "sex": "Male",
            "Surgery Type": "major",
            "Body Mass Index (BMI)": [30, "kg/m^2"],
            "Varicose veins": True,
        },
        6,
        "age 61-74 +2, major surgery +2, BMI > 25 +1, varicose veins +1",
    ),
    (
        38,
        {"sex": "Male", "age": [70, "years"], "weight": [70, "kg"], "Sodium": [160, "mmol/L"]},
        5.0,
        "0.5 × 70 × (160/140 − 1)",
    ),
    (
        39,
        {"Sodium": [140, "mEq/L"], "Chloride": [100, "mEq/L"], "Bicarbonate": [24, "mEq/L"]},
        16.0,
        "140 − 124",
    ),
    (
        40,
        {
            "Sodium": [140, "mEq/L"],
            "creatinine": [2.0, "mg/dL"],
            "Urine sodium": [40, "mEq/L"],
            "Urine creatinine": [100, "mg/dL"],
        },
        0.571,
        "2 × 40 / (140 × 100) × 100",
    ),
    (
        43,
        {
            "Partial pressure of oxygen (PaO₂) for Apache II": [80, "mm Hg"],
            "FiO₂": [50, "%"],
            "On mechanical ventilation": True,
            "Platelet count": [90000, "µL"],
            "Glasgow Coma Score": 14,
            "Bilirubin": [1.5, "mg/dL"],
            "Systolic Blood Pressure": [90, "mm Hg"],
            "Diastolic Blood Pressure": [52, "mm Hg"],
            "creatinine": [2.5, "mg/dL"],
        },
        10,
        "P/F 160 ventilated +3, platelets 90 +2, GCS 14 +1, bilirubin 1.5 +1, MAP 64.7 +1, creatinine 2.5 +2",
    ),
    (
        44,
        {
            "Total cholesterol": [200, "mg/dL"],
            "high-density lipoprotein cholesterol": [50, "mg/dL"],
            "Triglycerides": [150, "mg/dL"],
        },
        120.0,
        "200 − 50 − 150/5",
    ),
    (
        45,
        {
            "age": [70, "years"],
            "Confusion": True,
            "Blood Urea Nitrogen (BUN)": [25, "mg/dL"],
            "respiratory rate": [22, "breaths per minute"],
            "Systolic Blood Pressure": [85, "mm Hg"],
            "Diastolic Blood Pressure": [50, "mm Hg"],
        },
        4,
        "confusion, BUN > 19, BP, age ≥ 65",
    ),
    (
        48,
        {
            "age": [55, "years"],
            "Heart Rate or Pulse": [105, "beats per minute"],
            "O₂ saturation percentage": [93, "%"],
            "Hormone use": True,
        },
        4,
        "age, HR, SaO₂, hormones",
    ),
    (
        49,
        {
            "OxyCODONE Dose": [10, "mg"],
            "OxyCODONE Dose Per Day": [4, "per day"],
            "Morphine Dose": [30, "mg"],
            "Morphine Dose Per Day": [2, "per day"],
        },
        120.0,
        "10 × 4 × 1.5 + 30 × 2 × 1",
    ),
    (
        51,
        {
            "Temperature": [38.5, "degrees celsius"],
            "Heart Rate or Pulse": [100, "beats per minute"],
            "respiratory rate": [18, "breaths per minute"],
            "White blood cell count": [15000, "µL"],
        },
        3,
        "temperature, heart rate, WBC",
    ),
    (
        56,
        {"Heart Rate or Pulse": [90, "beats per minute"], "QT interval": [400, "msec"]},
        457.886,
        "400 / 0.6667^(1/3)",
    ),
    (
        57,
        {"Heart Rate or Pulse": [90, "beats per minute"], "QT interval": [400, "msec"]},
        451.333,
        "400 + 154 × (1 − 0.6667)",
    ),
    (
        58,
        {"Heart Rate or Pulse": [90, "beats per minute"], "QT interval": [400, "msec"]},
        452.5,
        "400 + 1.75 × 30",
    ),
    (
        59,
        {"Heart Rate or Pulse": [90, "beats per minute"], "QT interval": [400, "msec"]},
        466.667,
        "400 × 210/180",
    ),
    (60, {"weight": [80, "kg"], "height": [180, "cm"]}, 2.0, "√(180 × 80 / 3600)"),
    (61, {"Body Mass Index (BMI)": [25, "kg/m^2"], "height": [180, "cm"]}, 81.0, "25 × 1.8²"),
    (62, {"sex": "Male", "weight": [120, "kg"], "height": [72, "in"]}, 94.56, "77.6 + 0.4 × (120 − 77.6)"),
    (63, {"Sodium": [140, "mEq/L"], "Chloride": [96, "mEq/L"], "Bicarbonate": [24, "mEq/L"]}, 8.0, "20 − 12"),
    (
        64,
        {"Sodium": [140, "mEq/L"], "Chloride": [100, "mEq/L"], "Bicarbonate": [14, "mEq/L"]},
        1.4,
        "(26 − 12)/10",
    ),
    (
        65,
        {
            "Sodium": [140, "mEq/L"],
            "Chloride": [100, "mEq/L"],
            "Bicarbonate": [24, "mEq/L"],
            "Albumin": [20, "g/L"],
        },
        21.0,
        "16 + 2.5 × (4 − 2)",
    ),
    (
        66,
        {
            "Sodium": [140, "mEq/L"],
            "Chloride": [100, "mEq/L"],
            "Bicarbonate": [24, "mEq/L"],
            "Albumin": [2.0, "g/dL"],
        },
        9.0,
        "21 − 12",
    ),
    (
        67,
        {
            "Sodium": [140, "mEq/L"],
            "Chloride": [100, "mEq/L"],
            "Bicarbonate": [18, "mEq/L"],
            "Albumin": [2.0, "g/dL"],
        },
        2.5,
        "(22 + 5 − 12) / (24 − 18)",
    ),
    (68, {"Last menstrual date": "01/01/2023", "cycle length": 28}, "01/15/2023", "LMP + 14 days"),
    (
        69,
        {"Current Date": "03/01/2023", "Last menstrual date": "01/01/2023"},
        ("8 weeks", "3 days"),
        "59 days = 8 weeks 3 days",
    ),
]


def test_the_55_official_calculators_are_listed_with_inputs(shared_dir: Path) -> None:
    method = shared_dir / "medcalcbench" / "calculation_method.jsonl"
    official = [json.loads(line)["Calculator"] for line in method.read_text().splitlines() if line.strip()]
    listed = calculators()
    assert [c.name for c in listed] == official
    assert len({c.id for c in listed}) == 55
    for calc in listed:
        assert calc.inputs and calc.question.strip()
        for item in calc.inputs:
            assert item.kind != "choice" or item.choices, (calc.name, item.key)
            assert not item.units or item.unit == item.units[0], (calc.name, item.key)
    assert get_calculator(44) is get_calculator("ldl calculated") is get_calculator("44")
    assert mg.medcalc.compute is compute


def test_every_calculator_has_a_worked_example() -> None:
    """Framingham (46) is checked against the ATP III point table instead (its Cox form has no hand example)."""
    assert {c.id for c in calculators()} - {46} == {example[0] for example in WORKED_EXAMPLES}


@pytest.mark.parametrize(
    ("calculator", "entities", "expected", "why"), WORKED_EXAMPLES, ids=[f"{e[0]}" for e in WORKED_EXAMPLES]
)
def test_worked_example(calculator: int, entities: dict[str, object], expected: object, why: str) -> None:
    answer = compute(calculator, entities)
    if isinstance(expected, float) and get_calculator(calculator).tolerance == "relative_5pct":
        assert answer == pytest.approx(expected, rel=0.005), why
    else:
        assert answer == expected, why
    assert compute(calculator, repr(entities)) == answer  # the string form of the files


def test_cockcroft_gault_weight_follows_bmi() -> None:
    """Underweight: actual weight; normal: min(IBW, actual); overweight: adjusted (the official question's rule)."""
    base = {"sex": "Female", "age": [40, "years"], "height": [160, "cm"], "creatinine": [1.0, "mg/dL"]}
    ibw = 45.5 + 2.3 * (160 / 2.54 - 60)  # 52.38 kg
    expected = {45: 45.0, 60: ibw, 80: ibw + 0.4 * (80 - ibw)}  # BMI 17.6, 23.4, 31.3
    for weight, used in expected.items():
        answer = compute(2, {**base, "weight": [weight, "kg"]})
        assert answer == pytest.approx(100 * used * 0.85 / 72, rel=1e-3)


def test_framingham_agrees_with_the_atp_iii_point_table() -> None:
    """ATP III points for a 55-year-old non-smoking man, TC 213, HDL 50, SBP 120 untreated: 11 points ≈ 8 %."""
    entities = {
        "age": [55, "years"],
        "sex": "Male",
        "Systolic Blood Pressure": [120, "mm Hg"],
        "Total cholesterol": [213, "mg/dL"],
        "high-density lipoprotein cholesterol": [50, "mg/dL"],
    }
    risk = compute(46, entities)
    assert isinstance(risk, float) and 4 <= risk <= 12
    assert compute(46, {**entities, "Smoker": True}) > risk
    woman = compute(46, {**entities, "sex": "Female"})
    assert isinstance(woman, float) and 0 < woman < risk


@pytest.mark.parametrize(
    ("value", "unit", "to", "analyte", "expected"),
    [
        (88.4, "µmol/L", "mg/dL", "creatinine", 1.0),
        (1.0, "mmol/L", "mg/dL", "glucose", 18.016),
        (10.0, "mmol/L", "mg/dL", "bun", 28.02),
        (2.5, "mmol/L", "mg/dL", "calcium", 10.02),
        (5.0, "mEq/L", "mg/dL", "calcium", 10.02),
        (140.0, "mmol/L", "mEq/L", "sodium", 140.0),
        (17.1, "µmol/L", "mg/dL", "bilirubin", 1.0),
        (1.0, "mmol/L", "mg/dL", "cholesterol", 38.665),
        (1.0, "mmol/L", "mg/dL", "triglycerides", 88.57),
        (35.0, "g/L", "g/dL", "albumin", 3.5),
        (60.0, "pmol/L", "µIU/mL", "insulin", 10.0),
        (154.0, "lbs", "kg", None, 69.853),
        (5.0, "ft", "cm", None, 152.4),
        (100.4, "degrees fahreinheit", "degrees celsius", None, 38.0),
        (8000.0, "µL", "10^3/µL", None, 8.0),
        (8.0, "×10⁹/L", "10^3/µL", None, 8.0),
        (250000.0, "mm^3", "10^9/L", None, 250.0),
        (8.0, "kPa", "mm Hg", None, 60.005),
        (18.0, "months", "years", None, 1.5),
        (2.0, "mg", "µg", None, 2000.0),
    ],
)
def test_unit_conversion(value: float, unit: str, to: str, analyte: str | None, expected: float) -> None:
    assert convert(value, unit, to, analyte) == pytest.approx(expected, rel=1e-3)


def test_units_convert_inside_compute() -> None:
    in_mg = compute(9, {"sex": "Male", "age": [50, "years"], "creatinine": [1.2, "mg/dL"]})
    in_umol = compute(9, {"sex": "Male", "age": [600, "months"], "creatinine": [106.08, "µmol/L"]})
    assert in_mg == pytest.approx(in_umol, rel=1e-4)
    feet = compute(6, {"weight": [154, "lbs"], "height": [5, "ft", 9, "in"]})
    assert feet == pytest.approx(69.853 / 1.7526**2, rel=1e-3)


def test_false_for_a_graded_criterion_means_its_lowest_grade() -> None:
    """PSI rows give 'Liver disease severity' as a boolean; the CCI grades it — False is 'none' there."""
    base = {"age": [72, "years"], "Myocardial infarction": True}
    assert compute(32, {**base, "Liver disease severity": False}) == compute(32, base) == 4
    with pytest.raises(MedcalcInputError, match="must be one of"):
        compute(32, {**base, "Liver disease severity": True})


def test_fio2_as_a_fraction_is_read_as_percent() -> None:
    sofa = next(e for e in WORKED_EXAMPLES if e[0] == 43)[1]
    assert compute(43, {**sofa, "FiO₂": 0.5}) == compute(43, sofa) == 10


def test_limits_follow_the_official_rule() -> None:
    assert limits(2, 25.238) == pytest.approx((23.9761, 26.4999))
    assert limits(38, -0.372) == pytest.approx((-0.3906, -0.3534))
    assert limits(4, 5) == (5, 5)
    assert limits(13, "12/01/2007") == ("12/01/2007", "12/01/2007")


def test_official_sample_rows(shared_dir: Path) -> None:
    """Every sample row is within its official limits, or is a documented label error (printed with the reason)."""
    rows = [json.loads(line) for line in (shared_dir / "medcalcbench" / "test_tasks.sample.jsonl").open()]
    wrong_labels = label_errors()
    within = 0
    for row in rows:
        answer = compute(row["Calculator ID"], row["Relevant Entities"])
        assert compute(row["Calculator Name"], row["Relevant Entities"]) == answer
        if isinstance(answer, tuple | str):
            ok = str(answer) == str(row["Ground Truth Answer"])
        else:
            ok = float(row["Lower Limit"]) <= answer <= float(row["Upper Limit"])
        if ok:
            within += 1
            assert row["Row Number"] not in wrong_labels, "a row listed as a label error now agrees"
        else:
            entry = wrong_labels.get(row["Row Number"])
            assert entry is not None, (
                f"row {row['Row Number']}: {answer} outside the limits, not a known error"
            )
            print(
                f"row {row['Row Number']} ({row['Calculator Name']}): ours {answer}, label "
                f"{row['Ground Truth Answer']} — known error {entry.id}: {entry.summary}"
            )
    print(
        f"sample rows within the official limits: {within}/{len(rows)} ({within / len(rows):.0%}); "
        f"the other {len(rows) - within} are documented label errors"
    )
    assert within + len(wrong_labels) == len(rows)


CROSS_CHECK_CASES = 300


@pytest.mark.parametrize("calculator_id", sorted(REFERENCE))
def test_cross_check_with_the_reference_package(calculator_id: int) -> None:
    """Seeded random entities in every accepted unit: ours agrees with medcalc-bench within the official tolerance."""
    pytest.importorskip("medcalc", reason="the reference package medcalc-bench is in the [dev] extra")
    calc = get_calculator(calculator_id)
    rng = random.Random(calculator_id)
    agreed, excluded, canonical = 0, 0, 0
    for _ in range(CROSS_CHECK_CASES):
        entities = sample_entities(calc, rng, optional_share=1.0 if calculator_id in ALL_INPUTS else 0.7)
        if calculator_id == 49:
            entities = paired_doses(entities)
        if exclusion(calc, entities) is not None:
            excluded += 1
            continue
        try:
            ours: object = compute(calculator_id, entities)
        except MedcalcInputError:
            ours = None
        given = entities
        if unit_defect(calc, entities) is not None:
            canonical += 1
            given = in_canonical_units(calc, entities)
        try:
            theirs: object = reference_answer(calc, given)
        except ZeroDivisionError:
            theirs = None
        if ours is None or theirs is None:
            assert ours is None and theirs is None, (entities, ours, theirs)
        elif isinstance(theirs, tuple | str):
            assert ours == theirs, entities
        else:
            low, high = limits(calc.id, float(theirs))  # type: ignore[arg-type]
            assert low - 1e-9 <= float(ours) <= high + 1e-9, (entities, ours, theirs)  # type: ignore[arg-type]
        agreed += 1
    print(
        f"{calc.name}: {agreed}/{CROSS_CHECK_CASES} agree ({canonical} given to the reference in canonical units "
        f"for a known unit defect), {excluded} excluded for a known scoring error"
    )
    assert agreed >= CROSS_CHECK_CASES // 2, "too many exclusions to say anything"


def test_calculators_without_a_usable_reference_are_documented() -> None:
    broken = set(known_error("broken-reference").calculators)
    assert {c.id for c in calculators()} - set(REFERENCE) == broken
    for entry in KNOWN_ERRORS:
        assert entry.reason and entry.summary and entry.calculators


@pytest.mark.parametrize(
    ("calculator", "entities", "message"),
    [
        (6, "{'weight': [70, 'kg'], 'height': [175, 'cm']", "not a Python dict literal"),
        (6, "__import__('os').system('touch /tmp/medcalc-pwned')", "not a Python dict literal"),
        (6, "[1, 2]", "must be a dict"),
        (6, {"weight": [70, "kg"]}, "missing required entities ['height']"),
        (6, {"weight": [70, "kg"], "height": [175, "cm"], "shoe size": 9}, "unknown entity 'shoe size'"),
        (6, {"weight": [70, "stone"], "height": [175, "cm"]}, "cannot convert to kg: 'stone'"),
        (6, {"weight": ["heavy", "kg"], "height": [175, "cm"]}, "must be [value, unit] pairs"),
        (4, {"sex": "Male", "age": [70, "years"], "Stroke": "maybe"}, "must be true or false"),
        (4, {"sex": "Robot", "age": [70, "years"]}, "must be one of ['Male', 'Female']"),
        (13, {"Last menstrual date": "2023/31/31"}, "must be a date MM/DD/YYYY"),
        (
            64,
            {"Sodium": [140, "mEq/L"], "Chloride": [100, "mEq/L"], "Bicarbonate": [24, "mEq/L"]},
            "divides by 0",
        ),
        (
            24,
            {"input steroid": ["Unobtainium", 10, "mg"], "target steroid": "PredniSONE PO"},
            "unknown steroid",
        ),
        (6, {"weight": [70, "kg"], "Weight": [71, "kg"], "height": [175, "cm"]}, "given twice"),
    ],
)
def test_malformed_entities_raise_our_error(calculator: int, entities: object, message: str) -> None:
    with pytest.raises(MedcalcInputError) as caught:
        compute(calculator, entities)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert get_calculator(calculator).name in str(caught.value)
    assert isinstance(caught.value, MedgymError)
    assert not Path("/tmp/medcalc-pwned").exists()


def test_unknown_calculator_suggests_the_closest() -> None:
    with pytest.raises(MedcalcInputError, match="did you mean 'Anion Gap'"):
        get_calculator("Anion Gapp")
    with pytest.raises(MedcalcInputError, match="no MedCalc-Bench calculator has id 1"):
        compute(1, {})


@pytest.mark.parametrize("calculator_id", sorted({*REFERENCE, *BROKEN_MODULES}))
def test_every_key_the_reference_reads_is_accepted(calculator_id: int) -> None:
    """The alias table follows the reference's source: every key its implementation reads names one of our inputs."""
    pytest.importorskip("medcalc", reason="the reference package medcalc-bench is in the [dev] extra")
    calc = get_calculator(calculator_id)
    index = name_index(calc)
    keys = keys_the_reference_reads(calc)
    assert keys, "the reference reads no key: the extraction is broken"
    assert sorted(k for k in keys if index.find(k) is None) == []


@pytest.mark.parametrize(
    ("calculator", "entities", "expected"),
    [
        # Another calculator's wording of the same reference key (chf, stroke, hypertension), misspelt as filed.
        (17, {"Congestive Heart Faliure": True, "Pre-operative creatinine": [2.1, "mg/dL"]}, 2),
        (25, {"age": [70, "years"], "Stroke history": True, "Hypertension history": True}, 3),
        # The same words in another order, with filler ("history of", "criteria for the … rule") or abbreviated.
        (16, {"History of DVT": True, "active cancer": True}, 2),
        (16, {"Previously Documented Deep Vein Thrombosis": True}, 1),
        (25, {"age": [50, "years"], "Labile INR": True, "Renal disease": True}, 2),
    ],
)
def test_names_across_rows_are_read(calculator: int, entities: dict[str, object], expected: int) -> None:
    assert compute(calculator, entities) == expected


def test_an_ambiguous_or_unknown_name_lists_every_accepted_name() -> None:
    with pytest.raises(MedcalcInputError) as caught:
        compute(25, {"age": [70, "years"], "Alcohol use": 9})
    message = str(caught.value)
    assert "HAS-BLED Score for Major Bleeding Risk: unknown entity 'Alcohol use'" in message
    assert "'Number of alcoholic drinks consumed per week' (also 'alcoholic_drinks'" in message


def _row(number: int, calculator: int, entities: object, answer: object, low: object, high: object) -> dict:
    return {
        "Row Number": number,
        "Calculator ID": calculator,
        "Relevant Entities": str(entities),
        "Ground Truth Answer": answer,
        "Lower Limit": low,
        "Upper Limit": high,
    }


AUDIT_ROWS = [
    _row(1, 6, {"weight": [70, "kg"], "height": [1.75, "m"]}, 22.857, 21.714, 24.0),
    _row(2, 6, {"weight": [70, "kg"], "shoe size": [9, "UK"]}, 22.857, 21.714, 24.0),
    _row(
        3,
        5,
        {"Systolic Blood Pressure": [120, "mm Hg"], "Diastolic Blood Pressure": [80, "mm Hg"]},
        50,
        49,
        51,
    ),
    _row(
        209,
        15,
        {
            "Bilirubin": [2.5, "mg/dL"],
            "Ascites": "moderate",
            "international normalized ratio": 1.9,
            "Albumin": [2.8, "g/dL"],
            "Encephalopathy": "Grade 1-2",
        },
        9,
        9,
        9,
    ),
]


def test_audit_reports_each_row_and_an_unread_row_does_not_stop_the_batch() -> None:
    report = audit(AUDIT_ROWS)
    assert [row.outcome for row in report.rows] == [
        Outcome.WITHIN_LIMITS,
        Outcome.UNREAD,
        Outcome.UNEXPLAINED,
        Outcome.LABEL_ERROR,
    ]
    unread = report.rows[1].reason
    assert (
        "Body Mass Index (BMI)" in unread and "'shoe size'" in unread and "accepted names: 'weight'" in unread
    )
    assert report.rows[3].known_error == "child-pugh-case-and-albumin"
    assert report.counts[Outcome.UNREAD] == 1 and report.explained_share == 0.5


def test_audit_reads_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in AUDIT_ROWS))
    as_csv = tmp_path / "rows.csv"
    with as_csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(AUDIT_ROWS[0]))
        writer.writeheader()
        writer.writerows(AUDIT_ROWS)
    assert audit(read_rows(jsonl)) == audit(read_rows(as_csv)) == audit(AUDIT_ROWS)
    (tmp_path / "bad.jsonl").write_text('{"Calculator ID": 6}\n')
    with pytest.raises(TaskFileError, match=r"bad\.jsonl:1: no Relevant Entities"):
        read_rows(tmp_path / "bad.jsonl")


def test_cli_audit_prints_the_table(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from medgym_nb.cli import app

    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in AUDIT_ROWS))
    result = CliRunner().invoke(app, ["medcalc", "audit", str(path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    for text in (
        "within limits",
        "label error",
        "reference defect",
        "unread",
        "unexplained",
        "explained 50.0%",
    ):
        assert text in result.output
    missing = CliRunner().invoke(app, ["medcalc", "audit", str(tmp_path / "absent.jsonl")])
    assert missing.exit_code == 2


def test_cli_audit_of_the_official_sample(shared_dir: Path) -> None:
    """The sample: every row within the limits or a documented label error."""
    from typer.testing import CliRunner

    from medgym_nb.cli import app

    path = shared_dir / "medcalcbench" / "test_tasks.sample.jsonl"
    report = audit(read_rows(path))
    assert report.explained_share == 1.0, [row for row in report.rows if row.outcome == Outcome.UNEXPLAINED]
    result = CliRunner().invoke(app, ["medcalc", "audit", str(path)], terminal_width=200)
    assert result.exit_code == 0 and "explained 100.0%" in result.output
