"""The bubblewrap sandbox: a kernel provisioner that runs each kernel in its own namespaces.

Inside: no network (only a private ``lo``), its own pid/ipc/uts namespaces, the system and the Python
environment read-only (less medgym_nb itself and its installed data), the task's declared data entries read-only in
``<workdir>/data``, a private writable work directory, a size-capped tmpfs ``/tmp``, a scrubbed environment,
rlimits via ``prlimit``. When we are root the kernel also drops to an unprivileged uid of its own
(``setpriv``), so the process limit is real (Linux does not enforce RLIMIT_NPROC for root) and a kernel
cannot touch another kernel's files.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .limits import SandboxLimits
from .provisioners import DATA_MOUNT, NOTEBOOK_DIR, SANDBOX_TMP, SandboxedProvisioner

__all__ = ["BubblewrapProvisioner", "bwrap_status", "sandbox_command", "sandbox_env"]

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")


def _python_dirs() -> list[str]:
    """Where this Python lives (venv and base installation), unless the system binds cover it."""
    seen: list[str] = []
    for p in (
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
    ):
        real = os.path.realpath(p)
        if not any(real == d or real.startswith(d + "/") for d in (*SYSTEM_DIRS, *seen)):
            seen.append(real)
    return seen


PACKAGE_DIR = os.path.realpath(Path(__file__).parents[1])
"""medgym_nb's own directory: its suites' generators, solvers and grader notebooks are no code for agents."""


def _hidden_dirs(bound: list[str]) -> list[str]:
    """What a bound directory brings in that agent code must not read: installed data files of ours
    (``<prefix>/share/medgym``) and, when it is installed into a bound environment (``pip install .``, a
    wheel), the ``medgym_nb`` package itself. Kernels need only ipykernel."""
    found = {os.path.realpath(os.path.join(p, "share", "medgym")) for p in (sys.prefix, sys.base_prefix)}
    found.add(PACKAGE_DIR)
    return sorted(
        d for d in found if os.path.isdir(d) and any(d == b or d.startswith(b + "/") for b in bound)
    )


class _Args:
    """bwrap arguments, creating missing parent directories world-readable (bwrap makes them 0700)."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.made: set[str] = {"/", SANDBOX_TMP, *SYSTEM_DIRS}

    def add(self, *args: str) -> None:
        self.args += args

    def parents(self, path: str) -> None:
        parts = Path(path).parents
        for parent in reversed([str(p) for p in parts]):
            if parent not in self.made:
                self.made.add(parent)
                self.add("--perms", "0755", "--dir", parent)
        self.made.add(path)

    def bind(self, flag: str, src: str, dest: str) -> None:
        self.parents(dest)
        self.add(flag, src, dest)

    def empty(self, path: str) -> None:
        """An empty read-only directory at ``path`` (a tmpfs), e.g. to mask what a bind brought in."""
        self.parents(path)
        self.add("--perms", "0555", "--tmpfs", path, "--remount-ro", path)

    def data(self, data: Mapping[str, str], target: str) -> None:
        """Each data entry read-only as ``<target>/<name>``, in a directory of their own: nothing else of the
        host folders they come from is visible, and no mount point is made on the host."""
        self.parents(target)
        self.add("--perms", "0755", "--tmpfs", target)
        for name, src in data.items():
            self.add("--ro-bind", src, f"{target}/{name}")
        self.add("--remount-ro", target)


