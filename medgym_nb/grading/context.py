"""What a grader may look at besides the answer: the episode's final kernel state, the files it produced, the
state of a service it used, and where to run agent code if the grader must.

The environment builds one ``GradingContext`` per grading and records it in the episode's notebook, so
``medgym grade`` re-grades offline from exactly what the live grader saw (kept files live beside the
notebook, under ``files/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..kernel.limits import SandboxLimits
from .answers import Answer

__all__ = ["GradingContext"]


class GradingContext(BaseModel):
    """Everything a grader notebook receives (as JSON) besides the task.

    ``state``: the JSON value the family's state probe computed in the episode's own kernel after the
    agent's last turn (``state_error`` says why there is none). ``files``: declared output name → path of
    the kept copy. ``service``: what the family read from a service the episode used. ``sandbox``: the
    episode's sandbox and ``limits`` its resource limits, for graders that run agent code
    (``medgym_nb.grading.run_sandboxed(..., sandbox=ctx.sandbox, limits=ctx.limits)``). ``part``: which
    question of a multi-part task (``TaskFamily.follow_ups``) the answer is for, counted from 0.
    """

    answer: Answer
    state: Any = None
    state_error: str | None = None
    files: dict[str, str] = Field(default_factory=dict)
    service: Any = None
    sandbox: str = "auto"
    limits: SandboxLimits = Field(default_factory=SandboxLimits)
    part: int = 0

    def recorded(self) -> dict[str, Any]:
        """The form kept in the episode's notebook: kept files by name (they live in ``files/`` beside it)."""
        return self.model_dump(mode="json") | {"files": sorted(self.files)}

    @classmethod
    def from_record(cls, record: dict[str, Any], files_dir: Path) -> GradingContext:
        """Rebuild a recorded context for re-grading; kept files are looked up in ``files_dir``."""
        names = record.get("files") or []
        return cls.model_validate({**record, "files": {name: str(files_dir / name) for name in names}})
