"""Kernels forked from a pre-imported template process: the bubblewrap sandbox without the start-up cost.

A fresh kernel costs ~0.25 s of CPU to start and ~0.2 s more to import pandas; on a machine that runs
rollouts that CPU, not latency, is the limit. A template process ("zygote", ``zygote_main``) imports
ipykernel, numpy and pandas once inside one bubblewrap sandbox and forks each kernel from there, so the
imports are shared copy-on-write. One zygote serves one (data entries, limits, kernel environment,
pre-imports) combination and lives as long as this process. A family's kernel environment gets templates of
its own, run by that environment's Python (it has ipykernel), so its kernels fork too; the pre-imports are
numpy and pandas plus the libraries the family declares (``KernelNeeds.packages``), so an episode's kernel
does not import lifelines or scikit-learn again.

What isolates an episode from the others here: a uid of its own (its directories are 0700, its process
limit is its own, it cannot signal or ptrace another kernel), its own session and rlimits, no new
privileges, and — shared with its siblings but not with the host — no network, a read-only system, a size-
capped ``/tmp`` and a pid namespace. What per-kernel bubblewrap adds on top (a private pid/network
namespace and ``/tmp`` per kernel) is why ``bwrap`` stays the default; ``zygote`` is for throughput. It
needs root (for the uids); elsewhere, and for kernels started with a directory medgym did not make as cwd
(papermill's, JupyterLab's), the provisioner starts a per-kernel bubblewrap sandbox instead.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo

from ..errors import KernelStartError
from .bwrap import BubblewrapProvisioner, sandbox_command, sandbox_env
from .limits import SandboxLimits
from .provisioners import DATA_MOUNT, SANDBOX_TMP, log_tail, scratch_root

__all__ = ["Zygote", "ZygoteProvisioner", "close_templates", "zygote_for"]

TEMPLATE_DATA = "/medgym-data"
"""Where the template's sandbox shows the data entries (each kernel's ``data`` links there): a neutral path,
so the host's directory names (e.g. ``$MEDGYM_HOME``) are not even visible as empty directories."""
ZYGOTE_MARK = "medgym-kernel-template"  # its argv[1], to find it among bwrap's processes


def _readable(fd: int, timeout: float) -> bool:
    """poll(2), not select(2): a driver with many kernels has descriptors beyond select's 1024."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _ns_pid(pid: int) -> int | None:
    """The pid of host process ``pid`` in its innermost pid namespace."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except OSError:
        return None
    return None


