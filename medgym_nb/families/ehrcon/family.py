"""The EHRCon family: is a clinical note consistent with the charted data, and how many of its statements about
one entity are not?

EHRCon's own notes are credentialed MIMIC-III notes, so every note here is written by ``notes.py`` from a
synthetic database, with a known number of injected inconsistencies. Official rows (an admission, an entity,
a number of inconsistencies) become notes written for that admission and entity with that number; the
admission and the entity's charted values are planted in the database the note is checked against. Rows that
cannot become such a note are excluded, with the reason (``mg.load_task_set``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from medgym_nb.actions import ACTIONS
from medgym_nb.data.cache import cached_build
from medgym_nb.data.mimic_iii import DB_NAME
from medgym_nb.errors import TaskFileError
from medgym_nb.family import OfficialRow, TaskFamily
from medgym_nb.family.sqlite_info import INFO_HELP, SqliteInfoParams, sqlite_request_info
from medgym_nb.grading.answers import Answer, parse_printed
from medgym_nb.grading.comparators import Grade
from medgym_nb.tasks.model import Exclusion, Task, TaskSet
from medgym_nb.tasks.store import read_task_set, tasks_digest, write_tasks

from .note_vocab import SUITE_ENTITIES
from .notes import (
    MAX_INCONSISTENCIES,
    NOTE_KINDS,
    TOLERANCE,
    Mention,
    Note,
    NoteRequest,
    build_notes,
    value_query,
)

__all__ = ["EhrconFamily", "EhrconPayload", "grade_verdict", "read_verdict"]

SOURCE = "ehrcon"
_TABLE_NAMES = {
    "labevents": "lab",
    "chartevents": "chart",
    "inputevents_cv": "input",
    "prescriptions": "drug",
}
_KIND_NAMES = {"discharge": "discharge summary", "nursing": "nursing note", "physician": "physician note"}
_SUITE_ADMISSIONS = 75
_SHARD_NOTES = 600
"""Notes per database of a generated suite."""
_HADM = re.compile(r"^\s*(\d+)(?:\.0*)?\s*$")


class EhrconPayload(BaseModel):
    """What a note task is about and what its note holds; ``mentions`` and ``injected`` are for the grader's
    message and audits, never shown to the agent. ``unmapped`` says why an official row has no note."""

    model_config = ConfigDict(extra="forbid")

    hadm_id: int | None = None
    entity: str
    has_error: bool
    inconsistencies: int
    note_kind: str = ""
    table: str = ""
    note_file: str = ""
    injected: list[str] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)
    unmapped: str | None = None


_ANSWER_HELP = (
    'Answer with `submit` and {"answer": {"has_error": true, "inconsistencies": 1}}, or from `validate_code` '
    "print `(True, 1)` or `{'has_error': True, 'inconsistencies': 1}` (has_error is a boolean, "
    "inconsistencies an integer)."
)

CONTEXT = (
    f"The database is the SQLite file `data/{DB_NAME}` (read-only): MIMIC-III in EHRSQL's layout, labels and "
    "drug names lower case. Lab values are in labevents (itemid → d_labitems.label, valuenum, valueuom), "
    "charted items in chartevents (itemid → d_items.label, valuenum, valueuom), fluids in inputevents_cv "
    "(itemid → d_items.label, amount in mL), drugs in prescriptions (drug, dose_val_rx, dose_unit_rx, "
    "startdate). A statement of the note is consistent when the admission has a charted value of the entity "
    f"on the stated day that equals the stated value within {TOLERANCE:.0%} after converting the stated unit "
    "to the charted one; units that measure the same quantity convert (°C/°F, kg/lb, cm/in, mg/g/mcg, "
    "mL/cc/L, mg/dL–mg/L, g/dL–g/L, mEq/L–mmol/L), any other unit makes the statement inconsistent. Notes "
    "abbreviate (HR, Hgb, Lasix) and spell units and dates in several ways. " + _ANSWER_HELP
)


def read_verdict(value: Any) -> tuple[bool, int] | None:
    """An answer as (has_error, inconsistencies), or None when it is not one.

    Accepted: a mapping with ``has_error`` (a boolean) and ``inconsistencies`` (an integer), a pair
    ``(has_error, inconsistencies)``, or either of them as text (printed or submitted). Numbers are not
    booleans and booleans are not counts, so ``(1, True)`` is no answer.
    """
    if isinstance(value, str):
        value = parse_printed(value)
        if isinstance(value, str):
            return None
    if isinstance(value, dict):
        value = (value.get("has_error"), value.get("inconsistencies"))
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    flag, count = value
    if not isinstance(flag, bool) or isinstance(count, bool) or not isinstance(count, int):
        return None
    return flag, count


def grade_verdict(expected: dict[str, Any], submitted: Any) -> Grade:
    """Score 1 only when both the verdict and the count are right; the message names what was wrong."""
    verdict = read_verdict(submitted)
    if verdict is None:
        return Grade(
            score=0.0,
            passed=False,
            message="unreadable answer: give has_error (a boolean) and inconsistencies (an integer)",
            subscores={"has_error": 0.0, "inconsistencies": 0.0},
        )
    flag_ok = verdict[0] is bool(expected["has_error"])
    count_ok = verdict[1] == int(expected["inconsistencies"])
    wrong = [name for name, ok in (("consistency verdict", flag_ok), ("count", count_ok)) if not ok]
    return Grade(
        score=float(not wrong),
        passed=not wrong,
        message=f"incorrect: wrong {' and '.join(wrong)}" if wrong else "correct",
        subscores={"has_error": float(flag_ok), "inconsistencies": float(count_ok)},
    )


class EhrconFamily(TaskFamily):
    """Clinical-note consistency checks against a MIMIC-III database (MedAgentGym's ehrcon source)."""

    name = "ehrcon"
    sources = (SOURCE,)
    suite_sources = (SOURCE,)
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {SOURCE: 1500}
    payload_model = EhrconPayload
    actions = tuple(ACTIONS)
    action_params: ClassVar[dict[str, type[BaseModel]]] = {"request_info": SqliteInfoParams}
    action_help: ClassVar[dict[str, str]] = {
        "request_info": INFO_HELP,
        "validate_code": (
            "run Python that prints the verdict as has_error (a boolean) and inconsistencies (an integer), e.g. "
            "{'has_error': True, 'inconsistencies': 2}; it is graded. A correct verdict ends the episode; after "
            "a wrong one you may try again"
        ),
        "submit": (
            "give the verdict as {'has_error': bool, 'inconsistencies': int}; it is graded and the episode ends"
        ),
    }
    source_names: ClassVar[dict[str, str]] = {SOURCE: "EHRCon"}

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        """Notes over 75 admissions, one per entity table each, note kinds in turn; every third is ``test``."""
        if source != SOURCE:
            return super().build_suite(source, root, seed)
        rng = random.Random(f"ehrcon-suite-{seed}")
        requests: list[NoteRequest] = []
        for hadm_id in rng.sample(range(110_000, 200_000), _SUITE_ADMISSIONS):
            for entities in SUITE_ENTITIES.values():
                count = rng.choices(range(5), weights=(50, 25, 12, 8, 5))[0]
                kind = NOTE_KINDS[len(requests) % len(NOTE_KINDS)]
                requests.append(NoteRequest(hadm_id, rng.choice(entities), count, kind))
        ids = [f"ehrcon.syn.{n:04d}" for n in range(len(requests))]
        splits = ["test" if n % 3 == 0 else "train" for n in range(len(requests))]
        return _noted(root, requests, ids, splits, seed)

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """Notes in shards of ``_SHARD_NOTES``, each over its own database of fresh admissions (one note per
        admission and entity table, entities, inconsistency counts and note kinds drawn); up to ``n``."""
        if source != SOURCE:
            return super().generate(source, n, seed, root)
        return _generated(n, seed, root)

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        """Never raises for a row that cannot become a note: its ``payload.unmapped`` says why. A row without
        ``Has error`` takes it from its count."""
        entity = str(row.get("Medical entity") or "").strip()
        count = _whole(row.get("Number of inconsistencies"))
        flag = _truth(row.get("Has error"))
        if flag is None and isinstance(count, int) and not isinstance(count, bool):
            flag = count > 0
        found = _HADM.match(str(row.get("Hospital admission") or ""))
        reason = None
        if found is None:
            reason = f"no hospital admission id ({row.get('Hospital admission')!r})"
        elif not entity:
            reason = "no medical entity"
        elif isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_INCONSISTENCIES:
            reason = f"number of inconsistencies {count!r} is not an integer in 0..{MAX_INCONSISTENCIES}"
        elif not isinstance(flag, bool) or flag != (count > 0):
            reason = f"'Has error' {flag!r} disagrees with {count} inconsistencies"
        payload = EhrconPayload(
            hadm_id=int(found[1]) if found else None,
            entity=entity,
            has_error=bool(flag),
            inconsistencies=count if isinstance(count, int) else 0,
            unmapped=reason,
        )
        split = str(row.get("split") or "").strip() or origin.split
        return Task(
            id=f"{SOURCE}.{split}.{origin.line:04d}",
            source=SOURCE,
            family=self.name,
            category="unmapped" if reason else "official",
            split=split,
            question="",
            context=CONTEXT,
            answer={"has_error": payload.has_error, "inconsistencies": payload.inconsistencies},
            payload=payload,
        )

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> TaskSet:
        """The rows that map, as notes over a database with their admissions and entities planted; built once
        per (rows' tasks, seed) and cached, so rows that differ only in form reuse the build. Rows that
        do not map are excluded, with the reason."""
        if database is not None:
            raise TaskFileError(
                "EHRCon's notes are written for a synthetic database; leave out database= (--db)"
            )
        mapped = [t for t in tasks if _payload(t).unmapped is None]
        requests = [NoteRequest(_hadm(t), _payload(t).entity, _payload(t).inconsistencies) for t in mapped]
        ids, splits = [t.id for t in mapped], [t.split for t in mapped]
        key = f"{source}-official-{self.name}-{self.version}-seed{seed}-{tasks_digest(mapped)}"

        def build(root: Path) -> None:
            write_tasks(root, _noted(root, requests, ids, splits, seed))

        unmapped = [
            Exclusion(source=source, task_id=t.id, reason=str(_payload(t).unmapped))
            for t in tasks
            if _payload(t).unmapped is not None
        ]
        built = read_task_set(cached_build(key, build))
        return TaskSet(tasks=built.tasks, excluded=built.excluded + unmapped)

    def request_info(self, task: Task, params: dict[str, Any]) -> str:
        return sqlite_request_info(task, params)

    def answer_from_submit(self, task: Task, params: dict[str, Any]) -> Answer:
        """``{"answer": {...}}``, or the two fields given as the params themselves."""
        return Answer(kind="value", value=params.get("answer", params))


def _whole(value: Any) -> Any:
    """A count written as ``2``, ``2.0`` or ``"2"`` as the int 2; anything else unchanged (and rejected)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _truth(value: Any) -> Any:
    """``true``/``"True"``/``"false"`` as a bool; anything else unchanged (and rejected)."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _payload(task: Task) -> EhrconPayload:
    assert isinstance(task.payload, EhrconPayload)
    return task.payload


def _hadm(task: Task) -> int:
    hadm_id = _payload(task).hadm_id
    assert hadm_id is not None
    return hadm_id


def _generated(n: int, seed: int, root: Path) -> Iterator[Task]:
    per_shard = -(-_SHARD_NOTES // len(SUITE_ENTITIES))  # admissions per shard
    admissions = list(range(110_000, 200_000))
    random.Random(f"ehrcon-generate-{seed}").shuffle(admissions)
    for shard, start in enumerate(range(0, n, _SHARD_NOTES)):
        rng = random.Random(f"ehrcon-generate-{seed}-{shard}")
        requests = [
            NoteRequest(
                hadm_id,
                rng.choice(entities),
                rng.choices(range(5), weights=(50, 25, 12, 8, 5))[0],
                rng.choice(NOTE_KINDS),
            )
            for hadm_id in admissions[shard * per_shard : (shard + 1) * per_shard]
            for entities in SUITE_ENTITIES.values()
        ][: min(_SHARD_NOTES, n - start)]
        folder = f"notes{shard:03d}"
        ids = [f"{SOURCE}.gen.{shard:03d}.{k:04d}" for k in range(len(requests))]
        splits = ["test" if k % 3 == 0 else "train" for k in range(len(requests))]
        for task in _noted(root / folder, requests, ids, splits, seed * 1000 + shard):
            yield task.model_copy(update={"data_dir": f"{folder}/data"})


def _noted(
    root: Path, requests: list[NoteRequest], ids: list[str], splits: list[str], seed: int
) -> list[Task]:
    """Write the notes and their database under ``root/data``; one task per note (``data_dir`` relative)."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    notes = build_notes(data, requests, seed=seed)
    return [_task(note, task_id, split) for note, task_id, split in zip(notes, ids, splits, strict=True)]


def _task(note: Note, task_id: str, split: str) -> Task:
    kind = _KIND_NAMES[note.kind]
    has_error, count = note.inconsistencies > 0, note.inconsistencies
    return Task(
        id=task_id,
        source=SOURCE,
        family=EhrconFamily.name,
        category=f"{note.kind}_{_TABLE_NAMES[note.table]}",
        split=split,
        question=(
            f"The {kind} `data/{note.file}` was written for hospital admission {note.hadm_id} "
            f"(admissions.hadm_id). Check every statement it makes about {note.entity!r} against the database: "
            f"is the note consistent with what was charted for {note.entity!r}, and how many of its statements "
            "about it are inconsistent?"
        ),
        context=CONTEXT,
        data_dir="data",
        data_files=[DB_NAME, note.file],
        answer={"has_error": has_error, "inconsistencies": count},
        payload=EhrconPayload(
            hadm_id=note.hadm_id,
            entity=note.entity,
            note_kind=note.kind,
            table=note.table,
            note_file=note.file,
            injected=[m.error for m in note.mentions if m.error],
            mentions=note.mentions,
            has_error=has_error,
            inconsistencies=count,
        ),
        solution=_solution(note),
    )


def _solution(note: Note) -> list[str]:
    """Read the note, then check each of its statements (day, value in the charted unit) against the rows."""
    stated = [(m.date, m.charted_value) for m in note.mentions]
    return [
        f"print(open('data/{note.file}').read())",
        "import math, sqlite3\n"
        f"con = sqlite3.connect('file:data/{DB_NAME}?mode=ro', uri=True)\n"
        f"# the note's statements about {note.entity!r}: (day, value in the charted unit {note.unit!r})\n"
        f"stated = {stated!r}\n"
        "def charted(day):\n"
        f"    return [v for (v,) in con.execute({value_query(note.table)!r}, ({note.hadm_id}, {note.label!r}, day))]\n"
        "bad = sum(\n"
        f"    not any(value is not None and math.isclose(value, v, rel_tol={TOLERANCE}) for v in charted(day))\n"
        "    for day, value in stated\n"
        ")\n"
        "print({'has_error': bad > 0, 'inconsistencies': bad})",
    ]
