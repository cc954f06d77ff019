"""A deterministic, synthetic MIMIC-III database in EHRSQL's layout (SQLite).

Table and column names, value formats (lower-case vocabularies, ``YYYY-MM-DD HH:MM:SS`` times shifted into
2100-2105, ``d_items.linksto``, cost rows keyed by ``event_type``/``event_id``) follow the SQL of the official
MedAgentGym/EHRSQL task files, so official queries run on it unchanged. Values are synthetic: no patient data.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

__all__ = ["DB_NAME", "NOW", "SCHEMA", "build_database"]

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


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in SCHEMA}
        self.ids: dict[str, int] = {}

    def next_id(self, kind: str, start: int) -> int:
        self.ids[kind] = self.ids.get(kind, start - 1) + 1
        return self.ids[kind]

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

    def patients(self, n: int) -> None:
        now = datetime.strptime(NOW, _FMT)
        for _ in range(n):
            rng = self.rng
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


def build_database(path: Path, *, seed: int = 0, patients: int = 120) -> Path:
    """Write the database to ``path`` (replacing it); the same seed gives byte-identical content."""
    builder = _Builder(seed)
    builder.dictionaries()
    builder.patients(patients)
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        for table, columns in SCHEMA.items():
            con.execute(f"create table {table} ({', '.join(columns)})")
            marks = ", ".join("?" * len(columns))
            con.executemany(f"insert into {table} values ({marks})", builder.rows[table])
        con.commit()
    finally:
        con.close()
    return path
