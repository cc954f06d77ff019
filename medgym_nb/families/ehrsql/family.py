"""The EHRSQL family: question answering over an EHR database (MedAgentGym's mimic_iii, eicu, treqs sources).

Ground truth always comes from executing the reference SQL on the database the agent will query, with
EHRSQL's ``current_time`` pinned to the data set's "now" (SQLite's own ``current_time`` is the wall clock).
"""

from __future__ import annotations

import hashlib
import random
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from math import ceil
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from medgym_nb.actions import ACTIONS
from medgym_nb.data import eicu, treqs
from medgym_nb.data.cache import cached_build
from medgym_nb.data.mimic_iii import DB_NAME, NOW, SCHEMA, build_database
from medgym_nb.data.treqs import repair_quotes
from medgym_nb.errors import TaskFileError, UnknownSourceError
from medgym_nb.family import OfficialRow, TaskFamily
from medgym_nb.family.draws import distinct_draws
from medgym_nb.family.questions import QuestionBank
from medgym_nb.family.sqlite_info import INFO_HELP, SqliteInfoParams, sqlite_request_info
from medgym_nb.tasks.model import AnswerSpec, Exclusion, Task, TaskSet

from . import eicu_questions, mimic_questions, treqs_questions

__all__ = [
    "SUITES",
    "EhrsqlFamily",
    "EhrsqlPayload",
    "build_suite",
    "executable_sql",
    "generate",
    "run_sql",
    "shards",
    "solution_cells",
]

_CURRENT_TIME = re.compile(r"\bcurrent_time\b", re.IGNORECASE)


_STRFTIME_FORMAT = re.compile(r"(strftime\(\s*')([^']*)(')", re.IGNORECASE)


def executable_sql(sql: str, now: str = NOW) -> str:
    """EHRSQL's SQL as SQLite executes what it means.

    ``current_time`` becomes the data set's fixed "now" (SQLite's own is the wall clock's time of day);
    ``%y`` in ``strftime`` formats becomes ``%Y``: the official SQL compares ``strftime('%y', t)`` with
    four-digit years (``= '2104'``), which SQLite before 3.46 evaluates to NULL, so those questions would
    have no answer (their released answers are ``None``/``0`` for that reason); and apostrophes some official
    rows leave unescaped inside literals (``'alzheimer's disease'``) are doubled.
    """
    sql = _CURRENT_TIME.sub(f"'{now}'", repair_quotes(sql))
    return _STRFTIME_FORMAT.sub(lambda m: m[1] + m[2].replace("%y", "%Y") + m[3], sql)


