"""Tasks: the model, the catalog of sources, and importers for the official MedAgentGym files."""

from .catalog import get_task, list_sources, load_tasks, select_tasks, spread_over_categories
from .model import AnswerSpec, Task

__all__ = [
    "AnswerSpec",
    "Task",
    "get_task",
    "list_sources",
    "load_tasks",
    "select_tasks",
    "spread_over_categories",
]
