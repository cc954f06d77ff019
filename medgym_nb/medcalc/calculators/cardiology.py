"""Cardiovascular risk scores: CHA2DS2-VASc, HAS-BLED, HEART, RCRI, Framingham hard CHD."""

from __future__ import annotations

import math

from ..common import AGE, CREATININE, SEX, SYSTOLIC, count_flags, criterion, exact_score, lab
from ..entities import Entities
from ..registry import register
from ..spec import Calculator, Input
from .electrolytes import HDL, TOTAL_CHOLESTEROL

__all__: list[str] = []

CHA2DS2_VASC_ONE_POINT = (
    criterion("Congestive Heart Faliure", "congestive heart failure", "chf", "Congestive Heart Failure"),
    criterion("Hypertension history", "hypertension", "hypertension", "Hypertension"),
    criterion("Vascular disease history", "vascular disease (MI, PAD, aortic plaque)", "vascular_disease"),
    criterion("Diabetes history", "diabetes", "diabetes"),
)
CHA2DS2_VASC_EMBOLIC = (
    criterion("Stroke", "prior stroke", "stroke"),
    criterion("Transient Ischemic Attacks History", "prior TIA", "tia"),
    criterion("Thromboembolism history", "prior thromboembolism", "thromboembolism"),
)


@register(
    exact_score(
        4,
        "CHA2DS2-VASc Score for Atrial Fibrillation Stroke Risk",
        (AGE, SEX, *CHA2DS2_VASC_ONE_POINT, *CHA2DS2_VASC_EMBOLIC),
        "What is the patient's CHA2DS2-VASc Score?",
    )
)
def cha2ds2_vasc(ents: Entities) -> int:
    """Lip GYH et al. Chest 2010;137:263: age 65-74 +1, ≥75 +2; female +1; CHF, hypertension, vascular disease,
    diabetes +1 each; stroke/TIA/thromboembolism +2."""
    age = ents.years()
    score = 2 if age >= 75 else 1 if age >= 65 else 0
    score += ents.choice("sex") == "Female"
    score += count_flags(ents, CHA2DS2_VASC_ONE_POINT)
    return score + 2 * (count_flags(ents, CHA2DS2_VASC_EMBOLIC) > 0)


HAS_BLED_FLAGS = (
    criterion("Hypertension", "uncontrolled hypertension (systolic > 160)", "hypertension"),
    criterion("Renal disease criteria for the HAS-BLED rule", "renal disease", "renal_disease_has_bled"),
    criterion("Liver disease criteria for the HAS-BLED rule", "liver disease", "liver_disease_has_bled"),
    criterion("Stroke", "prior stroke", "stroke"),
    criterion(
        "Prior major bleeding or predisposition to bleeding",
        "prior major bleeding or predisposition",
        "prior_bleeding",
    ),
    criterion("Labile international normalized ratio", "labile INR", "labile_inr", "Labile INR"),
    criterion(
        "Medication usage predisposing to bleeding", "antiplatelet or NSAID use", "medications_for_bleeding"
    ),
)
ALCOHOL = lab(
    "Number of alcoholic drinks consumed per week",
    "alcoholic drinks per week",
    "alcoholic_drinks",
    None,
    (),
    0,
    30,
    required=False,
    default=0.0,
    step=1,
    aliases=("alcoholic drinks per week", "Number of alcoholic drinks per week"),
)


@register(
    exact_score(
        25,
        "HAS-BLED Score for Major Bleeding Risk",
        (AGE, *HAS_BLED_FLAGS, ALCOHOL),
        "What is the patient's HAS-BLED score?",
    )
)
def has_bled(ents: Entities) -> int:
    """Pisters R et al. Chest 2010;138:1093: one point each for hypertension, abnormal renal function, abnormal
    liver function, stroke, bleeding, labile INR, elderly (> 65), drugs, alcohol (≥ 8 drinks a week)."""
    score = count_flags(ents, HAS_BLED_FLAGS)
    score += ents.years() > 65
    score += ents.number("Number of alcoholic drinks consumed per week") >= 8
    return score


HEART_HISTORY = Input(
    key="Suspicion History",
    label="history (suspicion of ACS)",
    kind="choice",
    choices=("Slightly suspicious", "Moderately suspicious", "Highly suspicious"),
    required=False,
    default="Slightly suspicious",
    code_key="history",
)
HEART_EKG = Input(
    key="Electrocardiogram Test",
    label="EKG",
    kind="choice",
    choices=("Normal", "Non-specific repolarization disturbance", "Significant ST deviation"),
    required=False,
    default="Normal",
    code_key="electrocardiogram",
)
HEART_TROPONIN = Input(
    key="Initial troponin",
    label="initial troponin",
    kind="choice",
    choices=(
        "less than or equal to normal limit",
        "between the normal limit or up to three times the normal limit",
        "greater than three times normal limit",
    ),
    required=False,
    default="less than or equal to normal limit",
    code_key="initial_troponin",
)
HEART_RISK_FACTORS = (
    criterion("Hypertension history", "hypertension", "hypertension"),
    criterion("hypercholesterolemia", "hypercholesterolemia", "hypercholesterolemia"),
    criterion("Diabetes mellitus criteria for CCI rule", "diabetes mellitus", "diabetes_mellitus"),
    criterion("obesity", "obesity (BMI > 30)", "obesity"),
    criterion("smoking", "smoking (current or quit < 3 months)", "smoking"),
    criterion(
        "parent or sibling with Cardiovascular disease before age 65",
        "family history of CVD before 65",
        "family_with_cvd",
    ),
)
ATHEROSCLEROSIS = criterion(
    "atherosclerotic disease", "known atherosclerotic disease", "atherosclerotic_disease"
)


