"""The papermill engine every grading runs through (registered as ``medgym-warm``).

papermill's nbclient engine always builds a fresh kernel client and waits for it to be ready (~0.2 s, on top
of starting a kernel); nbclient itself discards a client handed to it. This engine hands nbclient both the
running kernel manager and its connected client when given them (``km=``, ``kc=``), so a batch grader pays
for neither per notebook; without them it starts a kernel as papermill's own engine does. It also hands the
executed notebook back through ``executed=`` (a list) however the run ends, so a grader that fails or times
out can still be written out, without papermill saving the notebook after every cell (a dozen writes per
grading).

A cell is a kernel round trip (~4 ms of CPU), and a grading runs two or three, so the engine also skips the
``parameters`` cell when it only assigns defaults that papermill's injected cell overrides, and runs the
``reset=`` code a reused kernel needs (emptying its namespace) in the first cell that runs, or in a cell of
its own when a cell of the notebook's precedes the parameters (it keeps what that cell defines).
"""

from __future__ import annotations

import ast
from typing import Any

import nbformat
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

__all__ = ["WarmKernelEngine"]


class _ClientOnRunningKernel(PapermillNotebookClient):
    def __init__(self, nb_man: Any, km: Any = None, kc: Any = None, **kw: Any) -> None:
        super().__init__(nb_man, km=km, **kw)
        self.kc = kc  # nbclient resets kc in __init__; keep the caller's connected client


class WarmKernelEngine(NBClientEngine):
    """``papermill.execute_notebook(engine_name="medgym-warm", km=..., kc=..., executed=[])``: ``km``
    (started) and ``kc`` (connected) are optional; ``executed`` receives the notebook as far as it ran."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: Any = None,
        **kwargs: Any,
    ) -> Any:
        executed = kwargs.pop("executed", None)
        _prepare(nb_man.nb, kwargs.pop("reset", None))
        safe_kwargs = remove_args(["timeout", "startup_timeout", "input_path"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        try:
            return _ClientOnRunningKernel(nb_man, **final_kwargs).execute()
        finally:
            if executed is not None:
                executed.append(nb_man.nb)


def _tags(cell: Any) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _assigned(source: str) -> set[str] | None:
    """The names a cell of plain assignments binds; None if it does anything else (or does not parse)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    names: set[str] = set()
    for statement in body:
        if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
        else:
            return None
    return names


def _prepare(nb: Any, reset: str | None) -> None:
    """Skip a parameters cell that the injected one wholly overrides, and put ``reset`` first."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    parameters = next((c for c in code if "parameters" in _tags(c)), None)
    injected = next((c for c in code if "injected-parameters" in _tags(c)), None)
    if parameters is not None and injected is not None:
        defaults, given = _assigned(parameters.source), _assigned(injected.source)
        if defaults is not None and given is not None and defaults <= given:
            parameters.metadata["tags"] = [*_tags(parameters), "skip-execution"]
    if reset is None:
        return
    runs_first = next((c for c in code if "skip-execution" not in _tags(c)), None)
    if runs_first is not None and any(runs_first is c for c in (parameters, injected)):
        runs_first.source = f"{reset}\n{runs_first.source}"
    else:
        cell = nbformat.v4.new_code_cell(reset, metadata={"tags": ["medgym-reset"]})
        if nb.cells and "papermill" in nb.cells[0].metadata:  # papermill already tracks the other cells
            cell.metadata["papermill"] = dict(nb.cells[0].metadata["papermill"])
        nb.cells.insert(0, cell)
