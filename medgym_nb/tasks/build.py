"""The built-in suites a run needs, built before it starts: several at once, each reported as it lands.

A suite's first use builds its data (synthetic databases, reference outputs, and through them a family's
kernel environment), one source after another in the loading process. The builds are independent and mostly
CPU-bound Python, so here they run in worker processes, one per core: on a first run they take the time of the
slowest rather than of all together. Each build lands atomically in the cache (``cached_build``), so a raced
or interrupted build is harmless; a build that fails in a worker is left for the caller's own load, which
raises its error where the user sees it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context

from .catalog import is_suite_built, load_task_set

__all__ = ["build_suites", "unbuilt_suites"]


def unbuilt_suites(sources: list[str], seed: int = 0) -> list[str]:
    """The sources among ``sources`` whose built-in suite is not in the cache yet."""
    return [s for s in sources if not is_suite_built(s, seed)]


def _build(source: str, seed: int) -> None:
    load_task_set(source, seed=seed)


def build_suites(
    sources: list[str],
    *,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[str, bool], None] | None = None,
) -> None:
    """Build the suites of ``sources`` not yet built, ``workers`` at once (default: one per core).

    ``progress(source, ok)`` is called as each finishes. Workers are spawned, not forked: the caller may have
    threads (a progress display) whose locks a fork would copy held."""
    missing = unbuilt_suites(sources, seed)
    if not missing:
        return
    count = min(len(missing), workers or os.cpu_count() or 1)
    with ProcessPoolExecutor(count, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_build, source, seed): source for source in missing}
        for future in as_completed(futures):
            if progress is not None:
                progress(futures[future], future.exception() is None)
