"""Read MedAgentGym's official task files (``data/<source>/*_tasks.jsonl``) as they are released.

EHRSQL-shaped sources (mimic_iii, eicu, treqs) are imported here; a file in our own format (one ``Task`` as
JSON per line) loads too. Every malformed line is reported with its file and line number.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import TaskFileError
from ..families.ehrsql import context_text, solution_cells
from .model import AnswerSpec, Task

__all__ = ["EHRSQL_SOURCES", "read_task_file"]

EHRSQL_SOURCES = ("mimic_iii", "eicu", "treqs")
_EHRSQL_FIELDS = ("question", "query", "answer")


def read_task_file(path: Path, source: str | None = None) -> list[Task]:
    """Parse one JSONL task file; ``source`` names the official source when the rows do not."""
    if not path.is_file():
        raise TaskFileError(f"task file not found: {path}")
    default_split = path.name.split("_")[0] if path.name.endswith("_tasks.jsonl") else "test"
    tasks: list[Task] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskFileError(f"{where}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise TaskFileError(f"{where}: expected a JSON object, got {type(row).__name__}")
            tasks.append(_task_from_row(row, where, path.parent, source, default_split))
    return tasks


def _task_from_row(row: dict[str, Any], where: str, folder: Path, source: str | None, split: str) -> Task:
    if "category" in row and "source" in row:
        try:
            return Task.model_validate(row)
        except ValidationError as exc:
            raise TaskFileError(f"{where}: not a valid task ({exc.errors()[0]['msg']})") from None
    src = source or row.get("db_id")
    if src in EHRSQL_SOURCES:
        return _ehrsql_task(row, where, folder, src, split)
    raise TaskFileError(
        f"{where}: cannot tell the task format (source {src!r}); pass --source with one of "
        f"{', '.join(EHRSQL_SOURCES)}, or use medgym's own task JSONL"
    )


def _ehrsql_task(row: dict[str, Any], where: str, folder: Path, source: str, split: str) -> Task:
    missing = [f for f in _EHRSQL_FIELDS if f not in row]
    if missing:
        raise TaskFileError(f"{where}: missing field(s) {', '.join(missing)} for an EHRSQL task")
    answer = row["answer"]
    if not isinstance(answer, list):
        raise TaskFileError(f"{where}: 'answer' must be a list, got {type(answer).__name__}")
    db_name = f"{row.get('db_id', source)}.db"
    category = row.get("tag") or row.get("template") or "ehrsql"
    return Task(
        id=str(row.get("id") or f"{source}.{where.rsplit(':', 1)[1]}"),
        source=source,
        category=str(category),
        split=str(row.get("split") or split),
        question=str(row["question"]),
        context=context_text(db_name),
        data_dir=str(folder.resolve()),
        data_files=[db_name],
        answer=[None if a == "None" else a for a in answer],
        # EHRSQL scores answers as sets: row order of the official SQL is not part of the question.
        answer_spec=AnswerSpec(),
        solution=solution_cells(str(row["query"]), db_name),
        grader="ehrsql",
    )
