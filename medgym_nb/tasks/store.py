"""Built task lists on disk: ``<root>/tasks.jsonl`` with data directories relative to ``root``, and
``<root>/excluded.jsonl``: what the build left out, and why.

Builds land in the cache by renaming a temporary directory into place, so tasks are written with
``data_dir`` relative to the build's root and resolved when read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from .model import Exclusion, Task, TaskSet

__all__ = ["read_task_set", "read_tasks", "tasks_digest", "write_tasks"]

TASKS_FILE = "tasks.jsonl"
EXCLUDED_FILE = "excluded.jsonl"


def write_tasks(root: Path, tasks: Iterable[Task], excluded: Iterable[Exclusion] = ()) -> None:
    with (root / TASKS_FILE).open("w", encoding="utf-8") as fh:
        for task in tasks:
            fh.write(task.model_dump_json() + "\n")
    with (root / EXCLUDED_FILE).open("w", encoding="utf-8") as fh:
        for exclusion in excluded:
            fh.write(exclusion.model_dump_json() + "\n")


def read_task_set(root: Path) -> TaskSet:
    tasks = []
    with (root / TASKS_FILE).open(encoding="utf-8") as fh:
        for line in fh:
            task = Task.model_validate(json.loads(line))
            if task.data_dir is not None and not Path(task.data_dir).is_absolute():
                task = task.model_copy(update={"data_dir": str(root / task.data_dir)})
            tasks.append(task)
    excluded_file = root / EXCLUDED_FILE
    excluded = []
    if excluded_file.is_file():
        with excluded_file.open(encoding="utf-8") as fh:
            excluded = [Exclusion.model_validate_json(line) for line in fh if line.strip()]
    return TaskSet(tasks=tasks, excluded=excluded)


def read_tasks(root: Path) -> list[Task]:
    return read_task_set(root).tasks


def tasks_digest(tasks: Iterable[Task]) -> str:
    """A short hash of ``tasks`` as JSON: the cache key of a build made from them, so official files that
    differ only in form (line ends, key order, blank lines) read as the same tasks and reuse the build."""
    digest = hashlib.sha256()
    for task in tasks:
        digest.update(task.model_dump_json().encode())
    return digest.hexdigest()[:16]
