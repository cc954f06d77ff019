"""Charlson Comorbidity Index (the age-adjusted version MDCalc and MedCalc-Bench use)."""

from __future__ import annotations

from ..common import AGE, band, criterion, exact_score, score_flags
from ..entities import Entities
from ..registry import register
from ..spec import Input

__all__: list[str] = []

CCI_FLAGS = {
    criterion("Myocardial infarction", "myocardial infarction", "mi"): 1,
    criterion("Congestive Heart Faliure", "congestive heart failure", "chf", "Congestive Heart Failure"): 1,
    criterion("Peripheral vascular disease", "peripheral vascular disease", "peripheral_vascular_disease"): 1,
    criterion("Dementia", "dementia", "dementia"): 1,
    criterion("Chronic obstructive pulmonary disease", "COPD", "copd", "Chronic Pulmonary Disease"): 1,
    criterion("Connective tissue disease", "connective tissue disease", "connective_tissue_disease"): 1,
    criterion("Peptic ulcer disease", "peptic ulcer disease", "peptic_ucler_disease"): 1,
    criterion("Hemiplegia", "hemiplegia", "hemiplegia"): 2,
    criterion(
        "Moderate to severe Chronic Kidney Disease", "moderate to severe CKD", "moderate_to_severe_ckd"
    ): 2,
    criterion("Leukemia", "leukemia", "leukemia"): 2,
    criterion("Lymphoma", "lymphoma", "lymphoma"): 2,
    criterion("AIDS", "AIDS", "aids"): 6,
}
CVA = criterion("Cerebrovascular Accident", "cerebrovascular accident", "cva")
TIA = criterion("Transient Ischemic Attacks History", "transient ischemic attack", "tia")
LIVER = Input(
    key="Liver disease severity",
    label="liver disease",
    kind="choice",
    choices=("none", "mild", "moderate to severe"),
    required=False,
    default="none",
    code_key="liver_disease",
)
DIABETES = Input(
    key="Diabetes mellitus criteria for CCI rule",
    label="diabetes mellitus",
    kind="choice",
    choices=("none or diet-controlled", "uncomplicated", "end-organ damage"),
    required=False,
    default="none or diet-controlled",
    code_key="diabetes_mellitus",
)
SOLID_TUMOR = Input(
    key="Solid tumor",
    label="solid tumor",
    kind="choice",
    choices=("none", "localized", "metastatic"),
    required=False,
    default="none",
    code_key="solid_tumor",
)


@register(
    exact_score(
        32,
        "Charlson Comorbidity Index (CCI)",
        (AGE, *CCI_FLAGS, CVA, TIA, LIVER, DIABETES, SOLID_TUMOR),
        "What is the patient's Charlson Comorbidity Index (CCI)?",
    )
)
def charlson(ents: Entities) -> int:
    """Charlson ME et al. J Chronic Dis 1987;40:373, age-adjusted (Charlson 1994) as on MDCalc: age 50-59 +1 …
    ≥ 80 +4; MI, CHF, PVD, CVA or TIA, dementia, COPD, connective tissue disease, peptic ulcer +1; liver mild +1,
    moderate-severe +3; diabetes uncomplicated +1, end-organ damage +2; hemiplegia, CKD, leukemia, lymphoma +2;
    solid tumor localized +2, metastatic +6; AIDS +6."""
    score = band(ents.years(), (50, 60, 70, 80), (0, 1, 2, 3, 4))
    score += score_flags(ents, CCI_FLAGS)
    score += ents.flag(CVA.key) or ents.flag(TIA.key)
    score += (0, 1, 3)[LIVER.choices.index(ents.choice(LIVER.key))]
    score += DIABETES.choices.index(ents.choice(DIABETES.key))
    return score + (0, 2, 6)[SOLID_TUMOR.choices.index(ents.choice(SOLID_TUMOR.key))]
