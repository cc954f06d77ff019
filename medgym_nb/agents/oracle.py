"""The oracle: solves a task with its reference solution, through the same actions an LLM would use."""

from __future__ import annotations

from typing import Any

from ..errors import MedgymError
from ..tasks.model import Task
from .base import ScriptedAgent

__all__ = ["OracleAgent"]


class OracleAgent(ScriptedAgent):
    """Looks at the schema, runs the setup cells with ``execute`` and validates the last one.

    A failing oracle is a bug in a task or a grader, which is what ``make demo`` checks.
    """

    name = "oracle"

    def plan(self, task: Task) -> list[dict[str, Any]]:
        if not task.solution:
            raise MedgymError(f"task {task.id} has no reference solution, so the oracle cannot play it")
        steps: list[dict[str, Any]] = []
        if "request_info" in task.actions and any(f.endswith(".db") for f in task.data_files):
            steps.append(
                {
                    "action": "request_info",
                    "params": {"info_type": "column_names"},
                    "message": "Look at the tables and their columns first.",
                }
            )
        *setup, final = task.solution
        steps += [{"action": "execute", "params": {"code": code}, "message": "Prepare."} for code in setup]
        steps.append(
            {
                "action": "validate_code",
                "params": {"code": final},
                "message": "Run the reference solution and print the answer.",
            }
        )
        return steps
