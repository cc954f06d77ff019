"""BioDSBench: study synthesis, re-grounding and episode times, and the share of official tasks that re-ground.

Run: .venv/bin/python benchmarks/biodsbench.py [--shared ../shared] [--episodes 6]
In a fresh cache: synthesizes every study the official train split describes (seconds per study), builds the
built-in suite (its references run in a sandboxed kernel), re-grounds the official sample and train splits
(cold, then from the cache), and plays the oracle on a few tasks (seconds per episode, state probe included).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import medgym_nb as mg
from medgym_nb.families.biodsbench.cbioportal import parse_dataframes, synthesize_study

SOURCE = "biodsbench"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--episodes", type=int, default=6)
    args = parser.parse_args()
    train = args.shared / "medagentgym-train" / SOURCE / "train_tasks.jsonl"
    sample = args.shared / "medagentgym" / SOURCE / "train_tasks.sample.jsonl"
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEDGYM_HOME"] = home  # read at each build: a cold cache for this run
        if train.is_file():
            studies: dict[str, list] = {}
            for line in train.read_text().splitlines():
                row = json.loads(line)
                studies.setdefault(row["study_ids"], []).extend(parse_dataframes(row["dataframes"]))
            print(f"{'study':<10}{'tables':>7}{'synth s':>9}")
            for study, specs in sorted(studies.items()):
                t0 = time.perf_counter()
                files = synthesize_study(specs, Path(home) / "synth" / study, study=study, seed=0)
                print(f"{study:<10}{len(files) // 2:>7}{time.perf_counter() - t0:>9.2f}")
        t0 = time.perf_counter()
        suite = mg.load_tasks(SOURCE)
        print(f"\nbuilt-in suite: {len(suite)} tasks grounded in {time.perf_counter() - t0:.1f} s")
        print(f"\n{'split':<8}{'tasks':>7}{'grounded':>10}{'cold s':>9}{'cached s':>10}")
        for name, path in (("sample", sample), ("train", train)):
            if not path.is_file():
                print(f"{name:<8}(not in {path.parent})")
                continue
            t0 = time.perf_counter()
            outcome = mg.load_task_set(SOURCE, path=path)
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            mg.load_tasks(SOURCE, path=path)
            cached = time.perf_counter() - t0
            grounded, total = len(outcome.tasks), len(outcome.tasks) + len(outcome.excluded)
            print(f"{name:<8}{total:>7}{grounded:>10}{cold:>9.1f}{cached:>10.3f}")
        picked = suite[: args.episodes]
        t0 = time.perf_counter()
        results = mg.run_episodes(picked, lambda _t: mg.OracleAgent(), Path(home) / "runs")
        seconds = (time.perf_counter() - t0) / len(picked)
        passed = sum(r.passed for r in results)
        print(
            f"\noracle: {passed}/{len(picked)} passed, {seconds:.1f} s per episode (kernel start to graded)"
        )


if __name__ == "__main__":
    main()
