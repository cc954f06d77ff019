"""Kernel provisioners (jupyter_client plugins): they decide where and how an episode's kernel runs.

Registered under the ``jupyter_client.kernel_provisioners`` entry point and named by the kernelspecs in
``kernels/``, so papermill, nbclient and JupyterLab start the same kernels our environment does. Our own
launch keywords (``medgym_data_dir``, ``medgym_limits``) reach ``pre_launch`` through
``KernelManager.start_kernel(**kw)``; every provisioner pops them before the process is started.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from .limits import SandboxLimits

__all__ = [
    "DATA_MOUNT",
    "PRIVATE_WORKDIR_PREFIX",
    "UID_BASE",
    "UID_SPAN",
    "IpcLocalProvisioner",
    "SandboxedProvisioner",
    "scratch_root",
]

PRIVATE_WORKDIR_PREFIX = "medgym-episode-"
"""Work directories named so were made by medgym for one kernel: a sandbox may take them over (chown)."""

UID_BASE, UID_SPAN = 200_000, 60_000
"""Sandboxed kernels run under host uids in this range (one per kernel) when we are root."""
_uids = itertools.count()

SANDBOX_TMP = "/tmp"  # noqa: S108 - a sandbox's own private tmpfs, not the host's /tmp

DATA_MOUNT = "data"
"""Where the task's data directory appears, relative to the kernel's working directory."""


SCRATCH_PREFIX = "medgym-scratch-"


@functools.cache
def scratch_root() -> str:
    """This process's directory for kernels' runtime and work directories (removed at exit).

    One root that a forking template sandbox can bind whole; the directories in it belong to their kernel's
    uid with mode 0700, and the root itself is 0711: a kernel reaches its own directories, lists no other.
    A process killed before its exit handlers ran leaves its root behind; the next one removes it.
    """
    _remove_stale_scratch_roots()
    root = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
    os.chmod(root, 0o711)  # noqa: S103 - kernels may traverse it, not list it; its entries are 0700
    atexit.register(shutil.rmtree, root, True)
    return root


def _remove_stale_scratch_roots() -> None:
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        try:
            pid = int(path.name[len(SCRATCH_PREFIX) :].split("-", 1)[0])
            if path.stat().st_uid != os.geteuid() or Path(f"/proc/{pid}").exists():
                continue  # not ours, or its process (or one that reused its pid) is alive
        except (ValueError, OSError):
            continue
        shutil.rmtree(path, ignore_errors=True)


class IpcLocalProvisioner(LocalProvisioner):  # type: ignore[misc]
    """A local kernel (no isolation) that talks over ZMQ ``ipc`` sockets in a private runtime directory.

    No TCP ports: nothing to race for when many kernels start at once, nothing exposed on the network, and
    the directory is exactly what a sandboxing subclass binds into its sandbox. Kernel managers call
    ``pre_launch`` before every (re)start and ``cleanup`` after every stop; the directory lives until the
    final, non-restart cleanup. The task's data directory is linked as ``data/`` in the working directory.
    """

    runtime_dir: str | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        data_dir = kwargs.pop("medgym_data_dir", None)
        self.limits = kwargs.pop("medgym_limits", None) or SandboxLimits()
        km = self.parent
        if km is not None:
            if self.runtime_dir is None:
                self.runtime_dir = tempfile.mkdtemp(prefix="medgym-kernel-", dir=scratch_root())
            km.transport = "ipc"
            km.ip = os.path.join(self.runtime_dir, "kernel")
            km.connection_file = os.path.join(self.runtime_dir, "connection.json")
        kwargs = await super().pre_launch(**kwargs)
        self.expose_data(data_dir, kwargs.get("cwd"))
        # Agent code can write to the kernel's own stdout/stderr file descriptors (os.write(2, ...)); that
        # must not reach the host's terminal. What the agent should see travels over iopub.
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        return kwargs

    def expose_data(self, data_dir: str | None, cwd: str | None) -> None:
        """Make ``data_dir`` visible as ``<cwd>/data`` (a symlink; sandboxes bind it read-only instead)."""
        if data_dir and cwd:
            link = Path(cwd) / DATA_MOUNT
            if not link.exists():
                link.symlink_to(Path(data_dir).resolve())

    async def wait(self) -> int | None:
        while self.process is not None and await self.poll() is None:  # jupyter_client sleeps 0.1 s
            await asyncio.sleep(0.005)
        return await super().wait()

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart and self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None


def next_sandbox_uid() -> int:
    return UID_BASE + (os.getpid() * 131 + next(_uids)) % UID_SPAN


class SandboxedProvisioner(IpcLocalProvisioner):
    """What every sandbox shares: a host uid of the kernel's own, the directories it may write, data by mount.

    As root, the kernel runs under an unprivileged uid from ``UID_BASE`` (Linux never enforces RLIMIT_NPROC
    for root, and a kernel must not touch another kernel's files); the runtime directory and a work directory
    medgym made for this kernel are given to that uid. A directory someone else chose as cwd (papermill's,
    JupyterLab's) is never chowned: sandboxes mount it read-only and give the kernel a private HOME instead.
    """

    workdir: str = ""
    private_workdir: bool = True
    uid: int | None = None
    data_dir: str | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        kwargs = await super().pre_launch(**kwargs)
        assert self.runtime_dir is not None
        self.workdir = os.path.realpath(kwargs.get("cwd") or os.getcwd())
        self.private_workdir = Path(self.workdir).name.startswith(PRIVATE_WORKDIR_PREFIX)
        if not self.private_workdir:
            os.makedirs(self.home, exist_ok=True)
        self.uid = next_sandbox_uid() if os.geteuid() == 0 else None
        if self.uid is not None:
            owned = [self.runtime_dir, *map(str, Path(self.runtime_dir).iterdir())]
            for path in [*owned, self.workdir] if self.private_workdir else owned:
                os.chown(path, self.uid, self.uid)
        return kwargs

    @property
    def home(self) -> str:
        assert self.runtime_dir is not None
        return self.workdir if self.private_workdir else os.path.join(self.runtime_dir, "home")

    def expose_data(self, data_dir: str | None, cwd: str | None) -> None:
        self.data_dir = data_dir  # mounted read-only by the sandbox instead of linked
