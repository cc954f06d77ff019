"""Grading through papermill: run a family's grader notebook with the answer as parameters, read the verdict.

The verdict comes only from the grader notebook's own output under ``GRADE_MIME``; nothing the agent printed
can reach it. A grader that fails is a ``GraderError`` (an infrastructure fault), never a score of 0.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import papermill
from papermill.exceptions import PapermillExecutionError

from .._atomic import write_notebook_atomic
from ..errors import GraderError
from ..tasks.model import Task
from .answers import Answer
from .comparators import GRADE_MIME, Grade

__all__ = ["GRADER_KERNEL", "grade_with_papermill", "grader_notebook", "grader_parameters", "read_grade"]

GRADER_KERNEL = "medgym-local"
"""Graders are trusted code and run on the host, in this environment's Python (so they can import us)."""


def task_notebooks_dir() -> Path:
    """``$MEDGYM_TASK_NOTEBOOKS``, else the checkout's ``task_notebooks/``, else the installed copy."""
    env = os.environ.get("MEDGYM_TASK_NOTEBOOKS")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "task_notebooks"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "medgym" / "task_notebooks"


def grader_notebook(name: str) -> Path:
    path = task_notebooks_dir() / name / "grade.ipynb"
    if not path.is_file():
        raise GraderError(f"no grader notebook for family {name!r} (looked for {path})")
    return path


def grader_parameters(task: Task, answer: Answer) -> dict[str, str]:
    """Papermill parameters: JSON strings only, so agent text is data, never code."""
    return {
        "answer_spec": task.answer_spec.model_dump_json(),
        "expected": json.dumps(task.answer),
        "answer": answer.model_dump_json(),
    }


def read_grade(nb: Any) -> Grade:
    """The verdict a grader notebook published (the last one, if it published several)."""
    found = [
        out["data"][GRADE_MIME]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if GRADE_MIME in out.get("data", {})
    ]
    if not found:
        raise GraderError("the grader notebook finished without publishing a grade")
    return Grade.model_validate(found[-1])


def grade_with_papermill(task: Task, answer: Answer, *, output_path: Path | None = None) -> Grade:
    """Run the task family's grader notebook in a fresh kernel and return its verdict.

    With ``output_path`` the executed notebook is written there (atomically), verdict in its metadata.
    """
    try:
        nb = papermill.execute_notebook(
            str(grader_notebook(task.grader)),
            None,
            parameters=grader_parameters(task, answer),
            kernel_name=GRADER_KERNEL,
            progress_bar=False,
            log_output=False,
        )
    except PapermillExecutionError as exc:
        raise GraderError(
            f"grader {task.grader!r} failed on task {task.id}: {exc.ename}: {exc.evalue}"
        ) from exc
    except Exception as exc:
        raise GraderError(f"grader {task.grader!r} could not run for task {task.id}: {exc}") from exc
    grade = read_grade(nb)
    if output_path is not None:
        nb.metadata.setdefault("medgym", {})["grade"] = grade.model_dump()
        nb.metadata["medgym"]["task_id"] = task.id
        write_notebook_atomic(nb, output_path)
    return grade
