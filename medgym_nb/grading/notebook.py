"""Grading through papermill: run a family's grader notebook with the answer as parameters, read the verdict.

The verdict comes only from the grader notebook's own output under ``GRADE_MIME``; nothing the agent printed
can reach it. A grader that fails is a ``GraderError`` (an infrastructure fault), never a score of 0.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import papermill
from jupyter_client import KernelManager
from papermill.exceptions import PapermillExecutionError

from .._atomic import write_notebook_atomic
from ..errors import GraderError
from ..tasks.model import Task
from .answers import Answer
from .comparators import GRADE_MIME, Grade
from .context import GradingContext

__all__ = [
    "GRADER_KERNEL",
    "SharedGrader",
    "WarmGrader",
    "grade_with_papermill",
    "read_grade",
]

GRADER_KERNEL = "medgym-local"
"""Graders are trusted code and run on the host, in this environment's Python (so they can import us)."""


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


RESET_CELL = '_ip = get_ipython()\nfor _k in [k for k in _ip.user_ns if k not in _ip.user_ns_hidden and not k.startswith("_")]:\n    del _ip.user_ns[_k]'


def _family_notebook(task: Task) -> tuple[Any, Path]:
    from ..family.registry import get_family

    family = get_family(task.family)
    path = family.grader_notebook()
    if not path.is_file():
        raise GraderError(f"no grader notebook for family {family.name!r} (looked for {path})")
    return family, path


def _run_grader(
    task: Task,
    context: GradingContext,
    output_path: Path | None,
    *,
    warm: bool = False,
    **engine_kwargs: Any,
) -> Grade:
    """The one papermill call both paths share; ``engine_kwargs`` may hand our engine a running kernel.

    With ``output_path``, the executed notebook is written there whether the grader succeeds, fails or times
    out, so a failing grader's notebook is there before its error is reported.
    """
    family, path = _family_notebook(task)
    if warm:  # a kernel kept between gradings: its namespace is emptied first (see grading/engine.py)
        engine_kwargs["reset"] = RESET_CELL
    executed: list[Any] = []
    try:
        nb = papermill.execute_notebook(
            str(path),
            None,
            parameters=family.grader_parameters(task, context),
            kernel_name=GRADER_KERNEL,
            language="python",
            engine_name="medgym-warm",
            progress_bar=False,
            log_output=False,
            execution_timeout=family.grader_timeout,
            executed=executed,
            **engine_kwargs,
        )
        grade = read_grade(nb)
    except PapermillExecutionError as exc:
        _write_executed(executed, output_path)
        raise GraderError(
            f"grader {family.name!r} failed on task {task.id}: {exc.ename}: {exc.evalue}"
        ) from exc
    except GraderError:
        _write_executed(executed, output_path)
        raise
    except Exception as exc:
        _write_executed(executed, output_path)
        raise GraderError(f"grader {family.name!r} could not run for task {task.id}: {exc}") from exc
    if output_path is not None:
        nb.metadata.setdefault("medgym", {})["grade"] = grade.model_dump()
        nb.metadata["medgym"]["task_id"] = task.id
        write_notebook_atomic(nb, output_path)
    return grade


def _write_executed(executed: list[Any], output_path: Path | None) -> None:
    """Write what a failed grader run got through (if it got as far as executing anything); a notebook that
    cannot be written must not hide the grader's own error."""
    if executed and output_path is not None:
        with contextlib.suppress(Exception):
            write_notebook_atomic(executed[-1], output_path)


def grade_with_papermill(
    task: Task, context: GradingContext | Answer, output_path: Path | None = None
) -> Grade:
    """Run the task family's grader notebook in a fresh kernel and return its verdict.

    ``context`` may be a bare ``Answer`` for graders that need nothing else. With ``output_path`` the
    executed notebook is written there (atomically), verdict in its metadata.
    """
    if isinstance(context, Answer):
        context = GradingContext(answer=context)
    return _run_grader(task, context, output_path)


class WarmGrader:
    """Grades through papermill on one kernel kept running between notebooks (for batch grading).

    papermill's usual path starts a kernel per notebook (~0.6 s here); this hands nbclient an already started
    kernel manager and client, and resets the kernel's namespace before each notebook, so verdicts are the
    same as with a fresh kernel. A kernel that died (a crashing grader) is replaced. Use from one thread.
    """

    def __init__(self) -> None:
        self.km: KernelManager | None = None
        self.kc: Any = None

    def _ensure_kernel(self) -> None:
        if self.km is not None and self.km.is_alive():
            return
        self.close()
        km = KernelManager(kernel_name=GRADER_KERNEL)
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        self.km, self.kc = km, kc

    def grade(self, task: Task, context: GradingContext, output_path: Path | None = None) -> Grade:
        self._ensure_kernel()
        return _run_grader(task, context, output_path, warm=True, km=self.km, kc=self.kc)

    def close(self) -> None:
        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            km.shutdown_kernel(now=True)

    def __enter__(self) -> WarmGrader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SharedGrader:
    """A ``WarmGrader`` on a thread of its own, callable from any thread as ``grader(task, answer)``.

    A kernel client must stay on one thread, so calls are handed to that thread. One instance can serve many
    envs (the runner shares one across its workers: a grader kernel per worker costs more than it saves).
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="medgym-grader")
        self._warm = WarmGrader()

    def __call__(self, task: Task, context: GradingContext, output_path: Path | None = None) -> Grade:
        return self._thread.submit(self._warm.grade, task, context, output_path).result()

    def close(self) -> None:
        self._thread.submit(self._warm.close).result()
        self._thread.shutdown(wait=True)
