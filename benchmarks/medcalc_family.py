"""MedCalc-Bench: the time to generate notes for every calculator, and oracle episodes in sandboxed kernels.

Run: .venv/bin/python benchmarks/medcalc_family.py [--per 20] [--episodes 20] [--sandbox bwrap]
Generates ``--per`` tasks for each of the 55 calculators (notes, entities, answers from ``compute``) and
reports tasks per second; then plays ``--episodes`` of them (spread over calculators) with the oracle, graded
by papermill, and reports seconds per episode and the pass rate.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import medgym_nb as mg
from medgym_nb.config import EnvConfig
from medgym_nb.families.medcalcbench.family import generate
from medgym_nb.medcalc import calculators
from medgym_nb.tasks import spread_over_categories


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per", type=int, default=20, help="generated tasks per calculator")
    parser.add_argument("--episodes", type=int, default=20, help="oracle episodes to play")
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    t0 = time.perf_counter()
    tasks = [t for c in calculators() for t in generate(c.id, args.per, seed=0)]
    seconds = time.perf_counter() - t0
    print(f"generated {len(tasks)} tasks in {seconds:.2f} s ({len(tasks) / seconds:.0f} tasks/s)")
    picked = spread_over_categories(tasks, args.episodes)
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEDGYM_HOME"] = home
        t0 = time.perf_counter()
        results = mg.run_episodes(
            picked,
            lambda _t: mg.OracleAgent(),
            Path(home) / "runs",
            concurrency=args.concurrency,
            config=EnvConfig(sandbox=args.sandbox),
        )
        seconds = time.perf_counter() - t0
    passed = sum(r.passed for r in results)
    print(
        f"oracle: {passed}/{len(results)} passed, {seconds:.1f} s "
        f"({seconds / len(results):.2f} s/episode, concurrency {args.concurrency}, {args.sandbox})"
    )


if __name__ == "__main__":
    main()
