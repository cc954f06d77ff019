"""The notebook is the trajectory: record an episode as an nbformat v4 notebook, and read one back.

Layout: a markdown cell with the task; per turn, the agent's message as markdown and, for actions that run
code, the code cell with its real outputs and execution count (non-code actions get a markdown cell with the
observation); a closing markdown cell with the verdict. Notebook metadata under ``medgym`` holds the task,
agent, model, reward, termination reason, timings and versions; cell metadata holds each turn's action.
"""

from __future__ import annotations

import functools
import json
import platform
import time
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.corpus.words import generate_corpus_id
from nbformat.v4 import new_notebook
from pydantic import BaseModel, Field, ValidationError

from ._atomic import write_notebook_atomic
from .errors import TrajectoryError
from .grading.answers import Answer
from .grading.comparators import Grade
from .kernel.session import CellResult
from .tasks.model import Task

__all__ = ["Episode", "Recorder", "Turn", "package_versions", "read_episode"]

_PACKAGES = ("medgym-nb", "jupyter_client", "ipykernel", "nbformat", "papermill", "pandas", "numpy")
_OBS_NOTE_CHARS = 4_000


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    versions = [("python", platform.python_version())]
    for name in _PACKAGES:
        try:
            versions.append((name, importlib_metadata.version(name)))
        except importlib_metadata.PackageNotFoundError:
            continue
    return tuple(versions)


def _cell(cell_type: str, source: str, **fields: Any) -> NotebookNode:
    """A notebook cell, unvalidated: nbformat's ``new_*_cell`` run the JSON schema on every cell, which
    costs more than the rest of recording; ``write`` validates the whole notebook once instead."""
    return nbformat.from_dict(
        {"id": generate_corpus_id(), "cell_type": cell_type, "source": source, **fields}
    )


def _markdown(source: str, metadata: dict[str, Any]) -> NotebookNode:
    return _cell("markdown", source, metadata=metadata)


def package_versions() -> dict[str, str]:
    """Versions of what an episode ran on (read once per process: the metadata lookups are slow)."""
    return dict(_versions())


class Turn(BaseModel):
    """One step of an episode as recorded (the outputs themselves live in the notebook's code cell)."""

    index: int
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    message: str = ""
    observation_type: str
    observation: str
    code: str | None = None
    status: str | None = None
    execution_count: int | None = None
    duration: float = 0.0
    usage: dict[str, int] = Field(default_factory=dict)


class Episode(BaseModel):
    """An episode read back from its notebook."""

    task: Task
    agent: str
    model: str | None = None
    sandbox: str
    turns: list[Turn]
    final_answer: Answer | None = None
    grade: Grade | None = None
    reward: float = 0.0
    passed: bool = False
    termination: str
    duration: float = 0.0
    started_at: str = ""
    versions: dict[str, str] = Field(default_factory=dict)
    usage: dict[str, int] = Field(default_factory=dict)


def _fence(text: str) -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}text\n{text}\n{ticks}"


