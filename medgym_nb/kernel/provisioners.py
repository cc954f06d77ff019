"""Kernel provisioners (jupyter_client plugins): they decide where and how an episode's kernel runs.

Registered under the ``jupyter_client.kernel_provisioners`` entry point and named by the kernelspecs in
``kernels/``, so papermill, nbclient and JupyterLab start the same kernels our environment does. Our own
launch keywords reach ``pre_launch`` through ``KernelManager.start_kernel(**kw)``; every provisioner pops
them before the process is started:

- ``medgym_data``: ``{name: absolute host path}`` (a file or a directory). Each entry appears read-only as
  ``<cwd>/data/<name>`` and nothing else of the host folder it sits in does: a task file next to the
  database holds every answer. Names are single path components; a missing path fails the launch.
- ``medgym_limits``: the ``SandboxLimits`` of a sandboxed kernel.
- ``medgym_environment``: the directory of a built kernel environment (``kernel/environments.py``): the
  kernel runs that environment's ``bin/python``, and a sandbox binds the directory read-only.
- ``medgym_preload``: module names worth importing before the kernel's first cell (the libraries a family
  declares); the zygote sandbox pre-imports them in its template (copy-on-write), the others ignore them.

What the kernel's launcher writes to stderr (bubblewrap's own errors, a traceback at start-up) goes to a file
in the kernel's runtime directory, never to the host's terminal; ``launch_log`` returns its tail so that a
kernel that dies at start says why.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from ..errors import KernelStartError
from .limits import SandboxLimits

__all__ = [
    "DATA_MOUNT",
    "NOTEBOOK_DIR",
    "PRIVATE_WORKDIR_PREFIX",
    "UID_BASE",
    "UID_SPAN",
    "IpcLocalProvisioner",
    "SandboxedProvisioner",
    "checked_data",
    "checked_environment",
    "log_tail",
    "scratch_root",
    "tail_text",
]

PRIVATE_WORKDIR_PREFIX = "medgym-episode-"
"""Work directories named so were made by medgym for one kernel: a sandbox may take them over (chown)."""

UID_BASE, UID_SPAN = 200_000, 60_000
"""Sandboxed kernels run under host uids in this range (one per kernel) when we are root."""
_uids = itertools.count()

SANDBOX_TMP = "/tmp"  # noqa: S108 - a sandbox's own private tmpfs, not the host's /tmp

DATA_MOUNT = "data"
"""Where the task's data files appear, relative to the kernel's working directory."""

NOTEBOOK_DIR = "/notebook"
"""Where a sandbox shows a work directory someone else chose (papermill's or JupyterLab's cwd), read-only,
as the kernel's cwd. A neutral path: that directory at its own path could cover the sandbox's own mounts
(its ``/tmp``, the Python environment under a ``$HOME`` or a project folder)."""

KERNEL_LOG = "launcher-stderr.log"
LOG_LINES, LOG_CHARS = 20, 2000
"""How much of a launcher's stderr a start-up error quotes."""


def checked_data(data: Mapping[str, str] | None) -> dict[str, str]:
    """``medgym_data`` checked and resolved: ``{name: real host path}``, sorted by name.

    A name is one plain path component (so an entry can never land outside ``data/``); a path must be
    absolute and exist now, so that a typo fails the launch instead of mounting nothing.
    """
    checked: dict[str, str] = {}
    for name, path in sorted((data or {}).items()):
        if name in {"", ".", ".."} or "/" in name or "\0" in name:
            raise KernelStartError(
                f"data entry name {name!r} is not a plain file name (no '/', not '.' or '..')"
            )
        if not os.path.isabs(path):
            raise KernelStartError(f"data entry {name!r}: {path!r} is not an absolute path")
        real = os.path.realpath(path)
        if not os.path.exists(real):
            raise KernelStartError(f"data entry {name!r}: {path} does not exist")
        checked[name] = real
    return checked


def checked_environment(path: str | os.PathLike[str] | None) -> str | None:
    """``medgym_environment`` resolved: the real path of a directory holding ``bin/python``, or None."""
    if path is None:
        return None
    real = os.path.realpath(path)
    if not os.path.isfile(os.path.join(real, "bin", "python")):
        raise KernelStartError(f"kernel environment {path}: no bin/python there (is it built?)")
    return real


def tail_text(text: str) -> str:
    """The end of a launcher's stderr, short enough for an error message (``LOG_LINES``, ``LOG_CHARS``)."""
    return "\n".join(text[-LOG_CHARS:].strip().splitlines()[-LOG_LINES:])


