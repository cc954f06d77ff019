"""Atomic file writes: a temp file in the same directory, fsync, then rename over the target.

The file gets the mode any other tool's new file would get (``0666`` less the umask), not ``mkstemp``'s 0600:
run outputs are meant to be shared and read by other users' tools.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["write_bytes_atomic", "write_notebook_atomic", "write_text_atomic"]


def _umask() -> int:
    """The process's umask, read without changing it (``os.umask`` would race with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_notebook_atomic(nb: Any, path: Path) -> None:
    """Validate and write a notebook so that readers only ever see a whole file (validated once: ``writes``
    validates anyway and, asked to, hands back the error it would only log)."""
    invalid: dict[str, Any] = {}
    text = nbformat.writes(nb, capture_validation_error=invalid)
    if "ValidationError" in invalid:
        raise invalid["ValidationError"]
    write_text_atomic(path, text)