def kill_uid(uid: int) -> None:
    """SIGKILL every process running under ``uid`` (a sandbox uid of ours: one kernel and its children)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


@functools.cache
def _template_script() -> str:
    """``zygote_main.py`` copied into the scratch root: the sandbox sees the environment's site-packages
    but not an editable checkout of medgym."""
    script = Path(scratch_root()) / "kernel-template.py"
    script.write_text(Path(__file__).with_name("zygote_main.py").read_text())
    script.chmod(0o644)
    return str(script)


BASE_PRELOAD = ("numpy", "pandas")
"""What every template pre-imports besides the kernel stack (when its environment has them). Plotting is a
family's to declare (matplotlib in its ``KernelNeeds.packages``): carried by every template, matplotlib added
~28 MB and ~160 modules that each kernel's fork and exit paid for (~3 ms of CPU a kernel), for tasks that never
plot."""


class Zygote:
    """The driver's handle on one template process; ``fork`` is thread-safe and returns a host pid.

    ``environment``: a built kernel environment's directory (None: medgym's own); ``preload``: modules to
    pre-import besides ``BASE_PRELOAD`` (skipped where the environment lacks them)."""

    def __init__(
        self,
        data: Mapping[str, str],
        limits: SandboxLimits,
        environment: str | None = None,
        preload: tuple[str, ...] = (),
    ) -> None:
        self.limits = limits
        scratch = scratch_root()
        python = sys.executable if environment is None else os.path.join(environment, "bin", "python")
        modules = list(dict.fromkeys((*BASE_PRELOAD, *preload)))
        cmd = sandbox_command(
            [python, _template_script(), *modules, ZYGOTE_MARK],
            workdir=scratch,
            home=scratch,
            runtime_dir=scratch,
            data=data,
            data_target=TEMPLATE_DATA,
            # the kernels set the episode's limits themselves; the template's own CPU time (a few ms per
            # fork) must not run out on a run of a million episodes, which would take its kernels down
            limits=limits.model_copy(update={"cpu_seconds": 10**9}),
            uid=None,
            caps=("CAP_SETUID", "CAP_SETGID"),
            environment=environment,
        )
        # bwrap's and the template's own errors (its kernels write nothing here: their stdio is /dev/null);
        # 0600 in the scratch root, so no kernel reads it
        fd, self.log_path = tempfile.mkstemp(prefix="kernel-template-", suffix=".log", dir=scratch)
        # Started from the calling (event-loop) thread: bwrap's --die-with-parent follows the thread.
        with os.fdopen(fd, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
        self._lock = threading.Lock()
        self._host_pid: int | None = None

    def _error(self, message: str) -> KernelStartError:
        """``message`` and the tail of the template's stderr, which says why when it died."""
        log = log_tail(self.log_path)
        return KernelStartError(f"{message}\n--- its stderr ended with ---\n{log}" if log else message)

    def wait_ready(self, timeout: float = 120.0) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline() if _readable(self.proc.stdout.fileno(), timeout) else ""
        if not line.strip().startswith('{"ready"'):
            error = self._error(f"the kernel template process did not start (got {line.strip()!r})")
            self.close()
            raise error
        self._host_pid = self._find_template()

    def _find_template(self) -> int:
        """bwrap → its init (pid 1 inside) → the template (pid 2): walk down to the python process."""
        frontier = [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.endswith(ZYGOTE_MARK.encode() + b"\0") and not cmdline.startswith(b"bwrap"):
                return pid
            frontier += _children(pid)
        raise KernelStartError("the kernel template process vanished")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, request: dict[str, Any]) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None and self._host_pid
        with self._lock:
            try:
                self.proc.stdin.write(json.dumps(request) + "\n")
                self.proc.stdin.flush()
                reply = json.loads(self.proc.stdout.readline() or "{}")
            except (OSError, ValueError) as exc:
                raise self._error(f"the kernel template process failed: {exc}") from exc
            if "pid" not in reply:
                raise self._error(f"the kernel template process could not fork: {reply.get('error')}")
            for child in _children(self._host_pid):
                if _ns_pid(child) == reply["pid"]:
                    return child
        raise KernelStartError("the forked kernel exited at once")

    def remove_files_of(self, uid: int) -> None:
        """Delete what ``uid`` left in the sandbox's shared scratch places (``/tmp``, ``/dev/shm``), so the
        next kernel forked here finds them as the last one found them. Reached through the template's root
        in /proc: its tmpfs exists only in its mount namespace."""
        if self._host_pid is None:
            return
        root = Path(f"/proc/{self._host_pid}/root")
        for shared in (SANDBOX_TMP, "/dev/shm"):  # noqa: S108 - the sandbox's own tmpfs, seen from outside
            try:
                entries = list((root / shared.lstrip("/")).iterdir())
            except OSError:
                continue
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.lstat().st_uid != uid:
                        continue
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry, ignore_errors=True)
                    else:
                        entry.unlink()

    def close(self) -> None:
        """Closing stdin ends the template; its sandbox (and any kernel still in it) goes with it."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)


_zygotes: dict[str, Zygote] = {}
_registry_lock = threading.Lock()


async def zygote_for(
    data: Mapping[str, str],
    limits: SandboxLimits,
    environment: str | None = None,
    preload: tuple[str, ...] = (),
) -> Zygote:
    """The running template for (data entries, limits, kernel environment, pre-imports), started on first
    use; ``data`` as ``checked_data`` returns it, ``environment`` as ``checked_environment``."""
    key = json.dumps([sorted(data.items()), limits.model_dump_json(), environment, sorted(set(preload))])
    with _registry_lock:
        zygote = _zygotes.get(key)
        if zygote is not None and not zygote.alive():
            zygote = None
        if zygote is None:
            zygote = _zygotes[key] = Zygote(data, limits, environment, preload)
            fresh = True
        else:
            fresh = False
    if fresh:
        try:
            await asyncio.to_thread(zygote.wait_ready)
        except BaseException:
            with _registry_lock:
                _zygotes.pop(key, None)
            raise
    elif zygote._host_pid is None:  # another caller is still waiting for it
        while zygote._host_pid is None and zygote.alive():
            await asyncio.sleep(0.02)
    return zygote


@atexit.register
def close_templates() -> None:
    """Stop every template process of this process (and any kernel still forked from one)."""
    with _registry_lock:
        for zygote in _zygotes.values():
            zygote.close()
        _zygotes.clear()


PER_KERNEL_FILE_MAX = 1 << 20
"""Data files smaller than this are copied into each kernel's ``data/`` instead of bound into its template: a
task's own small file (a note, a question's table) would otherwise start a template per task, ~1 s of CPU
and a resident process each, for the life of the driver."""


def split_data(data: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(entries the template binds: directories and large files, entries copied per kernel: small files)."""
    shared: dict[str, str] = {}
    own: dict[str, str] = {}
    for name, path in data.items():
        small = os.path.isfile(path) and os.path.getsize(path) < PER_KERNEL_FILE_MAX
        (own if small else shared)[name] = path
    return shared, own


