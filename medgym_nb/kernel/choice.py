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
"""Sandbox name → kernelspec name. ``auto`` picks bubblewrap when it works here, else local."""


class NoSandboxWarning(UserWarning):
    """Agent code is about to run without isolation."""


def choose_sandbox(sandbox: str) -> tuple[str, str]:
    """Resolve ``auto`` and validate the name; returns (sandbox, kernelspec name)."""
    if sandbox not in {"auto", *SANDBOXES}:
        raise MedgymError(f"unknown sandbox {sandbox!r}; choose one of auto, {', '.join(SANDBOXES)}")
    if sandbox == "docker":
        ok, why = docker_status()
        if not ok:
            raise SandboxUnavailableError(f"the docker sandbox is unavailable: {why}")
        return "docker", SANDBOXES["docker"]
    if sandbox in {"auto", "bwrap", "zygote"}:
        ok, why = bwrap_status()
        if ok:
            name = "zygote" if sandbox == "zygote" else "bwrap"
            return name, SANDBOXES[name]
        if sandbox != "auto":
            raise SandboxUnavailableError(f"the bubblewrap sandbox is unavailable: {why}")
        warnings.warn(
            f"bubblewrap is unavailable ({why}); agent code will run WITHOUT isolation in a local kernel. "
            "Install it with `apt-get install bubblewrap`.",
            NoSandboxWarning,
            stacklevel=3,
        )
    else:
        warnings.warn("sandbox='local': agent code runs without isolation", NoSandboxWarning, stacklevel=3)
    return "local", SANDBOXES["local"]
