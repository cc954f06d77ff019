"""The MedCalc-Bench family: generated notes for every calculator, the official rows, and the limits grader.

Real sandboxed kernels and real papermill: the oracle prints each task's answer in a bubblewrap kernel and the
grader notebook scores it; answers just outside the limits, candidate lists and ranges score 0. The official
sample loads unchanged, its Ground Truth and limits kept as the truth; how many rows ``compute`` reproduces is
printed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.errors import TaskFileError
from medgym_nb.families.medcalcbench.family import (
    SUITE_PER_CALCULATOR,
    MedcalcPayload,
    disagreements,
    generate,
)
from medgym_nb.families.medcalcbench.notes import UNIT_SPELLINGS, draw_entities, write_note
from medgym_nb.grading.answers import Answer
from medgym_nb.grading.limits import Limits, final_value, grade_within
from medgym_nb.medcalc import calculators, compute
from medgym_nb.medcalc.units import convert
from medgym_nb.tasks import spread_over_categories

SOURCE = "medcalcbench"
SAMPLE = Path("medcalcbench") / "test_tasks.sample.jsonl"
CRCL = Limits(kind="number", value=25.238, lower=23.9761, upper=26.4999)


@pytest.fixture(scope="module")
def family() -> mg.TaskFamily:
    """The family, as installed through its entry point."""
    return mg.get_family(SOURCE)


@pytest.fixture(scope="module")
def suite(family: mg.TaskFamily) -> list[mg.Task]:
    return mg.load_tasks(SOURCE)


def _payload(task: mg.Task) -> MedcalcPayload:
    assert isinstance(task.payload, MedcalcPayload)
    return task.payload


def _printed(text: str) -> object:
    return final_value(Answer(kind="printed", value=text))


@pytest.mark.parametrize(
    ("printed", "passed"),
    [
        ("25.238", True),
        ("26.4999", True),  # the upper limit itself
        ("23.9761", True),
        ("26.5", False),  # just outside
        ("23.976", False),
        ("25.2 mL/min", True),
        ("'25.2'", True),
        ("'25.2 mL/min'", True),
        ("CrCl = 25.2", False),
        ("weight 72 kg\nBMI 27.1\n25.2 mL/min", True),  # progress prints, then the answer
        ("[25.2, 30.1]", False),  # candidates, one of them right
        ("[30.1, 25.2]", False),
        ("25.2\n30.1", False),  # the last line counts
        ("20-30", False),
        ("24 - 26", False),
        ("25.2 or 30.1", False),
        ("between 24 and 26", False),
        ("True", False),
        ("", False),
    ],
)
def test_numbers_pass_within_the_limits_only(printed, passed):
    assert grade_within(CRCL, _printed(printed)).passed is passed


def test_submitted_values_and_other_kinds():
    assert grade_within(CRCL, 25.2).passed and grade_within(CRCL, "25.2 mL/min").passed
    assert not grade_within(CRCL, [25.2, 30.1]).passed and not grade_within(CRCL, {"a": 25.2}).passed
    gfr = Limits(kind="number", value=15.6, lower=14.82, upper=16.38)
    assert grade_within(gfr, _printed("15.6 mL/min/1.73 m²")).passed
    assert grade_within(Limits(kind="number", value=-6, lower=-6.3, upper=-5.7), "−6 mEq/L").passed
    score = Limits(kind="number", value=5, lower=5, upper=5)
    assert grade_within(score, 5).passed and grade_within(score, "5.0").passed
    assert not grade_within(score, 4).passed and not grade_within(score, 5.01).passed

    due = Limits(kind="date", value="12/09/2007")
    for ok in ("12/09/2007", "12/9/2007", "'12/09/2007'", "2007-12-09"):
        assert grade_within(due, _printed(ok)).passed, ok
    for bad in (
        "12/10/2007",
        "09/12/2007",
        "['12/09/2007', '12/10/2007']",
        "December 2007",
        "12/09/2007 or later",
    ):
        grade = grade_within(due, _printed(bad))
        assert not grade.passed and grade.score == 0.0, bad

    age = Limits(kind="weeks_days", value=[4, 2])
    for ok in ("('4 weeks', '2 days')", "(4, 2)", "4 weeks, 2 days", "4 weeks and 2 days"):
        assert grade_within(age, _printed(ok)).passed, ok
    for bad in ("('4 weeks', '3 days')", "(2, 4)", "[(4, 2), (5, 0)]", "30 days", "4"):
        assert not grade_within(age, _printed(bad)).passed, bad
    assert "unreadable" in grade_within(age, _printed("30 days")).message


def test_generator_is_deterministic_and_covers_every_calculator():
    calcs = calculators()
    assert len({c.id for c in calcs}) == len(calcs) >= 37
    for calc in calcs:
        tasks = generate(calc.id, 20, seed=7)
        assert len(tasks) == 20 and len({t.id for t in tasks}) == 20
        assert [t.model_dump() for t in tasks] == [t.model_dump() for t in generate(calc.id, 20, seed=7)]
        assert generate(calc.id, 3, seed=7) == tasks[:3]  # a longer run extends a shorter one, splits kept
        assert Counter(t.split for t in tasks) == {"test": 10, "train": 10}
        assert [t.question for t in tasks] != [t.question for t in generate(calc.id, 20, seed=8)]
        for task in tasks:
            p = _payload(task)
            assert task.category == calc.name and p.agrees and p.origin == "generated"
            assert task.question.endswith(calc.question)
            value = compute(calc.id, p.entities)
            assert (
                repr(value) == p.computed and grade_within(Limits.model_validate(task.answer), value).passed
            )


def test_notes_state_the_entities_among_distractors():
    """Every stated measurement is in the note as the entities give it; other numbers surround it."""
    priors = others = 0
    for calc in calculators():
        for index in range(5):
            rng = random.Random(f"note-{calc.id}-{index}")
            entities = draw_entities(calc, rng)
            note = write_note(calc, entities, rng)
            for key, value in entities.items():
                if key == "age":
                    assert f"{value[0]}-year-old" in note
                elif key in ("Systolic Blood Pressure", "Diastolic Blood Pressure"):
                    assert re.search(rf"\b{value[0]}(/\d+)? mm ?Hg", note) or f"{value[0]}/" in note
                elif key.endswith(" Dose Per Day"):
                    assert ("once a day" if value[0] == 1 else f"{value[0]} times a day") in note
                elif isinstance(value, list) and isinstance(value[0], str):  # a named drug and its dose
                    assert f"{value[1]} {value[2]} of {value[0]}" in note
                elif isinstance(value, list) and len(value) == 2:
                    spelled = UNIT_SPELLINGS.get(value[1], (value[1],))
                    assert any(f"{value[0]} {unit}" in note for unit in spelled), (calc.name, key, note)
                    assert all(convert(10.0, unit, value[1], "creatinine") == 10.0 for unit in spelled)
                elif isinstance(value, list):
                    assert " ".join(str(v) for v in value) in note, (calc.name, key, note)
            priors += "was recorded" in note
            numbers = re.findall(r"\d+(?:\.\d+)?", note)
            stated = sum(isinstance(v, list) for v in entities.values())
            others += len(numbers) > stated + 1
    runs = 5 * len(calculators())
    print(f"notes: {priors}/{runs} state an earlier value, {others}/{runs} hold numbers beyond the entities")
    assert priors > runs / 5 and others > runs * 0.9


def test_suite_holds_every_calculator_with_fixed_splits(suite, family):
    counts = Counter(t.category for t in suite)
    assert set(counts) == {c.name for c in calculators()}
    assert set(counts.values()) == {SUITE_PER_CALCULATOR}
    assert Counter(t.split for t in suite) == {"test": len(suite) // 2, "train": len(suite) // 2}
    assert "request_info" not in family.actions  # everything is in the patient note


def test_oracle_scores_one_task_per_calculator_in_sandboxed_kernels(suite, tmp_path):
    tasks = spread_over_categories([t for t in suite if t.split == "test"], len(calculators()))
    assert {t.category for t in tasks} == {c.name for c in calculators()}
    # forked kernels (sandboxed as bubblewrap's are, a tenth of the start): one episode per calculator
    config = mg.EnvConfig(sandbox="zygote")
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, concurrency=2, config=config)
    assert [(r.passed, r.reward) for r in results] == [(True, 1.0)] * len(tasks)
    assert {r.sandbox for r in results} == {"zygote"}


class _Wrong(ScriptedAgent):
    """Just outside: a number above the upper limit (with a unit), or the right number printed among
    candidates; the day after the right date; one day more of gestational age."""

    name = "wrong"

    def plan(self, task):
        limits = Limits.model_validate(task.answer)
        if limits.kind == "date":
            day = dt.datetime.strptime(limits.value, "%m/%d/%Y") + dt.timedelta(days=1)
            return [{"action": "submit", "params": {"answer": day.strftime("%m/%d/%Y")}}]
        if limits.kind == "weeks_days":
            weeks, days = limits.value
            return [
                {
                    "action": "validate_code",
                    "params": {"code": f"print(('{weeks} weeks', '{days + 1} days'))"},
                }
            ]
        assert limits.upper is not None
        outside = limits.upper + max(abs(limits.upper) * 1e-3, 1e-3)
        if task.id.endswith("0"):
            return [{"action": "submit", "params": {"answer": f"{outside} units"}}]
        code = f"print([{limits.value!r}, {outside!r}])"
        return [{"action": "validate_code", "params": {"code": code}}]


def test_wrong_answers_score_zero(suite, tmp_path):
    numeric = [t for t in suite if t.answer["kind"] == "number"]
    tasks = [
        numeric[0],
        next(t for t in numeric if not t.id.endswith("0")),
        next(t for t in suite if t.answer["kind"] == "date"),
        next(t for t in suite if t.answer["kind"] == "weeks_days"),
    ]
    results = mg.run_episodes(tasks, lambda _t: _Wrong(), tmp_path, concurrency=2)
    assert [(r.passed, r.reward) for r in results] == [(False, 0.0)] * 4
    messages = [mg.read_episode(r.notebook).grade.message for r in results]
    assert "unreadable" in messages[1] and all(m.startswith("incorrect") for m in messages[2:])


@pytest.mark.slow
def test_oracle_passes_the_whole_suite(suite, tmp_path):
    results = mg.run_episodes(suite, lambda _t: mg.OracleAgent(), tmp_path, concurrency=2)
    assert sum(r.passed for r in results) == len(suite)


def _sample(shared_dir: Path) -> Path:
    path = shared_dir / SAMPLE
    if not path.is_file():
        pytest.skip(f"the official MedCalc-Bench sample is not in ../shared ({path})")
    return path


def test_official_sample_loads_unchanged_and_the_oracle_passes_it(shared_dir, tmp_path):
    path = _sample(shared_dir)
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    tasks = mg.load_tasks(SOURCE, path=path)
    assert len(tasks) == len(rows) and {t.split for t in tasks} == {"test"}
    for task, row in zip(tasks, rows, strict=True):
        p = _payload(task)
        assert row["Patient Note"].strip() in task.question and row["Question"].strip() in task.question
        assert p.calculator_id == row["Calculator ID"] and p.official_answer == row["Ground Truth Answer"]
        assert p.entities == str(row["Relevant Entities"])
        if task.answer["kind"] == "number":
            assert (task.answer["lower"], task.answer["upper"]) == (
                float(row["Lower Limit"]),
                float(row["Upper Limit"]),
            )
    differ = disagreements(tasks)
    print(f"medcalcbench sample: compute reproduces {len(tasks) - len(differ)}/{len(tasks)}; {differ}")
    assert len(differ) <= len(tasks) // 4
    played = [t for t in tasks if not _payload(t).agrees] + spread_over_categories(
        [t for t in tasks if _payload(t).agrees], 4
    )
    results = mg.run_episodes(played, lambda _t: mg.OracleAgent(), tmp_path, concurrency=2)
    assert [r.passed for r in results] == [True] * len(played)


@pytest.mark.slow
def test_oracle_passes_every_official_sample_row(shared_dir, tmp_path):
    tasks = mg.load_tasks(SOURCE, path=_sample(shared_dir))
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, concurrency=2)
    assert [r.passed for r in results] == [True] * len(tasks)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"Calculator ID": 999}, "no MedCalc-Bench calculator has id 999"),
        ({"Ground Truth Answer": None}, "no 'Ground Truth Answer'"),
        ({"Lower Limit": "about 24"}, "answers with a number"),
        ({"Lower Limit": "30", "Upper Limit": "20"}, "is above Upper Limit"),
        ({"Patient Note": ""}, "no 'Patient Note'"),
        ({"Calculator ID": 13, "Ground Truth Answer": "Dec 2007"}, "a date MM/DD/YYYY"),
    ],
)
def test_malformed_rows_are_named_errors(tmp_path, change, complaint):
    row = {
        "Row Number": 1,
        "Calculator ID": 2,
        "Calculator Name": "Creatinine Clearance (Cockcroft-Gault Equation)",
        "Patient Note": "A 87-year-old man; weight 48 kg; height 163 cm; creatinine 1.4 mg/dL.",
        "Question": "What is the patient's creatinine clearance?",
        "Relevant Entities": "{'sex': 'Male', 'age': [87, 'years'], 'weight': [48.0, 'kg']}",
        "Ground Truth Answer": "25.238",
        "Lower Limit": "23.9761",
        "Upper Limit": "26.4999",
    }
    path = tmp_path / "test_tasks.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, **change}) + "\n")
    loaded = mg.load_task_set(SOURCE, path=path)  # the malformed row is left out, with why; the other loads
    assert len(loaded.tasks) == 1 and len(loaded.excluded) == 1
    assert re.search(f"test_tasks.jsonl:2: .*{re.escape(complaint)}", loaded.excluded[0].reason)
    path.write_text(json.dumps({**row, **change}) + "\n")
    with pytest.raises(TaskFileError, match=f"test_tasks.jsonl:1: .*{re.escape(complaint)}"):
        mg.load_tasks(SOURCE, path=path)  # a file no row of which loads is an error


def test_entities_compute_cannot_read_keep_the_official_truth(tmp_path):
    """Rows with too few entities, or values no formula takes, still load; the oracle falls back to the
    official answer, and the rows are listed."""
    row = {
        "Calculator ID": 2,
        "Patient Note": "A 87-year-old man.",
        "Question": "What is the patient's creatinine clearance?",
        "Relevant Entities": "{'sex': 'Male', 'age': [87, 'years']}",
        "Ground Truth Answer": "25.238",
        "Lower Limit": "23.9761",
        "Upper Limit": "26.4999",
    }
    path = tmp_path / "test_tasks.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (task,) = mg.load_tasks(SOURCE, path=path)
    assert _payload(task).computed is None and "missing required entities" in (
        _payload(task).compute_error or ""
    )
    assert disagreements([task]) == [(task.id, _payload(task).compute_error)]
    assert "answer = 25.238" in task.solution[0]