def sandbox_env(home: str, environment: str | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed kernel (nothing of the host's); ``environment``: a kernel
    environment's directory, whose ``bin`` then comes first on PATH instead of medgym's."""
    bin_dir = os.path.join(environment, "bin") if environment else os.path.dirname(sys.executable)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": SANDBOX_TMP,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_NO_INPUT": "1",
        "MALLOC_ARENA_MAX": "2",
    }


def sandbox_command(
    cmd: list[str],
    *,
    workdir: str,
    home: str,
    private_workdir: bool = True,
    runtime_dir: str,
    data: Mapping[str, str],
    limits: SandboxLimits,
    uid: int | None,
    data_target: str | None = None,
    caps: tuple[str, ...] = (),
    environment: str | None = None,
) -> list[str]:
    """The full command line: bwrap's set-up, then (as root) setpriv, then prlimit, then ``cmd``.

    ``data`` maps names to real host paths (see ``checked_data``); ``data_target`` is the directory they
    appear in (default ``<workdir>/data``); ``caps`` are capabilities the command keeps as root of the
    sandbox (bwrap drops all others; needs root, so no user namespace); ``environment`` is a kernel
    environment's directory, bound read-only at its own path (its venv names that path).
    """
    a = _Args()
    a.add("bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")
    if uid is None and not caps:
        a.add("--unshare-user")
    a.add("--die-with-parent", "--new-session", "--hostname", "sandbox")
    for d in SYSTEM_DIRS:
        a.add("--ro-bind-try", d, d)
    a.add("--proc", "/proc", "--dev", "/dev")
    # /tmp first: a bind under /tmp made before it would be hidden by the tmpfs
    a.add("--perms", "1777", "--size", str(limits.tmp_size_mb * 1024 * 1024), "--tmpfs", SANDBOX_TMP)
    cwd = workdir if private_workdir else NOTEBOOK_DIR
    bound = [*SYSTEM_DIRS, *_python_dirs()]
    for d in bound[len(SYSTEM_DIRS) :]:
        a.bind("--ro-bind", d, d)
    if environment is not None:
        a.bind("--ro-bind", environment, environment)
    for d in _hidden_dirs(bound):
        a.empty(d)
    a.bind("--bind", runtime_dir, runtime_dir)
    # An episode's work dir is private and writable; a directory someone else chose (papermill's or
    # JupyterLab's cwd) is only read, at a neutral path, and HOME is a private directory in the runtime dir.
    a.bind("--bind" if private_workdir else "--ro-bind", workdir, cwd)
    if data:
        a.data(data, data_target or os.path.join(workdir, DATA_MOUNT))
    for cap in caps:
        a.add("--cap-add", cap)
    a.add("--chdir", cwd, "--clearenv")
    for key, value in {**sandbox_env(home, environment), **limits.thread_env()}.items():
        a.add("--setenv", key, value)
    a.add("--")
    if uid is not None:
        a.add(
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
        )
    a.add("prlimit", *limits.prlimit_args(), "--")
    return a.args + list(cmd)


@functools.cache
def bwrap_status() -> tuple[bool, str]:
    """Whether the bubblewrap sandbox works here, and if not, what to do about it."""
    missing = [tool for tool in ("bwrap", "prlimit", "setpriv") if shutil.which(tool) is None]
    if missing:
        return False, (
            f"{', '.join(missing)} not found: install Debian's bubblewrap and util-linux "
            "(apt-get install bubblewrap util-linux; `make setup` does this as root)"
        )
    probe = ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    if os.geteuid() != 0:
        probe.insert(1, "--unshare-user")
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap could not run: {exc}"
    if done.returncode != 0:
        return (
            False,
            f"bwrap cannot create namespaces here ({done.stderr.strip()}); user namespaces may be disabled",
        )
    return True, "ok"


class BubblewrapProvisioner(SandboxedProvisioner):
    """Runs the kernel inside bubblewrap. Use a kernelspec with ``interrupt_mode: message``: signals sent to
    the launcher's process group do not reach a kernel in its own session."""

    runs_in = "bwrap"

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        kwargs = await super().pre_launch(**kwargs)
        assert self.runtime_dir is not None
        kwargs["cmd"] = sandbox_command(
            kwargs["cmd"],
            workdir=self.workdir,
            home=self.home,
            private_workdir=self.private_workdir,
            runtime_dir=self.runtime_dir,
            data=self.data,
            limits=self.limits,
            uid=self.uid,
            environment=self.environment,
        )
        kwargs["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        return kwargs
