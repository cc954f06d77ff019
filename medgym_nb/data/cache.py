"""Where built data lives, and how a build lands there atomically.

Builds are deterministic functions of (name, version, seed), so a finished directory is never rebuilt; a
build writes into a temporary sibling and renames it into place, so interrupted builds never leave a
half-written directory behind, and holds a lock meanwhile, so concurrent processes (test workers, episode
runners) wait for the one build rather than each doing it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .._locks import exclusive


def medgym_home() -> Path:
    """``$MEDGYM_HOME``, default ``~/.cache/medgym``."""
    return Path(os.environ.get("MEDGYM_HOME") or Path.home() / ".cache" / "medgym")


def cached_path(key: str) -> Path:
    """Where the build ``key`` lives (``$MEDGYM_HOME/builds/<key>``), built or not."""
    return medgym_home() / "builds" / key


def cached_build(key: str, build: Callable[[Path], None]) -> Path:
    """Return ``$MEDGYM_HOME/builds/<key>``, running ``build(tmpdir)`` first if it does not exist yet."""
    target = cached_path(key)
    if target.is_dir():
        return target
    with exclusive(target.parent / f".{target.name}.lock"):
        if target.is_dir():  # built by the process that held the lock before
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            build(tmp)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
