"""Built task lists on disk: ``<root>/tasks.jsonl`` with data directories relative to ``root``.

Builds land in the cache by renaming a temporary directory into place, so tasks are written with
``data_dir`` relative to the build's root and resolved when read.
"""

from __future__ import annotations

import json
from pathlib import Path

from .model import Task

__all__ = ["read_tasks", "write_tasks"]

TASKS_FILE = "tasks.jsonl"


def write_tasks(root: Path, tasks: list[Task]) -> None:
    with (root / TASKS_FILE).open("w", encoding="utf-8") as fh:
        for task in tasks:
            fh.write(task.model_dump_json() + "\n")


def read_tasks(root: Path) -> list[Task]:
    tasks = []
    with (root / TASKS_FILE).open(encoding="utf-8") as fh:
        for line in fh:
            task = Task.model_validate(json.loads(line))
            if task.data_dir is not None and not Path(task.data_dir).is_absolute():
                task = task.model_copy(update={"data_dir": str(root / task.data_dir)})
            tasks.append(task)
    return tasks
