"""Venous thromboembolism: Wells' criteria for PE and DVT, the PERC rule, the Caprini score (2005)."""

from __future__ import annotations

from ..common import AGE, HEART_RATE, SEX, count_flags, criterion, exact_score, lab, score_flags
from ..entities import Entities
from ..registry import register
from ..spec import Calculator, Input

__all__: list[str] = []

PREVIOUS_PE = criterion(
    "Previously Documented Pulmonary Embolism",
    "previously documented PE",
    "previous_pe",
)
PREVIOUS_DVT = criterion(
    "Previously documented Deep Vein Thrombosis",
    "previously documented DVT",
    "previous_dvt",
)
HEMOPTYSIS = criterion("Hemoptysis", "hemoptysis", "hemoptysis")

WELLS_PE_FLAGS = (
    criterion(
        "Clinical signs and symptoms of Deep Vein Thrombosis",
        "clinical signs and symptoms of DVT",
        "clinical_dvt",
        "Clinical signs and symptoms of DVT",
    ),
    criterion(
        "Pulmonary Embolism is #1 diagnosis OR equally likely",
        "PE is the most likely diagnosis",
        "pe_number_one",
        "PE is #1 diagnosis OR equally likely",
    ),
    criterion("Immobilization for at least 3 days", "immobilization ≥ 3 days", "immobilization_for_3days"),
    criterion("Surgery in the previous 4 weeks", "surgery in the previous 4 weeks", "surgery_in_past4weeks"),
    PREVIOUS_PE,
    PREVIOUS_DVT,
    HEMOPTYSIS,
    criterion(
        "Malignancy with treatment within 6 months or palliative",
        "active malignancy",
        "malignancy_with_treatment",
    ),
)


@register(
    Calculator(
        id=8,
        name="Wells' Criteria for Pulmonary Embolism",
        inputs=(HEART_RATE, *WELLS_PE_FLAGS),
        answer="number",
        tolerance="exact",
        question="What is the patient's score of Wells' criteria for Pulmonary Embolism?",
    )
)
def wells_pe(ents: Entities) -> float:
    """Wells PS et al. Thromb Haemost 2000;83:416: DVT signs +3, PE most likely +3, heart rate > 100 +1.5,
    immobilization ≥ 3 days or surgery in 4 weeks +1.5, previous PE or DVT +1.5, hemoptysis +1, malignancy +1."""
    score = 3.0 * ents.flag(WELLS_PE_FLAGS[0].key) + 3.0 * ents.flag(WELLS_PE_FLAGS[1].key)
    score += 1.5 * (ents.number("Heart Rate or Pulse") > 100)
    score += 1.5 * (ents.flag(WELLS_PE_FLAGS[2].key) or ents.flag(WELLS_PE_FLAGS[3].key))
    score += 1.5 * (ents.flag(PREVIOUS_PE.key) or ents.flag(PREVIOUS_DVT.key))
    return score + ents.flag(HEMOPTYSIS.key) + ents.flag(WELLS_PE_FLAGS[7].key)


BEDRIDDEN = criterion(
    "Bedridden recently >3 days", "bedridden recently > 3 days", "bedridden_for_atleast_3_days"
)
MAJOR_SURGERY = criterion(
    "Major surgery within 12 weeks", "major surgery within 12 weeks", "major_surgery_in_last_12_weeks"
)
ALTERNATIVE = criterion(
    "Alternative diagnosis to DVT as likely or more likely",
    "alternative diagnosis as likely",
    "alternative_to_dvt_diagnosis",
)
WELLS_DVT_ONE_POINT = (
    criterion("Active cancer", "active cancer", "active_cancer"),
    criterion("Calf swelling >3 cm compared to the other leg", "calf swelling > 3 cm", "calf_swelling_3cm"),
    criterion(
        "Collateral (nonvaricose) superficial veins present",
        "collateral superficial veins",
        "collateral_superficial_veins",
    ),
    criterion("Entire Leg Swollen", "entire leg swollen", "leg_swollen"),
    criterion(
        "Localized tenderness along the deep venous system",
        "localized tenderness along deep veins",
        "localized_tenderness_on_deep_venuous_system",
    ),
    criterion(
        "Pitting edema, confined to symptomatic leg",
        "pitting edema in the symptomatic leg",
        "pitting_edema_on_symptomatic_leg",
    ),
    criterion(
        "Paralysis, paresis, or recent plaster immobilization of the lower extremity",
        "paralysis, paresis or plaster immobilization of the leg",
        "paralysis_paresis_immobilization_in_lower_extreme",
    ),
    PREVIOUS_DVT,
)