@register(
    exact_score(
        18,
        "HEART Score for Major Cardiac Events",
        (AGE, HEART_HISTORY, HEART_EKG, HEART_TROPONIN, *HEART_RISK_FACTORS, ATHEROSCLEROSIS),
        "What is the patient's HEART score?",
    )
)
def heart_score(ents: Entities) -> int:
    """Six AJ et al. Neth Heart J 2008;16:191 (as on MDCalc): History, EKG, Age (< 45 / 45-64 / ≥ 65), Risk
    factors (none 0, 1-2 → 1, ≥ 3 or known atherosclerotic disease → 2), Troponin (≤ normal / 1-3× / > 3×)."""
    age = ents.years()
    score = 2 if age >= 65 else 1 if age >= 45 else 0
    for item in (HEART_HISTORY, HEART_EKG, HEART_TROPONIN):
        score += item.choices.index(ents.choice(item.key))
    factors = sum(ents.flag(item.key) for item in HEART_RISK_FACTORS)
    if factors >= 3 or ents.flag(ATHEROSCLEROSIS.key):
        score += 2
    elif factors >= 1:
        score += 1
    return score


RCRI_FLAGS = (
    criterion("Elevated-risk surgery", "elevated-risk surgery", "elevated_risk_surgery"),
    criterion("History of ischemic heart disease", "ischemic heart disease", "ischemetic_heart_disease"),
    criterion(
        "Congestive Heart Failure criteria for the Revised Cardiac Risk Index rule",
        "congestive heart failure",
        "congestive_heart_failure",
        "Congestive Heart Failure",
    ),
    criterion("History of cerebrovascular disease", "cerebrovascular disease", "cerebrovascular_disease"),
    criterion("Pre-operative treatment with insulin", "insulin treatment", "pre_operative_insulin_treatment"),
)
PREOP_CREATININE = CREATININE.model_copy(
    update={
        "key": "Pre-operative creatinine",
        "label": "pre-operative creatinine",
        "code_key": "pre_operative_creatinine",
        "required": False,
        "default": 0.0,
    }
)


@register(
    exact_score(
        17,
        "Revised Cardiac Risk Index for Pre-Operative Risk",
        (*RCRI_FLAGS, PREOP_CREATININE),
        "What is the patient's Cardiac Risk Index score?",
    )
)
def revised_cardiac_risk_index(ents: Entities) -> int:
    """Lee TH et al. Circulation 1999;100:1043: one point each for high-risk surgery, ischemic heart disease, CHF,
    cerebrovascular disease, insulin treatment, and pre-operative creatinine > 2 mg/dL."""
    score = count_flags(ents, RCRI_FLAGS)
    return score + (ents.number("Pre-operative creatinine") > 2)


FRAMINGHAM_INPUTS = (
    AGE.model_copy(update={"low": 30, "high": 79}),
    SEX,
    criterion("Smoker", "current smoker", "smoker"),
    SYSTOLIC,
    criterion(
        "Blood pressure being treated with medicines",
        "on blood pressure medication",
        "bp_medicine",
    ),
    TOTAL_CHOLESTEROL,
    HDL,
)


@register(
    Calculator(
        id=46,
        name="Framingham Risk Score for Hard Coronary Heart Disease",
        inputs=FRAMINGHAM_INPUTS,
        answer="number",
        tolerance="relative_5pct",
        question="What is the patient's Framingham Risk Score?",
    )
)
def framingham_risk(ents: Entities) -> float:
    """10-year risk (%) of hard CHD, NCEP ATP III (JAMA 2001;285:2486) in the Cox form MDCalc publishes.

    Men:   L = 52.00961 ln(age) + 20.014077 ln(TC) − 0.905964 ln(HDL) + 1.305784 ln(SBP) + 0.241549 BPmed
               + 12.096316 smoker − 4.605038 ln(age) ln(TC) − 2.84367 ln(age_s) smoker − 2.93323 ln(age)²
               − 172.300168;  risk = 1 − 0.9402^exp(L), age_s = min(age, 70).
    Women: L = 31.764001 ln(age) + 22.465206 ln(TC) − 1.187731 ln(HDL) + 2.552905 ln(SBP) + 0.420251 BPmed
               + 13.07543 smoker − 5.060998 ln(age) ln(TC) − 2.996945 ln(age_s) smoker − 146.5933061;
               risk = 1 − 0.98767^exp(L), age_s = min(age, 78).  Cholesterol in mg/dL, SBP in mm Hg.
    """
    age = math.log(ents.years())
    total = math.log(ents.number("Total cholesterol"))
    hdl = math.log(ents.number("high-density lipoprotein cholesterol"))
    sbp = math.log(ents.number("Systolic Blood Pressure"))
    treated = float(ents.flag("Blood pressure being treated with medicines"))
    smoker = float(ents.flag("Smoker"))
    if ents.choice("sex") == "Male":
        age_smoke = math.log(min(ents.years(), 70))
        score = (
            52.00961 * age
            + 20.014077 * total
            - 0.905964 * hdl
            + 1.305784 * sbp
            + 0.241549 * treated
            + 12.096316 * smoker
            - 4.605038 * age * total
            - 2.84367 * age_smoke * smoker
            - 2.93323 * age * age
            - 172.300168
        )
        return (1 - 0.9402 ** math.exp(score)) * 100
    age_smoke = math.log(min(ents.years(), 78))
    score = (
        31.764001 * age
        + 22.465206 * total
        - 1.187731 * hdl
        + 2.552905 * sbp
        + 0.420251 * treated
        + 13.07543 * smoker
        - 5.060998 * age * total
        - 2.996945 * age_smoke * smoker
        - 146.5933061
    )
    return (1 - 0.98767 ** math.exp(score)) * 100
