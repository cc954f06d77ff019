"""A deterministic, synthetic MIMIC-III database in EHRSQL's layout (SQLite).

Table and column names, value formats (lower-case vocabularies, ``YYYY-MM-DD HH:MM:SS`` times shifted into
2100-2105, ``d_items.linksto``, cost rows keyed by ``event_type``/``event_id``) follow the SQL of the official
MedAgentGym/EHRSQL task files, so official queries run on it unchanged. Values are synthetic: no patient data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .ehrsql_plant import MIMIC_III_FACTS, Entity, QueryPlan, analyse, anchor, event_times, series
from .sqlite_file import write_tables

__all__ = ["DB_NAME", "NOW", "SCHEMA", "ChartedAdmission", "ChartedEvent", "build_database"]

DB_NAME = "mimic_iii.db"
NOW = "2105-12-31 23:59:00"  # EHRSQL's fixed "current_time"
_FMT = "%Y-%m-%d %H:%M:%S"

SCHEMA: dict[str, list[str]] = {
    "patients": ["row_id", "subject_id", "gender", "dob", "dod"],
    "admissions": [
        "row_id",
        "subject_id",
        "hadm_id",
        "admittime",
        "dischtime",
        "admission_type",
        "admission_location",
        "discharge_location",
        "insurance",
        "language",
        "marital_status",
        "ethnicity",
        "age",
    ],
    "d_icd_diagnoses": ["row_id", "icd9_code", "short_title", "long_title"],
    "d_icd_procedures": ["row_id", "icd9_code", "short_title", "long_title"],
    "d_labitems": ["row_id", "itemid", "label"],
    "d_items": ["row_id", "itemid", "label", "linksto"],
    "diagnoses_icd": ["row_id", "subject_id", "hadm_id", "icd9_code", "charttime"],
    "procedures_icd": ["row_id", "subject_id", "hadm_id", "icd9_code", "charttime"],
    "labevents": ["row_id", "subject_id", "hadm_id", "itemid", "charttime", "valuenum", "valueuom"],
    "prescriptions": [
        "row_id",
        "subject_id",
        "hadm_id",
        "startdate",
        "enddate",
        "drug",
        "dose_val_rx",
        "dose_unit_rx",
        "route",
    ],
    "cost": ["row_id", "subject_id", "hadm_id", "event_type", "event_id", "chargetime", "cost"],
    "chartevents": [
        "row_id",
        "subject_id",
        "hadm_id",
        "icustay_id",
        "itemid",
        "charttime",
        "valuenum",
        "valueuom",
    ],
    "inputevents_cv": ["row_id", "subject_id", "hadm_id", "icustay_id", "charttime", "itemid", "amount"],
    "outputevents": ["row_id", "subject_id", "hadm_id", "icustay_id", "charttime", "itemid", "value"],
    "microbiologyevents": ["row_id", "subject_id", "hadm_id", "charttime", "spec_type_desc", "org_name"],
    "icustays": [
        "row_id",
        "subject_id",
        "hadm_id",
        "icustay_id",
        "first_careunit",
        "last_careunit",
        "first_wardid",
        "last_wardid",
        "intime",
        "outtime",
    ],
    "transfers": [
        "row_id",
        "subject_id",
        "hadm_id",
        "icustay_id",
        "eventtype",
        "careunit",
        "wardid",
        "intime",
        "outtime",
    ],
}

DIAGNOSES = [
    ("4019", "hypertension nos", "unspecified essential hypertension"),
    ("42731", "atrial fibrillation", "atrial fibrillation"),
    ("4280", "chf nos", "congestive heart failure, unspecified"),
    ("41401", "crnry athrscl natve vssl", "coronary atherosclerosis of native coronary artery"),
    ("5849", "acute kidney failure nos", "acute kidney failure, unspecified"),
    ("25000", "dmii wo cmp nt st uncntr", "diabetes mellitus without mention of complication"),
    ("2724", "hyperlipidemia nec/nos", "other and unspecified hyperlipidemia"),
    ("51881", "acute respiratry failure", "acute respiratory failure"),
    ("5990", "urin tract infection nos", "urinary tract infection, site not specified"),
    ("v5867", "long-term use of insulin", "long-term (current) use of insulin"),
    ("2851", "ac posthemorrhag anemia", "acute posthemorrhagic anemia"),
    ("0389", "septicemia nos", "unspecified septicemia"),
    ("486", "pneumonia, organism nos", "pneumonia, organism unspecified"),
    ("2449", "hypothyroidism nos", "unspecified acquired hypothyroidism"),
    ("311", "depressive disorder nec", "depressive disorder, not elsewhere classified"),
    ("496", "chr airway obstruct nec", "chronic airway obstruction, not elsewhere classified"),
    ("5859", "chronic kidney dis nos", "chronic kidney disease, unspecified"),
    ("2859", "anemia nos", "anemia, unspecified"),
    ("78552", "septic shock", "septic shock"),
    ("04111", "staph aureus infect nos", "methicillin susceptible staphylococcus aureus infection"),
]
PROCEDURES = [
    ("3961", "extracorporeal circulat", "extracorporeal circulation auxiliary to open heart surgery"),
    ("9604", "insert endotracheal tube", "insertion of endotracheal tube"),
    ("9671", "cont inv mec ven <96 hrs", "continuous invasive mechanical ventilation for less than 96 hours"),
    ("3893", "venous cath nec", "venous catheterization, not elsewhere classified"),
    ("3722", "left heart cardiac cath", "left heart cardiac catheterization"),
    ("8856", "coronar arteriogr-2 cath", "coronary arteriography using two catheters"),
    ("9904", "packed cell transfusion", "transfusion of packed cells"),
    ("3615", "1 int mam-cor art bypass", "single internal mammary-coronary artery bypass"),
    ("8872", "dx ultrasound-heart", "diagnostic ultrasound of heart"),
    ("3891", "arterial catheterization", "arterial catheterization"),
    ("4311", "percu endosc gastrostomy", "percutaneous [endoscopic] gastrostomy [peg]"),
    ("8605", "free skin graft nec", "free skin graft, not elsewhere classified"),
]
DRUGS = [
    ("potassium chloride", ("po", "iv"), "meq"),
    ("furosemide", ("iv", "po"), "mg"),
    ("insulin", ("sc",), "unit"),
    ("metoprolol tartrate", ("po",), "mg"),
    ("heparin", ("sc", "iv"), "unit"),
    ("acetaminophen", ("po", "pr"), "mg"),
    ("pantoprazole sodium", ("iv",), "mg"),
    ("methimazole", ("po", "po/ng"), "mg"),
    ("docusate sodium", ("po",), "mg"),
    ("sodium chloride 0.9%", ("iv",), "ml"),
    ("magnesium sulfate", ("iv",), "gm"),
    ("vancomycin", ("iv",), "mg"),
    ("aspirin", ("po",), "mg"),
    ("morphine sulfate", ("iv",), "mg"),
    ("lorazepam", ("iv", "po"), "mg"),
    ("senna", ("po",), "tab"),
    ("atorvastatin", ("po",), "mg"),
    ("warfarin", ("po",), "mg"),
]
LABS = [
    ("glucose", 70, 220, "mg/dl"),
    ("potassium", 3.0, 5.6, "meq/l"),
    ("sodium", 128, 150, "meq/l"),
    ("creatinine", 0.5, 3.5, "mg/dl"),
    ("hemoglobin", 7.5, 16.0, "g/dl"),
    ("white blood cells", 3, 20, "k/ul"),
    ("platelet count", 90, 420, "k/ul"),
    ("pco2", 28, 62, "mm hg"),
    ("ph", 7.20, 7.52, "units"),
    ("lactate", 0.5, 5.0, "mmol/l"),
    ("bicarbonate", 17, 31, "meq/l"),
    ("chloride", 94, 112, "meq/l"),
]
VITALS = [
    ("heart rate", 55, 135, "bpm"),
    ("arterial bp [systolic]", 85, 170, "mmhg"),
    ("arterial bp [diastolic]", 40, 95, "mmhg"),
    ("arterial bp mean", 55, 115, "mmhg"),
    ("respiratory rate", 10, 32, "bpm"),
    ("temperature c (calc)", 35.8, 39.6, "deg. c"),
    ("sao2", 86, 100, "%"),
    ("admit wt", 45, 130, "kg"),
]
INPUTS = [
    "d5w",
    ".9% normal saline",
    "lactated ringers",
    "propofol",
    "tpn",
    "free water bolus",
    "packed red blood cells",
]
OUTPUTS = ["foley", "urine out void", "chest tubes left pleural 1", "stool out stool", "ostomy (output)"]
SPECIMENS = ["blood culture", "urine", "sputum", "mrsa screen", "staph aureus screen", "catheter tip-iv"]
ORGANISMS = [
    "escherichia coli",
    "staph aureus coag +",
    "klebsiella pneumoniae",
    "pseudomonas aeruginosa",
    None,
]
ADMISSION_TYPES = ["emergency", "elective", "urgent"]
ADMISSION_LOCATIONS = [
    "emergency room admit",
    "phys referral/normal deli",
    "transfer from hosp/extram",
    "clinic referral/premature",
]
DISCHARGE_LOCATIONS = ["home", "home health care", "snf", "rehab/distinct part hosp", "dead/expired"]
INSURANCE = ["medicare", "private", "medicaid", "government", "self pay"]
MARITAL = ["married", "single", "widowed", "divorced", None]
ETHNICITY = ["white", "black/african american", "hispanic or latino", "asian", "unknown/not specified"]
CAREUNITS = ["micu", "sicu", "ccu", "csru", "tsicu"]


def _t(dt: datetime) -> str:
    return dt.strftime(_FMT)


@dataclass(frozen=True)
class ChartedEvent:
    """One charted value: ``table`` is labevents, chartevents, inputevents_cv or prescriptions; ``label`` the
    item, lab or drug name (written lower case, as the database's vocabularies are); ``unit`` is stored where
    the table has a unit column (inputevents_cv has none: its amounts are ml)."""

    table: str
    label: str
    time: str
    value: float
    unit: str


@dataclass(frozen=True)
class ChartedAdmission:
    """A hospital admission written exactly as given (ids, times, events), for data that must agree with text
    written about it, such as generated clinical notes."""

    subject_id: int
    hadm_id: int
    gender: str
    age: int
    admittime: str
    dischtime: str
    events: tuple[ChartedEvent, ...]


class _Builder:
    def __init__(self, seed: int, taken: dict[str, frozenset[int]] | None = None) -> None:
        self.rng = random.Random(seed)
        self.rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in SCHEMA}
        self.ids: dict[str, int] = {}
        self.taken = taken or {}
        """ids (by kind) that charted admissions own, so generated rows skip them"""

    def next_id(self, kind: str, start: int) -> int:
        value = self.ids.get(kind, start - 1) + 1
        while value in self.taken.get(kind, ()):
            value += 1
        self.ids[kind] = value
        return value

    def add(self, table: str, *values: object) -> int:
        row_id = len(self.rows[table]) + 1
        self.rows[table].append((row_id, *values))
        return row_id

    def dictionaries(self) -> None:
        for code, short, long in DIAGNOSES:
            self.add("d_icd_diagnoses", code, short, long)
        for code, short, long in PROCEDURES:
            self.add("d_icd_procedures", code, short, long)
        for i, (label, *_rest) in enumerate(LABS):
            self.add("d_labitems", 50800 + i, label)
        for i, (label, *_rest) in enumerate(VITALS):
            self.add("d_items", 211 + i, label, "chartevents")
        for i, label in enumerate(INPUTS):
            self.add("d_items", 30001 + i, label, "inputevents_cv")
        for i, label in enumerate(OUTPUTS):
            self.add("d_items", 40055 + i, label, "outputevents")
        self.unit_cost = {
            "diagnoses_icd": {code: round(self.rng.uniform(2, 12), 2) for code, *_ in DIAGNOSES},
            "procedures_icd": {code: round(self.rng.uniform(300, 4000), 2) for code, *_ in PROCEDURES},
            "labevents": {label: round(self.rng.uniform(2, 40), 2) for label, *_ in LABS},
            "prescriptions": {drug: round(self.rng.uniform(1, 90), 2) for drug, *_ in DRUGS},
        }

    def patients(self, n: int, reserved: frozenset[int] = frozenset()) -> None:
        """``n`` patients with ids outside ``reserved`` (ids the planted queries name for their own patients)."""
        now = datetime.strptime(NOW, _FMT)
        for _ in range(n):
            rng = self.rng
            subject_id = self.next_id("subject", 1000) * 7 % 99991
            while subject_id in reserved:
                subject_id = self.next_id("subject", 1000) * 7 % 99991
            first = datetime(2100, 1, 1) + timedelta(minutes=rng.randrange(0, 5 * 365 * 24 * 60))
            dob = first - timedelta(days=rng.randrange(20 * 365, 90 * 365))
            n_adm = rng.choice([1, 1, 2, 2, 3, 4])
            current = rng.random() < 0.2
            times: list[datetime] = []
            t = first
            for _ in range(n_adm):
                times.append(t)
                t += timedelta(days=rng.randrange(30, 300), minutes=rng.randrange(0, 1440))
            if times[-1] > now - timedelta(days=40) or current:
                times[-1] = now - timedelta(days=rng.randrange(1, 25), minutes=rng.randrange(0, 1440))
            dead = not current and rng.random() < 0.1
            self.add("patients", subject_id, rng.choice(["m", "f"]), _t(dob.replace(hour=0, minute=0)), None)
            for k, admit in enumerate(times):
                is_current = current and k == len(times) - 1
                disch = (
                    None
                    if is_current
                    else admit + timedelta(days=rng.randrange(1, 20), hours=rng.randrange(24))
                )
                self.admission(subject_id, dob, admit, disch)
            if dead and times:
                last = self.rows["admissions"][-1]
                self.rows["patients"][-1] = (*self.rows["patients"][-1][:4], last[4])

    def admission(self, subject_id: int, dob: datetime, admit: datetime, disch: datetime | None) -> None:
        rng = self.rng
        hadm_id = self.next_id("hadm", 100001)
        end = disch or datetime.strptime(NOW, _FMT)
        age = (admit - dob).days // 365
        self.add(
            "admissions",
            subject_id,
            hadm_id,
            _t(admit),
            _t(disch) if disch else None,
            rng.choice(ADMISSION_TYPES),
            rng.choice(ADMISSION_LOCATIONS),
            rng.choice(DISCHARGE_LOCATIONS) if disch else None,
            rng.choice(INSURANCE),
            "engl",
            rng.choice(MARITAL),
            rng.choice(ETHNICITY),
            age,
        )
        span = max((end - admit).total_seconds() / 60, 60)

        def moment() -> datetime:
            return admit + timedelta(minutes=rng.randrange(0, int(span)))

        def charge(event_type: str, event_id: int, key: str, when: datetime) -> None:
            self.add(
                "cost", subject_id, hadm_id, event_type, event_id, _t(when), self.unit_cost[event_type][key]
            )

        for code, *_ in rng.sample(DIAGNOSES, rng.randrange(2, 8)):
            row = self.add("diagnoses_icd", subject_id, hadm_id, code, _t(admit))
            charge("diagnoses_icd", row, code, admit)
        for code, *_ in rng.sample(PROCEDURES, rng.randrange(0, 4)):
            when = moment()
            row = self.add("procedures_icd", subject_id, hadm_id, code, _t(when))
            charge("procedures_icd", row, code, when)
        for _ in range(rng.randrange(4, 30)):
            i = rng.randrange(len(LABS))
            label, lo, hi, unit = LABS[i]
            when = moment()
            row = self.add(
                "labevents", subject_id, hadm_id, 50800 + i, _t(when), round(rng.uniform(lo, hi), 2), unit
            )
            charge("labevents", row, label, when)
        # distinct start minutes, so "first/last prescribed" questions have one answer
        starts = sorted(rng.sample(range(int(span)), min(int(span), rng.randrange(3, 20))))
        for minute in starts:
            drug, routes, unit = rng.choice(DRUGS)
            start = admit + timedelta(minutes=minute)
            row = self.add(
                "prescriptions",
                subject_id,
                hadm_id,
                _t(start),
                _t(start + timedelta(days=rng.randrange(1, 5))),
                drug,
                str(rng.choice([1, 2, 5, 10, 20, 40, 100])),
                unit,
                rng.choice(routes),
            )
            charge("prescriptions", row, drug, start)
        for _ in range(rng.choice([0, 1, 1, 2])):
            self.icustay(subject_id, hadm_id, admit, end, disch is None)
        for _ in range(rng.randrange(0, 3)):
            self.add(
                "microbiologyevents",
                subject_id,
                hadm_id,
                _t(moment()),
                rng.choice(SPECIMENS),
                rng.choice(ORGANISMS),
            )

    def icustay(self, subject_id: int, hadm_id: int, admit: datetime, end: datetime, ongoing: bool) -> None:
        rng = self.rng
        icustay_id = self.next_id("icustay", 200001)
        span = max(int((end - admit).total_seconds() / 60), 120)
        intime = admit + timedelta(minutes=rng.randrange(0, span // 2))
        outtime = (
            None
            if ongoing and rng.random() < 0.5
            else min(end, intime + timedelta(hours=rng.randrange(12, 200)))
        )
        stop = outtime or end
        unit, ward = rng.choice(CAREUNITS), rng.randrange(7, 60)
        self.add(
            "icustays",
            subject_id,
            hadm_id,
            icustay_id,
            unit,
            unit,
            ward,
            ward,
            _t(intime),
            _t(outtime) if outtime else None,
        )
        self.add(
            "transfers",
            subject_id,
            hadm_id,
            icustay_id,
            "admit",
            unit,
            ward,
            _t(intime),
            _t(outtime) if outtime else None,
        )
        minutes = max(int((stop - intime).total_seconds() / 60), 10)

        def when() -> str:
            return _t(intime + timedelta(minutes=rng.randrange(0, minutes)))

        for i, (_label, lo, hi, unit_name) in enumerate(VITALS):
            for _ in range(rng.randrange(1, 3) if i == len(VITALS) - 1 else rng.randrange(2, 9)):
                self.add(
                    "chartevents",
                    subject_id,
                    hadm_id,
                    icustay_id,
                    211 + i,
                    when(),
                    round(rng.uniform(lo, hi), 1),
                    unit_name,
                )
        for _ in range(rng.randrange(1, 8)):
            self.add(
                "inputevents_cv",
                subject_id,
                hadm_id,
                icustay_id,
                when(),
                30001 + rng.randrange(len(INPUTS)),
                round(rng.uniform(5, 500), 2),
            )
        for _ in range(rng.randrange(1, 8)):
            self.add(
                "outputevents",
                subject_id,
                hadm_id,
                icustay_id,
                when(),
                40055 + rng.randrange(len(OUTPUTS)),
                round(rng.uniform(10, 900), 1),
            )


_START = "2095-01-01 00:00:00"  # windows may reach before 2100; anchors prefer 2100+
_ICU_TABLES = frozenset({"icustays", "chartevents", "inputevents_cv", "outputevents", "transfers"})
_CHARGED = ("diagnoses_icd", "procedures_icd", "labevents", "prescriptions")
_ICD_DICTIONARY = {"diagnoses_icd": "d_icd_diagnoses", "procedures_icd": "d_icd_procedures"}
_COST_RANGE = {
    "diagnoses_icd": (2, 12),
    "procedures_icd": (300, 4000),
    "labevents": (2, 40),
    "prescriptions": (1, 90),
}
_DEFAULTS: dict[str, list[str]] = {
    "diagnoses_icd": [short for _, short, _ in DIAGNOSES],
    "procedures_icd": [short for _, short, _ in PROCEDURES],
    "labevents": [label for label, *_ in LABS],
    "prescriptions": [drug for drug, *_ in DRUGS],
    "chartevents": [label for label, *_ in VITALS[:-1]],
    "inputevents_cv": INPUTS,
    "outputevents": OUTPUTS,
}
_VALUE_COLUMNS = {
    "labevents": "labevents.valuenum",
    "chartevents": "chartevents.valuenum",
    "inputevents_cv": "inputevents_cv.amount",
    "outputevents": "outputevents.value",
}
_RANGES = {label: (lo, hi) for label, lo, hi, _ in (*LABS, *VITALS)}


class _Planter:
    """Adds, as ordinary rows, what planted queries ask about (see `build_database`).

    It draws from its own random stream, so the seeded rows are the same with or without planting. Each query
    gets a hospital visit of its patient (or of three new patients when it names none) on a day inside its
    time window, an ICU stay when it reads ICU tables, and two or three events per entity it names, in the
    order it names them, all on that day, so "before", "same day/month" and "within N days" relations hold.
    """

    ANONYMOUS = 3

    def __init__(self, builder: _Builder, rng: random.Random) -> None:
        self.b = builder
        self.rng = rng
        self.items: dict[tuple[str, str], object] = {}
        for i, (label, *_r) in enumerate(LABS):
            self.items["labevents", label] = 50800 + i
        for table, labels, first in (
            ("chartevents", [v[0] for v in VITALS], 211),
            ("inputevents_cv", INPUTS, 30001),
            ("outputevents", OUTPUTS, 40055),
        ):
            self.items.update({(table, label): first + i for i, label in enumerate(labels)})
        for table, rows in (("diagnoses_icd", DIAGNOSES), ("procedures_icd", PROCEDURES)):
            self.items.update({(table, short): code for code, short, _ in rows})
        self.dobs: dict[int, datetime] = {}
        self.visits: dict[tuple[int, str | None], tuple[int, str, bool]] = {}
        self.stays: dict[tuple[object, ...], int] = {}
        self.anonymous = 100000

    def plant(self, plan: QueryPlan) -> None:
        if plan.subject and plan.subject.isdigit():
            subjects = [int(plan.subject)]
        else:
            subjects = list(range(self.anonymous, self.anonymous + self.ANONYMOUS))
            self.anonymous += self.ANONYMOUS
        for subject_id in subjects:
            hadm_id, admit, current = self.visit(subject_id, plan)
            self.events(subject_id, hadm_id, admit, current, plan)

    def item(self, entity: Entity) -> object:
        """The itemid or ICD-9 code of an entity, adding its dictionary row the first time it is named."""
        key = (entity.table, entity.name)
        if key not in self.items:
            if entity.table == "labevents":
                self.items[key] = self.b.next_id("planted_lab", 51000)
                self.b.add("d_labitems", self.items[key], entity.name)
            elif entity.table in _ICD_DICTIONARY:
                self.items[key] = str(self.b.next_id("planted_icd", 90000))
                self.b.add(_ICD_DICTIONARY[entity.table], self.items[key], entity.name, entity.name)
            elif entity.table == "prescriptions":
                self.items[key] = entity.name
            else:
                self.items[key] = self.b.next_id("planted_item", 220001)
                self.b.add("d_items", self.items[key], entity.name, entity.table)
        return self.items[key]

    def visit(self, subject_id: int, plan: QueryPlan) -> tuple[int, str, bool]:
        """(hadm_id, admittime, ongoing) of a visit inside the window, reusing one the patient already has."""
        kind = "current" if "current" in (plan.visit, plan.icu) else plan.visit
        days = plan.window.candidates(NOW, _START)
        known = self.visits.get((subject_id, kind))
        if known and known[1] in days and not plan.moments:
            return known
        rng = self.rng
        if plan.moments:
            admit = _t(datetime.strptime(plan.moments[0], _FMT) - timedelta(hours=1))
        else:
            admit = anchor(rng, kind, days)
        when = datetime.strptime(admit, _FMT)
        if subject_id not in self.dobs:
            lo, hi = plan.age or (20, 89)
            age = rng.randint(min(lo, 95), min(hi, lo + 30, 95))
            self.dobs[subject_id] = (when - timedelta(days=age * 365 + rng.randrange(1, 300))).replace(hour=0)
            gender = plan.attributes.get("patients.gender", (rng.choice("mf"),))[0]
            dod = _t(when + timedelta(days=rng.randint(5, 40))) if plan.dead else None
            self.b.add("patients", subject_id, gender, _t(self.dobs[subject_id]), min(dod or NOW, NOW))
        disch = None
        if kind != "current":
            disch = min(
                when + timedelta(days=rng.randint(1, 5), hours=rng.randrange(24)),
                datetime.strptime(NOW, _FMT),
            )
        hadm_id = self.b.next_id("hadm", 100001)

        def attribute(column: str, choices: Sequence[object]) -> object:
            return plan.attributes.get(f"admissions.{column}", (rng.choice(choices),))[0]

        self.b.add(
            "admissions",
            subject_id,
            hadm_id,
            admit,
            _t(disch) if disch else None,
            attribute("admission_type", ADMISSION_TYPES),
            attribute("admission_location", ADMISSION_LOCATIONS),
            rng.choice(DISCHARGE_LOCATIONS) if disch else None,
            attribute("insurance", INSURANCE),
            "engl",
            attribute("marital_status", MARITAL),
            rng.choice(ETHNICITY),
            (when - self.dobs[subject_id]).days // 365,
        )
        self.visits[subject_id, kind] = (hadm_id, admit, disch is None)
        return self.visits[subject_id, kind]

    def stay(self, subject_id: int, hadm_id: int, admit: str, ongoing: bool, plan: QueryPlan) -> int:
        """An ICU stay (with its transfer row) of the visit, in the care unit and ward the query names; one
        stay per visit serves every query that names neither, so "the last ICU stay" stays the same one."""
        named_unit = plan.attributes.get("transfers.careunit", (None,))[0]
        named_ward = plan.attributes.get("transfers.wardid", (None,))[0]
        key = (hadm_id, ongoing and plan.icu == "current", named_unit, named_ward)
        if key not in self.stays:
            unit = named_unit or self.rng.choice(CAREUNITS)
            ward = int(named_ward or self.rng.randrange(7, 60))
            icustay_id = self.b.next_id("icustay", 200001)
            intime = datetime.strptime(admit, _FMT) + timedelta(minutes=1)
            outtime = None if key[1] else _t(intime + timedelta(hours=20))
            self.b.add(
                "icustays", subject_id, hadm_id, icustay_id, unit, unit, ward, ward, _t(intime), outtime
            )
            self.b.add("transfers", subject_id, hadm_id, icustay_id, "admit", unit, ward, _t(intime), outtime)
            self.stays[key] = icustay_id
        return self.stays[key]

    def entities(self, plan: QueryPlan) -> list[Entity]:
        """The named entities, plus two defaults for each event table the query reads without naming any."""
        named = list(plan.entities)
        tables = set(plan.tables)
        if "cost" in tables and not tables & set(_CHARGED):
            tables.add("diagnoses_icd")
        for table in sorted(tables & set(_DEFAULTS)):
            if not any(e.table == table for e in named):
                named += [Entity(table, name) for name in self.rng.sample(_DEFAULTS[table], 2)]
        return named

    def events(self, subject_id: int, hadm_id: int, admit: str, ongoing: bool, plan: QueryPlan) -> None:
        rng = self.rng
        entities = self.entities(plan)
        icustay_id = (
            self.stay(subject_id, hadm_id, admit, ongoing, plan) if plan.tables & _ICU_TABLES else None
        )
        counts = [rng.randint(2, 3) for _ in entities]
        times = event_times(rng, plan, admit, sum(counts), NOW)
        if "microbiologyevents" in plan.tables:
            self.culture(subject_id, hadm_id, times[-1] if times else admit, plan)
        for entity, count in zip(entities, counts, strict=True):
            series = sorted([*plan.moments, *times[:count]])
            del times[:count]
            for when, value in zip(series, self.series(entity, plan, len(series)), strict=True):
                self.event(entity, (subject_id, hadm_id, icustay_id), when, value, plan)

    def chart(self, admission: ChartedAdmission) -> None:
        """Write ``admission`` as given: its patient, the visit, one ICU stay if it has ICU events, its events."""
        a = admission
        admit = datetime.strptime(a.admittime, _FMT)
        dob = (admit - timedelta(days=a.age * 365 + self.rng.randrange(1, 300))).replace(hour=0, minute=0)
        self.b.add("patients", a.subject_id, a.gender, _t(dob), None)
        row = (a.subject_id, a.hadm_id, a.admittime, a.dischtime, self.rng.choice(ADMISSION_TYPES))
        self.b.add(
            "admissions",
            *row,
            self.rng.choice(ADMISSION_LOCATIONS),
            self.rng.choice(DISCHARGE_LOCATIONS),
            self.rng.choice(INSURANCE),
            "engl",
            self.rng.choice(MARITAL),
            self.rng.choice(ETHNICITY),
            a.age,
        )
        icustay_id = None
        if any(e.table in _ICU_TABLES for e in a.events):
            icustay_id = self.b.next_id("icustay", 200001)
            unit, ward = self.rng.choice(CAREUNITS), self.rng.randrange(7, 60)
            stay = (icustay_id, unit, unit, ward, ward, a.admittime, a.dischtime)
            self.b.add("icustays", a.subject_id, a.hadm_id, *stay)
            self.b.add("transfers", a.subject_id, a.hadm_id, icustay_id, "admit", unit, ward, *stay[-2:])
        for event in a.events:
            self.charted_event(event, (a.subject_id, a.hadm_id, icustay_id))

    def charted_event(self, event: ChartedEvent, ids: tuple[int, int, int | None]) -> None:
        subject_id, hadm_id, icustay_id = ids
        table, when = event.table, event.time
        item = self.item(Entity(table, event.label.lower()))
        if table == "labevents":
            row = self.b.add(table, subject_id, hadm_id, item, when, event.value, event.unit)
        elif table == "prescriptions":
            end = _t(datetime.strptime(when, _FMT) + timedelta(days=1))
            dose = f"{event.value:g}"
            row = self.b.add(table, subject_id, hadm_id, when, end, item, dose, event.unit, "po")
        elif table == "chartevents":
            self.b.add(table, subject_id, hadm_id, icustay_id, item, when, event.value, event.unit)
            return
        else:
            self.b.add(table, subject_id, hadm_id, icustay_id, when, item, event.value)
            return
        key = event.label.lower()
        cost = self.b.unit_cost[table].setdefault(key, round(self.rng.uniform(*_COST_RANGE[table]), 2))
        self.b.add("cost", subject_id, hadm_id, table, row, when, cost)

    def culture(self, subject_id: int, hadm_id: int, when: str, plan: QueryPlan) -> None:
        for _ in range(2):
            spec = plan.attributes.get("microbiologyevents.spec_type_desc", (self.rng.choice(SPECIMENS),))[0]
            org = plan.attributes.get("microbiologyevents.org_name", (self.rng.choice(ORGANISMS[:-1]),))[0]
            self.b.add("microbiologyevents", subject_id, hadm_id, when, spec, org)

    def series(self, entity: Entity, plan: QueryPlan, n: int) -> list[float]:
        usual = _RANGES.get(entity.name, (1.0, 150.0))
        return series(self.rng, plan, _VALUE_COLUMNS.get(entity.table), usual, n)

    def event(
        self, entity: Entity, ids: tuple[int, int, int | None], when: str, value: float, plan: QueryPlan
    ) -> None:
        subject_id, hadm_id, icustay_id = ids
        item = self.item(entity)
        table = entity.table
        if table in _ICD_DICTIONARY:
            row = self.b.add(table, subject_id, hadm_id, item, when)
        elif table == "labevents":
            row = self.b.add(table, subject_id, hadm_id, item, when, value, "units")
        elif table == "prescriptions":
            route = plan.attributes.get("prescriptions.route", (self.rng.choice(["po", "iv", "sc"]),))[0]
            end = _t(datetime.strptime(when, _FMT) + timedelta(days=self.rng.randint(1, 4)))
            dose = str(self.rng.choice([1, 2, 5, 10, 20, 40, 100]))
            row = self.b.add(table, subject_id, hadm_id, when, end, item, dose, "mg", route)
        elif table == "chartevents":
            self.b.add(table, subject_id, hadm_id, icustay_id, item, when, value, "units")
            return
        else:
            self.b.add(table, subject_id, hadm_id, icustay_id, when, item, value)
            return
        key = str(item) if table in _ICD_DICTIONARY else entity.name
        cost = self.b.unit_cost[table].setdefault(key, round(self.rng.uniform(*_COST_RANGE[table]), 2))
        self.b.add("cost", subject_id, hadm_id, table, row, when, cost)


def build_database(
    path: Path,
    *,
    seed: int = 0,
    patients: int = 120,
    plant: Sequence[str] = (),
    charted: Sequence[ChartedAdmission] = (),
) -> Path:
    """Write the database to ``path`` (replacing it); the same arguments give byte-identical content.

    ``plant`` are EHRSQL queries (of task files the user loads) whose answers should be informative: the
    patients, entities, attributes, thresholds and time windows they name are added as ordinary rows among
    the seeded ones. ``charted`` admissions are written as given, their subject and admission ids kept out
    of the generated rows (one subject per charted admission). Without either the database is exactly the
    seeded one.
    """
    plans = [analyse(sql, MIMIC_III_FACTS) for sql in plant]
    builder = _Builder(seed, {"hadm": frozenset(a.hadm_id for a in charted)})
    builder.dictionaries()
    named = {int(p.subject) for p in plans if p.subject and p.subject.isdigit()}
    builder.patients(patients, frozenset(named | {a.subject_id for a in charted}))
    planter = _Planter(builder, random.Random(f"plant-{seed}"))
    for plan in plans:
        planter.plant(plan)
    for admission in charted:
        planter.chart(admission)
    return write_tables(path, SCHEMA, builder.rows)
