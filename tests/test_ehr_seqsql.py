"""The EHR-SeqSQL family: question sequences asked turn by turn in one kernel, over synthetic MIMIC-III.

Real kernels throughout: the oracle's reference cells build on the data frames of earlier turns, so a part
passing shows the kernel kept them; every part is graded on its own and a wrong one costs exactly its share.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.families.ehr_seqsql.family import PER_CATEGORY, draw_sequence
from medgym_nb.families.ehr_seqsql.questions import SEQUENCES
from medgym_nb.families.ehrsql.family import DATABASES
from medgym_nb.family.registry import ENTRY_POINT_GROUP
from medgym_nb.replay import replay_notebook

SOURCE = "ehr_seqsql"


@pytest.fixture(scope="module")
def family() -> mg.TaskFamily:
    """The family, as installed through its entry point."""
    return mg.get_family(SOURCE)


@pytest.fixture(scope="module")
def suite(family: mg.TaskFamily) -> list[mg.Task]:
    return mg.load_tasks(SOURCE)


def _spread(tasks: list[mg.Task], per_category: int) -> list[mg.Task]:
    """The first ``per_category`` test-split tasks of every category, longest sequences first."""
    chosen: list[mg.Task] = []
    for category in SEQUENCES:
        mine = sorted((t for t in tasks if t.category == category), key=lambda t: -len(t.answer))
        chosen += mine[:per_category]
    return chosen


def test_suite_categories_counts_and_fixed_splits(family, suite):
    counts = Counter(t.category for t in suite)
    assert len(SEQUENCES) >= 8 and counts == dict.fromkeys(SEQUENCES, PER_CATEGORY)
    assert {len(t.answer) for t in suite} == {2, 3, 4, 5}
    assert mg.load_tasks(SOURCE, split="test") == [t for t in suite if t.split == "test"]
    assert Counter(t.split for t in suite) == {"train": 192, "test": 96}
    task = suite[0]
    assert family.follow_ups(task) == [p.question for p in task.payload.parts[1:]]
    assert "data/mimic_iii.db" in task.context and "2105-12-31" in task.context and "submit" in task.context
    assert all(len(t.answer) == len(t.payload.parts) == len(t.solution) - 1 for t in suite)


def test_generator_yields_thousands_of_distinct_sequences(tmp_path):
    spec = DATABASES["mimic_iii"]
    db = spec.build(tmp_path / spec.file, seed=0)
    con = sqlite3.connect(db)
    try:
        distinct = {
            (name, tuple(step.question for step in draw_sequence(template, rng, con)))
            for name, template in SEQUENCES.items()
            for rng in [random.Random(name)]
            for _ in range(600)
        }
    finally:
        con.close()
    per_template = Counter(name for name, _ in distinct)
    assert len(distinct) >= 2000 and min(per_template.values()) > PER_CATEGORY, per_template


def test_oracle_scores_every_part_in_sandboxed_kernels(suite, tmp_path):
    tasks = _spread([t for t in suite if t.split == "test"], 4)
    assert {t.category for t in tasks} == set(SEQUENCES)
    config = mg.EnvConfig(sandbox="zygote")  # sandboxed as bubblewrap's kernels are, a tenth of the start
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, concurrency=2, config=config)
    failed = [(r.task_id, r.reward, r.message) for r in results if not r.passed]
    assert not failed and all(r.reward == 1.0 for r in results)
    episode = mg.read_episode(results[0].notebook)
    assert episode.grade.subscores == {f"q{i + 1}": 1.0 for i in range(len(tasks[0].answer))}


def test_a_wrong_sub_answer_costs_exactly_its_share(suite, family, tmp_path):
    task = next(t for t in suite if len(t.answer) == 4)
    plan = family.oracle_plan(task)
    third = plan[-2]["params"][
        "code"
    ]  # its cell still runs (the fourth part builds on it), its answer is wrong
    plan[-2:-1] = [
        {"action": "execute", "params": {"code": third}},
        {"action": "submit", "params": {"answer": ["not the answer"]}},
    ]

    class OneWrong(mg.OracleAgent):
        def plan(self, _task):
            return plan

    [result] = mg.run_episodes([task], lambda _t: OneWrong(), tmp_path)
    assert result.reward == 0.75 and not result.passed
    assert mg.read_episode(result.notebook).grade.subscores == {"q1": 1.0, "q2": 1.0, "q3": 0.0, "q4": 1.0}


def test_a_reference_solution_uses_a_variable_of_an_earlier_turn_and_replays(suite, family, tmp_path):
    task = next(t for t in suite if t.category == "admission_cohort" and len(t.answer) >= 3)
    first, second = task.solution[1], task.solution[2]
    assert "cohort = " in first and "cohort = " not in second and "isin(cohort)" in second
    with mg.Env(out_dir=tmp_path / "run") as env:
        env.reset(task, seed=7)
        env.step({"action": "execute", "params": {"code": task.solution[0]}})
        obs, *_ = env.step({"action": "validate_code", "params": {"code": first}})
        assert obs.type == "next_question" and obs.passed
        assert task.payload.parts[1].question in obs.env_message
        obs, *_ = env.step(
            {"action": "execute", "params": {"code": "print(len(cohort))"}}
        )  # kept in the kernel
        assert int(obs.env_message) == len(task.answer[0])
        for code in task.solution[2:]:
            obs, reward, terminated, _, info = env.step({"action": "validate_code", "params": {"code": code}})
    assert terminated and reward == 1.0 and obs.type == "grade"
    report = replay_notebook(info["notebook"], tmp_path / "replay")
    assert report.reproduced and mg.read_episode(report.replayed).reward == 1.0


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if SOURCE not in {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}:
        pytest.skip("the ehr_seqsql entry point is not installed in this venv yet (reinstall the package)")
    exe = Path(sys.executable).with_name("medgym")
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=env, timeout=600, cwd=cwd, check=False
    )


def test_cli_lists_the_categories_and_runs_the_oracle_from_nothing(tmp_path):
    listed = _cli("tasks", "list", "--source", SOURCE, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert all(category in listed.stdout for category in SEQUENCES)
    args = ["--agent", "oracle", "--limit", "10", "--out", "run", "--sandbox", "zygote"]  # forked kernels
    done = _cli("run", "--source", SOURCE, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    index = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(index) == 10 and all(r["passed"] for r in index)
