"""The docker sandbox: one container per kernel, through the Docker API (Docker, or podman's service).

``network_mode="none"``, read-only root, tmpfs ``/tmp``, all capabilities dropped, no-new-privileges,
memory/pids limits and rlimits from ``SandboxLimits``, an unprivileged uid. The runtime directory (ipc
sockets and connection file) and an episode's work directory are bind-mounted at the same paths as on the
host, so no port is published and the connection file needs no rewriting; each declared data entry is
mounted read-only in ``<workdir>/data``. A work directory someone else chose is mounted read-only at
``NOTEBOOK_DIR``. The image holds only the Python packages of ``kernels/requirements.txt``: no medgym, no
grader notebook, no task file.
Containers are labelled as ours and named after the kernel; containers left by a crashed run are removed
the next time a process connects. ``DOCKER_HOST`` selects the engine, ``MEDGYM_KERNEL_IMAGE`` the image.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo

from ..errors import KernelStartError, SandboxUnavailableError
from .provisioners import DATA_MOUNT, LOG_LINES, SANDBOX_TMP, SandboxedProvisioner, tail_text

__all__ = ["DockerProvisioner", "docker_client", "docker_status", "kernel_image", "remove_stale_containers"]

LABEL = "org.medgym.kernel"
OWNER_LABEL = "org.medgym.owner-pid"
IMAGE_PYTHON = "/opt/venv/bin/python"


def kernel_image() -> str:
    return os.environ.get("MEDGYM_KERNEL_IMAGE", "localhost/medgym-kernel:latest")


@functools.cache
def docker_client() -> Any:
    """A client for ``DOCKER_HOST`` (cached per process); stale containers of dead runs are removed first."""
    try:
        import docker
    except ImportError as exc:
        raise SandboxUnavailableError(
            "the docker sandbox needs the docker SDK: pip install 'medgym-nb[docker]'"
        ) from exc
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except Exception as exc:
        raise SandboxUnavailableError(
            f"no Docker API engine answers at DOCKER_HOST={os.environ.get('DOCKER_HOST', '(default)')}: {exc}. "
            "Start Docker, or podman's service (kernels/podman-service.sh start) and export DOCKER_HOST"
        ) from None
    remove_stale_containers(client)
    return client


def remove_stale_containers(client: Any) -> int:
    """Remove our containers whose owning process is gone (a crashed or killed run); returns how many."""
    removed = 0
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        owner = container.labels.get(OWNER_LABEL, "")
        if owner.isdigit() and Path(f"/proc/{owner}").exists():
            continue
        container.remove(force=True)
        removed += 1
    return removed


@functools.cache
def docker_status() -> tuple[bool, str]:
    """Whether the docker sandbox can run here (SDK, engine, kernel image), and if not, why."""
    try:
        client = docker_client()
        client.images.get(kernel_image())
    except SandboxUnavailableError as exc:
        return False, str(exc)
    except Exception as exc:
        return (
            False,
            f"the kernel image {kernel_image()} is missing ({exc}); build it with kernels/build-image.sh",
        )
    return True, "ok"


class DockerProvisioner(SandboxedProvisioner):
    """Runs the kernel in its own container. Use ``interrupt_mode: message`` in the kernelspec."""

    runs_in = "docker"
    container: Any = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        kwargs = await super().pre_launch(**kwargs)
        if self.environment is not None:
            raise KernelStartError(
                f"the docker sandbox cannot run kernel environment {self.environment}: it is a venv of the "
                "host's Python, which the kernel image does not have; use the bwrap or local sandbox"
            )
        # rlimits through util-linux's prlimit (in every Debian image), as in the bubblewrap sandbox: Docker's
        # ulimit list has no address-space limit, and podman without cgroups enforces no memory limit
        kwargs["cmd"] = ["prlimit", *self.limits.prlimit_args(), "--", IMAGE_PYTHON, *kwargs["cmd"][1:]]
        return kwargs

    def _run_options(self) -> dict[str, Any]:
        from docker.types import Mount

        assert self.runtime_dir is not None
        limits = self.limits
        mounts = [
            Mount(self.runtime_dir, self.runtime_dir, type="bind"),
            Mount(self.kernel_cwd, self.workdir, type="bind", read_only=not self.private_workdir),
        ]
        target = os.path.join(self.workdir, DATA_MOUNT)
        mounts += [
            Mount(f"{target}/{name}", src, type="bind", read_only=True) for name, src in self.data.items()
        ]
        user = f"{self.uid}:{self.uid}" if self.uid is not None else f"{os.getuid()}:{os.getgid()}"
        return {
            "name": f"medgym-kernel-{self.kernel_id}",
            "labels": {LABEL: "1", OWNER_LABEL: str(os.getpid())},
            "detach": True,
            "network_mode": "none",
            "read_only": True,
            "tmpfs": {SANDBOX_TMP: f"size={limits.tmp_size_mb}m,mode=1777"},
            "mounts": mounts,
            "working_dir": self.kernel_cwd,
            "user": user,
            "hostname": "sandbox",
            "environment": {
                "HOME": self.home,
                "TMPDIR": SANDBOX_TMP,
                "LANG": "C.UTF-8",
                "MPLBACKEND": "Agg",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PATH": "/opt/venv/bin:/usr/bin:/bin",
                **limits.thread_env(),
            },
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "mem_limit": f"{limits.memory_mb}m",
            "pids_limit": limits.processes,
        }

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        client = docker_client()
        options = self._run_options()
        self.container = await asyncio.to_thread(client.containers.run, kernel_image(), cmd, **options)
        self.pid = None
        return self.connection_info

    @property
    def has_process(self) -> bool:
        return self.container is not None

    async def poll(self) -> int | None:
        if self.container is None:
            return 0
        try:
            await asyncio.to_thread(self.container.reload)
        except Exception:
            return 1  # removed underneath us
        if self.container.status in {"created", "running", "paused", "restarting"}:
            return None
        return int(self.container.attrs.get("State", {}).get("ExitCode", 1))

    async def launch_log(self) -> str:
        """The tail of the container's stderr (the engine keeps it)."""
        if self.container is None:
            return ""
        try:
            raw = await asyncio.to_thread(self.container.logs, stdout=False, stderr=True, tail=LOG_LINES)
        except Exception:  # removed underneath us
            return ""
        return tail_text(raw.decode(errors="replace"))

    async def wait(self) -> int | None:
        while (code := await self.poll()) is None:
            await asyncio.sleep(0.05)
        return code

    async def send_signal(self, signum: int) -> None:
        if self.container is not None:
            await asyncio.to_thread(self._kill, signum)

    def _kill(self, signum: int | str) -> None:
        try:
            self.container.kill(signal=signum)
        except Exception:  # already stopped
            return

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(9)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(15)

    async def cleanup(self, restart: bool = False) -> None:
        container, self.container = self.container, None
        if container is not None:
            with contextlib.suppress(Exception):  # already gone
                await asyncio.to_thread(container.remove, force=True)
        await super().cleanup(restart=restart)
