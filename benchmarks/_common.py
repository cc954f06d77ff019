"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time

from medgym_nb.kernel import KernelSession


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


async def cell_round_trips(ks: KernelSession, n: int) -> list[float]:
    """Seconds per trivial cell on a started kernel, after one warm-up cell."""
    await ks.execute("pass")
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        await ks.execute(f"x = {i}")
        times.append(time.perf_counter() - t0)
    return times
