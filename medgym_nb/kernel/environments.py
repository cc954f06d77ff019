"""Kernel environments of a family's own: a pinned virtualenv its kernels run in instead of medgym's.

Some task sources were written for other library versions than medgym's (programs that call numpy 1.x's
``np.asfarray``). A family declares a ``KernelEnvironment`` in ``KernelNeeds.environment``; the first kernel
that needs it builds it, once, into ``$MEDGYM_ENVS/<name>-<hash of the spec>/`` (default
``$MEDGYM_HOME/envs``): a venv of the running Python's base interpreter with the pinned wheels from PyPI, installed by uv. The
build is the only step with network; kernels started in the environment get none, as usual.

A build is atomic and runs once: under a file lock (two processes never build the same environment twice), into
a temporary sibling that is renamed into place after an import check, so an interrupted build leaves nothing a
later run would take for finished. The finished directory is world-readable: sandboxes bind it read-only and
their kernels run under uids of their own. The venv has no pip of its own (uv installs into it with
``--python``), and only its ``python`` is used afterwards (a renamed venv's console scripts keep their old
shebangs; medgym never runs them).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from uv import find_uv_bin

from .._locks import exclusive
from ..data.cache import medgym_home
from ..errors import KernelEnvironmentError

__all__ = ["KernelEnvironment", "ensure_environment", "environments_home"]

Progress = Callable[[str], None]
"""Receives one line per build step (the CLI shows it; the library only reports)."""

_log = logging.getLogger(__name__)
_MARKER = "medgym-environment.json"
_PIP_TIMEOUT = 1800.0
_FAILED_REQUIREMENT = re.compile(
    r"(?:there is no version of|Because) (\S+?)(?:,| and| was not found)|import check failed for (\S+)"
)
_CHECK_IMPORTS = """
import importlib, sys, traceback
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        traceback.print_exc()
        sys.exit(f"import check failed for {name}")
"""
"""Imports every module in one process (one interpreter start, not one per module); names the first failure."""


def environments_home() -> Path:
    """``$MEDGYM_ENVS``, default ``$MEDGYM_HOME/envs``: kept apart so a throwaway cache can share built envs."""
    return Path(os.environ.get("MEDGYM_ENVS") or medgym_home() / "envs")


def _host_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


class KernelEnvironment(BaseModel):
    """A pinned kernel environment: ``requirements`` are pip requirement strings (pin them, ``==``), installed
    from wheels only; ``imports`` are checked after the build. ``python`` must be the running interpreter's
    ``major.minor`` (the venv is made from it); ``ipykernel`` is always added."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    requirements: tuple[str, ...]
    imports: tuple[str, ...] = ()
    python: str = Field(default_factory=_host_python)
    ipykernel: str = "ipykernel==6.29.5"

    @property
    def key(self) -> str:
        """``<name>-<hash of the spec>``: a changed pin is a new environment, never an edit of a built one."""
        spec = json.dumps(self.model_dump(), sort_keys=True).encode()
        return f"{self.name}-{hashlib.sha256(spec).hexdigest()[:12]}"

    @property
    def path(self) -> Path:
        return environments_home() / self.key

    @property
    def python_path(self) -> Path:
        """The environment's interpreter (what its kernels run)."""
        return self.path / "bin" / "python"

    def is_built(self) -> bool:
        return (self.path / _MARKER).is_file()


def ensure_environment(env: KernelEnvironment, progress: Progress | None = None) -> Path:
    """The directory of ``env``, built first if needed; ``KernelEnvironmentError`` if the build fails.

    ``progress`` gets one line per build step (default: this module's logger, at INFO)."""
    if env.is_built():
        return env.path
    if env.python != _host_python():
        raise KernelEnvironmentError(
            f"kernel environment {env.name!r} asks for Python {env.python}, but medgym runs on {_host_python()}"
        )
    home = environments_home()
    with exclusive(home / f".{env.key}.lock"):
        if not env.is_built():
            _build(env, home, progress or _log.info)
    return env.path


def _build(env: KernelEnvironment, home: Path, progress: Progress) -> None:
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f".{env.key}.", dir=home))
    try:
        os.chmod(tmp, 0o755)  # noqa: S103 - sandboxed kernels run under other uids and must read it
        progress(f"kernel environment {env.name}: creating a Python {env.python} venv in {env.path}")
        _run([sys.executable, "-m", "venv", "--without-pip", str(tmp)], env, "creating the venv")
        python = str(tmp / "bin" / "python")
        progress(f"kernel environment {env.name}: installing {len(env.requirements) + 1} pinned packages")
        _run(
            [
                find_uv_bin(),  # uv installs into the venv from its wheel cache, in parallel: no pip inside it
                "pip",
                "install",
                "--python",
                python,
                "--only-binary=:all:",
                "--compile-bytecode",  # kernels run read-only and under other uids: they could not write them
                "--quiet",
                *env.requirements,
                env.ipykernel,
            ],
            env,
            "installing its packages",
        )
        modules = (*env.imports, "ipykernel")
        progress(f"kernel environment {env.name}: checking imports {', '.join(modules)}")
        _run([python, "-c", _CHECK_IMPORTS, *modules], env, "checking its imports")
        seconds = time.monotonic() - t0
        (tmp / _MARKER).write_text(json.dumps({**env.model_dump(), "build_seconds": round(seconds, 1)}))
        tmp.rename(env.path)
        progress(f"kernel environment {env.name}: built in {seconds:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(cmd: list[str], env: KernelEnvironment, step: str) -> None:
    """Run one build step; a failure names the environment, the step and (when uv or the import check says)
    the package."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KernelEnvironmentError(f"kernel environment {env.name!r}: {step} failed: {exc}") from exc
    if done.returncode == 0:
        return
    output = done.stderr + done.stdout
    found = _FAILED_REQUIREMENT.search(output)
    culprit = (found.group(1) or found.group(2)) if found else None
    tail = "\n".join(output.strip().splitlines()[-8:])
    named = f" (package {culprit})" if culprit else ""
    raise KernelEnvironmentError(f"kernel environment {env.name!r}: {step} failed{named}:\n{tail}", culprit)
