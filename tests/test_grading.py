"""Typed comparators and the papermill grader notebook."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import medgym_nb as mg
from medgym_nb.families.ehrsql.family import EhrsqlFamily
from medgym_nb.grading import Answer, compare, parse_printed
from medgym_nb.grading.notebook import RESET_CELL
from medgym_nb.tasks import AnswerSpec


@pytest.mark.parametrize(
    ("expected", "printed", "spec", "passed"),
    [
        (["po", "po/ng"], "['PO/NG', ' po']", AnswerSpec(), True),  # order ignored, case/space normalised
        (["a", "b"], "['b', 'a']", AnswerSpec(ordered=True), False),  # order required
        ([143], "143.0", AnswerSpec(), True),
        ([4], "42", AnswerSpec(), False),  # no substring matching
        ([4], "[4, 42]", AnswerSpec(), False),  # candidates do not pass because one is right
        ([1], "True", AnswerSpec(), True),
        ([None], "None", AnswerSpec(), True),
        ([21.2612], "[(21.26120000001,)]", AnswerSpec(), True),  # fetchall() rows, float noise
        ([21.2612], "21.27", AnswerSpec(rel_tol=1e-4), False),
        (["2104-08-23 17:59:00"], "2104-08-23 17:59:00", AnswerSpec(), True),  # plain text line
        ([1, 2], "working...\n[2, 1]", AnswerSpec(), True),  # last line is the answer
        ([], "[]", AnswerSpec(), True),
        ([], "", AnswerSpec(), False),
    ],
)
def test_compare(expected, printed, spec, passed):
    grade = compare(spec, expected, parse_printed(printed))
    assert grade.passed is passed
    assert grade.score == (1.0 if passed else 0.0)
    assert ("correct" if passed else "incorrect") in grade.message


def test_message_does_not_reveal_expected_values():
    grade = compare(AnswerSpec(), ["secret drug"], ["other"])
    assert "secret" not in grade.message


def test_papermill_grader_right_answer_in_other_order_passes(test_tasks):
    task = next(t for t in test_tasks if len(t.answer) > 1 and not t.payload.answer_spec.ordered)
    grade = mg.grade_with_papermill(task, Answer(kind="printed", value=repr(list(reversed(task.answer)))))
    assert grade.passed and grade.score == 1.0


def test_papermill_grader_wrong_answer_scores_zero_with_message(test_tasks, tmp_path):
    task = test_tasks[0]
    out = tmp_path / "graded.ipynb"
    grade = mg.grade_with_papermill(task, Answer(kind="value", value=["definitely wrong"]), out)
    assert not grade.passed and grade.score == 0.0 and grade.message.startswith("incorrect")
    import nbformat

    nb = nbformat.read(out, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["medgym"]["grade"]["passed"] is False


def test_hostile_answer_text_is_data_not_code(test_tasks):
    task = test_tasks[0]
    hostile = '"); import os; os._exit(1); ("\\\'\n'
    grade = mg.grade_with_papermill(task, Answer(kind="printed", value=hostile))
    assert not grade.passed


class NoGraderFamily(EhrsqlFamily):
    name = "no_grader"
    sources = ()


def test_missing_grader_is_a_grader_error(test_tasks):
    mg.register_family(NoGraderFamily)
    try:
        task = test_tasks[0].model_copy(update={"family": "no_grader"})
        with pytest.raises(mg.GraderError, match="no grader notebook"):
            mg.grade_with_papermill(task, Answer(kind="value", value=[]))
    finally:
        mg.unregister_family("no_grader")


def test_failing_grader_writes_its_notebook_before_the_error(test_tasks, tmp_path):
    """A grader that raises still leaves its executed notebook, error and all, where it was asked to."""
    task = test_tasks[0].model_copy(update={"answer": "not a list of values"})
    bad_payload = task.payload.model_copy(update={"answer_spec": None})
    task = task.model_copy(update={"payload": bad_payload})
    out = tmp_path / "grade.ipynb"
    with pytest.raises(mg.GraderError, match="failed on task"):
        mg.grade_with_papermill(task, Answer(kind="value", value=[]), out)
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and not list(tmp_path.glob(".*partial*"))


def test_grader_that_times_out_writes_its_notebook_and_is_a_grader_error(test_tasks, tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    slow = tmp_path / "slow.ipynb"
    nb = new_notebook(
        cells=[
            new_code_cell('task = "{}"\ncontext = "{}"', metadata={"tags": ["parameters"]}),
            new_code_cell("print('started')"),
            new_code_cell("import time\ntime.sleep(30)"),
        ]
    )
    nbformat.write(nb, slow)

    class SlowGrader(EhrsqlFamily):
        name = "slow_grader"
        sources = ()
        grader_timeout = 2.0

        def grader_notebook(self):
            return slow

    mg.register_family(SlowGrader)
    try:
        task = test_tasks[0].model_copy(update={"family": "slow_grader"})
        out = tmp_path / "grade.ipynb"
        with pytest.raises(mg.GraderError, match="could not run"):
            mg.grade_with_papermill(task, Answer(kind="value", value=[]), out)
    finally:
        mg.unregister_family("slow_grader")
    executed = nbformat.read(out, as_version=4)
    assert executed.cells[2].outputs[0]["text"] == "started\n"


@contextlib.contextmanager
def _grader_family(folder: Path, cells: list) -> Iterator[str]:
    """A family (EHRSQL's, but graded by a notebook of ``cells``), registered for the block; yields its name."""
    grader = folder / "grade.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), grader)

    class OwnGrader(EhrsqlFamily):
        name = "own_grader"
        sources = ()

        def grader_notebook(self):
            return grader

    mg.register_family(OwnGrader)
    try:
        yield OwnGrader.name
    finally:
        mg.unregister_family(OwnGrader.name)


def test_a_parameters_cell_with_a_default_papermill_does_not_override_still_runs(test_tasks, tmp_path):
    """Only a parameters cell of plain assignments that the injected cell all overrides is skipped."""
    from nbformat.v4 import new_code_cell

    from medgym_nb.grading import grade_with_papermill

    verdict = (
        "from medgym_nb.grading.comparators import Grade, publish\n"
        "publish(Grade(score=float(EXTRA == 'kept'), passed=True, message=''))"
    )
    parameters = new_code_cell(
        'task = "{}"\ncontext = "{}"\nEXTRA = "kept"', metadata={"tags": ["parameters"]}
    )
    with _grader_family(tmp_path, [parameters, new_code_cell(verdict)]) as name:
        task = test_tasks[0].model_copy(update={"family": name})
        grade = grade_with_papermill(task, Answer(kind="value", value="x"), tmp_path / "graded.ipynb")
    assert grade.score == 1.0
    executed = nbformat.read(tmp_path / "graded.ipynb", as_version=4)
    assert "skip-execution" not in executed.cells[0].metadata["tags"] and executed.cells[0].execution_count


@pytest.mark.parametrize("setup_first", [False, True])
def test_a_warm_grader_resets_the_namespace_without_losing_the_notebooks_own_cells(
    test_tasks, tmp_path, setup_first
):
    """On a kernel kept between gradings, a grading sees nothing the last one left, and everything its own
    notebook defines: the reset opens the first cell that runs when that is papermill's (the parameters cell,
    whose defaults the injected cell all overrides, is skipped), else runs as a cell of its own before any of
    the notebook's (a cell defining names before the parameters keeps them)."""
    from nbformat.v4 import new_code_cell

    from medgym_nb.grading.context import GradingContext
    from medgym_nb.grading.notebook import WarmGrader

    verdict = (
        "import json\nfrom medgym_nb.grading.comparators import Grade, publish\n"
        "answer = json.loads(context)['answer']['value']\n"
        "publish(Grade(score=float(answer == HELPER and 'LEFTOVER' not in globals()), passed=True, message=''))\n"
        "LEFTOVER = 1"
    )
    cells = [
        new_code_cell('task = "{}"\ncontext = "{}"', metadata={"tags": ["parameters"]}),
        new_code_cell(verdict),
    ]
    setup = new_code_cell("HELPER = 'ok'")
    cells.insert(0 if setup_first else 1, setup)
    with _grader_family(tmp_path, cells) as name:
        task = test_tasks[0].model_copy(update={"family": name})
        context = GradingContext(answer=Answer(kind="value", value="ok"))
        with WarmGrader() as warm:
            grades = [warm.grade(task, context, tmp_path / f"graded{i}.ipynb") for i in range(2)]
    assert [g.score for g in grades] == [1.0, 1.0]
    executed = nbformat.read(tmp_path / "graded1.ipynb", as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    # the notebook's 3 cells and papermill's, and a reset cell of its own only when a cell precedes the parameters
    assert len(code) == (5 if setup_first else 4)
    parameters = next(c for c in code if "parameters" in c.metadata["tags"])
    injected = next(c for c in code if "injected-parameters" in c.metadata["tags"])
    assert "skip-execution" in parameters.metadata["tags"] and parameters.execution_count is None
    assert injected.source.startswith(RESET_CELL) != setup_first
    assert [c.execution_count is not None for c in code].count(True) == len(code) - 1
