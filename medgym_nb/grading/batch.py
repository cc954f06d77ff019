"""Re-grade a directory of trajectory notebooks through papermill; resumable.

Each episode's executed grader notebook goes beside its trajectory (``grade.ipynb`` in the episode's folder)
and one line per episode into ``grades.jsonl``. The grader gets the grading context the episode recorded
(its kept files from the episode's ``files/``). A notebook that cannot be read, or a grader that crashes, is
reported as an error for that notebook and the batch goes on.

A family whose grade depends on the episode's kernel state (a ``state_probe``) was graded on the state the
probe recorded. With ``replay_state`` that state is computed again instead: the episode is replayed in a
fresh sandboxed kernel (``medgym_nb.replay``) and the probe runs there, so a re-grade checks the agent's
code, not a recorded verdict.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import nbformat
from pydantic import BaseModel

from .._atomic import write_text_atomic
from ..errors import GraderError, TrajectoryError
from ..family.registry import get_family
from ..layout import files_dir, graded_path, trajectory_notebooks
from ..trajectory import read_episode
from .comparators import Grade as GradeModel
from .comparators import combine_parts
from .context import GradingContext
from .notebook import WarmGrader, grade_with_papermill, read_grade

__all__ = ["GradeRecord", "grade_directory"]

GRADES = "grades.jsonl"


class GradeRecord(BaseModel):
    notebook: str
    task_id: str | None = None
    source: str | None = None
    category: str | None = None
    status: Literal["graded", "skipped", "no_answer", "error"]
    score: float | None = None
    passed: bool | None = None
    message: str = ""


def _earlier_grade(out: Path) -> GradeModel | None:
    """The verdict already written beside a trajectory; an unreadable one counts as none (graded again)."""
    try:
        return read_grade(nbformat.read(out, as_version=4))
    except (OSError, ValueError, GraderError):
        return None


GradeFn = Callable[..., GradeModel]


def _replayed_grading(path: Path) -> dict[str, Any]:
    """The grading context of the episode replayed in a fresh kernel (its state probe run there)."""
    from ..replay import replay_notebook

    with tempfile.TemporaryDirectory(prefix="medgym-regrade-") as tmp:
        report = replay_notebook(path, tmp)
        grading = read_episode(Path(report.replayed)).grading
    if not grading:
        raise GraderError(f"replaying {path} produced no grading context")
    return grading


def _grade_one(path: Path, force: bool, grade_fn: GradeFn, replay_state: bool = False) -> GradeRecord:
    out = graded_path(path)
    try:
        episode = read_episode(path)
    except TrajectoryError as exc:
        return GradeRecord(notebook=str(path), status="error", message=str(exc))
    base: dict[str, Any] = {
        "notebook": str(path),
        "task_id": episode.task.id,
        "source": episode.task.source,
        "category": episode.task.category,
    }
    earlier = None if force else _earlier_grade(out)
    if earlier is not None:
        return GradeRecord(
            **base, status="skipped", score=earlier.score, passed=earlier.passed, message=earlier.message
        )
    if episode.final_answer is None:
        return GradeRecord(
            **base,
            status="no_answer",
            score=0.0,
            passed=False,
            message=f"the episode gave no answer ({episode.termination})",
        )
    recorded = episode.grading or {"answer": episode.final_answer.model_dump(mode="json")}
    try:
        if replay_state and get_family(episode.task.family).state_probe(episode.task) is not None:
            recorded = _replayed_grading(path)
        grade = _regrade(episode, recorded, path, grade_fn)
    except GraderError as exc:
        return GradeRecord(**base, status="error", message=str(exc))
    return GradeRecord(**base, status="graded", score=grade.score, passed=grade.passed, message=grade.message)


def _regrade(episode: Any, recorded: dict[str, Any], path: Path, grade_fn: GradeFn) -> GradeModel:
    """Grade from the recorded context; a multi-part task part by part, combined as the live grading did."""
    files = files_dir(path)
    parts = recorded.get("parts")
    if parts is None:
        return grade_fn(episode.task, GradingContext.from_record(recorded, files), graded_path(path))
    grades = [
        grade_fn(episode.task, GradingContext.from_record(part, files), graded_path(path, k))
        for k, part in enumerate(parts)
    ]
    return combine_parts(grades, len(get_family(episode.task.family).follow_ups(episode.task)) + 1)


def grade_directory(
    root: str | Path,
    *,
    force: bool = False,
    workers: int = 2,
    warm: bool = True,
    replay_state: bool = False,
    progress: Callable[[GradeRecord], None] | None = None,
) -> list[GradeRecord]:
    """Grade every trajectory under ``root`` in parallel; already graded ones are read back unless ``force``.

    ``warm`` (the default) gives each worker one grader kernel, reset between notebooks; ``warm=False`` is
    papermill's usual kernel per notebook. Both produce the same verdicts (a test checks it). ``replay_state``:
    episodes of families with a state probe are replayed in a fresh kernel and graded on the state found there.
    """
    root = Path(root)
    notebooks = trajectory_notebooks(root)
    local = threading.local()
    graders: list[WarmGrader] = []
    lock = threading.Lock()

    def grade_fn(task: Any, context: GradingContext, output_path: Path) -> GradeModel:
        if not warm:
            return grade_with_papermill(task, context, output_path)
        if not hasattr(local, "grader"):
            local.grader = WarmGrader()
            with lock:
                graders.append(local.grader)
        return local.grader.grade(task, context, output_path)

    def one(path: Path) -> GradeRecord:
        record = _grade_one(path, force, grade_fn, replay_state)
        if progress is not None:
            with lock:
                progress(record)
        return record

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            records = list(pool.map(one, notebooks))
    finally:
        for grader in graders:
            grader.close()
    write_text_atomic(root / GRADES, "".join(json.dumps(r.model_dump()) + "\n" for r in records))
    return records
