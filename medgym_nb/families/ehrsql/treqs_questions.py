"""Question templates of the built-in TREQS suite: MIMICSQL's question styles over ``data/treqs.py``.

TREQS quotes columns (``demographic.'age'``), compares values as text, and its database keeps MIMIC's
capitalisation while comparisons ignore case; questions name values the way MIMICSQL's do, in lower case.
"""

from __future__ import annotations

import random
import sqlite3

from medgym_nb.family.questions import QuestionBank, pick, pick_row, sql_text
from medgym_nb.tasks.model import AnswerSpec

__all__ = ["QUESTIONS"]


def _count_by_demographics(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    insurance = pick(rng, con, "select distinct lower(insurance) from demographic order by 1")
    year = rng.randrange(2110, 2200, 5)
    return (
        f"how many patients with {insurance} insurance were admitted before the year {year}?",
        "select count ( distinct demographic.'subject_id' ) from demographic where demographic.'insurance' = "
        f"'{sql_text(insurance)}' and demographic.'admityear' < '{year}'",
    )


def _title_of_code(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    table, kind = rng.choice([("diagnoses", "diagnosis"), ("procedures", "procedure")])
    code = pick(rng, con, f"select distinct icd9_code from {table} order by 1")
    return (
        f"what is the short title of the {kind} with icd9 code {code}?",
        f"select distinct {table}.'short_title' from {table} where {table}.'icd9_code' = '{sql_text(code)}'",
    )


def _patient_admission(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    subject = pick(
        rng, con, "select subject_id from demographic group by subject_id having count(*) = 1 order by 1"
    )
    return (
        f"what are the admission type and the insurance of patient id {subject}?",
        "select demographic.'admission_type', demographic.'insurance' from demographic where "
        f"demographic.'subject_id' = '{sql_text(subject)}'",
    )


def _count_abnormal_lab(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    label = pick(rng, con, "select distinct lower(label) from lab where flag = 'abnormal' order by 1")
    return (
        f"how many patients had an abnormal {label} lab test result?",
        "select count ( distinct demographic.'subject_id' ) from demographic inner join lab on "
        f"demographic.hadm_id = lab.hadm_id where lab.'label' = '{sql_text(label)}' and lab.'flag' = 'abnormal'",
    )


def _drug_route_of_patient(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    subject, drug = pick_row(
        rng, con, "select distinct subject_id, lower(drug) from prescriptions order by 1, 2"
    )
    return (
        f"by which route was patient id {subject} given {drug}?",
        "select distinct prescriptions.'route' from prescriptions where prescriptions.'subject_id' = "
        f"'{sql_text(subject)}' and prescriptions.'drug' = '{sql_text(drug)}'",
    )


QUESTIONS: QuestionBank = {
    "count_by_demographics": (_count_by_demographics, AnswerSpec()),
    "title_of_code": (_title_of_code, AnswerSpec()),
    "patient_admission": (_patient_admission, AnswerSpec(ordered=True)),
    "count_abnormal_lab": (_count_abnormal_lab, AnswerSpec()),
    "drug_route_of_patient": (_drug_route_of_patient, AnswerSpec()),
}