@register(
    exact_score(
        16,
        "Wells' Criteria for DVT",
        (*WELLS_DVT_ONE_POINT, BEDRIDDEN, MAJOR_SURGERY, ALTERNATIVE),
        "What is the patient's score of Wells' criteria for DVT?",
    )
)
def wells_dvt(ents: Entities) -> int:
    """Wells PS et al. N Engl J Med 2003;349:1227: +1 each (bedridden > 3 days or major surgery within 12 weeks
    counting once), −2 if an alternative diagnosis is at least as likely."""
    score = count_flags(ents, WELLS_DVT_ONE_POINT)
    score += ents.flag(BEDRIDDEN.key) or ents.flag(MAJOR_SURGERY.key)
    return score - 2 * ents.flag(ALTERNATIVE.key)


OXYGEN_SATURATION = lab(
    "O₂ saturation percentage", "oxygen saturation on room air", "oxygen_sat", "%", ("%",), 80, 100
)
PERC_FLAGS = (
    criterion("Unilateral Leg Swelling", "unilateral leg swelling", "unilateral_leg_swelling"),
    HEMOPTYSIS,
    criterion("Recent surgery or trauma", "surgery or trauma within 4 weeks", "recent_surgery_or_trauma"),
    criterion("Hormone use", "hormone use", "hormonal_use"),
)


@register(
    exact_score(
        48,
        "PERC Rule for Pulmonary Embolism",
        (AGE, HEART_RATE, OXYGEN_SATURATION, *PERC_FLAGS, PREVIOUS_PE, PREVIOUS_DVT),
        "What are the number of criteria met for the PERC Rule for Pulmonary Embolism (PE)?",
    )
)
def perc_rule(ents: Entities) -> int:
    """Kline JA et al. J Thromb Haemost 2004;2:1247: criteria met among age ≥ 50, heart rate ≥ 100, SaO₂ < 95 %,
    unilateral leg swelling, hemoptysis, recent surgery/trauma, prior PE or DVT (one criterion), hormone use."""
    count = (ents.years() >= 50) + (ents.number("Heart Rate or Pulse") >= 100)
    count += ents.number("O₂ saturation percentage") < 95
    count += count_flags(ents, PERC_FLAGS)
    return count + (ents.flag(PREVIOUS_PE.key) or ents.flag(PREVIOUS_DVT.key))


