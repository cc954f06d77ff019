"""The notebook is the trajectory: record an episode as an nbformat v4 notebook, and read one back.

Layout: a markdown cell with the task; per turn, the agent's message as markdown and, for actions that run
code, the code cell with its real outputs and execution count (non-code actions get a markdown cell with the
observation); a closing markdown cell with the verdict. Notebook metadata under ``medgym`` is one
``EpisodeMeta`` (task, agent, model, the env's configuration, reward, termination, grading context, timings,
versions); cell metadata holds each turn's action.
"""

from __future__ import annotations

import functools
import json
import platform
import time
from datetime import UTC, datetime
from enum import StrEnum
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.corpus.words import generate_corpus_id
from nbformat.v4 import new_notebook
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._atomic import write_notebook_atomic
from .cellmeta import CellMeta, CellRole, cell_meta, metadata_of
from .config import EnvConfig
from .errors import MedgymError, TrajectoryError
from .grading.answers import Answer
from .grading.comparators import Grade
from .kernel.session import CellResult
from .observations import ObservationKind
from .tasks.model import Task

__all__ = [
    "Episode",
    "EpisodeMeta",
    "Recorder",
    "Termination",
    "ToolCall",
    "Turn",
    "package_versions",
    "read_episode",
]

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


class Termination(StrEnum):
    """Why an episode ended: the one vocabulary of the env, the runner, the reader and the report."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    PASSED = "passed"
    SUBMITTED = "submitted"
    """graded without passing, and the episode ended (a submit, or a family that grades once)"""
    MAX_TURNS = "max_turns"
    EPISODE_TIMEOUT = "episode_timeout"
    KERNEL_DIED = "kernel_died"
    AGENT_ERROR = "agent_error"
    GRADER_ERROR = "grader_error"
    CLOSED = "closed"
    """ended from outside: the agent gave up, or the env was closed"""
    INTERRUPTED = "interrupted"
    """the server running it shut down mid-episode (``medgym serve`` drained on SIGTERM)"""
    ERROR = "error"
    """an infrastructure failure (a kernel that would not start, an LLM endpoint that is down)"""
    UNKNOWN = "unknown"

    @property
    def retried(self) -> bool:
        """Infrastructure faults, not the agent's: a resumed run plays these episodes again."""
        return self in {
            Termination.RUNNING,
            Termination.ERROR,
            Termination.GRADER_ERROR,
            Termination.INTERRUPTED,
        }


class ToolCall(BaseModel):
    """The chat-completions tool call a turn answered, as the model wrote it: exports rebuild the assistant's
    ``tool_calls`` from it. ``index``: its place among the calls of one reply (0 starts a reply, whose text is
    the turn's ``message``)."""

    id: str
    name: str
    arguments: str
    index: int = 0


class Turn(BaseModel):
    """One step of an episode as recorded (the outputs themselves live in the notebook's code cell).
    ``tool_call``: set when the agent acted by a native tool call rather than JSON in text."""

    index: int
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    message: str = ""
    observation_type: ObservationKind
    observation: str
    code: str | None = None
    status: str | None = None
    execution_count: int | None = None
    duration: float = 0.0
    usage: dict[str, int] = Field(default_factory=dict)
    tool_call: ToolCall | None = None


