"""Question templates of the built-in eICU suite: EHRSQL's eICU question styles over ``data/eicu.py``.

eICU keys a patient by ``uniquepid``; one hospital stay (``patienthealthsystemstayid``) holds one or more unit
stays (``patientunitstayid``), each a row of ``patient``; events hang off unit stays.
"""

from __future__ import annotations

import random
import sqlite3

from medgym_nb.family.questions import QuestionBank, pick, pick_row, sql_text
from medgym_nb.tasks.model import AnswerSpec

__all__ = ["QUESTIONS"]

_STAYS_OF_FIRST_HOSPITAL_VISIT = (
    "select patient.patientunitstayid from patient where patient.patienthealthsystemstayid in ( select "
    "patient.patienthealthsystemstayid from patient where patient.uniquepid = '{pid}' and "
    "patient.hospitaldischargetime is not null order by patient.hospitaladmittime asc limit 1 )"
)
_LAST_ICU_STAY = (
    "select patient.patientunitstayid from patient where patient.uniquepid = '{pid}' and "
    "patient.unitdischargetime is not null order by patient.unitadmittime desc limit 1"
)
_DISCHARGED = "select distinct uniquepid from patient where hospitaldischargetime is not null order by 1"
_VITALS = {
    "heart rate": "heartrate",
    "respiration rate": "respiration",
    "sao2": "sao2",
    "systolic blood pressure": "systemicsystolic",
    "temperature": "temperature",
}


def _drug_route(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    drug = pick(rng, con, "select distinct drugname from medication order by 1")
    return (
        f"what is the intake method of {drug}?",
        f"select distinct medication.routeadmin from medication where medication.drugname = '{sql_text(drug)}'",
    )


def _event_cost(kind: str, table: str, name_column: str, id_column: str, phrase: str):
    def template(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
        name = pick(rng, con, f"select distinct {name_column} from {table} order by 1")
        return (
            phrase.format(name=name),
            f"select distinct cost.cost from cost where cost.eventtype = '{kind}' and cost.eventid in ( select "
            f"{table}.{id_column} from {table} where {table}.{name_column} = '{sql_text(name)}' )",
        )

    return template


def _gender(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, "select distinct uniquepid from patient order by 1")
    return (
        f"what is the gender of patient {pid}?",
        f"select distinct patient.gender from patient where patient.uniquepid = '{sql_text(pid)}'",
    )


def _days_since_admission(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(
        rng, con, "select distinct uniquepid from patient where hospitaldischargetime is null order by 1"
    )
    return (
        f"how many days have passed since patient {pid} was admitted to the hospital currently?",
        "select 1 * ( strftime('%j',current_time) - strftime('%j',patient.hospitaladmittime) ) from patient "
        f"where patient.uniquepid = '{sql_text(pid)}' and patient.hospitaldischargetime is null",
    )


def _first_hospital_stay_length(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, _DISCHARGED)
    return (
        f"what was the length of the first hospital stay of patient {pid}, in days?",
        "select strftime('%j',patient.hospitaldischargetime) - strftime('%j',patient.hospitaladmittime) from "
        f"patient where patient.uniquepid = '{sql_text(pid)}' and patient.hospitaldischargetime is not null "
        "order by patient.hospitaladmittime asc limit 1",
    )


def _lab_aggregate(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid, lab = pick_row(
        rng,
        con,
        "select distinct patient.uniquepid, lab.labname from lab join patient on lab.patientunitstayid = "
        "patient.patientunitstayid where patient.hospitaldischargetime is not null order by 1, 2",
    )
    word, fn = rng.choice([("average", "avg"), ("minimum", "min"), ("maximum", "max")])
    return (
        f"what was the {word} {lab} value of patient {pid} during the first hospital visit?",
        f"select {fn}(lab.labresult) from lab where lab.patientunitstayid in ( "
        f"{_STAYS_OF_FIRST_HOSPITAL_VISIT.format(pid=sql_text(pid))} ) and lab.labname = '{sql_text(lab)}'",
    )


def _vital_max_last_icu(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(
        rng, con, "select distinct uniquepid from patient where unitdischargetime is not null order by 1"
    )
    vital, column = rng.choice(sorted(_VITALS.items()))
    return (
        f"what was the maximum {vital} of patient {pid} during the last icu visit?",
        f"select max(vitalperiodic.{column}) from vitalperiodic where vitalperiodic.patientunitstayid in ( "
        f"{_LAST_ICU_STAY.format(pid=sql_text(pid))} ) and vitalperiodic.{column} is not null",
    )


def _treatment_count_year(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    name, year = pick_row(
        rng, con, "select distinct treatmentname, strftime('%Y', treatmenttime) from treatment order by 1, 2"
    )
    return (
        f"count the number of {name} procedure cases in {year}.",
        f"select count(*) from treatment where treatment.treatmentname = '{sql_text(name)}' and "
        f"strftime('%Y',treatment.treatmenttime) = '{year}'",
    )


def _top_diagnoses_year(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    year = pick(rng, con, "select distinct strftime('%Y', diagnosistime) from diagnosis order by 1")
    return (
        f"what are the top three frequent diagnoses in {year}?",
        "select t1.diagnosisname from ( select diagnosis.diagnosisname, dense_rank() over ( order by count(*) "
        f"desc ) as c1 from diagnosis where strftime('%Y',diagnosis.diagnosistime) = '{year}' group by "
        "diagnosis.diagnosisname ) as t1 where t1.c1 <= 3",
    )


def _total_intake(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid, label = pick_row(
        rng,
        con,
        "select distinct patient.uniquepid, intakeoutput.celllabel from intakeoutput join patient on "
        "intakeoutput.patientunitstayid = patient.patientunitstayid where intakeoutput.cellpath like "
        "'%intake%' order by 1, 2",
    )
    return (
        f"what was the total volume of {label} intake that patient {pid} received?",
        "select sum(intakeoutput.cellvaluenumeric) from intakeoutput where intakeoutput.patientunitstayid in ( "
        f"select patient.patientunitstayid from patient where patient.uniquepid = '{sql_text(pid)}' ) and "
        f"intakeoutput.celllabel = '{sql_text(label)}' and intakeoutput.cellpath like '%intake%'",
    )


QUESTIONS: QuestionBank = {
    "drug_route": (_drug_route, AnswerSpec()),
    "diagnosis_cost": (
        _event_cost(
            "diagnosis", "diagnosis", "diagnosisname", "diagnosisid", "what is the cost of diagnosing {name}?"
        ),
        AnswerSpec(),
    ),
    "lab_cost": (
        _event_cost("lab", "lab", "labname", "labid", "what is the cost of a {name} lab test?"),
        AnswerSpec(),
    ),
    "treatment_cost": (
        _event_cost(
            "treatment",
            "treatment",
            "treatmentname",
            "treatmentid",
            "what is the cost of a procedure named {name}?",
        ),
        AnswerSpec(),
    ),
    "gender": (_gender, AnswerSpec()),
    "days_since_admission": (_days_since_admission, AnswerSpec()),
    "first_hospital_stay_length": (_first_hospital_stay_length, AnswerSpec()),
    "lab_aggregate": (_lab_aggregate, AnswerSpec(rel_tol=1e-4)),
    "vital_max_last_icu": (_vital_max_last_icu, AnswerSpec(rel_tol=1e-4)),
    "treatment_count_year": (_treatment_count_year, AnswerSpec()),
    "top_diagnoses_year": (_top_diagnoses_year, AnswerSpec()),
    "total_intake": (_total_intake, AnswerSpec(rel_tol=1e-4)),
}
