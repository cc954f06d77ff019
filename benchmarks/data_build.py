"""Synthetic EHR databases: build time and size of each, and the time to re-ground official tasks.

Run: .venv/bin/python benchmarks/data_build.py [--shared ../shared]
Builds each source's default database (as a built-in suite uses it) into a fresh cache, then loads the whole
official train split of each source from ``--shared`` (planting what its SQL asks about, executing every
query) cold and again from the cache, and reports seconds per 1,000 tasks.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import medgym_nb as mg
from medgym_nb.families.ehrsql.family import DATABASES
from medgym_nb.tasks.check import informative


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEDGYM_HOME"] = home  # read at each build: a cold cache for this run
        print(f"{'database':<10}{'build s':>9}{'MiB':>8}")
        for source, spec in DATABASES.items():
            t0 = time.perf_counter()
            db = spec.build(Path(home) / spec.file, seed=0)
            print(f"{source:<10}{time.perf_counter() - t0:>9.2f}{db.stat().st_size / 2**20:>8.1f}")
        train = args.shared / "medagentgym-train"
        if not train.is_dir():
            print(f"(no official train splits at {train}: re-grounding not measured)")
            return
        print(f"\n{'source':<10}{'tasks':>7}{'cold s':>9}{'s/1000':>9}{'cached s':>10}{'informative':>13}")
        for source in DATABASES:
            if not (train / source).is_dir():
                continue
            t0 = time.perf_counter()
            tasks = mg.load_tasks(source, path=train)
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            mg.load_tasks(source, path=train)
            cached = time.perf_counter() - t0
            share = sum(informative(t.answer) for t in tasks) / len(tasks)
            per_1000 = cold / len(tasks) * 1000
            print(f"{source:<10}{len(tasks):>7}{cold:>9.2f}{per_1000:>9.2f}{cached:>10.3f}{share:>12.1%}")


if __name__ == "__main__":
    main()