class EpisodeMeta(BaseModel):
    """The notebook's ``medgym`` metadata: written by ``Recorder``, read by ``read_episode``.

    Unknown keys are ignored and missing ones defaulted, so notebooks of older versions stay readable.
    """

    model_config = ConfigDict(extra="ignore")

    task: Task
    task_id: str = ""
    source: str = ""
    family: str = ""
    category: str = ""
    split: str = ""
    agent: str = "unknown"
    model: str | None = None
    sandbox: str = "unknown"
    config: EnvConfig | None = None
    seed: int | None = None
    rollout: int | None = None
    started_at: str = ""
    turns: int = 0
    reward: float = 0.0
    passed: bool = False
    termination: Termination = Termination.UNKNOWN
    final_answer: Answer | None = None
    grade: Grade | None = None
    grading: dict[str, Any] | None = None
    """The grading context as recorded (``GradingContext.recorded``), for re-grading offline."""
    error: str | None = None
    cell_timings: list[dict[str, float]] = Field(default_factory=list)
    duration: float = 0.0
    versions: dict[str, str] = Field(default_factory=dict)
    usage: dict[str, int] = Field(default_factory=dict)
    system_prompt: str | None = None

    @field_validator("termination", mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        return value if value in Termination._value2member_map_ else Termination.UNKNOWN


class Episode(EpisodeMeta):
    """An episode read back from its notebook: its metadata, with the turns themselves for their count."""

    turns: list[Turn] = Field(default_factory=list)  # type: ignore[assignment]


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
        config: EnvConfig,
        seed: int | None = None,
        rollout: int | None = None,
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
        self.meta = EpisodeMeta(
            task=task,
            task_id=task.id,
            source=task.source,
            family=task.family,
            category=task.category,
            split=task.split,
            agent=agent,
            model=model,
            sandbox=sandbox,
            config=config,
            seed=seed,
            rollout=rollout,
            started_at=datetime.now(UTC).isoformat(),
            termination=Termination.RUNNING,
            versions=package_versions(),
        )
        header = f"# Task `{task.id}`\n\n**source** {task.source} · **category** {task.category} · "
        header += f"**split** {task.split}\n\n{task.prompt()}"
        self.nb.cells.append(_markdown(header, metadata_of(CellMeta(role=CellRole.TASK))))

    def setup(self, cell: CellResult) -> None:
        """A cell the family ran before the agent's first turn, with its outputs."""
        self.nb.cells.append(
            _cell(
                "code",
                cell.code,
                execution_count=cell.execution_count,
                outputs=cell.outputs,
                metadata={**metadata_of(CellMeta(role=CellRole.SETUP)), "execution": cell.timing},
            )
        )

    def record(self, turn: Turn, cell: CellResult | None) -> None:
        """Append one turn: the agent's message, then the code cell or an observation cell."""
        self.meta.turns = turn.index
        info = turn.model_dump(mode="json")
        info["observation"] = info["observation"][:_OBS_NOTE_CHARS]
        action = CellMeta(role=CellRole.ACTION, record=info)
        if turn.message:
            self.nb.cells.append(
                _markdown(
                    f"**Agent, turn {turn.index}:**\n\n{turn.message}",
                    metadata_of(CellMeta(role=CellRole.AGENT_MESSAGE, turn=turn.index)),
                )
            )
        if cell is not None:
            self.meta.cell_timings.append({"turn": turn.index, "duration": cell.duration})
            code_cell = _cell(
                "code",
                cell.code,
                execution_count=cell.execution_count,
                outputs=cell.outputs,
                metadata={**metadata_of(action), "execution": cell.timing},
            )
            self.nb.cells.append(code_cell)
        else:
            params = json.dumps(turn.params, ensure_ascii=False, default=repr)
            text = (
                f"**Action `{turn.action}`** `{params}` → *{turn.observation_type}*\n\n"
                f"{_fence(turn.observation[:_OBS_NOTE_CHARS])}"
            )
            self.nb.cells.append(_markdown(text, metadata_of(action)))

    def question(self, part: int, text: str) -> None:
        """A follow-up question, shown where it was asked (multi-part tasks)."""
        self.nb.cells.append(
            _markdown(
                f"## Question {part + 1}\n\n{text}", metadata_of(CellMeta(role=CellRole.QUESTION, part=part))
            )
        )

    def finish(
        self,
        *,
        termination: Termination,
        reward: float,
        passed: bool,
        grade: Grade | None,
        answer: Answer | None,
        grading: dict[str, Any] | None = None,
        usage: dict[str, int] | None = None,
        error: str | None = None,
    ) -> NotebookNode:
        meta = self.meta
        meta.termination, meta.reward, meta.passed = termination, reward, passed
        meta.duration = time.monotonic() - self._t0
        meta.grade, meta.final_answer, meta.grading = grade, answer, grading
        meta.usage, meta.error = dict(usage or {}), error
        if error:
            self.nb.cells.append(
                _markdown(
                    f"## {termination.value}\n\n{_fence(error)}", metadata_of(CellMeta(role=CellRole.ERROR))
                )
            )
        verdict = "passed" if passed else "failed"
        lines = [
            f"## Result: {verdict}",
            "",
            f"reward **{reward:g}** · termination **{termination.value}** · "
            f"{meta.turns} turn(s) · {meta.duration:.2f} s",
        ]
        if grade is not None:
            lines += ["", f"Grader: {grade.message}"]
        self.nb.cells.append(_markdown("\n".join(lines), metadata_of(CellMeta(role=CellRole.RESULT))))
        return self.nb

    def write(self, path: Path) -> Path:
        self.nb.metadata["medgym"] = self.meta.model_dump(mode="json")
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
        info = cell_meta(cell)
        if info is not None and info.role is CellRole.ACTION:
            turns.append(Turn.model_validate(info.record))
    try:
        return Episode.model_validate({**meta, "turns": turns})
    except ValidationError as exc:
        raise TrajectoryError(f"{where} has malformed medgym metadata: {exc.errors()[0]['msg']}") from None
    except MedgymError as exc:  # e.g. the task's family is not installed here
        raise TrajectoryError(f"{where}: {exc}") from None
