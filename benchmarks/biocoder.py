"""BioCoder costs: building its kernel environment, and grading one answer.

Run: .venv/bin/python benchmarks/biocoder.py [--n 20] [--sandbox bwrap] [--build]
``--build`` builds the environment from scratch into a temporary ``$MEDGYM_ENVS`` (pip's download cache is used
as usual: run with ``PIP_NO_CACHE_DIR=1`` for a cold CI-like build). The grade cost is the whole grader call
(``grade_function``: splice, a fresh sandboxed kernel of the environment, the program, the comparison) on the
reference functions of suite tasks and official samples in turn; a papermill grade adds its notebook run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import med, p95

import medgym_nb as mg
from medgym_nb.families.biocoder.family import BIOCODER_ENV, grade_function
from medgym_nb.kernel.environments import ensure_environment

SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "medagentgym" / "biocoder" / "test_tasks.sample.jsonl"
)


def build_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("MEDGYM_ENVS")
        os.environ["MEDGYM_ENVS"] = tmp
        try:
            t0 = time.perf_counter()
            ensure_environment(BIOCODER_ENV, print)
            return time.perf_counter() - t0
        finally:
            if old is None:
                os.environ.pop("MEDGYM_ENVS")
            else:
                os.environ["MEDGYM_ENVS"] = old


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20, help="grades to time")
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument(
        "--build", action="store_true", help="also time a build of the environment from scratch"
    )
    args = parser.parse_args()
    if args.build:
        print(f"environment build from scratch: {build_seconds():.1f} s")
    ensure_environment(BIOCODER_ENV, print)
    tasks = mg.load_tasks("biocoder")
    if SAMPLE.is_file():
        tasks += mg.load_tasks("biocoder", path=SAMPLE)
    times = []
    for n in range(args.n):
        task = tasks[n * 7 % len(tasks)]
        t0 = time.perf_counter()
        grade = grade_function(task.model_dump(mode="json"), task.solution[-1], sandbox=args.sandbox)
        times.append(time.perf_counter() - t0)
        assert grade.passed, (task.id, grade.message)
    print(
        f"biocoder grade ({args.sandbox}, {args.n} grades): median {med(times):.2f} s, p95 {p95(times):.2f} s, "
        f"max {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
