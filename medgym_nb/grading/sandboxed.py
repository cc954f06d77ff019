"""Run agent code for a grader: in a fresh sandboxed kernel, never on the host, under a time limit.

Grader notebooks are trusted and run on the host; when a grader must execute what the agent wrote (a
function spliced into a hidden program, a script the agent produced), it calls ``run_sandboxed`` with the
episode's sandbox and limits (``GradingContext.sandbox``, ``GradingContext.limits``) and, for a family with a kernel environment of its own, that
environment (built first if needed). The kernel is started for this one run and destroyed after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from .._loop import run_sync
from ..kernel.choice import choose_sandbox
from ..kernel.environments import KernelEnvironment, ensure_environment
from ..kernel.limits import SandboxLimits
from ..kernel.pool import KernelPool

__all__ = ["SandboxRun", "run_cells_sandboxed_async", "run_sandboxed", "run_sandboxed_async"]


class SandboxRun(BaseModel):
    """What the code did: ``status`` as a cell's (ok, error, timeout, dead), its stdout, the full text."""

    status: str
    stdout: str
    text: str


async def run_sandboxed_async(
    code: str,
    *,
    sandbox: str = "auto",
    timeout: float = 60.0,
    data: Mapping[str, str] | None = None,
    limits: SandboxLimits | None = None,
    environment: KernelEnvironment | None = None,
) -> SandboxRun:
    """Run ``code`` in a new kernel of ``sandbox`` (in ``environment``, if given); ``data`` is exposed
    read-only under ``data/``."""
    [run] = await run_cells_sandboxed_async(
        [code], sandbox=sandbox, timeout=timeout, data=data, limits=limits, environment=environment
    )
    return run


async def run_cells_sandboxed_async(
    cells: Sequence[str],
    *,
    sandbox: str = "auto",
    timeout: float = 60.0,
    data: Mapping[str, str] | None = None,
    limits: SandboxLimits | None = None,
    environment: KernelEnvironment | None = None,
) -> list[SandboxRun]:
    """Run ``cells`` one after another in one new kernel (``timeout`` seconds each), as
    ``run_sandboxed_async`` runs one: each cell's output is capped on its own, so many cells may together
    print more than one may. Stops after a cell that killed the kernel: the list is then shorter than
    ``cells`` and its last run is ``dead``."""
    _name, kernel_name = choose_sandbox(sandbox)
    env_dir = None if environment is None else await asyncio.to_thread(ensure_environment, environment)
    pool = KernelPool(kernel_name, limits=limits)
    runs: list[SandboxRun] = []
    try:
        lease = await pool.acquire(data, env_dir)
        try:
            for code in cells:
                cell = await lease.kernel.execute(code, timeout=timeout)
                runs.append(SandboxRun(status=cell.status, stdout=cell.stdout, text=cell.text))
                if cell.status == "dead":
                    break
        finally:
            await lease.release()
    finally:
        await pool.close()
    return runs


def run_sandboxed(
    code: str,
    *,
    sandbox: str = "auto",
    timeout: float = 60.0,
    data: Mapping[str, str] | None = None,
    limits: SandboxLimits | None = None,
    environment: KernelEnvironment | None = None,
) -> SandboxRun:
    """Sync façade of ``run_sandboxed_async`` (for grader notebooks)."""
    return run_sync(
        run_sandboxed_async(
            code, sandbox=sandbox, timeout=timeout, data=data, limits=limits, environment=environment
        )
    )
