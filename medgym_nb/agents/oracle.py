"""The oracle: solves a task with its reference solution, through the same actions an LLM would use."""

from __future__ import annotations

from typing import Any

from ..family.registry import get_family
from ..tasks.model import Task
from .base import ScriptedAgent

__all__ = ["OracleAgent"]


class OracleAgent(ScriptedAgent):
    """Plays the task family's reference solution (``TaskFamily.oracle_plan``).

    A failing oracle is a bug in a task or a grader, which is what ``make demo`` checks.
    """

    name = "oracle"

    def plan(self, task: Task) -> list[dict[str, Any]]:
        return get_family(task.family).oracle_plan(task)
