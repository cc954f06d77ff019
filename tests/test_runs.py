"""Runs: the oracle over a suite slice, resuming, replaying a run, re-grading, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

import medgym_nb as mg
from medgym_nb.cli import app
from medgym_nb.grading.batch import grade_directory


def _one_per_category(tasks):
    seen = {}
    for t in tasks:
        seen.setdefault(t.category, t)
    return list(seen.values())


def test_oracle_solves_every_category_and_replay_reproduces(test_tasks, tmp_path):
    tasks = _one_per_category(test_tasks)
    assert len(tasks) >= 5
    # forked kernels (sandboxed as bubblewrap's are, a tenth of the start); the next tests run in bubblewrap
    config = mg.EnvConfig(sandbox="zygote")
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path / "run", config=config)
    assert [r.passed for r in results] == [True] * len(tasks), [r for r in results if not r.passed]
    index = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert [r["task_id"] for r in index] == [t.id for t in tasks]
    for r in results:
        nbformat.validate(nbformat.read(r.notebook, as_version=4))

    episodes = {t.id: mg.read_episode(r.notebook) for t, r in zip(tasks, results, strict=True)}
    replayed = mg.run_episodes(
        tasks, lambda t: mg.ReplayAgent(episodes[t.id]), tmp_path / "replay", config=config
    )
    assert all(r.passed for r in replayed)
    for first, second in zip(results, replayed, strict=True):
        original = nbformat.read(first.notebook, as_version=4)
        again = nbformat.read(second.notebook, as_version=4)
        outs = [[o.get("text") for o in c.outputs] for c in original.cells if c.cell_type == "code"]
        assert outs == [[o.get("text") for o in c.outputs] for c in again.cells if c.cell_type == "code"]


def test_run_resumes_and_regrading_agrees(test_tasks, tmp_path):
    tasks = test_tasks[:2]
    out = tmp_path / "run"
    first = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), out)
    stamp = [Path(r.notebook).stat().st_mtime_ns for r in first]
    again = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), out)
    assert [Path(r.notebook).stat().st_mtime_ns for r in again] == stamp  # skipped, not re-run
    (out / "mimic_iii" / "junk").mkdir()
    (out / "mimic_iii" / "junk" / "episode.ipynb").write_text("{ not a notebook")
    assert {r.status for r in grade_directory(out)} == {"skipped", "error"}  # graded live already
    records = grade_directory(out, force=True)
    by_status = {r.status for r in records}
    assert by_status == {"graded", "error"}
    assert all(r.passed for r in records if r.status == "graded")
    assert sum(r.status == "graded" for r in records) == 2
    assert all(Path(r.notebook).with_name("grade.ipynb").is_file() for r in records if r.passed)
    assert {r.status for r in grade_directory(out) if r.task_id} == {"skipped"}


def _medgym(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("medgym")
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "120"},
    )


def test_cli_run_grade_and_errors(tmp_path):
    run = _medgym(
        "run", "--source", "mimic_iii", "--agent", "oracle", "--limit", "3", "--out", "r", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert "100%" in run.stdout and "all" in run.stdout
    graded = _medgym("grade", "r", cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr
    assert (tmp_path / "r" / "grades.jsonl").is_file()
    # the same application in this process: a command's start is ~1 s of imports, its own test above
    cli = CliRunner()
    shown = cli.invoke(app, ["tasks", "show", "mimic_iii.syn.drug_route.001"])
    assert shown.exit_code == 0 and '"category": "drug_route"' in shown.stdout
    for args in (
        ("tasks", "list", "--source", "mimic"),
        ("run", "--path", str(tmp_path / "missing.jsonl")),
        ("run", "--agent", "nobody"),
        ("grade", str(tmp_path / "no-such-dir")),
    ):
        bad = cli.invoke(app, list(args), env={"COLUMNS": "120"})
        assert bad.exit_code == 2, (args, bad.stdout, bad.stderr)
        assert bad.stderr.startswith("error:") and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_oracle_scores_100_percent_on_the_test_split(test_tasks, tmp_path):
    results = mg.run_episodes(test_tasks, lambda _t: mg.OracleAgent(), tmp_path / "run")
    assert len(results) == len(test_tasks) and all(r.passed for r in results)


def test_warm_and_cold_grading_agree(test_tasks, tmp_path):
    """The warm-kernel batch grader and papermill's kernel-per-notebook path give identical verdicts."""
    out = tmp_path / "run"
    mg.run_episodes(test_tasks[:3], lambda _t: mg.OracleAgent(), out)
    with mg.Env(out_dir=out) as env:  # a wrong answer and an episode without one
        env.reset(test_tasks[3])
        env.step({"action": "submit", "params": {"answer": ["wrong", 1, None]}})
        env.reset(test_tasks[4])
        env.step({"action": "execute", "params": {"code": "1"}})
    warm = grade_directory(out, force=True, workers=2)
    cold = grade_directory(out, force=True, warm=False, workers=1)
    summary = [(r.notebook, r.status, r.score, r.passed, r.message) for r in warm]
    assert summary == [(r.notebook, r.status, r.score, r.passed, r.message) for r in cold]
    assert {r.status for r in warm} == {"graded", "no_answer"}
    assert sorted(r.passed for r in warm) == [False, False, True, True, True]


def test_replay_reproduces_and_catches_an_edited_notebook(test_tasks, tmp_path):
    from medgym_nb.replay import replay_notebook

    [result] = mg.run_episodes([test_tasks[5]], lambda _t: mg.OracleAgent(), tmp_path / "run")
    report = replay_notebook(result.notebook, tmp_path / "replay")
    assert report.reproduced and report.replayed_passed and all(c.same for c in report.cells)
    nbformat.validate(nbformat.read(report.replayed, as_version=4))

    nb = nbformat.read(result.notebook, as_version=4)
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    last.outputs[0]["text"] = "['something else']\n"
    edited = tmp_path / "edited" / "x.ipynb"
    edited.parent.mkdir()
    nbformat.write(nb, edited)
    report = replay_notebook(edited, tmp_path / "replay2")
    assert not report.reproduced
    assert "something else" in report.cells[-1].diff and report.replayed_passed


def test_runs_of_the_old_flat_layout_still_read_grade_and_resume(test_tasks, tmp_path):
    """A run written before episode folders (``<source>/<task_id>.ipynb``, pre-family task fields)."""
    from medgym_nb.report import summarise_run

    task = test_tasks[0]
    [result] = mg.run_episodes([task], lambda _t: mg.OracleAgent(), tmp_path / "new")
    nb = nbformat.read(result.notebook, as_version=4)
    meta = nb.metadata["medgym"]
    legacy_task = {k: v for k, v in meta["task"].items() if k not in {"family", "payload"}}
    legacy_task |= {"grader": "ehrsql", "answer_spec": meta["task"]["payload"]["answer_spec"], "actions": []}
    for key in ("config", "grading", "family", "seed", "rollout", "error", "system_prompt"):
        meta.pop(key, None)
    meta |= {"task": legacy_task, "limits": None}
    old = tmp_path / "old"
    (old / task.source).mkdir(parents=True)
    nbformat.write(nb, old / task.source / f"{task.id}.ipynb")
    [record] = grade_directory(old)
    assert record.status == "graded" and record.passed
    assert (old / task.source / f"{task.id}.grade.ipynb").is_file()
    assert summarise_run(old).rows[0].passed
    [again] = mg.run_episodes([task], lambda _t: mg.OracleAgent(), old)  # resumed, not re-run
    assert again.notebook == str(old / task.source / f"{task.id}.ipynb")
