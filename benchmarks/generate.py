"""Generated suites at MedAgentGym's scale: the time to generate, the count, how many are distinct, the
categories, and the share of a random sample the oracle passes.

Run: .venv/bin/python benchmarks/generate.py [--n 72413] [--seed 0] [--out DIR | --suite DIR]
         [--sample 0.01] [--max-episodes 720] [--sandbox zygote] [--concurrency 2]
Generates ``--n`` tasks over every source into ``--out`` (a fresh temporary directory by default), or reads an
already generated ``--suite``; then plays the oracle on a seeded random ``--sample`` of it (at most
``--max-episodes``; 0 skips the episodes) and reports passes per source.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import medgym_nb as mg
from medgym_nb.family.registry import family_for_source
from medgym_nb.tasks import select_tasks
from medgym_nb.tasks.generate import Manifest, generate_suite, identity


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=72_413)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--suite", type=Path, default=None, help="an existing generated suite to measure")
    parser.add_argument("--sample", type=float, default=0.01)
    parser.add_argument("--max-episodes", type=int, default=720)
    parser.add_argument("--sandbox", default="zygote")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("MEDGYM_HOME", tempfile.mkdtemp(prefix="medgym-bench-"))

    suite = args.suite
    if suite is None:
        suite = args.out or Path(tempfile.mkdtemp(prefix="medgym-generated-")) / "suite"
        t0 = time.perf_counter()
        generate_suite(suite, "all", n=args.n, seed=args.seed, split_by="template")
        print(f"generated in {time.perf_counter() - t0:.0f} s into {suite}")
    manifest = Manifest.model_validate_json((suite / "manifest.json").read_text(encoding="utf-8"))
    for plan in manifest.sources:
        print(f"  {plan.source:14} requested {plan.requested:6} made {plan.made:6} in {plan.seconds:6.0f} s")

    t0 = time.perf_counter()
    tasks = select_tasks("all", path=suite)
    print(f"read {len(tasks)} tasks in {time.perf_counter() - t0:.0f} s")
    keys = {identity(t, family_for_source(t.source).follow_ups(t)) for t in tasks}
    categories = {(t.source, t.category) for t in tasks}
    print(f"tasks {len(tasks)}, distinct {len(keys)}, categories {len(categories)}")
    print("splits", dict(Counter(t.split for t in tasks)))

    if args.max_episodes <= 0:
        return
    rng = random.Random(args.seed)
    sample = rng.sample(tasks, min(args.max_episodes, round(len(tasks) * args.sample)))
    config = mg.EnvConfig(sandbox=args.sandbox)
    runs = Path(tempfile.mkdtemp(prefix="medgym-oracle-"))
    print(f"oracle on {len(sample)} random tasks, episodes under {runs}", flush=True)
    t0 = time.perf_counter()
    results = mg.run_episodes(
        sample,
        lambda _t: mg.OracleAgent(),
        runs,
        concurrency=args.concurrency,
        config=config,
    )
    seconds = time.perf_counter() - t0
    passed = sum(r.passed for r in results)
    print(f"oracle: {passed}/{len(results)} passed ({passed / len(results):.1%}) in {seconds:.0f} s")
    by_source: dict[str, list[bool]] = {}
    for r in results:
        by_source.setdefault(r.source, []).append(r.passed)
    for source, ok in sorted(by_source.items()):
        print(f"  {source:14} {sum(ok)}/{len(ok)}")
    for r in results:
        if not r.passed:
            print(f"  failed: {r.task_id} ({r.termination})")


if __name__ == "__main__":
    main()
