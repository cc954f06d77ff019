"""Where built data lives, and how a build lands there atomically.

Builds are deterministic functions of (name, version, seed), so a finished directory is never rebuilt; a
build writes into a temporary sibling and renames it into place, so concurrent processes and interrupted
builds never leave a half-written directory behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


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
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=target.parent))
    try:
        build(tmp)
        try:
            tmp.rename(target)
        except OSError:
            if not target.is_dir():  # a real failure, not a concurrent build that won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
