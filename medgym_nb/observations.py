"""What the environment tells the agent after ``reset`` and each ``step``: one typed model with a kind.

The fields keep MedAgentGym's wire names (``type``, ``env_message``), so ``model_dump(exclude_none=True)``
is the JSON observation agents trained on MedAgentGym already read; everything else (the recorder, the
report, the server) matches on ``ObservationKind``, never on strings.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["Observation", "ObservationKind", "observe"]


class ObservationKind(StrEnum):
    TASK = "task"
    """The task, after ``reset``."""
    CODE_EXECUTION = "code_execution"
    """An ``execute`` cell ran."""
    CMD_RESULT = "cmd_result"
    """A ``terminal`` command ran."""
    REQUESTED_INFO = "requested_info"
    DEBUGGING_INFO = "debugging_info"
    ERROR = "error"
    """A malformed action, an error in the agent's code, a failed request or grader."""
    TIMEOUT = "timeout"
    KERNEL_DIED = "kernel_died"
    GRADE = "grade"
    """An answer was graded."""
    NEXT_QUESTION = "next_question"
    """An answer to one part of a multi-part task was graded; the next question follows."""


class Observation(BaseModel):
    """``type`` and ``env_message`` always; the rest where the kind has them: ``task_id`` and ``actions`` on
    ``task``, ``status`` of the cell that ran, ``score``/``passed`` of a grade, ``question`` the next one."""

    model_config = ConfigDict(extra="forbid")

    type: ObservationKind
    env_message: str
    task_id: str | None = None
    actions: list[str] | None = None
    status: str | None = None
    score: float | None = None
    passed: bool | None = None
    question: str | None = None


def observe(kind: ObservationKind, message: str, **extra: object) -> Observation:
    """An observation of ``kind`` showing ``message`` (and the kind's extra fields)."""
    return Observation.model_validate({"type": kind, "env_message": message, **extra})
