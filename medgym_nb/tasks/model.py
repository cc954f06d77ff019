"""The Task model: everything an episode, an agent and a grader need to know about one problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ACTIONS", "AnswerSpec", "Task"]

ACTIONS = ("request_info", "validate_code", "debug", "terminal", "execute", "submit")
"""Every action name the environment understands (MedAgentGym's four, plus ``execute`` and ``submit``)."""


class AnswerSpec(BaseModel):
    """How an answer is compared: its kind, whether order matters, and numeric tolerances.

    ``kind="list"`` is EHRSQL's: a list of values, numbers compared with tolerance, strings after case and
    white-space normalisation, order ignored unless ``ordered``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["list", "number", "string", "boolean"] = "list"
    ordered: bool = False
    rel_tol: float = Field(default=1e-6, ge=0)
    abs_tol: float = Field(default=1e-6, ge=0)


class Task(BaseModel):
    """One verifiable problem.

    ``answer`` is the expected value, typed (a list for EHRSQL). ``solution`` holds reference code cells: the
    last one prints the answer, the earlier ones prepare state. ``data_dir`` is a host directory the episode
    exposes read-only as ``data/`` in its work directory; ``context`` tells the agent what it may use.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    category: str
    split: str = "test"
    question: str
    context: str = ""
    data_dir: str | None = None
    data_files: list[str] = Field(default_factory=list)
    answer: Any = None
    answer_spec: AnswerSpec = Field(default_factory=AnswerSpec)
    actions: list[str] = Field(default_factory=lambda: list(ACTIONS))
    solution: list[str] = Field(default_factory=list)
    grader: str = "ehrsql"

    def data_mounts(self) -> dict[str, str]:
        """The host paths an episode exposes read-only as ``data/<name>``: the declared files only."""
        if not self.data_dir:
            return {}
        return {name: str(Path(self.data_dir, name).resolve()) for name in self.data_files}

    def prompt(self) -> str:
        """The task text an agent is shown first."""
        parts = [self.question.strip()]
        if self.context:
            parts.append(self.context.strip())
        return "\n\n".join(parts)