CAPRINI_SURGERY = Input(
    key="Surgery Type",
    label="type of surgery",
    kind="choice",
    choices=(
        "none",
        "minor",
        "major",
        "laparoscopic",
        "arthroscopic",
        "elective major lower extremity arthroplasty",
    ),
    required=False,
    default="none",
    code_key="surgery_type",
    aliases=("Type of surgery",),
)
CAPRINI_SURGERY_POINTS = (0, 1, 2, 2, 2, 5)
CAPRINI_MOBILITY = Input(
    key="Mobility",
    label="mobility",
    kind="choice",
    choices=("normal", "on bed rest", "confined to bed >72 hours"),
    required=False,
    default="normal",
    code_key="mobility",
)
CAPRINI_BMI = lab(
    "Body Mass Index (BMI)",
    "body mass index",
    "bmi",
    "kg/m^2",
    ("kg/m^2",),
    16,
    50,
    required=False,
    default=0.0,
)
CAPRINI_FLAGS: dict[Input, int] = {
    criterion("Major Surgery in the last month", "major surgery in the last month", "major_surgery"): 1,
    criterion("Congestive Heart Failure in the last month", "CHF in the last month", "chf"): 1,
    criterion("Sepsis in the last month", "sepsis in the last month", "sepsis"): 1,
    criterion("Pneumonia in the last month", "pneumonia in the last month", "pneumonia"): 1,
    criterion(
        "Immobilizing plaster cast in the last month",
        "immobilizing plaster cast",
        "immobilizing_plaster_case",
    ): 2,
    criterion(
        "Hip, pelvis, or leg fracture in the last month",
        "hip, pelvis or leg fracture",
        "hip_pelvis_leg_fracture",
    ): 5,
    criterion("Stroke in the last month", "stroke in the last month", "stroke"): 5,
    criterion("Multiple trauma in the last month", "multiple trauma", "multiple trauma"): 5,
    criterion(
        "Acute spinal cord injury causing paralysis in the last month",
        "acute spinal cord injury",
        "acute_spinal_chord_injury",
    ): 5,
    criterion("Varicose veins", "varicose veins", "varicose_veins"): 1,
    criterion("Current swollen legs", "current swollen legs", "current_swollen_legs"): 1,
    criterion("Current central venous access", "central venous access", "current_central_venuous"): 2,
    criterion("Family history of thrombosis", "family history of thrombosis", "family_history_thrombosis"): 3,
    criterion("Positive Factor V Leiden", "factor V Leiden", "positive_factor_v"): 3,
    criterion("Positive prothrombin 20210A", "prothrombin 20210A", "positive_prothrombin"): 3,
    criterion("Elevated serum homocysteine", "elevated homocysteine", "serum_homocysteine"): 3,
    criterion("Positive lupus anticoagulant", "lupus anticoagulant", "positive_lupus_anticoagulant"): 3,
    criterion(
        "Elevated anticardiolipin antibody", "anticardiolipin antibody", "elevated_anticardiolipin_antibody"
    ): 3,
    criterion(
        "Heparin-induced thrombocytopenia",
        "heparin-induced thrombocytopenia",
        "heparin_induced_thrombocytopenia",
    ): 3,
    criterion(
        "Other congenital or acquired thrombophilia",
        "other thrombophilia",
        "congenital_acquired_thrombophilia",
    ): 3,
    criterion(
        "History of inflammatory bowel disease", "inflammatory bowel disease", "inflammatory_bowel_disease"
    ): 1,
    criterion("Acute Myocardial infarction", "acute myocardial infarction", "acute_myocardial_infarction"): 1,
    criterion("Chronic Obstructive Pulmonary Disease", "COPD", "copd"): 1,
    criterion("Present or previous malignancy", "malignancy", "malignancy"): 2,
}
CAPRINI_DVT = criterion("Previous DVT", "history of DVT", "previous_dvt", "History of deep vein thrombosis")
CAPRINI_PE = criterion("Previous PE", "history of PE", "previous_pe", "History of pulmonary embolism")


@register(
    exact_score(
        36,
        "Caprini Score for Venous Thromboembolism (2005)",
        (AGE, SEX, CAPRINI_SURGERY, CAPRINI_MOBILITY, CAPRINI_BMI, *CAPRINI_FLAGS, CAPRINI_DVT, CAPRINI_PE),
        "What is the patient's Caprini Score for Venous Thromboembolism?",
    )
)
def caprini(ents: Entities) -> int:
    """Caprini JA. Dis Mon 2005;51:70 (as on MDCalc): age 41-60 +1, 61-74 +2, ≥ 75 +3; surgery type; recent
    events; venous disease and thrombophilias (history of DVT/PE one item, +3); mobility; BMI > 25 +1; others."""
    age = ents.years()
    score = 3 if age >= 75 else 2 if age >= 61 else 1 if age >= 41 else 0
    score += CAPRINI_SURGERY_POINTS[CAPRINI_SURGERY.choices.index(ents.choice(CAPRINI_SURGERY.key))]
    score += CAPRINI_MOBILITY.choices.index(ents.choice(CAPRINI_MOBILITY.key))
    score += ents.number(CAPRINI_BMI.key) > 25
    score += score_flags(ents, CAPRINI_FLAGS)
    return score + 3 * (ents.flag(CAPRINI_DVT.key) or ents.flag(CAPRINI_PE.key))
