"""The EHR-SeqSQL family: sequences of related questions over one EHR database, asked turn by turn in one episode.

Later questions refer to earlier answers ("of those patients, how many ..."), so the episode's stateful kernel
is the point: an agent keeps the data frames of earlier turns and builds on them. The release ships no
EHR-SeqSQL task file, so the suite is generated over the synthetic MIMIC-III database (``ehrsql.DATABASES``);
every part's ground truth comes from executing its own SQL there, and each part is graded on its own (the
episode's reward is the share answered correctly).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from math import ceil
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from medgym_nb.actions import ACTIONS
from medgym_nb.data.mimic_iii import SCHEMA
from medgym_nb.families.ehrsql.family import DATABASES, context_text, executable_sql, run_sql, shards
from medgym_nb.family import KernelNeeds, TaskFamily
from medgym_nb.family.sqlite_info import INFO_HELP, SqliteInfoParams, sqlite_request_info
from medgym_nb.tasks.model import AnswerSpec, Task

from .questions import SEQUENCES, SequenceTemplate, Step

__all__ = ["EhrSeqsqlFamily", "EhrSeqsqlPayload", "SeqPart", "build_suite", "draw_sequence"]

SOURCE = "ehr_seqsql"
PER_CATEGORY = 36
"""Sequences per template in the built suite (the generator yields far more distinct ones)."""

_DATABASE = DATABASES["mimic_iii"]
_NOTES = (
    f"Treat {_DATABASE.now} as the current time. Text values are lower case. This is the first of a sequence of "
    "related questions asked one after another in this same kernel: later ones refer to earlier answers "
    '("those patients"), so keep your data frames and variables. Each answer is graded on its own. '
)
_HOW = " Or submit the list with the `submit` action. The next question follows each answer."


class SeqPart(BaseModel):
    """One question of a sequence: its text, the SQL whose result is its answer, and how answers compare."""

    model_config = ConfigDict(extra="forbid")

    question: str
    query: str
    answer_spec: AnswerSpec = AnswerSpec()


class EhrSeqsqlPayload(BaseModel):
    """The parts of a sequence in the order asked (``Task.answer`` holds their expected answers, part by part)."""

    model_config = ConfigDict(extra="forbid")

    parts: list[SeqPart]


class EhrSeqsqlFamily(TaskFamily):
    """Multi-turn question sequences over the synthetic MIMIC-III database (EHR-SeqSQL)."""

    name = "ehr_seqsql"
    sources = suite_sources = (SOURCE,)
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {SOURCE: 1500}
    payload_model = EhrSeqsqlPayload
    actions = tuple(ACTIONS)
    action_params: ClassVar[dict[str, type[BaseModel]]] = {"request_info": SqliteInfoParams}
    action_help: ClassVar[dict[str, str]] = {
        "request_info": INFO_HELP,
        "validate_code": (
            "run Python that prints the answer to the current question; it is graded once, right or wrong, and "
            "the next question follows in the same kernel; the episode ends after the last question"
        ),
        "submit": (
            "answer the current question with a value; it is graded once and the next question follows; the "
            "episode ends after the last question"
        ),
    }
    source_names: ClassVar[dict[str, str]] = {SOURCE: "EHR-SeqSQL"}
    kernel = KernelNeeds(packages=("pandas",))

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        if source != SOURCE:
            return super().build_suite(source, root, seed)
        return build_suite(root, seed=seed)

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """Sequences over a series of seeded MIMIC-III databases (``ehrsql.shards``), an equal share per
        template on each, until ``n`` or until a database adds nothing."""
        if source != SOURCE:
            return super().generate(source, n, seed, root)
        return _generated(n, seed, root)

    def request_info(self, task: Task, params: dict[str, Any]) -> str:
        return sqlite_request_info(task, params)

    def follow_ups(self, task: Task) -> list[str]:
        return [part.question for part in _payload(task).parts[1:]]

    def oracle_plan(self, task: Task) -> list[dict[str, Any]]:
        """Look at the tables, connect once, then answer each part with a cell that builds on the previous
        parts' variables (``task.solution``: the connecting cell, then one cell per part)."""
        connect, *cells = task.solution
        return [
            {
                "action": "request_info",
                "params": {"info_type": "column_names"},
                "message": "Look at the tables and their columns first.",
            },
            {"action": "execute", "params": {"code": connect}, "message": "Connect to the database."},
            *(
                {
                    "action": "validate_code",
                    "params": {"code": code},
                    "message": f"Answer question {i} from what the kernel already holds.",
                }
                for i, code in enumerate(cells, start=1)
            ),
        ]