def run_sql(db: Path, sql: str, now: str = NOW) -> list[Any]:
    """Execute ``sql`` read-only and return every value of every row, row by row (the official answer shape:
    a one-column query gives its column, TREQS's two-column lookups give both values)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [value for row in con.execute(executable_sql(sql, now)).fetchall() for value in row]
    finally:
        con.close()


def solution_cells(sql: str, db_name: str, now: str = NOW) -> list[str]:
    """Reference code as an agent would write it: connect in one cell, query and print in the next."""
    return [
        f"import sqlite3\ncon = sqlite3.connect('file:data/{db_name}?mode=ro', uri=True)",
        f"rows = con.execute({executable_sql(sql, now)!r}).fetchall()\n"
        "print([value for row in rows for value in row])",
    ]


def schema_text(schema: dict[str, list[str]]) -> str:
    return "\n".join(f"- {table}({', '.join(cols)})" for table, cols in schema.items())


_LOWER_CASE_NOTE = f"Treat {NOW} as the current time. Text values are lower case. "


def context_text(
    db_name: str, schema: dict[str, list[str]] | None = None, notes: str = _LOWER_CASE_NOTE
) -> str:
    """What the agent is told about the data; the table list is omitted when the schema is not known."""
    tables = f", with these tables:\n{schema_text(schema)}\n" if schema else ".\n"
    return (
        f"The database is the SQLite file `data/{db_name}` (read-only){tables}{notes}"
        "Answer with Python code that prints the answer as a Python list of values, every value of every "
        "row (for example `print([value for row in rows for value in row])`)."
    )


class EhrsqlPayload(BaseModel):
    """EHRSQL's own task data: how answers compare, the reference SQL, and for an official row the answer
    its release gives (``Task.answer`` is re-grounded on the database the episode uses)."""

    model_config = ConfigDict(extra="forbid")

    answer_spec: AnswerSpec = Field(default_factory=AnswerSpec)
    query: str | None = None
    official_answer: list[Any] | None = None


@dataclass(frozen=True)
class SyntheticDatabase:
    """A source's synthetic database: its file name, its "now", and its builder, ``build(path, seed=...)``,
    which also takes ``plant=queries`` (the official SQL to make informative) when ``plants`` is set."""

    file: str
    now: str
    build: Callable[..., Path]
    plants: bool
    notes: str = _LOWER_CASE_NOTE
    """conventions of the data the agent is told about"""


DATABASES: dict[str, SyntheticDatabase] = {
    "mimic_iii": SyntheticDatabase(DB_NAME, NOW, build_database, plants=True),
    "eicu": SyntheticDatabase(eicu.DB_NAME, eicu.NOW, eicu.build_database, plants=True),
    "treqs": SyntheticDatabase(
        treqs.DB_NAME,
        NOW,
        treqs.build_database,
        plants=True,
        notes="Text keeps MIMIC's capitalisation; comparisons ignore case. ",
    ),
}


class EhrsqlFamily(TaskFamily):
    """Questions over an EHR database answered with SQL: MedAgentGym's mimic_iii, eicu and treqs sources."""

    name = "ehrsql"
    version = "v3"
    sources = ("mimic_iii", "eicu", "treqs")
    suite_sources = ("mimic_iii", "eicu", "treqs")
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {"mimic_iii": 1133, "eicu": 1169, "treqs": 1892}
    payload_model = EhrsqlPayload
    actions = tuple(ACTIONS)
    action_params: ClassVar[dict[str, type[BaseModel]]] = {"request_info": SqliteInfoParams}
    action_help: ClassVar[dict[str, str]] = {"request_info": INFO_HELP}
    source_names: ClassVar[dict[str, str]] = {"mimic_iii": "MIMIC-III", "eicu": "eICU", "treqs": "TREQS"}

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        if source not in SUITES:
            return super().build_suite(source, root, seed)
        return build_suite(source, root, seed=seed)

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        if source not in SUITES:
            return super().generate(source, n, seed, root)
        return generate(source, n, seed, root)

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        """A row needs its ``question`` and ``query``; the rest is optional. Its ``answer`` is only kept for
        the record (every load re-grounds it, on the synthetic or the user's database), so a missing or
        empty one is no reason to leave the row out; a row without ``id`` is named by its position, as
        MedAgentGym indexes rows."""
        question, query = _text(row, "question"), _text(row, "query")
        missing = [name for name, value in (("question", question), ("query", query)) if not value]
        if missing:
            raise TaskFileError(
                f"{origin.where}: an EHRSQL row needs {' and '.join(missing)} as non-empty text"
            )
        db_name = f"{row.get('db_id') or origin.source}.db"
        category = _text(row, "tag") or _text(row, "template") or "ehrsql"
        released = _released(row.get("answer"))
        split = _text(row, "split") or origin.split
        return Task(
            id=_text(row, "id") or f"{origin.source}.{split}.{origin.line:04d}",
            source=origin.source,
            family=self.name,
            category=category,
            split=split,
            question=question,
            context=context_text(db_name, notes=_notes(origin.source)),
            data_dir=str(origin.folder.resolve()),
            data_files=[db_name],
            answer=released,
            # EHRSQL scores answers as sets: row order of the official SQL is not part of the question.
            payload=EhrsqlPayload(query=query, official_answer=released),
            solution=solution_cells(query, db_name),
        )

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> TaskSet:
        """Official rows run on the user's real ``database``, or by default on a synthetic database built to
        contain what the rows' SQL asks about; either way each answer is what its query gives there (on the
        real database a released answer stands). A query that fails there excludes its row, with why.

        The synthetic database is built once per (distinct queries, seed) and cached: rows that differ in
        anything but their SQL reuse it."""
        if database is not None:
            if not database.is_file():
                raise TaskFileError(f"database not found: {database}")
            now = DATABASES[source].now if source in DATABASES else NOW
            return _grounded(tasks, database.resolve(), now, keep_released=True)
        spec = DATABASES.get(source)
        if spec is None:
            raise UnknownSourceError(
                f"no synthetic {source} database yet: pass the real one with database=PATH (--db PATH)"
            )
        queries = list(dict.fromkeys(executable_sql(_payload(t).query or "", spec.now) for t in tasks))
        digest = hashlib.sha256("\0".join(queries).encode()).hexdigest()[:16]
        key = f"{source}-official-db-{self.version}-seed{seed}-{digest}"

        def build(root: Path) -> None:
            planted = {"plant": queries} if spec.plants else {}
            spec.build(root / spec.file, seed=seed, **planted)

        return _grounded(tasks, cached_build(key, build) / spec.file, spec.now, keep_released=False)

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


def _notes(source: str) -> str:
    spec = DATABASES.get(source)
    return spec.notes if spec else _LOWER_CASE_NOTE


def _text(row: dict[str, Any], key: str) -> str:
    """``row[key]`` as stripped text; empty when it is missing or null."""
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _released(answer: Any) -> list[Any] | None:
    """The row's released answer as a list (EHRSQL writes ``"None"`` for a null); None when it has none."""
    if answer is None or answer == "" or answer == "None":
        return None
    return [None if a == "None" else a for a in (answer if isinstance(answer, list) else [answer])]


