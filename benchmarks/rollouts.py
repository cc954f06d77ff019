"""Rollout throughput on a mix of every family, against a MedAgentGym-style harness in the same run.

Run: .venv/bin/python benchmarks/rollouts.py --mix official [--episodes 48] [--repeats 3] [--concurrency 2]
     [--sandbox zygote]   (``--mix mimic_iii``: one source's suite only)

The tasks: each source's built-in suite (``mg.load_tasks(source)``), sampled in proportion to the official
test split sizes (``../shared/medagentgym/metadata.json``), at least ``--min-per-family`` each.

The workload, the same steps on both sides (``Workload.steps``): three exploratory cells over the task's data
(a cell that loads it — connects to each SQLite database, reads the first CSV files, reads the text files —
and two that look at it), then the family's oracle plan (``family.oracle_plan(task)``: its ``request_info``,
``execute`` and ``validate_code`` actions).

medgym-nb (ours): ``mg.run_episodes`` with the given sandbox and concurrency, a kernel pool of 1 per worker;
every code step is a cell in the episode's own sandboxed kernel, the episode is recorded as a notebook and
every ``validate_code`` is graded by the family's papermill grader notebook. One untimed warm-up episode per
family and one per kernel template the sampled tasks need (``template_warmups``: the templates and grader
kernel a long run starts once).

Baseline (MedAgentGym's harness per attempt): every code step is a fresh ``python -c`` process with no
state from earlier steps, so its program is the loading code an agent must repeat there (the earlier
state-building steps: the loading cell, the plan's ``execute`` cells and earlier answers, which later parts
of a multi-part task build on) followed by the step's own code; look-only cells are not repeated. The
process runs in a directory whose ``data/`` links the task's data, with the family's own Python when it
has a kernel environment, and (service families) a relay to a tenant of the family's service opened in
this process. ``request_info`` is answered in this process, as the harness does. Grading compares the
printed text with the reference answer (what MedAgentGym does: it costs nothing). No sandbox, no
recording. The same ``--concurrency`` of episodes in threads.

Both sides run family by family, back to back (ours, then the baseline, then the next family), so load from
other users of the machine hits both alike; ``--repeats`` repeats the whole mix and prints the spread. The
rates are wall time, so they move with that load. Each side's CPU is also read (``_common.CpuGroups``: a
cgroup per side when this process may make them, as root; else the machine's busy time), and the table's
``cpu`` column and the ``cpu ratio`` line give the baseline's CPU per step over ours': the figure the load
moves least.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import CpuGroups, CpuMeter

import medgym_nb as mg
from medgym_nb._loop import run_sync
from medgym_nb.agents import ScriptedAgent
from medgym_nb.env import AsyncEnv
from medgym_nb.grading.notebook import SharedGrader
from medgym_nb.kernel.environments import ensure_environment
from medgym_nb.kernel.zygote import split_data
from medgym_nb.runner import EpisodeResult, _run_one
from medgym_nb.services.base import relay_code

METADATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "medagentgym" / "metadata.json"


@dataclass
class Step:
    """One action of the workload; ``keeps``: later fresh processes must re-run its code (it builds state)."""

    action: dict[str, Any]
    keeps: bool


def explore_cells(task: mg.Task) -> list[str]:
    """A loading cell and two look-only cells over the task's data (whatever kind of data it is)."""
    mounts = sorted(task.data_mounts())
    dbs = [m for m in mounts if m.endswith(".db")]
    csvs = [m for m in mounts if m.endswith(".csv")][:2]
    texts = [m for m in mounts if m.endswith(".txt")][:2]
    dirs = [m for m in mounts if "." not in m]
    load = ["import os, json"]
    look = ["print(sorted(os.listdir('data')) if os.path.isdir('data') else 'no data')"]
    if dbs:
        load += ["import sqlite3", "import pandas as pd"]
        load += [f"db{i} = sqlite3.connect('file:data/{m}?mode=ro', uri=True)" for i, m in enumerate(dbs)]
        load.append(
            f"tables = {{t: pd.read_sql(f'select * from {{t}}', db0) for t in {_tables(task, dbs[0])!r}}}"
        )
        look.append("print({t: f.shape for t, f in tables.items()})")
    elif csvs or dirs:
        load.append("import pandas as pd")
        paths = [f"data/{m}" for m in csvs] or [f"data/{dirs[0]}/{n}" for n in _csvs(task, dirs[0])]
        load.append(f"frames = {{p: pd.read_csv(p) for p in {paths!r}}}")
        look.append("print({p: f.shape for p, f in frames.items()})")
    elif texts:
        load.append(f"texts = {{p: open('data/' + p).read() for p in {texts!r}}}")
        look.append("print({p: len(t) for p, t in texts.items()})")
    else:
        load.append("import math, statistics")
        look.append("print(math.pi, statistics.mean([1, 2, 3]))")
    return ["\n".join(load), *look]


