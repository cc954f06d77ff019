"""The papermill engine every grading runs through (registered as ``medgym-warm``).

papermill's nbclient engine always builds a fresh kernel client and waits for it to be ready (~0.2 s, on top
of starting a kernel); nbclient itself discards a client handed to it. This engine hands nbclient both the
running kernel manager and its connected client when given them (``km=``, ``kc=``), so a batch grader pays
for neither per notebook; without them it starts a kernel as papermill's own engine does. It also hands the
executed notebook back through ``executed=`` (a list) however the run ends, so a grader that fails or times
out can still be written out, without papermill saving the notebook after every cell (a dozen writes per
grading).
"""

from __future__ import annotations

from typing import Any

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
