"""Run agent code for a grader: in a fresh sandboxed kernel, never on the host, under a time limit.

Grader notebooks are trusted and run on the host; when a grader must execute what the agent wrote (a
function spliced into a hidden program, a script the agent produced), it calls ``run_sandboxed`` with the
episode's sandbox and limits (``GradingContext.sandbox``, ``GradingContext.limits``) and, for a family with a kernel environment of its own, that
environment (built first if needed). The kernel is started for this one run and destroyed after.

On the shared background loop (the sync façade ``run_sandboxed`` and ``run_sync`` callers: grader notebooks,
whose grader kernel a warm grader keeps for many answers) the kernels come from a pool kept per (sandbox,
limits, environment) that starts the next kernel while the current run goes on, so a grade does not wait for
a kernel start (nor, for a zygote sandbox, start a kernel template) per answer. Each kernel still serves one
run only. Elsewhere (a caller's own event loop, which may close) the pool lives for the one call.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from .._loop import on_background_loop, run_sync
from ..kernel.choice import choose_sandbox
from ..kernel.environments import KernelEnvironment, ensure_environment
from ..kernel.limits import SandboxLimits
from ..kernel.pool import KernelPool

__all__ = [
    "SandboxRun",
    "close_warm_pools",
    "run_cells_sandboxed_async",
    "run_sandboxed",
    "run_sandboxed_async",
]


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
    runs: list[SandboxRun] = []
    async with _pool(kernel_name, limits or SandboxLimits(), env_dir) as pool:
        lease = await pool.acquire(data, env_dir)
        try:
            for code in cells:
                cell = await lease.kernel.execute(code, timeout=timeout)
                runs.append(SandboxRun(status=cell.status, stdout=cell.stdout, text=cell.text))
                if cell.status == "dead":
                    break
        finally:
            await lease.release()
    return runs


_warm_pools: dict[tuple[str, str, str | None], KernelPool] = {}


@contextlib.asynccontextmanager
async def _pool(kernel_name: str, limits: SandboxLimits, env_dir: Path | None) -> AsyncIterator[KernelPool]:
    """The warm pool for these kernels on the background loop, else a pool for this call only."""
    if not on_background_loop():
        pool = KernelPool(kernel_name, limits=limits)
        try:
            yield pool
        finally:
            await pool.close()
        return
    key = (kernel_name, limits.model_dump_json(), None if env_dir is None else str(env_dir))
    if key not in _warm_pools:
        _warm_pools[key] = KernelPool(kernel_name, size=1, limits=limits)
    yield _warm_pools[key]


@atexit.register
def close_warm_pools() -> None:
    """Shut the pools' spare kernels down while the background loop still runs (atexit precedes the end of
    its daemon thread)."""
    pools = list(_warm_pools.values())
    _warm_pools.clear()
    for pool in pools:
        with contextlib.suppress(Exception):
            run_sync(pool.close())


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
