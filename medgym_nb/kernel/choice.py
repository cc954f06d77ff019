"""Which sandbox runs a kernel: names, their kernelspecs, and the ``auto`` rule."""

from __future__ import annotations

import warnings

from ..errors import MedgymError, SandboxUnavailableError
from .bwrap import bwrap_status
from .docker import docker_status

__all__ = ["SANDBOXES", "NoSandboxWarning", "choose_sandbox"]

SANDBOXES: dict[str, str] = {
    "bwrap": "medgym-bwrap",
    "zygote": "medgym-zygote",
    "docker": "medgym-docker",
    "local": "medgym-local",
}
"""Sandbox name → kernelspec name. ``auto`` picks bubblewrap when it works here, else a Docker engine's
container; it never falls back to ``local``, which runs agent code unsandboxed and must be asked for by name."""


class NoSandboxWarning(UserWarning):
    """Agent code is about to run without isolation."""


def choose_sandbox(sandbox: str) -> tuple[str, str]:
    """Resolve ``auto`` and validate the name; returns (sandbox, kernelspec name)."""
    if sandbox not in {"auto", *SANDBOXES}:
        raise MedgymError(f"unknown sandbox {sandbox!r}; choose one of auto, {', '.join(SANDBOXES)}")
    if sandbox == "local":
        warnings.warn("sandbox='local': agent code runs without isolation", NoSandboxWarning, stacklevel=3)
        return "local", SANDBOXES["local"]
    if sandbox in {"auto", "bwrap", "zygote"}:
        ok, why_not_bwrap = bwrap_status()
        if ok:
            name = "zygote" if sandbox == "zygote" else "bwrap"
            return name, SANDBOXES[name]
        if sandbox != "auto":
            raise SandboxUnavailableError(f"the bubblewrap sandbox is unavailable: {why_not_bwrap}")
    ok, why_not_docker = docker_status()
    if ok:
        return "docker", SANDBOXES["docker"]
    if sandbox == "docker":
        raise SandboxUnavailableError(f"the docker sandbox is unavailable: {why_not_docker}")
    raise SandboxUnavailableError(
        f"no sandbox works here: bubblewrap is unavailable ({why_not_bwrap}; install it with `apt-get install "
        f"bubblewrap`) and so is a Docker engine ({why_not_docker}). To run agent code without isolation, ask "
        "for sandbox='local' (--sandbox local) by name."
    )
