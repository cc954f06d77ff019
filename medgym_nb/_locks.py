"""A lock file held across processes: one build of a thing at a time, whoever asks for it.

``flock`` is released when the file closes, also when the holder dies, so a crashed build never leaves a
stale lock behind (as a pid file would).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) while the block runs; waits for other holders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