def log_tail(path: str) -> str:
    """``tail_text`` of a log file, reading only its end ("" if there is none)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - LOG_CHARS))
            return tail_text(log.read().decode(errors="replace"))
    except OSError:
        return ""


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
        _kill_orphans_of(str(path))
        shutil.rmtree(path, ignore_errors=True)


def _kill_orphans_of(root: str) -> None:
    """Kill what still runs from a dead process's scratch root: orphaned sandboxes.

    A launcher killed between starting ``bwrap`` and bwrap's own ``PR_SET_PDEATHSIG`` leaves the sandbox
    running with init as its parent (``--die-with-parent`` cannot help then). Such a process names a path
    under the root in its command line (its binds, its connection file); nothing else does.
    """
    marker = (root + "/").encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


class IpcLocalProvisioner(LocalProvisioner):  # type: ignore[misc]
    """A local kernel (no isolation) that talks over ZMQ ``ipc`` sockets in a private runtime directory.

    No TCP ports: nothing to race for when many kernels start at once, nothing exposed on the network, and
    the directory is exactly what a sandboxing subclass binds into its sandbox. Kernel managers call
    ``pre_launch`` before every (re)start and ``cleanup`` after every stop; the directory lives until the
    final, non-restart cleanup. The task's data entries are linked in a ``data/`` directory in the working
    directory (no isolation here: the links only give the same layout as the sandboxes).
    """

    runs_in: str = "local"
    """The sandbox the launched kernel actually runs in (recorded with the episode)."""

    runtime_dir: str | None = None
    data: Mapping[str, str]
    environment: str | None = None
    preload: tuple[str, ...] = ()
    startup_code_ran: bool = False
    """Whether the kernel ran its manager's ``startup_code`` before serving (only a zygote kernel can)."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        self.data = checked_data(kwargs.pop("medgym_data", None))
        self.limits = kwargs.pop("medgym_limits", None) or SandboxLimits()
        self.environment = checked_environment(kwargs.pop("medgym_environment", None))
        self.preload = tuple(kwargs.pop("medgym_preload", None) or ())
        km = self.parent
        if km is not None:
            if self.runtime_dir is None:
                self.runtime_dir = tempfile.mkdtemp(prefix="medgym-kernel-", dir=scratch_root())
            km.transport = "ipc"
            km.ip = os.path.join(self.runtime_dir, "kernel")
            km.connection_file = os.path.join(self.runtime_dir, "connection.json")
        kwargs = await super().pre_launch(**kwargs)
        if self.environment is not None:
            kwargs["cmd"] = [os.path.join(self.environment, "bin", "python"), *kwargs["cmd"][1:]]
        self.expose_data(kwargs.get("cwd"))
        # Agent code can write to the kernel's own stdout/stderr file descriptors (os.write(2, ...)); that
        # must not reach the host's terminal. What the agent should see travels over iopub.
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        return kwargs

    def expose_data(self, cwd: str | None) -> None:
        """Link each data entry as ``<cwd>/data/<name>`` (sandboxes bind them read-only instead)."""
        if self.data and cwd:
            folder = Path(cwd) / DATA_MOUNT
            folder.mkdir(exist_ok=True)
            for name, path in self.data.items():
                if not (folder / name).is_symlink():
                    (folder / name).symlink_to(path)

    async def retarget_data(self, data: Mapping[str, str]) -> bool:
        """Point the started kernel at another task's data, if its sandbox can without a restart (only a
        zygote kernel can: see ``ZygoteProvisioner``); False leaves it as it was."""
        return False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Start the process with its stderr in ``launcher-stderr.log``: a sandbox's RLIMIT_FSIZE bounds what
        agent code can write there, and ``launch_log`` reads it when the start fails."""
        assert self.runtime_dir is not None
        with open(os.path.join(self.runtime_dir, KERNEL_LOG), "wb") as log:
            kwargs.setdefault("stderr", log)
            return await super().launch_kernel(cmd, **kwargs)

    async def launch_log(self) -> str:
        """The tail of what the kernel's launcher wrote to stderr ("" if nothing): why a start failed."""
        return log_tail(os.path.join(self.runtime_dir, KERNEL_LOG)) if self.runtime_dir else ""

    async def wait(self) -> int | None:
        while self.process is not None and await self.poll() is None:  # jupyter_client sleeps 0.1 s
            await asyncio.sleep(0.005)
        return await super().wait()

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart and self.runtime_dir is not None:
            runtime_dir, self.runtime_dir = self.runtime_dir, None
            await asyncio.to_thread(shutil.rmtree, runtime_dir, ignore_errors=True)


def next_sandbox_uid() -> int:
    return UID_BASE + (os.getpid() * 131 + next(_uids)) % UID_SPAN


class SandboxedProvisioner(IpcLocalProvisioner):
    """What every sandbox shares: a host uid of the kernel's own, the directories it may write, data by mount.

    As root, the kernel runs under an unprivileged uid from ``UID_BASE`` (Linux never enforces RLIMIT_NPROC
    for root, and a kernel must not touch another kernel's files); the runtime directory and a work directory
    medgym made for this kernel are given to that uid. A directory someone else chose as cwd (papermill's,
    JupyterLab's) is never chowned: sandboxes mount it read-only at ``NOTEBOOK_DIR`` and give the kernel a
    private HOME instead. Data entries need a work directory medgym made: the sandbox mounts them in it.
    """

    workdir: str = ""
    private_workdir: bool = True
    uid: int | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        self.workdir = os.path.realpath(kwargs.get("cwd") or os.getcwd())
        self.private_workdir = Path(self.workdir).name.startswith(PRIVATE_WORKDIR_PREFIX)
        if kwargs.get("medgym_data") and not self.private_workdir:
            raise KernelStartError(
                f"data entries can only be mounted in a work directory medgym made ({PRIVATE_WORKDIR_PREFIX}*), "
                f"not in {self.workdir}, which a sandbox shows read-only"
            )
        kwargs = await super().pre_launch(**kwargs)
        assert self.runtime_dir is not None
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

    @property
    def kernel_cwd(self) -> str:
        """The kernel's working directory as the sandbox shows it."""
        return self.workdir if self.private_workdir else NOTEBOOK_DIR

    def expose_data(self, cwd: str | None) -> None:
        """Nothing to link: the sandbox mounts ``self.data`` read-only."""
