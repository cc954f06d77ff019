"""Question templates of the built-in MIMIC-III suite (EHRSQL's question styles over ``data/mimic_iii.py``)."""

from __future__ import annotations

import random
import sqlite3

from medgym_nb.family.questions import QuestionBank, pick, pick_row
from medgym_nb.tasks.model import AnswerSpec

__all__ = ["QUESTIONS"]

_LAST_VISIT = (
    "select admissions.hadm_id from admissions where admissions.subject_id = {pid} "
    "and admissions.dischtime is not null order by admissions.admittime desc limit 1"
)
_FIRST_VISIT = _LAST_VISIT.replace("desc", "asc")
_CURRENT_VISIT = "select admissions.hadm_id from admissions where admissions.subject_id = {pid} and admissions.dischtime is null"


def _drug_route(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    drug = pick(rng, con, "select distinct drug from prescriptions order by drug")
    return (
        f"what is the intake method of {drug}?",
        f"select distinct prescriptions.route from prescriptions where prescriptions.drug = '{drug}'",
    )


def _diagnosis_cost(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    title = pick(rng, con, "select short_title from d_icd_diagnoses order by short_title")
    return (
        f"what is the cost of diagnosing {title}?",
        "select distinct cost.cost from cost where cost.event_type = 'diagnoses_icd' and cost.event_id in "
        "( select diagnoses_icd.row_id from diagnoses_icd where diagnoses_icd.icd9_code = ( select "
        f"d_icd_diagnoses.icd9_code from d_icd_diagnoses where d_icd_diagnoses.short_title = '{title}' ) )",
    )


def _age_last_visit(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, "select distinct subject_id from admissions where dischtime is not null order by 1")
    return (
        f"what is the age of patient {pid} on the last hospital visit?",
        f"select admissions.age from admissions where admissions.subject_id = {pid} and "
        "admissions.dischtime is not null order by admissions.admittime desc limit 1",
    )


def _count_drugs_first_visit(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, "select distinct subject_id from admissions where dischtime is not null order by 1")
    return (
        f"count the number of drugs patient {pid} was prescribed on the first hospital visit.",
        f"select count(*) from prescriptions where prescriptions.hadm_id in ( {_FIRST_VISIT.format(pid=pid)} )",
    )


def _lab_aggregate(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid, label = pick_row(
        rng,
        con,
        "select distinct labevents.subject_id, d_labitems.label from labevents join d_labitems "
        "on labevents.itemid = d_labitems.itemid order by 1, 2",
    )
    word, fn = rng.choice([("average", "avg"), ("minimum", "min"), ("maximum", "max")])
    return (
        f"what was the {word} {label} value of patient {pid} on the first hospital visit?",
        f"select {fn}(labevents.valuenum) from labevents where labevents.hadm_id in "
        f"( {_FIRST_VISIT.format(pid=pid)} ) and labevents.itemid in ( select d_labitems.itemid from "
        f"d_labitems where d_labitems.label = '{label}' )",
    )


def _vital_min_icu(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, "select distinct subject_id from icustays where outtime is not null order by 1")
    vital = pick(
        rng, con, "select label from d_items where linksto = 'chartevents' and label != 'admit wt' order by 1"
    )
    return (
        f"what was the minimum {vital} of patient {pid} on the last icu visit?",
        "select min(chartevents.valuenum) from chartevents where chartevents.icustay_id in ( select "
        "icustays.icustay_id from icustays where icustays.hadm_id in ( select admissions.hadm_id from admissions "
        f"where admissions.subject_id = {pid} ) and icustays.outtime is not null order by icustays.intime desc "
        "limit 1 ) and chartevents.itemid in ( select d_items.itemid from d_items where d_items.label = "
        f"'{vital}' and d_items.linksto = 'chartevents' )",
    )


def _first_drug_current(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, "select distinct subject_id from admissions where dischtime is null order by 1")
    return (
        f"what was the name of the drug that patient {pid} was first prescribed on the current hospital visit?",
        f"select prescriptions.drug from prescriptions where prescriptions.hadm_id in "
        f"( {_CURRENT_VISIT.format(pid=pid)} ) order by prescriptions.startdate asc limit 1",
    )


def _days_since_admission(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, "select distinct subject_id from admissions where dischtime is null order by 1")
    return (
        f"how many days have passed since patient {pid} was admitted to the hospital currently?",
        "select 1 * ( strftime('%j',current_time) - strftime('%j',admissions.admittime) ) from admissions "
        f"where admissions.subject_id = {pid} and admissions.dischtime is null",
    )


def _er_last_visit(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, "select distinct subject_id from admissions where dischtime is not null order by 1")
    return (
        f"has patient {pid} been to an emergency room on the last hospital visit?",
        "select count(*)>0 from admissions where admissions.hadm_id in "
        f"( {_LAST_VISIT.format(pid=pid)} ) and admissions.admission_location = 'emergency room admit'",
    )


def _top_diagnoses_year(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    year = rng.randrange(2100, 2106)
    return (
        f"what are the top three frequent diagnoses in {year}?",
        "select d_icd_diagnoses.short_title from d_icd_diagnoses where d_icd_diagnoses.icd9_code in ( select "
        "t1.icd9_code from ( select diagnoses_icd.icd9_code, dense_rank() over ( order by count(*) desc ) as c1 "
        f"from diagnoses_icd where strftime('%Y',diagnoses_icd.charttime) = '{year}' group by "
        "diagnoses_icd.icd9_code ) as t1 where t1.c1 <= 3 )",
    )


def _recent_drugs_ordered(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = pick(rng, con, "select distinct subject_id from admissions where dischtime is not null order by 1")
    return (
        f"list the last three drugs prescribed to patient {pid} on the last hospital visit, most recent first.",
        f"select prescriptions.drug from prescriptions where prescriptions.hadm_id in "
        f"( {_LAST_VISIT.format(pid=pid)} ) order by prescriptions.startdate desc limit 3",
    )


QUESTIONS: QuestionBank = {
    "drug_route": (_drug_route, AnswerSpec()),
    "diagnosis_cost": (_diagnosis_cost, AnswerSpec()),
    "age_last_visit": (_age_last_visit, AnswerSpec()),
    "count_drugs_first_visit": (_count_drugs_first_visit, AnswerSpec()),
    "lab_aggregate": (_lab_aggregate, AnswerSpec(rel_tol=1e-4)),
    "vital_min_icu": (_vital_min_icu, AnswerSpec()),
    "first_drug_current": (_first_drug_current, AnswerSpec()),
    "days_since_admission": (_days_since_admission, AnswerSpec()),
    "er_last_visit": (_er_last_visit, AnswerSpec()),
    "top_diagnoses_year": (_top_diagnoses_year, AnswerSpec()),
    "recent_drugs_ordered": (_recent_drugs_ordered, AnswerSpec(ordered=True)),
}
