"""Tasks: the synthetic suite, the catalog, and the official importers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.families.ehrsql import family as ehrsql
from medgym_nb.families.ehrsql.family import EhrsqlFamily
from medgym_nb.tasks.check import informative
from tests.marks import slow_except

EHRSQL_SOURCES = EhrsqlFamily.sources


SUITE_SOURCES = sorted(ehrsql.SUITES)
MIN_CATEGORIES = {"mimic_iii": 11, "eicu": 9, "treqs": 4}


@pytest.mark.parametrize("source", SUITE_SOURCES)
def test_suite_has_enough_instances_and_categories(source: str):
    tasks = mg.load_tasks(source)
    counts = Counter(t.category for t in tasks)
    print(f"\n{source}: {len(tasks)} tasks; {dict(sorted(counts.items()))}")
    assert len(tasks) >= 200 and len(counts) >= MIN_CATEGORIES[source]
    assert len({t.id for t in tasks}) == len(tasks)
    assert {t.split for t in tasks} == {"train", "test"}
    db_file = ehrsql.SUITES[source].database.file
    assert all(t.solution and t.data_dir and Path(t.data_dir, db_file).is_file() for t in tasks)
    # answers are typed values from SQL, not strings (TREQS stores every value as text), and say something
    assert any(isinstance(v, float) for t in tasks for v in t.answer) == (source != "treqs")
    assert any(isinstance(v, int) for t in tasks for v in t.answer)
    assert sum(map(informative, (t.answer for t in tasks))) / len(tasks) >= 0.85  # a count of 0 is fair


@pytest.mark.parametrize("source", slow_except(SUITE_SOURCES, {"mimic_iii"}))
def test_suite_is_deterministic(tmp_path: Path, source: str):
    a = ehrsql.build_suite(source, tmp_path / "a", seed=3)
    b = ehrsql.build_suite(source, tmp_path / "b", seed=3)
    c = ehrsql.build_suite(source, tmp_path / "c", seed=4)
    assert [(t.id, t.question, t.answer) for t in a] == [(t.id, t.question, t.answer) for t in b]
    assert [t.answer for t in a] != [t.answer for t in c]


def test_public_api_names(test_tasks):
    task = test_tasks[0]
    assert (task.source, task.split) == ("mimic_iii", "test")
    assert task.id and task.category and isinstance(task.answer, list)


def test_unknown_source_suggests():
    with pytest.raises(mg.UnknownSourceError, match="Did you mean 'mimic_iii'"):
        mg.load_tasks("mimic_ii")


def test_current_time_is_pinned():
    sql = "select strftime('%j',current_time) - strftime('%j', CURRENT_TIME)"
    assert ehrsql.executable_sql(sql).count(f"'{ehrsql.NOW}'") == 2


@pytest.mark.parametrize("source", EHRSQL_SOURCES)
def test_official_samples_load(shared_dir: Path, source: str):
    tasks = mg.load_tasks(source, path=shared_dir)
    rows = [
        json.loads(line) for f in (shared_dir / source).glob("*.jsonl") for line in f.open() if line.strip()
    ]
    assert len(tasks) == len(rows)
    assert [t.id for t in tasks] == [r["id"] for r in rows]
    assert all(t.source == source and t.solution for t in tasks)


def test_official_mimic_sql_runs_on_the_synthetic_database(shared_dir: Path):
    """Schema faithfulness: every official MIMIC-III query executes on our database unchanged."""
    db = Path(mg.load_tasks("mimic_iii")[0].data_dir) / "mimic_iii.db"
    rows = [json.loads(line) for line in (shared_dir / "mimic_iii" / "train_tasks.sample.jsonl").open()]
    for row in rows:
        ehrsql.run_sql(db, row["query"])


def test_malformed_task_file_names_file_and_line(tmp_path: Path):
    good = {"db_id": "mimic_iii", "question": "q", "query": "select 1", "answer": ["1"], "id": "a"}
    bad = tmp_path / "train_tasks.jsonl"
    bad.write_text(json.dumps(good) + "\n{not json\n")
    loaded = mg.load_task_set("mimic_iii", path=bad)  # one bad row never stops the others
    assert [t.id for t in loaded.tasks] == ["a"]
    assert [e.where for e in loaded.excluded] == [f"{bad}:2"]
    assert "not valid JSON" in loaded.excluded[0].reason
    missing = tmp_path / "x_tasks.jsonl"
    missing.write_text(json.dumps({"db_id": "mimic_iii", "question": "q"}) + "\n")
    with pytest.raises(mg.TaskFileError, match=r"x_tasks\.jsonl:1: an EHRSQL row needs query"):
        mg.load_tasks("mimic_iii", path=missing)
    with pytest.raises(mg.TaskFileError, match=r"not found|no task files"):
        mg.load_tasks("mimic_iii", path=tmp_path / "nowhere")


@pytest.mark.parametrize("source", SUITE_SOURCES)
def test_every_reference_solution_passes_its_grader(monkeypatch, source: str):
    """All instances, quickly: run each task's solution cells in-process and grade what they print."""
    import contextlib
    import io

    from medgym_nb.grading import compare, parse_printed

    tasks = mg.load_tasks(source)
    monkeypatch.chdir(Path(tasks[0].data_dir).parent)
    failures = []
    for task in tasks:
        namespace: dict = {}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            for cell in task.solution:
                exec(cell, namespace)
        namespace["con"].close()
        grade = compare(task.payload.answer_spec, task.answer, parse_printed(out.getvalue()))
        if not grade.passed:
            failures.append((task.id, grade.message))
    assert not failures