def _tables(task: mg.Task, db: str) -> list[str]:
    """The tables the reference solution names (an agent loads what the question is about), else the first two."""
    with sqlite3.connect(f"file:{task.data_mounts()[db]}?mode=ro", uri=True) as con:
        names = [n for (n,) in con.execute("select name from sqlite_master where type='table' order by name")]
    solution = "\n".join(task.solution).lower()
    return [n for n in names if re.search(rf"\b{n.lower()}\b", solution)][:3] or names[:2]


def _csvs(task: mg.Task, entry: str) -> list[str]:
    return sorted(p.name for p in Path(task.data_mounts()[entry]).glob("*.csv"))[:2]


class Workload(ScriptedAgent):
    """Explore the data in three cells, then the family's oracle plan (see the module docstring)."""

    name = "explore-then-oracle"

    @staticmethod
    def steps(task: mg.Task) -> list[Step]:
        load, *looks = explore_cells(task)
        steps = [Step({"action": "execute", "params": {"code": load}}, keeps=True)]
        steps += [Step({"action": "execute", "params": {"code": c}}, keeps=False) for c in looks]
        for action in mg.get_family(task.family).oracle_plan(task):
            steps.append(Step(action, keeps=action["action"] != "request_info"))
        return steps

    def plan(self, task: mg.Task) -> list[dict[str, Any]]:
        return [s.action for s in self.steps(task)]


@dataclass
class Figures:
    steps: int = 0
    episodes: int = 0
    seconds: float = 0.0
    failed: list[str] = field(default_factory=list)
    cpu: float = 0.0  # seconds, this side's (``CpuMeter``)

    def add(self, other: Figures) -> None:
        self.steps += other.steps
        self.episodes += other.episodes
        self.seconds += other.seconds
        self.failed += other.failed
        self.cpu += other.cpu

    @property
    def cpu_per_step(self) -> float:
        return self.cpu / self.steps if self.steps else 0.0

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0

    @property
    def episodes_per_min(self) -> float:
        return self.episodes / self.seconds * 60 if self.seconds else 0.0


class Ours:
    """medgym-nb as a long training run uses it: ``concurrency`` envs (each with its kernel pool) and one warm
    grader kernel, kept across the families' batches; each batch is ``concurrency`` workers playing its
    episodes, as ``mg.run_episodes`` does."""

    def __init__(self, config: mg.EnvConfig, concurrency: int, out: Path) -> None:
        self.grader = SharedGrader()
        self.envs = [AsyncEnv(config, out_dir=out, grader=self.grader) for _ in range(concurrency)]
        self.out = out

    async def _batch(self, tasks: list[mg.Task]) -> list[EpisodeResult]:
        jobs = iter(tasks)
        results: list[EpisodeResult] = []

        async def worker(env: AsyncEnv) -> None:
            for task in jobs:
                results.append(await _run_one(env, lambda _t: Workload(), task, None))

        await asyncio.gather(*(worker(env) for env in self.envs))
        return results

    def run(self, tasks: list[mg.Task]) -> Figures:
        t0 = time.perf_counter()
        results = run_sync(self._batch(tasks))
        elapsed = time.perf_counter() - t0
        failed = [f"{r.task_id}: {r.termination} {r.error or ''}"[:300] for r in results if not r.passed]
        return Figures(sum(r.turns for r in results), len(results), elapsed, failed)

    def close(self) -> None:
        for env in self.envs:
            run_sync(env.close())
        self.grader.close()


