"""Read MedAgentGym's official task files (``data/<source>/*_tasks.jsonl``) as they are released.

Each row goes to the family that owns its source; a file in our own format (one ``Task`` as JSON per line)
loads too. A row that cannot become a task (malformed JSON or UTF-8, a field its family needs is missing or
unusable) never stops the others: it is an ``Exclusion`` naming its file, line and reason. Lines are split on
``\\n`` only (a ``\\r\\n`` file reads the same; a stray ``\\r`` inside a row does not split it), a leading
byte-order mark is ignored, and blank lines are skipped, as ``json.loads`` per line in MedAgentGym does.

Ids are made unique over everything one load reads: MedAgentGym runs every row by its position, so a row
whose id repeats an earlier one is kept, as ``<id>#2`` (``#3``, ...), and the renaming is logged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..errors import MedgymError, TaskFileError
from ..family.registry import family_for_source, list_families
from .model import Exclusion, OfficialRow, Task, TaskSet

__all__ = ["UNREADABLE", "OfficialRows", "read_task_file", "read_task_files"]

_log = logging.getLogger(__name__)

UNREADABLE = "its family failed on this row; please report it with the row"
"""The reason given for a row whose family raised something else than ``TaskFileError``: a defect to fix."""


class OfficialRows(BaseModel):
    """The rows of one load's official files: tasks with unique ids, the rows excluded, and each task's
    ``file:line`` (``where``), so that what a family excludes later by task id can name its row too."""

    rows: TaskSet = Field(default_factory=TaskSet)
    where: dict[str, str] = Field(default_factory=dict)

    def located(self, exclusion: Exclusion) -> Exclusion:
        """``exclusion`` with the ``file:line`` of the row its task came from, when it names none."""
        if exclusion.where or exclusion.task_id not in self.where:
            return exclusion
        return exclusion.model_copy(update={"where": self.where[exclusion.task_id]})


def read_task_files(files: list[Path], source: str | None = None) -> OfficialRows:
    """Every row of ``files``, ids made unique across them; ``TaskFileError`` only when a file is missing or
    not one row of any file loads (the message gives the first rows' reasons)."""
    read = OfficialRows()
    seen: set[str] = set()
    for path in files:
        tasks, excluded = _read_rows(path, source)
        read.rows.excluded += excluded
        for task, where in tasks:
            task = _unique(task, where, seen)
            read.rows.tasks.append(task)
            read.where[task.id] = where
    if read.rows.excluded and not read.rows.tasks:
        reasons = "; ".join(e.reason for e in read.rows.excluded[:3])
        raise TaskFileError(f"no row of {', '.join(map(str, files))} loads: {reasons}")
    return read


def read_task_file(path: Path, source: str | None = None) -> TaskSet:
    """Parse one JSONL task file; ``source`` names the official source when the rows do not.

    ``TaskFileError`` only when the file is missing, or when it holds rows and not one of them loads.
    """
    return read_task_files([path], source).rows


def _unique(task: Task, where: str, seen: set[str]) -> Task:
    """``task``, renamed ``<id>#N`` (the first N from 2 not taken) if an earlier row has its id."""
    task_id, n = task.id, 1
    while task_id in seen:
        n += 1
        task_id = f"{task.id}#{n}"
    seen.add(task_id)
    if task_id == task.id:
        return task
    _log.warning(
        "%s: id %r is taken by an earlier row; this row keeps its place as %r", where, task.id, task_id
    )
    return task.model_copy(update={"id": task_id})


def _read_rows(path: Path, source: str | None) -> tuple[list[tuple[Task, str]], list[Exclusion]]:
    """The tasks of ``path``'s rows, each with its ``file:line``, and the rows that do not load."""
    if not path.is_file():
        raise TaskFileError(f"task file not found: {path}")
    default_split = path.name.split("_")[0] if path.name.endswith("_tasks.jsonl") else "test"
    tasks: list[tuple[Task, str]] = []
    excluded: list[Exclusion] = []
    for lineno, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        where = f"{path}:{lineno}"
        try:
            line = _decoded(raw, where, first=lineno == 1)
            if not line.strip():
                continue
            tasks.append((_task_from_line(line, where, lineno, path.parent, source, default_split), where))
        except TaskFileError as exc:
            excluded.append(Exclusion(source=source or "", where=where, reason=str(exc)))
        except Exception as exc:  # a family's defect on an unusual row must not cost the user the other rows
            _log.exception("%s: the row's family failed on it", where)
            excluded.append(
                Exclusion(source=source or "", where=where, reason=f"{where}: {UNREADABLE} ({exc!r})")
            )
    return tasks, excluded


def _decoded(raw: bytes, where: str, *, first: bool) -> str:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskFileError(f"{where}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return line.removeprefix("\ufeff") if first else line


def _task_from_line(line: str, where: str, lineno: int, folder: Path, source: str | None, split: str) -> Task:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TaskFileError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise TaskFileError(f"{where}: expected a JSON object, got {type(row).__name__}")
    return _task_from_row(row, where, lineno, folder, source, split)


def _task_from_row(
    row: dict[str, Any], where: str, lineno: int, folder: Path, source: str | None, split: str
) -> Task:
    if "category" in row and "source" in row:
        try:
            return Task.model_validate(row)
        except ValidationError as exc:
            raise TaskFileError(f"{where}: not a valid task ({exc.errors()[0]['msg']})") from None
    src = source or row.get("db_id")
    try:
        family = family_for_source(str(src))
    except MedgymError:
        known = sorted({s for f in list_families() for s in f.sources})
        raise TaskFileError(
            f"{where}: cannot tell the task format (source {src!r}); pass --source with one of "
            f"{', '.join(known)}, or use medgym's own task JSONL"
        ) from None
    origin = OfficialRow(source=str(src), where=where, folder=folder, split=split, line=lineno)
    return family.read_official_row(row, origin)