class Recorder:
    """Builds the trajectory notebook of one episode as it happens."""

    def __init__(
        self,
        task: Task,
        *,
        agent: str,
        model: str | None,
        sandbox: str,
        kernel_name: str,
        limits: dict[str, Any] | None = None,
    ) -> None:
        self.task = task
        self.nb = new_notebook()
        self.nb.metadata["kernelspec"] = {
            "name": kernel_name,
            "display_name": kernel_name,
            "language": "python",
        }
        self.nb.metadata["language_info"] = {"name": "python", "version": platform.python_version()}
        self._t0 = time.monotonic()
        self.meta: dict[str, Any] = {
            "task_id": task.id,
            "source": task.source,
            "category": task.category,
            "split": task.split,
            "agent": agent,
            "model": model,
            "sandbox": sandbox,
            "limits": limits,
            "started_at": datetime.now(UTC).isoformat(),
            "turns": 0,
            "reward": 0.0,
            "passed": False,
            "termination": "running",
            "final_answer": None,
            "grade": None,
            "cell_timings": [],
            "duration": 0.0,
            "versions": package_versions(),
            "usage": {},
            "task": task.model_dump(mode="json"),
        }
        self.nb.metadata["medgym"] = self.meta
        self.meta = self.nb.metadata["medgym"]  # NotebookNode stores a converted copy: keep the live one
        header = f"# Task `{task.id}`\n\n**source** {task.source} · **category** {task.category} · "
        header += f"**split** {task.split}\n\n{task.prompt()}"
        self.nb.cells.append(_markdown(header, {"medgym": {"role": "task"}}))

    def record(self, turn: Turn, cell: CellResult | None) -> None:
        """Append one turn: the agent's message, then the code cell or an observation cell."""
        self.meta["turns"] = turn.index
        info = turn.model_dump(mode="json")
        info["observation"] = info["observation"][:_OBS_NOTE_CHARS]
        if turn.message:
            self.nb.cells.append(
                _markdown(
                    f"**Agent, turn {turn.index}:**\n\n{turn.message}",
                    {"medgym": {"role": "agent_message", "turn": turn.index}},
                )
            )
        if cell is not None:
            self.meta["cell_timings"].append({"turn": turn.index, "duration": cell.duration})
            code_cell = _cell(
                "code",
                cell.code,
                execution_count=cell.execution_count,
                outputs=cell.outputs,
                metadata={"medgym": {"role": "action", **info}, "execution": cell.timing},
            )
            self.nb.cells.append(code_cell)
        else:
            params = json.dumps(turn.params, ensure_ascii=False)
            text = (
                f"**Action `{turn.action}`** `{params}` → *{turn.observation_type}*\n\n"
                f"{_fence(turn.observation[:_OBS_NOTE_CHARS])}"
            )
            self.nb.cells.append(_markdown(text, {"medgym": {"role": "action", **info}}))

    def finish(
        self,
        *,
        termination: str,
        reward: float,
        passed: bool,
        grade: Grade | None,
        answer: Answer | None,
        usage: dict[str, int] | None = None,
    ) -> NotebookNode:
        self.meta.update(
            termination=termination,
            reward=reward,
            passed=passed,
            duration=time.monotonic() - self._t0,
            grade=grade.model_dump() if grade else None,
            final_answer=answer.model_dump(mode="json") if answer else None,
            usage=dict(usage or {}),
        )
        verdict = "passed" if passed else "failed"
        lines = [
            f"## Result: {verdict}",
            "",
            f"reward **{reward:g}** · termination **{termination}** · "
            f"{self.meta['turns']} turn(s) · {self.meta['duration']:.2f} s",
        ]
        if grade is not None:
            lines += ["", f"Grader: {grade.message}"]
        self.nb.cells.append(_markdown("\n".join(lines), {"medgym": {"role": "result"}}))
        return self.nb

    def write(self, path: Path) -> Path:
        write_notebook_atomic(self.nb, path)
        return path


def read_episode(path: str | Path) -> Episode:
    """Read a trajectory notebook back into an ``Episode``; ``TrajectoryError`` if it is not one."""
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise TrajectoryError(f"no such notebook: {path}") from None
    except Exception as exc:
        raise TrajectoryError(f"{path} is not a readable notebook: {exc}") from None
    return episode_from_notebook(nb, where=str(path))


def episode_from_notebook(nb: NotebookNode, *, where: str = "<notebook>") -> Episode:
    meta = nb.metadata.get("medgym")
    if not isinstance(meta, dict) or "task" not in meta:
        raise TrajectoryError(f"{where} has no medgym metadata: it is not a medgym trajectory")
    turns = []
    for cell in nb.cells:
        info = cell.metadata.get("medgym", {})
        if info.get("role") == "action":
            fields = {k: v for k, v in info.items() if k != "role"}
            turns.append(Turn.model_validate(fields))
    try:
        return Episode(
            task=Task.model_validate(meta["task"]),
            agent=meta.get("agent", "unknown"),
            model=meta.get("model"),
            sandbox=meta.get("sandbox", "unknown"),
            turns=turns,
            final_answer=meta.get("final_answer"),
            grade=meta.get("grade"),
            reward=meta.get("reward", 0.0),
            passed=meta.get("passed", False),
            termination=meta.get("termination", "unknown"),
            duration=meta.get("duration", 0.0),
            started_at=meta.get("started_at", ""),
            versions=meta.get("versions", {}),
            usage=meta.get("usage", {}),
        )
    except ValidationError as exc:
        raise TrajectoryError(f"{where} has malformed medgym metadata: {exc.errors()[0]['msg']}") from None