def baseline_episode(task: mg.Task) -> tuple[int, str | None]:
    """One episode as MedAgentGym's harness runs it: a fresh process per code step (module docstring)."""
    family = mg.get_family(task.family)
    python = sys.executable
    if family.kernel.environment is not None:
        python = str(ensure_environment(family.kernel.environment) / "bin" / "python")
    with tempfile.TemporaryDirectory() as wd:
        tenant = family.open_service(task, Path(wd), None) if family.kernel.network == "service" else None
        try:
            (Path(wd) / "data").mkdir()
            for name, path in task.data_mounts().items():
                os.symlink(path, Path(wd) / "data" / name)
            kept: list[str] = [relay_code(tenant)[0]] if tenant is not None else []
            shown, error = "", None
            steps = Workload.steps(task)
            for step in steps:
                params = step.action["params"]
                if step.action["action"] == "request_info":
                    shown = family.request_info(task, params)
                    continue
                done = subprocess.run(
                    [python, "-c", "\n".join([*kept, params["code"]])],
                    cwd=wd,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
                )
                shown = done.stdout
                if done.returncode != 0 and error is None:
                    error = f"{task.id}: {done.stderr.strip().splitlines()[-1:]}"
                if step.keeps:
                    kept.append(params["code"])
            _passed = json.dumps(task.answer) in shown or str(task.answer) in shown  # its grade: text compare
        finally:
            if tenant is not None:
                tenant.close()
    return len(steps), error


def baseline(tasks: list[mg.Task], concurrency: int) -> Figures:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        done = list(pool.map(baseline_episode, tasks))
    elapsed = time.perf_counter() - t0
    return Figures(sum(n for n, _ in done), len(done), elapsed, [e for _, e in done if e])


def template_warmups(tasks: list[mg.Task]) -> list[mg.Task]:
    """One task per kernel template the tasks need: a template is kept per set of shared data entries
    (``split_data``), started once in a long run (a training run's thousands of episodes reuse a few dozen),
    so its start (~1–2 s with the family's libraries pre-imported) belongs to the warm-up, not to the rate."""
    firsts: dict[str, mg.Task] = {}
    for task in tasks:
        shared, _own = split_data(task.data_mounts())
        firsts.setdefault(json.dumps(sorted(shared.items())), task)
    return list(firsts.values())


def metered(meter: CpuMeter, side: str, play: Callable[..., Figures], *args: Any) -> Figures:
    """``play(*args)``'s figures, with the CPU its side spent meanwhile."""
    meter.enter(side)
    before = meter.seconds(side)
    figures = play(*args)
    figures.cpu = meter.seconds(side) - before
    return figures


def official_mix(total: int, least: int, only: str | None) -> dict[str, int]:
    """Episodes per source in proportion to the official test sizes (largest remainders), ``least`` each."""
    sizes = {s: v["test"] for s, v in json.loads(METADATA.read_text()).items() if v["test"]}
    if only is not None:
        return {only: total}
    share = {s: total * n / sum(sizes.values()) for s, n in sizes.items()}
    counts = {s: max(least, math.floor(x)) for s, x in share.items()}
    for s in sorted(share, key=lambda s: share[s] - math.floor(share[s]), reverse=True):
        if sum(counts.values()) >= total:
            break
        counts[s] += 1
    return counts


