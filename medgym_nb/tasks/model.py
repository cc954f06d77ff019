"""The Task model: everything an episode, an agent and a grader need to know about one problem.

What all families share is a field of ``Task``; what only one family needs (an answer spec and SQL, a
calculator's limits, a hidden program) is that family's typed ``payload`` model, validated through the
family registry, so ``Task`` does not grow an optional field per family.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, model_validator

__all__ = ["AnswerSpec", "Exclusion", "Generated", "OfficialRow", "Task", "TaskSet", "use_payload_models"]


PayloadModels = Callable[[str], "type[BaseModel] | None"]
"""family name → the model of its tasks' ``payload`` (None: the family has none)."""


def _no_payload_models(family: str) -> type[BaseModel] | None:
    return None


_payload_models: PayloadModels = _no_payload_models


def use_payload_models(lookup: PayloadModels) -> None:
    """Install how a task's family name becomes its payload model. The family registry installs itself when
    it is imported (``medgym_nb.tasks`` imports it), so this module, below the registry, never imports it."""
    global _payload_models
    _payload_models = lookup


class AnswerSpec(BaseModel):
    """How an answer is compared: its kind, whether order matters, and numeric tolerances.

    ``kind="list"`` is for query results: a list of values, numbers compared with tolerance, strings after case and
    white-space normalisation, order ignored unless ``ordered``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["list", "number", "string", "boolean"] = "list"
    ordered: bool = False
    rel_tol: float = Field(default=1e-6, ge=0)
    abs_tol: float = Field(default=1e-6, ge=0)


class Generated(BaseModel):
    """Where a generated task came from: the family's generator (``family:version``), the seed it was drawn
    with, and the version of medgym's generation format, so a suite can be rebuilt from its manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    generator: str
    seed: int
    version: str


class Task(BaseModel):
    """One verifiable problem.

    ``answer`` is the expected value, typed. ``solution`` holds reference code cells: the last one produces
    the answer, the earlier ones prepare state. ``data_dir`` is a host directory; of it an episode sees only
    ``data_files``, read-only under ``data/``. ``context`` tells the agent what it may use. ``family`` names
    the plug-in that owns the task (its actions, answer rule, grader and oracle); ``payload`` is that
    family's own typed data.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    family: str
    category: str
    split: str = "test"
    question: str
    context: str = ""
    data_dir: str | None = None
    data_files: list[str] = Field(default_factory=list)
    answer: Any = None
    solution: list[str] = Field(default_factory=list)
    payload: SerializeAsAny[BaseModel] | None = None
    generated: Generated | None = None
    """Set on tasks of a generated suite (``medgym tasks generate``); None for built-in and official ones."""

    @model_validator(mode="before")
    @classmethod
    def _typed_payload(cls, data: Any) -> Any:
        """Validate ``payload`` with the family's model; read tasks written before families existed."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "family" not in data:  # the pre-family layout: grader name, answer spec and actions on the task
            data["family"] = data.pop("grader", None)
            if "answer_spec" in data:
                data["payload"] = {"answer_spec": data.pop("answer_spec")}
            data.pop("actions", None)
        model = _payload_models(str(data["family"]))
        payload = data.get("payload")
        if model is not None and not isinstance(payload, model):
            data["payload"] = model.model_validate(payload or {})
        return data

    def prompt(self) -> str:
        """The task text an agent is shown first."""
        parts = [self.question.strip()]
        if self.context:
            parts.append(self.context.strip())
        return "\n\n".join(parts)

    def data_mounts(self) -> dict[str, str]:
        """The host paths an episode exposes read-only as ``data/<name>``: the declared files only."""
        if not self.data_dir:
            return {}
        return {name: str(Path(self.data_dir, name).resolve()) for name in self.data_files}


class Exclusion(BaseModel):
    """A task, or a row of an official file, that its family left out, and why (a reference that prints
    differently on each run, a row whose data cannot be synthesized, a malformed line). ``where``: the file and
    line of an official row, or empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    task_id: str | None = None
    where: str = ""
    reason: str


class TaskSet(BaseModel):
    """Tasks ready to run, with what was left out of them: what every loader returns, so nothing is dropped
    silently (``medgym tasks list``/``check`` and run reports show the exclusions)."""

    tasks: list[Task] = Field(default_factory=list)
    excluded: list[Exclusion] = Field(default_factory=list)

    def __add__(self, other: TaskSet) -> TaskSet:
        return TaskSet(tasks=self.tasks + other.tasks, excluded=self.excluded + other.excluded)


class OfficialRow(BaseModel):
    """Where an official row came from: ``where`` is ``file:line`` for messages, ``folder`` the file's folder."""

    source: str
    where: str
    folder: Path
    split: str
    line: int
