"""What clinical notes about MIMIC-III entities are made of: where an entity is charted (its table, unit, usual
range), the units a note may state it in, the abbreviations and date formats notes use.

An entity named by an official EHRCon row is placed by its name alone (vitals, labs, drugs and fluids have
recognisable names); names this vocabulary does not know are charted items, as most of MIMIC's are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medgym_nb.data.mimic_iii import DRUGS, INPUTS, LABS, VITALS

__all__ = [
    "ALIASES",
    "DATE_FORMATS",
    "SUITE_ENTITIES",
    "UNIT_TEXT",
    "Profile",
    "convert",
    "profile",
    "unit_group",
]


@dataclass(frozen=True)
class Profile:
    """Where an entity is charted and how its values look: ``unit`` is the charted (database) unit."""

    table: str
    unit: str
    lo: float
    hi: float
    decimals: int


_GROUPS: dict[str, tuple[str, float]] = {
    "mg": ("mass", 1.0),
    "gm": ("mass", 1000.0),
    "g": ("mass", 1000.0),
    "mcg": ("mass", 0.001),
    "kg": ("weight", 1.0),
    "lb": ("weight", 0.45359237),
    "ml": ("volume", 1.0),
    "l": ("volume", 1000.0),
    "cm": ("length", 1.0),
    "in": ("length", 2.54),
    "mg/dl": ("mass concentration", 1.0),
    "mg/l": ("mass concentration", 0.1),
    "g/dl": ("protein concentration", 1.0),
    "g/l": ("protein concentration", 0.1),
    "meq/l": ("molar concentration", 1.0),
    "mmol/l": ("molar concentration", 1.0),
    "mmhg": ("pressure", 1.0),
    "mm hg": ("pressure", 1.0),
    "deg. c": ("temperature", 1.0),
    "deg. f": ("temperature", 1.0),
}
"""unit → (what it measures, factor to the group's base unit); units not listed convert to nothing else"""

UNIT_TEXT: dict[str, tuple[str, ...]] = {
    "mg": ("mg",),
    "gm": ("g", "gm"),
    "mcg": ("mcg",),
    "kg": ("kg",),
    "lb": ("lb", "lbs"),
    "ml": ("mL", "ml", "cc"),
    "l": ("L",),
    "cm": ("cm",),
    "in": ("in",),
    "mg/dl": ("mg/dL", "mg/dl"),
    "mg/l": ("mg/L",),
    "g/dl": ("g/dL", "gm/dL"),
    "g/l": ("g/L",),
    "meq/l": ("mEq/L", "meq/L"),
    "mmol/l": ("mmol/L",),
    "mmhg": ("mmHg", "mm Hg"),
    "mm hg": ("mmHg", "mm Hg"),
    "deg. c": ("°C", "C", "deg C"),
    "deg. f": ("°F", "F"),
    "k/ul": ("K/uL", "x10^3/uL"),
    "bpm": ("bpm", "/min"),
    "insp/min": ("insp/min", "breaths/min"),
    "%": ("%",),
    "iu/l": ("IU/L", "U/L"),
    "sec": ("sec", "s"),
    "ng/ml": ("ng/mL",),
    "cmh2o": ("cmH2O",),
    "unit": ("units", "U"),
    "units": ("units",),
    "meq": ("mEq",),
    "tab": ("tab", "tablets"),
    "m/ul": ("m/uL",),
    "pg": ("pg",),
    "fl": ("fL",),
    "ratio": ("",),
}
"""how a note may write each unit (the first spelling is the usual one)"""


def unit_group(unit: str) -> str:
    """What ``unit`` measures; units of one group convert into each other, others do not."""
    return _GROUPS.get(unit, (unit, 1.0))[0]


def convert(value: float, unit: str, to: str) -> float | None:
    """``value`` in ``unit`` expressed in ``to``, or None when the two do not measure the same quantity."""
    if unit_group(unit) != unit_group(to):
        return None
    if unit_group(unit) == "temperature" and unit != to:
        return (value - 32) * 5 / 9 if unit == "deg. f" else value * 9 / 5 + 32
    return value * _GROUPS.get(unit, ("", 1.0))[1] / _GROUPS.get(to, ("", 1.0))[1]


_DOSES = {"mg": (5, 100), "unit": (2, 40), "meq": (10, 60), "ml": (50, 500), "gm": (1, 4), "tab": (1, 4)}


def _decimals(lo: float, hi: float) -> int:
    """Enough decimals for a handful of values that differ visibly within the range."""
    return 2 if hi - lo < 2 else 1 if hi < 50 else 0


_KNOWN: dict[str, Profile] = {
    **{label: Profile("labevents", unit, lo, hi, _decimals(lo, hi)) for label, lo, hi, unit in LABS},
    **{label: Profile("chartevents", unit, lo, hi, _decimals(lo, hi)) for label, lo, hi, unit in VITALS},
    **{label: Profile("inputevents_cv", "ml", 20, 500, 0) for label in INPUTS},
    **{
        drug: Profile("prescriptions", unit, lo, hi, _decimals(lo, hi))
        for drug, _r, unit in DRUGS
        for lo, hi in [_DOSES.get(unit, (1, 50))]
    },
}

_DRUG = Profile("prescriptions", "mg", 5, 100, 0)
_INPUT = Profile("inputevents_cv", "ml", 20, 500, 0)
_RULES: tuple[tuple[str, Profile], ...] = (
    (
        r"lasix|furosemide|coumadin|warfarin|aspirin|acetaminophen|tylenol|metoprolol|lopressor|vancomycin|"
        r"zosyn|ceftriaxone|levofloxacin|cipro|pantoprazole|protonix|docusate|colace|senna|morphine|"
        r"dilaudid|hydromorphone|lorazepam|ativan|haldol|haloperidol|statin|lisinopril|amiodarone|"
        r"diltiazem|captopril|hydralazine|prednisone|solumedrol|methylprednisolone|famotidine|ondansetron|"
        r"zofran|oxycodone|percocet|plavix|clopidogrel|digoxin|albuterol|ipratropium|nystatin|metronidazole|"
        r"flagyl|cefazolin|ancef|bactrim|seroquel|quetiapine|keppra|levetiracetam|dilantin|"
        r"phenytoin|lovenox|enoxaparin|nitroglycerin|labetalol|carvedilol|spironolactone|sulfate",
        _DRUG,
    ),
    (r"insulin|heparin", Profile("prescriptions", "unit", 2, 20, 0)),
    (
        r"saline|\bns\b|ringer|\blr\b|d5|dextrose|propofol|fentanyl|midazolam|versed|norepinephrine|"
        r"levophed|vasopressin|phenylephrine|neosynephrine|\btpn\b|\bppn\b|prbc|packed|\bffp\b|plasma|"
        r"bolus|free water|fluid|tube feed|nutren|replete|promote|impact|probalance|ivf|cryo",
        _INPUT,
    ),
    (r"^t ?max$|^t ?current$|temp|^t$", Profile("chartevents", "deg. c", 36.0, 39.5, 1)),
    (r"weight|\bwt\b", Profile("chartevents", "kg", 45, 130, 1)),
    (r"height", Profile("chartevents", "cm", 150, 195, 0)),
    (
        r"\bbp\b|blood pressure|systolic|diastolic|\bnbp|\babp|\bmap\b|arterial",
        Profile("chartevents", "mmhg", 60, 170, 0),
    ),
    (r"^hr$|heart rate|pulse", Profile("chartevents", "bpm", 55, 135, 0)),
    (r"^rr$|^r$|resp", Profile("chartevents", "insp/min", 10, 32, 0)),
    (r"spo2|sao2|o2 sat", Profile("chartevents", "%", 86, 100, 0)),
    (r"peep|pip|plateau|paw", Profile("chartevents", "cmh2o", 5, 30, 0)),
    (r"^vt|tidal", Profile("chartevents", "ml", 300, 650, 0)),
    (r"glucose|^bg$|fingerstick", Profile("labevents", "mg/dl", 70, 220, 0)),
    (
        r"^hct$|hematocrit|^rdw|^mchc$|^eos|^lymph|^mono|^neut|^poly|^baso|^atyp",
        Profile("labevents", "%", 1, 48, 1),
    ),
    (r"^hgb$|hemoglobin|^hb$|albumin|protein", Profile("labevents", "g/dl", 2.5, 15.5, 1)),
    (r"^inr", Profile("labevents", "ratio", 0.9, 3.5, 1)),
    (r"^pt$|^ptt$|thromboplastin|prothrombin", Profile("labevents", "sec", 10, 60, 1)),
    (r"^wbc$|white|^plt|platelet", Profile("labevents", "k/ul", 3, 420, 0)),
    (r"^rbc$|red blood", Profile("labevents", "m/ul", 2.5, 5.5, 2)),
    (r"^mch$", Profile("labevents", "pg", 26, 34, 1)),
    (r"^mcv$", Profile("labevents", "fl", 80, 100, 0)),
    (
        r"^na\+?$|sodium|^k\+?$|potassium|^cl-?$|chloride|^co2$|hco3|bicarb|tco2|anion|angap|gap",
        Profile("labevents", "meq/l", 3, 145, 0),
    ),
    (
        r"^bun$|urea|creat|^cr$|^mg\+*$|magnes|^ca\+*$|calcium|^po4$|phos|bili",
        Profile("labevents", "mg/dl", 0.5, 9.5, 1),
    ),
    (r"lact", Profile("labevents", "mmol/l", 0.5, 5.0, 1)),
    (r"trop|ck-?mb|bnp", Profile("labevents", "ng/ml", 0.01, 2.0, 2)),
    (
        r"^alt|^ast|alk|^ck|cpk|^ldh|ld\(ldh\)|amylase|lipase|sgot|sgpt|ggt",
        Profile("labevents", "iu/l", 10, 400, 0),
    ),
    (r"^ph$", Profile("labevents", "units", 7.2, 7.5, 2)),
    (r"pco2|po2", Profile("labevents", "mm hg", 28, 110, 0)),
)
_CHARTED = Profile("chartevents", "units", 1, 150, 0)


def profile(name: str) -> Profile:
    """Where ``name`` is charted: our own vocabulary first, then by its name, else as a charted item."""
    key = name.strip().lower()
    if key in _KNOWN:
        return _KNOWN[key]
    for pattern, found in _RULES:
        if re.search(pattern, key):
            return found
    return _CHARTED


ALIASES: dict[str, tuple[str, ...]] = {
    "heart rate": ("HR",),
    "respiratory rate": ("RR",),
    "arterial bp mean": ("MAP",),
    "arterial bp [systolic]": ("SBP",),
    "arterial bp [diastolic]": ("DBP",),
    "temperature c (calc)": ("Temp", "T"),
    "sao2": ("SaO2", "O2 sat"),
    "admit wt": ("admission weight", "weight"),
    "hemoglobin": ("Hgb", "Hb"),
    "potassium": ("K",),
    "sodium": ("Na",),
    "chloride": ("Cl",),
    "bicarbonate": ("HCO3",),
    "creatinine": ("Cr", "Creat"),
    "glucose": ("BG", "Glc"),
    "white blood cells": ("WBC",),
    "platelet count": ("Plt",),
    "lactate": ("Lac",),
    "pco2": ("pCO2",),
    "potassium chloride": ("KCl",),
    "furosemide": ("Lasix",),
    "acetaminophen": ("Tylenol",),
    "warfarin": ("Coumadin",),
    "pantoprazole sodium": ("Protonix",),
    "docusate sodium": ("Colace",),
    "metoprolol tartrate": ("Lopressor",),
    ".9% normal saline": ("NS", "normal saline"),
    "lactated ringers": ("LR",),
    "packed red blood cells": ("PRBC", "pRBCs"),
    "d5w": ("D5W",),
}
"""abbreviations and brand names notes use for entities of our own vocabulary"""

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%b %d, %Y", "%d %B %Y", "[**%Y-%m-%d**]")
"""date spellings of notes (the bracketed one is MIMIC's de-identified style)"""

SUITE_ENTITIES: dict[str, tuple[str, ...]] = {
    "labevents": tuple(label for label, *_ in LABS),
    "chartevents": tuple(label for label, *_ in VITALS),
    "inputevents_cv": tuple(INPUTS),
    "prescriptions": tuple(drug for drug, *_ in DRUGS),
}
"""the entities of the built-in suite's notes, by the table they are charted in"""