def play_mix(
    ours: Ours, meter: CpuMeter, samples: list[dict[str, list[mg.Task]]], concurrency: int
) -> tuple[list[float], list[float]]:
    """Play each repeat's sample on both sides, source by source; prints a table per repeat and returns the
    repeats' mix ratios (steps/s) and cpu ratios (CPU per step)."""
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    for repeat, sample in enumerate(samples):
        total_ours, total_base = Figures(), Figures()
        print(f"\nrepeat {repeat + 1}/{len(samples)}")
        print(
            f"{'source':>14} {'n':>3} {'ours steps/s':>12} {'(ep/min)':>9} {'base steps/s':>12} {'(ep/min)':>9} "
            f"{'ratio':>6} {'cpu':>6}"
        )
        seconds: dict[str, float] = {}
        for source, tasks in sample.items():
            a = metered(meter, "ours", ours.run, tasks)
            b = metered(meter, "baseline", baseline, tasks, concurrency)
            total_ours.add(a)
            total_base.add(b)
            seconds[source] = a.seconds
            print(
                f"{source:>14} {len(tasks):>3} {a.steps_per_s:>12.2f} {a.episodes_per_min:>9.1f} "
                f"{b.steps_per_s:>12.2f} {b.episodes_per_min:>9.1f} {a.steps_per_s / b.steps_per_s:>5.1f}x "
                f"{b.cpu_per_step / a.cpu_per_step:>5.1f}x"
            )
            for problem in a.failed + b.failed:
                print(f"{'':>18}! {problem}")
        ratio = total_ours.steps_per_s / total_base.steps_per_s
        ratios.append(ratio)
        cpu_ratios.append(total_base.cpu_per_step / total_ours.cpu_per_step)
        print(
            f"{'overall':>14} {total_ours.episodes:>3} {total_ours.steps_per_s:>12.2f} "
            f"{total_ours.episodes_per_min:>9.1f} {total_base.steps_per_s:>12.2f} "
            f"{total_base.episodes_per_min:>9.1f} {ratio:>5.1f}x {cpu_ratios[-1]:>5.1f}x"
        )
        print(
            f"CPU per step: ours {1000 * total_ours.cpu_per_step:.1f} ms, "
            f"baseline {1000 * total_base.cpu_per_step:.1f} ms"
        )
        shares = sorted(seconds.items(), key=lambda kv: -kv[1])  # where a faster ours would move the ratio
        print(
            "ours' time by source: "
            + ", ".join(f"{k} {100 * v / total_ours.seconds:.0f} %" for k, v in shares)
        )
    return ratios, cpu_ratios


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mix", default="official", help="'official', or one source's name")
    parser.add_argument("--episodes", type=int, default=48, help="episodes per repeat, over all sources")
    parser.add_argument("--min-per-family", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2, help="episodes at once, on both sides")
    parser.add_argument(
        "--ours-concurrency",
        type=int,
        default=None,
        help="episodes at once for medgym-nb only (its best; default: --concurrency)",
    )
    parser.add_argument("--sandbox", default="zygote")
    parser.add_argument("--pool-size", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = official_mix(args.episodes, args.min_per_family, None if args.mix == "official" else args.mix)
    suites = {s: mg.load_tasks(s) for s in counts}  # built outside the timings
    config = mg.EnvConfig(sandbox=args.sandbox, pool_size=args.pool_size)
    ours_concurrency = args.ours_concurrency or args.concurrency
    print(
        f"mix {args.mix}: {counts}; concurrency {ours_concurrency} (baseline {args.concurrency}), "
        f"sandbox {args.sandbox}"
    )
    samples = [
        {s: random.Random(args.seed + r).sample(suites[s], min(n, len(suites[s]))) for s, n in counts.items()}
        for r in range(args.repeats)
    ]
    out = tempfile.TemporaryDirectory()
    meter = CpuGroups.open(["ours", "baseline"])
    try:
        meter.enter("ours")  # the grader kernel and the templates start in ours' group
        ours = Ours(config, ours_concurrency, Path(out.name))
        try:
            for source in counts:  # warm-up: templates, grader kernel, kernel environment, page cache
                warmups = template_warmups([task for sample in samples for task in sample[source]])
                metered(meter, "ours", ours.run, warmups)
                metered(meter, "baseline", baseline, suites[source][:1], 1)
            print(f"CPU read from {meter.label}")
            ratios, cpu_ratios = play_mix(ours, meter, samples, args.concurrency)
        finally:
            ours.close()
    finally:
        meter.close()
        out.cleanup()
    if len(ratios) > 1:
        print(f"\nmix ratio over {len(ratios)} repeats: min {min(ratios):.1f} max {max(ratios):.1f}")
    print(f"cpu ratio {sorted(cpu_ratios)[len(cpu_ratios) // 2]:.1f}")
    print(f"mix ratio {sorted(ratios)[len(ratios) // 2]:.1f}")


if __name__ == "__main__":
    main()
