"""BioCoder costs: building its kernel environment, and grading one answer.

Run: .venv/bin/python benchmarks/biocoder.py [--n 20] [--sandbox bwrap] [--build] [--programs]
``--build`` builds the environment from scratch into a temporary ``$MEDGYM_ENVS`` (pip's download cache is used
as usual: run with ``PIP_NO_CACHE_DIR=1`` for a cold CI-like build). The grade cost is the whole grader call
(``grade_function``: splice, a fresh sandboxed kernel of the environment, the program, the comparison) on the
reference functions of suite tasks and official samples in turn; a papermill grade adds its notebook run.
``--programs`` times what loading official rows runs most: each row's program with the two stub functions
spliced in, all in one kernel (as before) and then split over one kernel per core (``run_programs``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import med, p95

import medgym_nb as mg
from medgym_nb._loop import run_sync
from medgym_nb.families.biocoder import family, programs
from medgym_nb.families.biocoder.family import BIOCODER_ENV, grade_function
from medgym_nb.families.biocoder.signatures import STUBS, stub_function
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


def program_seconds(tasks: list[mg.Task], sandbox: str) -> tuple[float, float]:
    """Seconds to run every stub program of ``tasks``: in one kernel, then split over one kernel per core."""
    stubs = [
        family._spliced(t, stub_function(family._payload(t).signature, family._payload(t).function, stub))
        for t in tasks
        for stub in STUBS
    ]
    env, timeout = BIOCODER_ENV, family.PROGRAM_TIMEOUT
    run_sync(programs.run_programs(stubs[:2], environment=env, sandbox=sandbox, timeout=timeout))  # warm-up
    t0 = time.perf_counter()
    run_sync(programs._run_in_one_kernel(stubs, env, sandbox, timeout, None))
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_sync(programs.run_programs(stubs, environment=env, sandbox=sandbox, timeout=timeout))
    return one, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20, help="grades to time")
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument(
        "--build", action="store_true", help="also time a build of the environment from scratch"
    )
    parser.add_argument("--programs", action="store_true", help="also time the official rows' stub programs")
    args = parser.parse_args()
    if args.build:
        print(f"environment build from scratch: {build_seconds():.1f} s")
    ensure_environment(BIOCODER_ENV, print)
    tasks = mg.load_tasks("biocoder")
    if SAMPLE.is_file():
        tasks += mg.load_tasks("biocoder", path=SAMPLE)
    if args.programs and SAMPLE.is_file():
        official = mg.load_tasks("biocoder", path=SAMPLE)
        one, split = program_seconds(official, args.sandbox)
        print(
            f"{2 * len(official)} stub programs: one kernel {one:.1f} s, a kernel per core {split:.1f} s "
            f"(ratio {one / split:.2f})"
        )
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