def _payload(task: Task) -> EhrSeqsqlPayload:
    assert isinstance(task.payload, EhrSeqsqlPayload)
    return task.payload


def _connect_cell(db_name: str) -> str:
    return (
        f"import sqlite3\nimport pandas as pd\ncon = sqlite3.connect('file:data/{db_name}?mode=ro', uri=True)"
    )


def draw_sequence(template: SequenceTemplate, rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """One instance of ``template``: its first 2 to all of its questions (the length drawn with ``rng``)."""
    steps = template(rng, con)
    return steps[: rng.randint(2, len(steps))]


def _answers(db: Path, steps: list[Step]) -> list[list[Any]] | None:
    """Each step's answer on ``db``, or None when one is empty or NULL (an uninformative sequence)."""
    answers = [run_sql(db, step.sql, _DATABASE.now) for step in steps]
    if any(not answer or None in answer for answer in answers):
        return None
    return answers


def _instances(
    db: Path, template: SequenceTemplate, rng: random.Random, count: int
) -> Iterator[tuple[list[Step], list[list[Any]]]]:
    """Up to ``count`` distinct informative sequences of ``template`` with their answers."""
    seen: set[tuple[str, ...]] = set()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for _attempt in range(count * 10):
            if len(seen) == count:
                return
            steps = draw_sequence(template, rng, con)
            key = tuple(step.question for step in steps)
            answers = None if key in seen else _answers(db, steps)
            if answers is not None:
                seen.add(key)
                yield steps, answers
    finally:
        con.close()


def build_suite(root: Path, *, seed: int = 0, per_category: int = PER_CATEGORY) -> list[Task]:
    """Build the MIMIC-III database under ``root/data`` and return the suite: ``per_category`` sequences per
    template, every third one ``test`` (a fixed split for a seed). ``data_dir`` is relative to ``root``."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    db = _DATABASE.build(data / _DATABASE.file, seed=seed)
    tasks: list[Task] = []
    for category, template in SEQUENCES.items():
        rng = random.Random(f"{SOURCE}-{category}-{seed}")
        for n, (steps, answers) in enumerate(_instances(db, template, rng, per_category), start=1):
            # data_dir is relative to the suite root, which is renamed into place after the build
            tasks.append(_task(f"{SOURCE}.syn.{category}.{n:03d}", category, n, steps, answers, "data"))
    return tasks


def _generated(n: int, seed: int, root: Path) -> Iterator[Task]:
    made = 0
    for folder, db in shards(_DATABASE, root, seed):
        before = made
        quota = ceil((n - made) / len(SEQUENCES))
        for category, template in SEQUENCES.items():
            rng = random.Random(f"{SOURCE}-generate-{seed}-{folder}-{category}")
            for k, (steps, answers) in enumerate(
                _instances(db, template, rng, min(quota, n - made)), start=1
            ):
                made += 1
                yield _task(f"{SOURCE}.gen.{folder}.{category}.{k:04d}", category, k, steps, answers, folder)
        if made >= n or made == before:
            return


def _task(
    task_id: str, category: str, n: int, steps: list[Step], answers: list[list[Any]], data_dir: str
) -> Task:
    """The ``n``-th sequence of ``category`` as a task (every third is ``test``); ``data_dir`` holds the database."""
    return Task(
        id=task_id,
        source=SOURCE,
        family=EhrSeqsqlFamily.name,
        category=category,
        split="test" if n % 3 == 0 else "train",
        question=steps[0].question,
        context=context_text(_DATABASE.file, SCHEMA, _NOTES) + _HOW,
        data_dir=data_dir,
        data_files=[_DATABASE.file],
        answer=answers,
        payload=EhrSeqsqlPayload(
            parts=[
                SeqPart(question=s.question, query=executable_sql(s.sql, _DATABASE.now), answer_spec=s.spec)
                for s in steps
            ]
        ),
        solution=[_connect_cell(_DATABASE.file), *(s.code for s in steps)],
    )
