"""The EHRCon family: notes written from synthetic MIMIC-III with a known number of inconsistencies.

Real sandboxed kernels throughout: the oracle reads each note and checks its statements against the
database in the episode's kernel; a flipped verdict scores 0. The official rows (sample and train) map to
notes for their admission and entity with the number of inconsistencies they state; the share is printed.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.families.ehrcon.family import EhrconPayload, grade_verdict, read_verdict
from medgym_nb.families.ehrcon.notes import agrees, value_query
from medgym_nb.tasks import spread_over_categories
from tests.marks import slow_except
from tests.official import SPLIT_FILES, official_rows

SOURCE = "ehrcon"


@pytest.fixture(scope="module")
def family() -> mg.TaskFamily:
    """The family, as installed through its entry point."""
    return mg.get_family(SOURCE)


@pytest.fixture(scope="module")
def suite(family: mg.TaskFamily) -> list[mg.Task]:
    return mg.load_tasks(SOURCE)


def _payload(task: mg.Task) -> EhrconPayload:
    assert isinstance(task.payload, EhrconPayload)
    return task.payload


def _recount(task: mg.Task) -> int:
    """The inconsistencies of the task's note, counted on the host against its database by the stated rule."""
    p = _payload(task)
    con = sqlite3.connect(f"file:{Path(task.data_dir or '', 'mimic_iii.db')}?mode=ro", uri=True)
    try:
        label = p.entity.strip().lower()
        sql = value_query(p.table)
        rows = [[v for (v,) in con.execute(sql, (p.hadm_id, label, m.date))] for m in p.mentions]
    finally:
        con.close()
    return sum(
        not any(agrees(m.charted_value, v) for v in vs) for m, vs in zip(p.mentions, rows, strict=True)
    )


def test_suite_categories_splits_and_ground_truth(suite):
    counts = Counter(t.category for t in suite)
    assert len(suite) == 300 and len(counts) == 12 and min(counts.values()) >= 20
    assert Counter(t.split for t in suite) == {"train": 200, "test": 100}
    assert {t.answer["inconsistencies"] for t in suite} >= {0, 1, 2, 3, 4}
    for task in suite:
        p = _payload(task)
        assert task.answer == {"has_error": p.inconsistencies > 0, "inconsistencies": p.inconsistencies}
        assert len(p.injected) == p.inconsistencies == _recount(task)
        assert Path(task.data_dir or "", p.note_file).is_file() and task.data_files == [
            "mimic_iii.db",
            p.note_file,
        ]
    assert {e for t in suite for e in _payload(t).injected} == {
        "wrong_value",
        "wrong_unit",
        "wrong_date",
        "uncharted",
    }


def test_verdicts_are_typed():
    assert read_verdict("(True, 1)") == (True, 1)
    assert read_verdict("progress...\n{'has_error': False, 'inconsistencies': 0}") == (False, 0)
    assert read_verdict({"has_error": True, "inconsistencies": 2}) == (True, 2)
    for bad in ("True, 1 inconsistency", (1, True), (True, 1.5), {"has_error": "yes"}, "(True,)", None):
        assert read_verdict(bad) is None
    expected = {"has_error": True, "inconsistencies": 1}
    assert grade_verdict(expected, (True, 1)).score == 1.0
    flipped = grade_verdict(expected, (False, 1))
    assert flipped.score == 0.0 and flipped.subscores == {"has_error": 0.0, "inconsistencies": 1.0}
    assert grade_verdict(expected, (True, 2)).score == 0.0


def test_oracle_scores_every_category_in_sandboxed_kernels(suite, tmp_path):
    tasks = spread_over_categories([t for t in suite if t.split == "test"], 12)
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path)
    assert [(r.passed, r.reward) for r in results] == [(True, 1.0)] * 12


def test_a_flipped_verdict_scores_zero(suite, tmp_path):
    tasks = [
        next(t for t in suite if t.answer["has_error"]),
        next(t for t in suite if not t.answer["has_error"]),
    ]

    class Flipped(ScriptedAgent):
        name = "flipped"

        def plan(self, task):
            answer = {**task.answer, "has_error": not task.answer["has_error"]}
            return [{"action": "submit", "params": {"answer": answer}}]

    results = mg.run_episodes(tasks, lambda _t: Flipped(), tmp_path)
    assert [(r.passed, r.reward) for r in results] == [(False, 0.0)] * 2
    assert "consistency verdict" in mg.read_episode(results[0].notebook).grade.message


@pytest.mark.parametrize("split", slow_except(["sample", "train"], {"sample"}))  # the train split: test-all
def test_official_rows_map_and_the_oracle_passes_them(family, shared_dir, split, tmp_path):
    rows = official_rows(shared_dir, SOURCE, split)
    folder, name = SPLIT_FILES[split]
    path = shared_dir.parent / folder / SOURCE / name
    loaded = mg.load_task_set(SOURCE, path=path)
    tasks, unmapped = loaded.tasks, [(e.task_id, e.reason) for e in loaded.excluded]
    share = len(tasks) / len(rows)
    print(f"ehrcon {split}: {len(tasks)}/{len(rows)} rows map ({share:.1%}); unmapped: {unmapped[:5]}")
    assert share >= 0.9 and len(tasks) + len(unmapped) == len(rows)
    stated = Counter((r["Has error"], r["Number of inconsistencies"]) for r in rows)
    assert Counter((t.answer["has_error"], t.answer["inconsistencies"]) for t in tasks) <= stated
    assert all(_recount(t) == t.answer["inconsistencies"] for t in tasks)
    picked = spread_over_categories(tasks, 12)
    config = mg.EnvConfig(sandbox="zygote")  # forked kernels; every category's test runs in bubblewrap
    results = mg.run_episodes(picked, lambda _t: mg.OracleAgent(), tmp_path, config=config)
    passed = sum(r.passed for r in results)
    print(f"ehrcon {split}: oracle passes {passed}/{len(results)} sandboxed episodes")
    assert passed == len(results)


@pytest.mark.slow
def test_oracle_passes_every_mapped_train_row(family, shared_dir, tmp_path):
    official_rows(shared_dir, SOURCE, "train")
    folder, name = SPLIT_FILES["train"]
    tasks = mg.load_tasks(SOURCE, path=shared_dir.parent / folder / SOURCE / name)
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path)
    passed = sum(r.passed for r in results)
    print(f"ehrcon train: oracle passes {passed}/{len(results)}")
    assert passed == len(results)