def link_data(folder: Path, shared: Mapping[str, str], own: Mapping[str, str]) -> None:
    """The kernel's ``data/``: a link to the template's data when it holds every entry, else a root-owned
    directory of links to the template's entries and read-only copies of the small files (the kernel's uid
    can read them but neither change nor add to them)."""
    if folder.exists() or folder.is_symlink() or not (shared or own):
        return
    if not own:
        folder.symlink_to(TEMPLATE_DATA)
        return
    folder.mkdir(mode=0o755)
    for name in shared:
        (folder / name).symlink_to(f"{TEMPLATE_DATA}/{name}")
    for name, path in own.items():
        shutil.copyfile(path, folder / name)
        (folder / name).chmod(0o444)
    folder.chmod(0o555)


def _relink_data(folder: Path, shared: Mapping[str, str], own: Mapping[str, str]) -> None:
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)
    link_data(folder, shared, own)


class ZygoteProvisioner(BubblewrapProvisioner):
    """Forks the kernel from the template for its data entries (see the module docstring)."""

    runs_in = "zygote"
    pidfd: int | None = None
    forked_pid: int | None = None
    zygote: Zygote | None = None

    def _forkable(self) -> bool:
        return (
            self.uid is not None
            and self.private_workdir
            and Path(self.workdir).parent == Path(scratch_root())
        )

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        if not self._forkable():
            self.runs_in = "bwrap"
            return await super().launch_kernel(cmd, **kwargs)
        self.runs_in = "zygote"
        assert self.runtime_dir is not None and self.uid is not None
        shared, own = split_data(self.data)
        zygote = self.zygote = await zygote_for(shared, self.limits, self.environment, self.preload)
        link_data(Path(self.workdir) / DATA_MOUNT, shared, own)
        km = self.parent
        assert km is not None
        startup_code = getattr(km, "startup_code", None)
        request = {
            "connection_file": km.connection_file,
            "startup_code": startup_code,
            "cwd": self.workdir,
            "uid": self.uid,
            "rlimits": self.limits.rlimits(),
            "env": {
                **sandbox_env(self.home, self.environment),
                **self.limits.thread_env(),
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            },
        }
        self.forked_pid = await asyncio.to_thread(zygote.fork, request)
        self.pidfd = os.pidfd_open(self.forked_pid)
        self.pid = self.forked_pid
        self.startup_code_ran = startup_code is not None  # or the kernel exited, which the handshake says
        return self.connection_info

    async def retarget_data(self, data: Mapping[str, str]) -> bool:
        """Give this started, still unused kernel another task's data when its template holds the same shared
        entries: only the small files copied into its ``data/`` differ (one note per task, say), so a warm
        kernel serves the next task instead of being replaced. The folder is root's and the kernel has run no
        code of an agent's yet, so swapping it is safe."""
        if self.pidfd is None or self.workdir is None:
            return False
        shared, own = split_data(data)
        if shared != split_data(self.data)[0]:
            return False
        folder = Path(self.workdir) / DATA_MOUNT
        await asyncio.to_thread(_relink_data, folder, shared, own)
        self.data = dict(data)
        return True

    @property
    def has_process(self) -> bool:
        return self.pidfd is not None or super().has_process

    async def poll(self) -> int | None:
        if self.pidfd is None:
            return await super().poll()
        return 0 if _readable(self.pidfd, 0) else None

    async def wait(self) -> int | None:
        if self.pidfd is None:
            return await super().wait()
        if await self.poll() is None:  # a pidfd turns readable when its process exits
            loop = asyncio.get_running_loop()
            exited = loop.create_future()
            loop.add_reader(self.pidfd, lambda: None if exited.done() else exited.set_result(None))
            try:
                await exited
            finally:
                loop.remove_reader(self.pidfd)
        return 0

    async def send_signal(self, signum: int) -> None:
        if self.pidfd is None:
            return await super().send_signal(signum)
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self.pidfd, signum)

    async def kill(self, restart: bool = False) -> None:
        if self.pidfd is None:
            return await super().kill(restart)
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        if self.pidfd is None:
            return await super().terminate(restart)
        await self.send_signal(signal.SIGTERM)

    async def cleanup(self, restart: bool = False) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = self.forked_pid = None
            assert self.uid is not None
            kill_uid(self.uid)  # whatever the kernel left running (daemons, forks) goes with it
            if self.zygote is not None:
                self.zygote.remove_files_of(self.uid)
        await super().cleanup(restart=restart)
