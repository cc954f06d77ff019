"""The output files an episode declares (a predictions CSV, a figure), copied out of its work directory for
the grader and kept beside its notebook. Only regular files are taken, never through a link, and only up to a
size: agent code chooses what is in its work directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import MedgymError

__all__ = ["MAX_KEPT_FILE_BYTES", "keep_outputs"]

MAX_KEPT_FILE_BYTES = 64 * 1024 * 1024
"""A declared output file larger than this is not kept (the grader is told it is missing)."""


def keep_outputs(workdir: Path, patterns: tuple[str, ...], target: Path) -> dict[str, str]:
    """Copy the files of ``workdir`` matching ``patterns`` (plain names or globs) into ``target``; name →
    path of the copy."""
    kept: dict[str, str] = {}
    for pattern in patterns:
        if "/" in pattern or pattern.startswith("."):
            raise MedgymError(f"family output pattern {pattern!r} must be a plain file name or glob")
        for path in sorted(workdir.glob(pattern)):
            data = _read_regular_file(path)
            if data is not None:
                target.mkdir(parents=True, exist_ok=True)
                (target / path.name).write_bytes(data)
                kept[path.name] = str(target / path.name)
    return kept


def _read_regular_file(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a link) within the size limit, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_KEPT_FILE_BYTES:
            return None
        return fh.read(MAX_KEPT_FILE_BYTES + 1)[:MAX_KEPT_FILE_BYTES]
