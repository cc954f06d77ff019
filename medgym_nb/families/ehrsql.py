"""The EHRSQL family: question answering over an EHR database (MedAgentGym's mimic_iii, eicu, treqs sources).

Ground truth always comes from executing the reference SQL on the database the agent will query, with
EHRSQL's ``current_time`` pinned to the data set's "now" (SQLite's own ``current_time`` is the wall clock).
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..data.mimic_iii import DB_NAME, NOW, SCHEMA, build_database
from ..errors import TaskFileError
from ..tasks.model import AnswerSpec, Task
from .base import OfficialRow, TaskFamily
from .sqlite_info import INFO_HELP, sqlite_request_info

__all__ = [
    "CATEGORIES",
    "EhrsqlFamily",
    "EhrsqlPayload",
    "build_suite",
    "pin_current_time",
    "run_sql",
    "solution_cells",
]

_CURRENT_TIME = re.compile(r"\bcurrent_time\b", re.IGNORECASE)


def pin_current_time(sql: str, now: str = NOW) -> str:
    """Replace EHRSQL's ``current_time`` with the data set's fixed "now" as an SQL literal."""
    return _CURRENT_TIME.sub(f"'{now}'", sql)


def run_sql(db: Path, sql: str) -> list[Any]:
    """Execute ``sql`` read-only and return the first column of every row (EHRSQL's answer shape)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [row[0] for row in con.execute(pin_current_time(sql)).fetchall()]
    finally:
        con.close()


def solution_cells(sql: str, db_name: str) -> list[str]:
    """Reference code as an agent would write it: connect in one cell, query and print in the next."""
    return [
        f"import sqlite3\ncon = sqlite3.connect('file:data/{db_name}?mode=ro', uri=True)",
        f"rows = con.execute({pin_current_time(sql)!r}).fetchall()\nprint([row[0] for row in rows])",
    ]


def schema_text(schema: dict[str, list[str]]) -> str:
    return "\n".join(f"- {table}({', '.join(cols)})" for table, cols in schema.items())


# ---- question templates: each draws its parameters from the database, so most answers are non-empty ----

_Template = Callable[[random.Random, sqlite3.Connection], tuple[str, str]]

_LAST_VISIT = (
    "select admissions.hadm_id from admissions where admissions.subject_id = {pid} "
    "and admissions.dischtime is not null order by admissions.admittime desc limit 1"
)
_FIRST_VISIT = _LAST_VISIT.replace("desc", "asc")
_CURRENT_VISIT = "select admissions.hadm_id from admissions where admissions.subject_id = {pid} and admissions.dischtime is null"


def _pick(rng: random.Random, con: sqlite3.Connection, sql: str) -> Any:
    values = [row[0] for row in con.execute(sql)]
    return rng.choice(values)


def _drug_route(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    drug = _pick(rng, con, "select distinct drug from prescriptions order by drug")
    return (
        f"what is the intake method of {drug}?",
        f"select distinct prescriptions.route from prescriptions where prescriptions.drug = '{drug}'",
    )


def _diagnosis_cost(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    title = _pick(rng, con, "select short_title from d_icd_diagnoses order by short_title")
    return (
        f"what is the cost of diagnosing {title}?",
        "select distinct cost.cost from cost where cost.event_type = 'diagnoses_icd' and cost.event_id in "
        "( select diagnoses_icd.row_id from diagnoses_icd where diagnoses_icd.icd9_code = ( select "
        f"d_icd_diagnoses.icd9_code from d_icd_diagnoses where d_icd_diagnoses.short_title = '{title}' ) )",
    )


def _age_last_visit(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = _pick(rng, con, "select distinct subject_id from admissions where dischtime is not null order by 1")
    return (
        f"what is the age of patient {pid} on the last hospital visit?",
        f"select admissions.age from admissions where admissions.subject_id = {pid} and "
        "admissions.dischtime is not null order by admissions.admittime desc limit 1",
    )


def _count_drugs_first_visit(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = _pick(rng, con, "select distinct subject_id from admissions where dischtime is not null order by 1")
    return (
        f"count the number of drugs patient {pid} was prescribed on the first hospital visit.",
        f"select count(*) from prescriptions where prescriptions.hadm_id in ( {_FIRST_VISIT.format(pid=pid)} )",
    )


def _lab_aggregate(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid, label = rng.choice(
        con.execute(
            "select distinct labevents.subject_id, d_labitems.label from labevents join d_labitems "
            "on labevents.itemid = d_labitems.itemid order by 1, 2"
        ).fetchall()
    )
    word, fn = rng.choice([("average", "avg"), ("minimum", "min"), ("maximum", "max")])
    return (
        f"what was the {word} {label} value of patient {pid} on the first hospital visit?",
        f"select {fn}(labevents.valuenum) from labevents where labevents.hadm_id in "
        f"( {_FIRST_VISIT.format(pid=pid)} ) and labevents.itemid in ( select d_labitems.itemid from "
        f"d_labitems where d_labitems.label = '{label}' )",
    )


def _vital_min_icu(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = _pick(rng, con, "select distinct subject_id from icustays where outtime is not null order by 1")
    vital = _pick(
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
    pid = _pick(rng, con, "select distinct subject_id from admissions where dischtime is null order by 1")
    return (
        f"what was the name of the drug that patient {pid} was first prescribed on the current hospital visit?",
        f"select prescriptions.drug from prescriptions where prescriptions.hadm_id in "
        f"( {_CURRENT_VISIT.format(pid=pid)} ) order by prescriptions.startdate asc limit 1",
    )


def _days_since_admission(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = _pick(rng, con, "select distinct subject_id from admissions where dischtime is null order by 1")
    return (
        f"how many days have passed since patient {pid} was admitted to the hospital currently?",
        "select 1 * ( strftime('%j',current_time) - strftime('%j',admissions.admittime) ) from admissions "
        f"where admissions.subject_id = {pid} and admissions.dischtime is null",
    )


def _er_last_visit(rng: random.Random, con: sqlite3.Connection) -> tuple[str, str]:
    pid = _pick(rng, con, "select distinct subject_id from admissions where dischtime is not null order by 1")
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
    pid = _pick(rng, con, "select distinct subject_id from admissions where dischtime is not null order by 1")
    return (
        f"list the last three drugs prescribed to patient {pid} on the last hospital visit, most recent first.",
        f"select prescriptions.drug from prescriptions where prescriptions.hadm_id in "
        f"( {_LAST_VISIT.format(pid=pid)} ) order by prescriptions.startdate desc limit 3",
    )


CATEGORIES: dict[str, tuple[_Template, AnswerSpec]] = {
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


def context_text(db_name: str, schema: dict[str, list[str]] | None = None) -> str:
    """What the agent is told about the data; the table list is omitted when the schema is not known."""
    tables = f", with these tables:\n{schema_text(schema)}\n" if schema else ".\n"
    return (
        f"The database is the SQLite file `data/{db_name}` (read-only){tables}"
        f"Treat {NOW} as the current time. Text values are lower case. "
        "Answer with Python code that prints the answer as a Python list of values "
        "(for example `print([row[0] for row in rows])`)."
    )


class EhrsqlPayload(BaseModel):
    """EHRSQL's own task data: how answers compare, and the reference SQL."""

    model_config = ConfigDict(extra="forbid")

    answer_spec: AnswerSpec = Field(default_factory=AnswerSpec)
    query: str | None = None


_OFFICIAL_FIELDS = ("question", "query", "answer")


class EhrsqlFamily(TaskFamily):
    """Questions over an EHR database answered with SQL: MedAgentGym's mimic_iii, eicu and treqs sources."""

    name = "ehrsql"
    version = "v2"
    sources = ("mimic_iii", "eicu", "treqs")
    suite_sources = ("mimic_iii",)
    payload_model = EhrsqlPayload
    info_help = INFO_HELP

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        if source != "mimic_iii":
            return super().build_suite(source, root, seed)
        return build_suite(root, seed=seed)

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        missing = [f for f in _OFFICIAL_FIELDS if f not in row]
        if missing:
            raise TaskFileError(f"{origin.where}: missing field(s) {', '.join(missing)} for an EHRSQL task")
        answer = row["answer"]
        if not isinstance(answer, list):
            raise TaskFileError(f"{origin.where}: 'answer' must be a list, got {type(answer).__name__}")
        db_name = f"{row.get('db_id', origin.source)}.db"
        category = row.get("tag") or row.get("template") or "ehrsql"
        query = str(row["query"])
        return Task(
            id=str(row.get("id") or f"{origin.source}.{origin.line}"),
            source=origin.source,
            family=self.name,
            category=str(category),
            split=str(row.get("split") or origin.split),
            question=str(row["question"]),
            context=context_text(db_name),
            data_dir=str(origin.folder.resolve()),
            data_files=[db_name],
            answer=[None if a == "None" else a for a in answer],
            # EHRSQL scores answers as sets: row order of the official SQL is not part of the question.
            payload=EhrsqlPayload(query=query),
            solution=solution_cells(query, db_name),
        )

    def request_info(self, task: Task, params: dict[str, Any]) -> str:
        return sqlite_request_info(task, params)

    def oracle_plan(self, task: Task) -> list[dict[str, Any]]:
        """Look at the tables first, as an agent would, then run the reference SQL."""
        look = {
            "action": "request_info",
            "params": {"info_type": "column_names"},
            "message": "Look at the tables and their columns first.",
        }
        return [look, *super().oracle_plan(task)]


def build_suite(root: Path, *, seed: int = 0, per_category: int = 30) -> list[Task]:
    """Build the database under ``root/data`` and return the suite's tasks (every third one is ``test``).

    ``data_dir`` is relative to ``root``; the catalog resolves it.
    """
    data_dir = root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    db = build_database(data_dir / DB_NAME, seed=seed)
    rng = random.Random(f"mimic_iii-tasks-{seed}")
    context = context_text(DB_NAME, SCHEMA)
    tasks: list[Task] = []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for category, (template, spec) in CATEGORIES.items():
            seen: set[str] = set()
            for _attempt in range(per_category * 10):
                if len(seen) == per_category:
                    break
                question, sql = template(rng, con)
                if question in seen:
                    continue
                seen.add(question)
                n = len(tasks)
                tasks.append(
                    Task(
                        id=f"mimic_iii.syn.{category}.{len(seen):03d}",
                        source="mimic_iii",
                        family=EhrsqlFamily.name,
                        category=category,
                        split="test" if n % 3 == 0 else "train",
                        question=question,
                        context=context,
                        data_dir="data",  # relative to the suite root, which is renamed into place after the build
                        data_files=[DB_NAME],
                        answer=run_sql(db, sql),
                        payload=EhrsqlPayload(answer_spec=spec, query=sql),
                        solution=solution_cells(sql, DB_NAME),
                    )
                )
    finally:
        con.close()
    return tasks
