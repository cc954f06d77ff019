"""N-PowerAI: how fast ``npower.solve`` reads and answers questions, the suite build, and oracle episodes.

Run: .venv/bin/python benchmarks/npower.py [--shared ../shared] [--episodes 6]
Solves every official train question (``--shared``/medagentgym-train/npowerai) and the generated suite,
reporting milliseconds per question and the share of released answers reproduced; builds the suite into a
fresh cache; plays ``--episodes`` oracle episodes in the default sandbox and reports seconds per episode.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from _common import med, p95

import medgym_nb as mg
from medgym_nb.npower import solve


def _solve_times(questions: list[str]) -> tuple[list[float], list[int | float]]:
    times, answers = [], []
    for question in questions:
        t0 = time.perf_counter()
        answers.append(solve(question))
        times.append(time.perf_counter() - t0)
    return times, answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--episodes", type=int, default=6, choices=range(1, 1001), metavar="1..1000")
    args = parser.parse_args()
    os.environ["MEDGYM_HOME"] = tempfile.mkdtemp(prefix="medgym-bench-")

    t0 = time.perf_counter()
    suite = mg.load_tasks("npowerai")
    print(f"suite build: {len(suite)} tasks in {time.perf_counter() - t0:.2f} s")
    times, _ = _solve_times([t.question for t in suite])
    print(f"solve, suite: median {med(times) * 1e3:.2f} ms, p95 {p95(times) * 1e3:.2f} ms per question")

    train = args.shared / "medagentgym-train" / "npowerai" / "train_tasks.jsonl"
    if train.is_file():
        rows = [json.loads(line) for line in train.read_text().splitlines() if line.strip()]
        times, answers = _solve_times([r["question"] for r in rows])
        same = sum(
            a == r["answer"] if r["estimate_target"] == "size" else abs(a - r["answer"]) < 1e-6
            for a, r in zip(answers, rows, strict=True)
        )
        print(
            f"solve, official train: {len(rows)} questions, median {med(times) * 1e3:.2f} ms, "
            f"p95 {p95(times) * 1e3:.2f} ms; reproduces {same}/{len(rows)} ({same / len(rows):.1%})"
        )

    tasks = [t for t in suite if t.split == "test"][: args.episodes]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), out)
        seconds = time.perf_counter() - t0
    print(
        f"oracle episodes: {sum(r.passed for r in results)}/{len(results)} passed, "
        f"{seconds / len(results):.2f} s per episode (sequential, kernel start and papermill grading included)"
    )


if __name__ == "__main__":
    main()
