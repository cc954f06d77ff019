"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Iterable
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


def machine_busy() -> float:
    """Seconds of CPU all cores spent on anything but idle and I/O wait since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds per side of a comparison, from the machine's busy time: every side reads the same counter, so
    a side's figure is only its own on a machine nobody else uses. ``CpuGroups`` is the exact kind."""

    label = "the machine's busy time (other users' CPU included)"

    def enter(self, side: str) -> None:
        """Charge what this process and the processes it starts do from now on to ``side``."""

    def seconds(self, side: str) -> float:
        return machine_busy()

    def close(self) -> None:
        pass


class CpuGroups(CpuMeter):
    """CPU seconds per side from a cgroup (v2) per side: this process moves into a side's group, and what it
    starts there stays in it (a template's forked kernels, auto-reaped ones included; a baseline's ``python -c``
    processes), so a side's figure counts its own processes and no other user's. ``open`` needs a writable
    cgroup2 hierarchy (root); it returns the machine's meter otherwise."""

    label = "each side's own cgroup (this process and what it started; no other user's CPU)"

    def __init__(self, root: Path, sides: Iterable[str]) -> None:
        self.home = root / "cgroup.procs"
        self.groups = {side: root / f"medgym-bench-{os.getpid()}-{side}" for side in sides}
        for group in self.groups.values():
            group.mkdir()

    @classmethod
    def open(cls, sides: Iterable[str]) -> CpuMeter:
        root = _own_cgroup2()
        if root is None:
            return CpuMeter()
        try:
            return cls(root, sides)
        except OSError:
            return CpuMeter()

    def enter(self, side: str) -> None:
        (self.groups[side] / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self, side: str) -> float:
        stat = (self.groups[side] / "cpu.stat").read_text().split()
        return int(stat[stat.index("usage_usec") + 1]) / 1e6

    def close(self) -> None:
        """Back to where this process was, with any process still in a side's group; the groups removed."""
        for group in self.groups.values():
            for pid in (group / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                    self.home.write_text(pid)
            group.rmdir()


def _own_cgroup2() -> Path | None:
    """This process's cgroup in the cgroup2 hierarchy, if it can make groups there."""
    mounts = [line.split() for line in Path("/proc/self/mounts").read_text().splitlines()]
    roots = [Path(fields[1]) for fields in mounts if fields[2] == "cgroup2"]
    own = [line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines() if line.startswith("0::")]
    if not roots or not own:
        return None
    path = roots[0] / own[0].lstrip("/")
    return path if os.access(path, os.W_OK) else None
