"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

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


def tree_pss_kb(pid: int) -> int:
    """Proportional memory (PSS: shared pages split among their sharers, so forked kernels are not charged
    the template's copy-on-write pages in full) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        p = int(proc.name)
        children.setdefault(int(fields["PPid"]), []).append(p)
        try:
            rollup = (proc / "smaps_rollup").read_text()
            rss[p] = int(rollup.split("Pss:")[1].split()[0])
        except (OSError, IndexError):
            rss[p] = 0
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack += children.get(p, [])
    return total
