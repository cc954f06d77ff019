"""EHRSHOT and MIMIC-Extract data: build time (generation plus the baseline fit that sets the threshold),
size, and the baseline against the majority class, per data folder, from a cold cache.

Run: .venv/bin/python benchmarks/prediction.py
"""

from __future__ import annotations

import os
import tempfile
import time

import medgym_nb as mg
from medgym_nb.families.prediction.family import PredictionPayload


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEDGYM_HOME"] = home  # read at each build: a cold cache for this run
        print(f"{'source':<14}{'tasks':>6}{'cold s':>8}{'cached s':>10}{'MiB':>7}")
        for source in ("ehrshot", "mimic_extract"):
            t0 = time.perf_counter()
            tasks = mg.load_tasks(source)
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            mg.load_tasks(source)
            cached = time.perf_counter() - t0
            folders = {os.path.join(t.data_dir or "", t.data_files[0]) for t in tasks}
            size = sum(f.stat().st_size for folder in folders for f in os.scandir(folder))
            print(f"{source:<14}{len(tasks):>6}{cold:>8.2f}{cached:>10.3f}{size / 2**20:>7.1f}")
            for task in tasks:
                p = task.payload
                assert isinstance(p, PredictionPayload)
                print(
                    f"  {p.task_name:<22} baseline {p.baseline:.3f}  majority {p.majority:.3f}  pass {p.threshold:.3f}"
                )


if __name__ == "__main__":
    main()