def _grounded(tasks: list[Task], db: Path, now: str, *, keep_released: bool) -> TaskSet:
    """Each task on ``db``, its answer what its query gives there (or, with ``keep_released``, the
    released one where the row has it); a task whose query fails on ``db`` is excluded, with why."""
    grounded = TaskSet()
    for task in tasks:
        payload = _payload(task)
        answer = payload.official_answer
        if answer is None or not keep_released:
            try:
                answer = run_sql(db, payload.query or "", now)
            except sqlite3.Error as exc:
                where = "the given" if keep_released else "the synthetic"
                grounded.excluded.append(
                    Exclusion(
                        source=task.source,
                        task_id=task.id,
                        reason=f"its official query fails on {where} database ({exc})"
                        + ("" if keep_released else "; run it on the real one with --db PATH"),
                    )
                )
                continue
        update = {
            "answer": answer,
            "data_dir": str(db.parent),
            "data_files": [db.name],
            "context": context_text(db.name, notes=_notes(task.source)),
            "solution": solution_cells(payload.query or "", db.name, now),
        }
        grounded.tasks.append(task.model_copy(update=update))
    return grounded


def _payload(task: Task) -> EhrsqlPayload:
    assert isinstance(task.payload, EhrsqlPayload)
    return task.payload


@dataclass(frozen=True)
class Suite:
    """A built-in suite: the database it runs on, its schema (shown to the agent) and its questions."""

    database: SyntheticDatabase
    schema: dict[str, list[str]]
    questions: QuestionBank
    per_category: int = 30


SUITES: dict[str, Suite] = {
    "mimic_iii": Suite(DATABASES["mimic_iii"], SCHEMA, mimic_questions.QUESTIONS),
    "eicu": Suite(DATABASES["eicu"], eicu.SCHEMA, eicu_questions.QUESTIONS),
    "treqs": Suite(DATABASES["treqs"], treqs.SCHEMA, treqs_questions.QUESTIONS, per_category=50),
}


def build_suite(source: str, root: Path, *, seed: int = 0) -> list[Task]:
    """Build ``source``'s database under ``root/data`` and return its suite (every third task is ``test``).

    ``data_dir`` is relative to ``root``; the catalog resolves it.
    """
    suite = SUITES[source]
    per_category = suite.per_category
    data_dir = root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    file, now = suite.database.file, suite.database.now
    db = suite.database.build(data_dir / file, seed=seed)
    rng = random.Random(f"{source}-tasks-{seed}")
    context = context_text(file, suite.schema, suite.database.notes)
    tasks: list[Task] = []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for category, (template, spec) in suite.questions.items():
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
                        id=f"{source}.syn.{category}.{len(seen):03d}",
                        source=source,
                        family=EhrsqlFamily.name,
                        category=category,
                        split="test" if n % 3 == 0 else "train",
                        question=question,
                        context=context,
                        data_dir="data",  # relative to the suite root, which is renamed into place after the build
                        data_files=[file],
                        answer=run_sql(db, sql, now),
                        payload=EhrsqlPayload(answer_spec=spec, query=sql),
                        solution=solution_cells(sql, file, now),
                    )
                )
    finally:
        con.close()
    return tasks


# ---- at training scale: the suite's templates over a series of seeded databases ----
#
# One database holds a few thousand distinct questions (a template draws its parameters from the rows that
# exist, so most answers are informative); a template saturates when its parameters run out. More tasks come
# from more databases ("shards"), each built from its own seed and shared by every task drawn over it: the
# same question over another shard is another task (other data, another answer), not a copy of one.


def shards(database: SyntheticDatabase, root: Path, seed: int) -> Iterator[tuple[str, Path]]:
    """Databases built one after another under ``root/db<k>/``: (their folder relative to ``root``, the file)."""
    shard = 0
    while True:
        folder = f"db{shard:03d}"
        (root / folder).mkdir(parents=True, exist_ok=True)
        yield folder, database.build(root / folder / database.file, seed=seed * 1000 + shard)
        shard += 1


def generate(source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
    """Up to ``n`` distinct tasks of ``source``, its templates in turn on each shard, until ``n`` or until a
    shard adds nothing (every template saturated); every third task of a template is ``test``."""
    suite = SUITES[source]
    file, now = suite.database.file, suite.database.now
    context = context_text(file, suite.schema, suite.database.notes)
    made = 0
    for folder, db in shards(suite.database, root, seed):
        quota = ceil((n - made) / len(suite.questions))
        before = made
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            for category, (template, spec) in suite.questions.items():
                rng = random.Random(f"{source}-generate-{seed}-{folder}-{category}")
                draws = distinct_draws(
                    partial(template, rng, con), lambda drawn: drawn[0], min(quota, n - made)
                )
                for k, (question, sql) in enumerate(draws, start=1):
                    made += 1
                    yield Task(
                        id=f"{source}.gen.{folder}.{category}.{k:04d}",
                        source=source,
                        family=EhrsqlFamily.name,
                        category=category,
                        split="test" if k % 3 == 0 else "train",
                        question=question,
                        context=context,
                        data_dir=folder,
                        data_files=[file],
                        answer=run_sql(db, sql, now),
                        payload=EhrsqlPayload(answer_spec=spec, query=sql),
                        solution=solution_cells(sql, file, now),
                    )
        finally:
            con.close()
        if made >= n or made == before:
            return
