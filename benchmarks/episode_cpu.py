"""Where an episode's CPU goes: the episode's kernel, the grader kernel, the driver, and the rest, against the
CPU a MedAgentGym-style harness spends on the same episode.

Run: .venv/bin/python benchmarks/episode_cpu.py --source medcalcbench [--episodes 20] [--sandbox zygote] [--cells 300]

The workload is ``rollouts.py``'s (three exploratory cells, then the family's oracle plan), one episode at a
time on one env with a warm grader kernel, after two untimed warm-up episodes. The rollout benchmark is bound
by CPU on two cores, so CPU per episode, not wall time, is what sets its ratios. Counters:

- in all: every process of ours' side, from a cgroup of its own (``_common.CpuGroups``: this process and what
  it started, forked kernels included, and no other user's CPU); without a writable cgroup2 hierarchy (not
  root), the busy time of every core (``/proc/stat``), so then run it on a quiet machine;
- driver: this process (``time.process_time``: its event loop, recording, papermill's side of grading);
- episode kernel: the kernel's own CPU (``os.times`` in it, read unseen through ``run_hidden``) after its
  start (``IPKernelApp`` initialisation after the fork, or a whole interpreter start in bubblewrap) and just
  before the last step (every cell but the last);
- grader kernel: the warm grader kernel's process (``/proc/PID/stat``);
- the rest: in all minus the above (template forks, sandbox set-up, kernel shutdowns, the last step's cell).

The baseline line runs the same episodes as ``rollouts.baseline_episode`` (a fresh ``python -c`` per code
step) and prints their CPU per episode, read the same way (its own cgroup, or the machine's busy time).

The last lines price one step on each side, as a floor: a trivial cell (``x = k`` and ``x`` shown) in a warm
episode kernel (the kernel's CPU and the driver's), against a bare ``python -c`` of the same code (the
process's own CPU). Their ratio bounds what any family whose steps are all trivial could reach, even with kernels
that cost nothing to start, stop or grade.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import CpuGroups, CpuMeter
from rollouts import Workload, baseline_episode

import medgym_nb as mg
from medgym_nb._loop import run_sync
from medgym_nb.env import AsyncEnv
from medgym_nb.grading.notebook import SharedGrader

KERNEL_CPU = "(lambda t: t.user + t.system)(__import__('os').times())"


def process_cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


async def _kernel_cpu(env: AsyncEnv) -> float:
    assert env.kernel is not None
    ok, value = await env.kernel.run_hidden("", KERNEL_CPU, timeout=30)
    if not ok:
        raise RuntimeError(f"could not read the kernel's CPU time: {value}")
    return float(value)


async def episode(env: AsyncEnv, task: mg.Task, costs: dict[str, list[float]]) -> None:
    await env.reset(task)
    costs["kernel start"].append(await _kernel_cpu(env))
    steps = Workload.steps(task)
    for step in steps[:-1]:
        await env.step(step.action)
    costs["kernel cells"].append(await _kernel_cpu(env) - costs["kernel start"][-1])
    await env.step(steps[-1].action)


def cell_floor(task: mg.Task, sandbox: str, cells: int) -> tuple[float, float]:
    """Seconds of CPU a trivial cell costs the episode's kernel and the driver, in a warm kernel."""
    env = AsyncEnv(mg.EnvConfig(sandbox=sandbox, pool_size=1), out_dir=tempfile.mkdtemp())

    async def measure() -> tuple[float, float]:
        await env.reset(task)
        assert env.kernel is not None
        for k in range(20):  # warm: the first cells import what the display path needs
            await env.kernel.execute(f"x = {k}\nx")
        kernel, driver = await _kernel_cpu(env), time.process_time()
        for k in range(cells):
            await env.kernel.execute(f"x = {k}\nx")
        driver = time.process_time() - driver
        kernel = await _kernel_cpu(env) - kernel
        await env.close()
        return kernel / cells, driver / cells

    return run_sync(measure())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_step(steps: int) -> float:
    """Seconds of CPU a bare ``python -c`` of a trivial step costs: the child's own (its rusage, once reaped),
    so other users of the machine do not count."""
    children = _children_cpu()
    for k in range(steps):
        subprocess.run([sys.executable, "-c", f"x = {k}\nprint(x)"], capture_output=True, check=True)
    return (_children_cpu() - children) / steps


