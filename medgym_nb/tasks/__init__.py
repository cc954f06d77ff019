"""Tasks: the model, the catalog of sources, and importers for the official MedAgentGym files."""

from .catalog import (
    get_task,
    list_sources,
    load_task_set,
    load_tasks,
    select_task_set,
    select_tasks,
    spread_over_categories,
)
from .model import AnswerSpec, Exclusion, Task, TaskSet

__all__ = [
    "AnswerSpec",
    "Exclusion",
    "Task",
    "TaskSet",
    "get_task",
    "list_sources",
    "load_task_set",
    "load_tasks",
    "select_task_set",
    "select_tasks",
    "spread_over_categories",
]
