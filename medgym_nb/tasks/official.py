"""Read MedAgentGym's official task files (``data/<source>/*_tasks.jsonl``) as they are released.

Each row goes to the family that owns its source; a file in our own format (one ``Task`` as JSON per line)
loads too. A row that cannot become a task (malformed JSON, a field its family needs is missing or unusable)
never stops the others: it is an ``Exclusion`` naming its file, line and reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import MedgymError, TaskFileError
from ..family.registry import family_for_source, list_families
from .model import Exclusion, OfficialRow, Task, TaskSet

__all__ = ["read_task_file"]


def read_task_file(path: Path, source: str | None = None) -> TaskSet:
    """Parse one JSONL task file; ``source`` names the official source when the rows do not.

    ``TaskFileError`` only when the file is missing, or when it holds rows and not one of them loads (then
    the message gives the first rows' reasons).
    """
    if not path.is_file():
        raise TaskFileError(f"task file not found: {path}")
    default_split = path.name.split("_")[0] if path.name.endswith("_tasks.jsonl") else "test"
    loaded = TaskSet()
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                loaded.tasks.append(_task_from_line(line, where, lineno, path.parent, source, default_split))
            except TaskFileError as exc:
                loaded.excluded.append(Exclusion(source=source or "", where=where, reason=str(exc)))
    if loaded.excluded and not loaded.tasks:
        reasons = "; ".join(e.reason for e in loaded.excluded[:3])
        raise TaskFileError(f"no row of {path} loads: {reasons}")
    return loaded


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