def ours(warmups: list[mg.Task], tasks: list[mg.Task], sandbox: str, meter: CpuMeter) -> dict[str, float]:
    meter.enter("ours")  # before the grader kernel and the template start: they are ours
    grader = SharedGrader()
    env = AsyncEnv(mg.EnvConfig(sandbox=sandbox, pool_size=1), out_dir=tempfile.mkdtemp(), grader=grader)
    costs: dict[str, list[float]] = {"kernel start": [], "kernel cells": []}

    async def play(batch: list[mg.Task]) -> None:
        for task in batch:
            await episode(env, task, costs)

    run_sync(play(warmups))  # the template, the grader kernel and its notebook
    for timings in costs.values():
        timings.clear()
    grader_km: Any = grader._warm.km  # the benchmark reads the warm grader kernel's pid
    grader_pid = grader_km.provisioner.process.pid
    cpu, driver, graders = meter.seconds("ours"), time.process_time(), process_cpu(grader_pid)
    t0 = time.perf_counter()
    run_sync(play(tasks))
    n = len(tasks)
    figures = {
        "wall": (time.perf_counter() - t0) / n,
        "in all": (meter.seconds("ours") - cpu) / n,
        "driver": (time.process_time() - driver) / n,
        "grader kernel": (process_cpu(grader_pid) - graders) / n,
        **{k: sum(v) / n for k, v in costs.items()},
    }
    run_sync(env.close())
    grader.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default="medcalcbench")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--sandbox", default="zygote")
    parser.add_argument("--cells", type=int, default=300, help="trivial cells timed for the per-step floor")
    args = parser.parse_args()
    suite = mg.load_tasks(args.source)
    timed = suite[2 : args.episodes + 2] or suite
    meter = CpuGroups.open(["ours", "baseline"])
    try:
        figures = ours(suite[:2], timed, args.sandbox, meter)
        meter.enter("baseline")
        baseline_episode(timed[0])  # warm-up: page cache, the family's environment
        cpu, t0 = meter.seconds("baseline"), time.perf_counter()
        for task in timed:
            baseline_episode(task)
        per = (meter.seconds("baseline") - cpu) / len(timed)
        wall = (time.perf_counter() - t0) / len(timed)
    finally:
        meter.close()
    parts = ("driver", "kernel start", "kernel cells", "grader kernel")
    figures["the rest"] = figures["in all"] - sum(figures[p] for p in parts)
    print(f"{args.source}: {len(timed)} episodes, sandbox {args.sandbox}; ms per episode")
    print(f"  CPU read from {meter.label}")
    for name in ("wall", "in all", *parts, "the rest"):
        print(f"  {name:>14} {1000 * figures[name]:7.1f}")
    print(f"  baseline: wall {1000 * wall:.1f}, CPU {1000 * per:.1f}")
    print(f"cpu ratio {per / figures['in all']:.2f} (baseline's CPU / ours, per episode)")
    kernel, driver = cell_floor(timed[0], args.sandbox, args.cells)
    bare = bare_step(40)
    print(
        f"a trivial cell: kernel {1000 * kernel:.1f} ms, driver {1000 * driver:.1f} ms ({args.cells} cells)"
    )
    print(f"a bare python -c step: {1000 * bare:.1f} ms (the process's CPU)")
    print(f"step ratio {bare / (kernel + driver):.1f} (the most a family of trivial steps could reach)")


if __name__ == "__main__":
    main()
