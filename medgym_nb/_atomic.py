"""Atomic file writes: a temp file in the same directory, fsync, then rename over the target."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_notebook_atomic(nb: Any, path: Path) -> None:
    """Validate and write a notebook so that readers only ever see a whole file."""
    nbformat.validate(nb)
    write_text_atomic(path, nbformat.writes(nb))
