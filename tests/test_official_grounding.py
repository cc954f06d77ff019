"""Official EHR tasks offline: synthetic databases built to contain what the official SQL asks about, answers
re-grounded on them, the released answers kept beside; or the user's real database with the released answers.

The shares of informative answers are printed for the official sample and the whole official train splits in
``../shared``; the floors asserted are what the synthesis reaches today (the issue's bar is 90 %).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.families.ehrsql.family import DATABASES
from medgym_nb.tasks.check import informative_shares
from tests.marks import slow_except

FLOORS = {"mimic_iii": 0.95, "eicu": 0.95, "treqs": 0.95}
SPLITS = {"sample": "medagentgym", "train": "medagentgym-train"}


def _data_dir(shared_dir: Path, split: str, source: str) -> Path:
    folder = shared_dir.parent / SPLITS[split]
    if not (folder / source).is_dir():
        pytest.skip(f"the official {source} {split} file is not in ../shared ({folder / source})")
    return folder


# whole train splits of eICU and TREQS build large databases: make test-all
@pytest.mark.parametrize(
    ("source", "split"),
    slow_except(
        [(source, split) for source in sorted(DATABASES) for split in sorted(SPLITS)],
        {(source, "sample") for source in DATABASES} | {("mimic_iii", "train")},
    ),
)
def test_official_tasks_are_regrounded_on_a_synthetic_database(shared_dir, source, split):
    tasks = mg.load_tasks(source, path=_data_dir(shared_dir, split, source))
    [overall] = [a for a in informative_shares(tasks) if a.category == "all"]
    print(
        f"\n{source} {split}: {overall.tasks} tasks, {overall.informative} informative ({overall.share:.1%})"
    )
    assert overall.share >= FLOORS[source]
    assert all(t.payload.official_answer is not None for t in tasks)
    assert {Path(t.data_dir) / t.data_files[0] for t in tasks} == {
        Path(tasks[0].data_dir) / DATABASES[source].file
    }
    again = mg.load_tasks(source, path=_data_dir(shared_dir, split, source))  # cached, not rebuilt
    assert [t.answer for t in again] == [t.answer for t in tasks] and again[0].data_dir == tasks[0].data_dir


def test_changed_task_files_get_their_own_database(shared_dir, tmp_path):
    folder = tmp_path / "data" / "mimic_iii"
    folder.mkdir(parents=True)
    sample = shared_dir / "mimic_iii" / "train_tasks.sample.jsonl"
    lines = sample.read_text().splitlines()
    (folder / "train_tasks.jsonl").write_text("\n".join(lines[:5]) + "\n")
    first = mg.load_tasks("mimic_iii", path=tmp_path / "data")
    (folder / "train_tasks.jsonl").write_text("\n".join(lines[:6]) + "\n")
    second = mg.load_tasks("mimic_iii", path=tmp_path / "data")
    assert len(first) == 5 and len(second) == 6 and first[0].data_dir != second[0].data_dir


def test_a_real_database_keeps_the_released_answers(shared_dir, tmp_path):
    synthetic = mg.load_tasks("mimic_iii", path=shared_dir)
    real = tmp_path / "real" / "mimic_iii.db"
    real.parent.mkdir()
    shutil.copy(Path(synthetic[0].data_dir) / "mimic_iii.db", real)
    tasks = mg.load_tasks("mimic_iii", path=shared_dir, database=real)
    assert [t.answer for t in tasks] == [t.payload.official_answer for t in tasks]
    assert {t.data_dir for t in tasks} == {str(real.parent)}
    with pytest.raises(mg.TaskFileError, match="database not found"):
        mg.load_tasks("mimic_iii", path=shared_dir, database=tmp_path / "nope.db")


@pytest.mark.parametrize("source", slow_except(sorted(DATABASES), {"mimic_iii"}))
def test_oracle_passes_regrounded_official_tasks_in_sandboxed_kernels(shared_dir, source, tmp_path):
    tasks = mg.load_tasks(source, path=shared_dir)
    config = mg.EnvConfig(sandbox="zygote", pool_size=1)
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, config=config, concurrency=2)
    assert all(r.passed for r in results), [r.task_id for r in results if not r.passed]
    assert {mg.read_episode(r.notebook).sandbox for r in results} == {"zygote"}


def test_a_wrong_answer_to_a_regrounded_task_scores_zero(shared_dir):
    task = next(t for t in mg.load_tasks("mimic_iii", path=shared_dir) if t.answer)
    with mg.Env() as env:
        env.reset(task)
        obs, reward, terminated, *_ = env.step({"action": "submit", "params": {"answer": ["not it"]}})
    assert terminated and reward == 0.0 and not obs.passed


def test_cli_checks_the_share_of_informative_answers(shared_dir):
    exe = Path(sys.executable).with_name("medgym")
    done = subprocess.run(
        [str(exe), "tasks", "check", "--source", "mimic_iii", "--path", str(shared_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "150"},
    )
    assert done.returncode == 0, done.stderr
    assert "informative answers" in done.stdout and "all" in done.stdout and "%" in done.stdout


def test_request_info_over_a_regrounded_database(shared_dir):
    task = mg.load_tasks("eicu", path=shared_dir)[0]
    with mg.Env() as env:
        env.reset(task)
        obs, *_ = env.step(
            {"action": "request_info", "params": {"info_type": "column_names", "table": "patient"}}
        )
        assert "uniquepid" in obs.env_message
        obs, *_ = env.step(
            {"action": "request_info", "params": {"info_type": "term", "keyterm": "furosemide"}}
        )
        assert "medication.drugname" in obs.env_message
    json.dumps(task.model_dump(mode="json"))  # the task stays serialisable with its payload


@pytest.mark.parametrize("source", slow_except(["eicu", "treqs", "ehrcon"], {"treqs"}))
def test_cli_runs_a_builtin_suite_from_nothing(source, tmp_path):
    """``medgym run --source S --agent oracle --limit 20`` with an empty cache: the database is built, every
    category is played in sandboxed (forked) kernels, and the oracle passes them all."""
    exe = Path(sys.executable).with_name("medgym")
    env = {**os.environ, "MEDGYM_HOME": str(tmp_path / "home"), "COLUMNS": "150"}
    args = ["run", "--source", source, "--agent", "oracle", "--limit", "20", "--out", str(tmp_path / "run")]
    args += ["--sandbox", "zygote"]  # a tenth of bubblewrap's start; the CLI's default has tests of its own
    done = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    index = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(index) == 20 and all(r["passed"] for r in index)
    assert len({r["category"] for r in index}) >= 4
