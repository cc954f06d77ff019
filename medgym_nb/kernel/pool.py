"""A pool of pre-started kernels: ``reset()`` takes a ready one, and the pool refills in the background.

Each kernel serves exactly one episode and is then destroyed (no state leaks between episodes); speed comes
from starting the next ones while the current episode runs. A kernel is started for a task's data
directory and kernel environment (a sandbox binds both at launch), so warm kernels are kept for the data
and environment asked for last; others are shut down when the demand moves on: a kernel of one environment
is never handed to a task that needs another. A ready kernel whose sandbox can point it at another task's data
before its first cell (a zygote kernel, when only the small files copied into it differ) serves that task.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KernelStartError
from .limits import SandboxLimits
from .outputs import OutputLimits
from .provisioners import PRIVATE_WORKDIR_PREFIX, scratch_root
from .session import KernelSession

__all__ = ["KernelLease", "KernelPool", "PoolStats"]

DataKey = tuple[tuple[tuple[str, str], ...], str | None, tuple[str, ...]]
"""What a warm kernel was started for: its data entries (sorted by name), its kernel environment's directory,
the modules its sandbox may pre-import (``medgym_preload``)."""


def _same_kernel(a: DataKey | None, b: DataKey | None) -> bool:
    """Same kernel environment and pre-imports (only the data may differ): what a ready kernel can never change."""
    return a is not None and b is not None and a[1:] == b[1:]


# matplotlib is left out on purpose: ~0.4 s of CPU per kernel (the import, plus a font cache built in the
# sandbox's fresh HOME) that most tasks never need; on 2 cores CPU, not latency, limits rollouts.
PREIMPORT = "__import__('numpy'); __import__('pandas')"


@dataclass
class KernelLease:
    """A started kernel and its private work directory; ``release`` destroys both."""

    kernel: KernelSession
    workdir: Path
    key: DataKey
    """What it was started for (or last retargeted to)."""

    async def serves(self, key: DataKey) -> bool:
        """Whether this ready kernel can serve ``key``: started for it, or (same kernel environment and
        pre-imports) its sandbox could point it at the other data without a restart."""
        if key == self.key:
            return True
        if not _same_kernel(key, self.key) or not await self.kernel.retarget_data(dict(key[0])):
            return False
        self.key = key
        return True

    async def release(self) -> None:
        try:
            await self.kernel.shutdown(now=True)  # an episode's kernel is never reused: no handshake
        finally:
            await asyncio.to_thread(shutil.rmtree, self.workdir, ignore_errors=True)


@dataclass
class PoolStats:
    warm: int = 0
    cold: int = 0
    failed: int = 0
    start_seconds: list[float] = field(default_factory=list)


class KernelPool:
    """Keeps ``size`` kernels ready (0: start each one on demand). Use from one event loop."""

    def __init__(
        self,
        kernel_name: str,
        *,
        size: int = 0,
        limits: SandboxLimits | None = None,
        output_limits: OutputLimits | None = None,
        preimport: bool = False,
    ) -> None:
        self.kernel_name = kernel_name
        self.size = size
        self.limits = limits or SandboxLimits()
        self.output_limits = output_limits or OutputLimits()
        self.preimport = preimport
        self.stats = PoolStats()
        self._key: DataKey | None = None
        self._ready: deque[KernelLease] = deque()
        self._starting: set[asyncio.Task[None]] = set()
        self._closed = False

    async def _start(self, key: DataKey) -> KernelLease:
        data, environment, preload = key
        workdir = Path(tempfile.mkdtemp(prefix=PRIVATE_WORKDIR_PREFIX, dir=scratch_root()))
        kernel = KernelSession(
            self.kernel_name,
            cwd=workdir,
            limits=self.output_limits,
            launch_kwargs={
                "medgym_data": dict(data),
                "medgym_limits": self.limits,
                "medgym_environment": environment,
                "medgym_preload": preload,
            },
        )
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        lease = KernelLease(kernel, workdir, key)
        try:
            await kernel.start()
            if self.preimport:
                await kernel.execute(PREIMPORT, store_history=False, timeout=120)
        except BaseException:
            await lease.release()
            raise
        self.stats.start_seconds.append(loop.time() - t0)
        return lease

    async def acquire(
        self,
        data: Mapping[str, str] | None = None,
        environment: str | os.PathLike[str] | None = None,
        preload: Sequence[str] = (),
    ) -> KernelLease:
        """A ready kernel whose ``data/`` holds exactly ``data`` (``{name: absolute host path}``, the
        ``medgym_data`` launch keyword), running in kernel ``environment`` (a built environment's directory;
        None: medgym's own), with ``preload`` (modules the task will import) pre-imported where its sandbox
        can do that for free: a warm one if the pool has it, else one started now."""
        if self._closed:
            raise KernelStartError("the kernel pool is closed")
        key: DataKey = (
            tuple(sorted((data or {}).items())),
            None if environment is None else str(environment),
            tuple(sorted(set(preload))),
        )
        if self._key is not None and not _same_kernel(key, self._key):
            await self._drain()  # another kernel environment or pre-imports: no ready kernel can serve it
        self._key = key
        lease = None
        while self._ready and lease is None:
            candidate = self._ready.popleft()
            if await candidate.kernel.is_alive() and await candidate.serves(key):
                lease = candidate
            else:
                await candidate.release()
        if lease is not None:
            self.stats.warm += 1
        else:
            self.stats.cold += 1
            lease = await self._start(key)
        self._refill(key)
        return lease

    def _refill(self, key: DataKey) -> None:
        while not self._closed and len(self._ready) + len(self._starting) < self.size:
            task = asyncio.ensure_future(self._warm_one(key))
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _warm_one(self, key: DataKey) -> None:
        try:
            lease = await self._start(key)
        except Exception:
            self.stats.failed += 1
            return
        if self._closed or not _same_kernel(key, self._key):
            await lease.release()
        else:
            self._ready.append(lease)

    async def _drain(self) -> None:
        ready, self._ready = list(self._ready), deque()
        await asyncio.gather(*(lease.release() for lease in ready), return_exceptions=True)

    async def close(self) -> None:
        """Shut down every warm kernel and stop refilling; idempotent."""
        self._closed = True
        for task in list(self._starting):
            task.cancel()
        for task in list(self._starting):
            with contextlib.suppress(BaseException):
                await task
        await self._drain()
