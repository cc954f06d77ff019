"""Batch grading speed: papermill's kernel-per-notebook path vs our warm-kernel batch grader.

Run: .venv/bin/python benchmarks/grading.py [--n 200] [--workers 2] [--cold-sample 40]
Makes N trajectory notebooks from real oracle episodes (20 episodes, copied under new names), then grades
them all with the batch grader, and a sample of them with papermill's usual path (fresh kernel each),
reporting notebooks/s for both and the ratio. Both paths must agree on every sampled verdict.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import medgym_nb as mg
from medgym_nb.grading.batch import grade_directory


def make_notebooks(root: Path, n: int) -> None:
    tasks = mg.load_tasks("mimic_iii", split="test")[:20]
    mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), root / "seed", config=mg.EnvConfig(pool_size=1))
    seeds = sorted(path.parent for path in (root / "seed").rglob("episode.ipynb"))
    target = root / "many"
    for i in range(n):
        src = seeds[i % len(seeds)]
        shutil.copytree(src, target / f"copy{i // len(seeds):03d}" / src.name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cold-sample", type=int, default=40, help="notebooks graded the slow way (0: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_notebooks(root, args.n)
        many = root / "many"
        t0 = time.perf_counter()
        warm = grade_directory(many, force=True, workers=args.workers)
        warm_rate = len(warm) / (time.perf_counter() - t0)
        sample = root / "sample"
        dirs = sorted(p for p in many.iterdir() if p.is_dir())
        count = 0
        for d in dirs:
            if args.cold_sample and count >= args.cold_sample:
                break
            shutil.copytree(d, sample / d.name)
            count += len(list(d.rglob("episode.ipynb")))
        for stale in sample.rglob("grade.ipynb"):
            stale.unlink()
        t0 = time.perf_counter()
        cold = grade_directory(sample, force=True, warm=False, workers=1)
        cold_rate = len(cold) / (time.perf_counter() - t0)
        by_name = {Path(r.notebook).parts[-3:]: r for r in warm}
        agree = all(
            (by_name[Path(r.notebook).parts[-3:]].passed, by_name[Path(r.notebook).parts[-3:]].message)
            == (r.passed, r.message)
            for r in cold
        )
    print(
        f"papermill.execute_notebook, fresh kernel per notebook: {cold_rate:6.2f} notebooks/s  ({len(cold)} notebooks)"
    )
    print(
        f"batch grader, warm kernel per worker ({args.workers} workers): {warm_rate:6.2f} notebooks/s  ({len(warm)} notebooks)"
    )
    print(f"ratio: {warm_rate / cold_rate:.1f}x   verdicts agree on the sample: {agree}")


if __name__ == "__main__":
    main()
