"""The MedCalc-Bench family: read a patient note and compute a clinical score, measurement or date.

Official rows load unchanged; their Ground Truth Answer and Lower/Upper Limit stay the grading truth, since the
benchmark is scored on them. Generated tasks are notes written by ``notes.py`` from entities drawn for
each of the 55 calculators, their answer computed by ``medgym_nb.medcalc.compute`` and their limits set as the
official file sets them (``medcalc.limits``: ±5 % for measurements, exact otherwise).

The oracle prints an answer computed on the host: agent kernels must not need this package, and the formulas
are the library's to test. For an official row whose entities ``compute`` reads, it prints ``compute``'s
answer when that falls within the official limits; where it does not (the library documents those rows), or
where ``compute`` cannot read the entities, it prints the official Ground Truth Answer. Either way the payload
keeps ``computed`` beside the official answer, and ``disagreements`` lists such rows.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from math import ceil
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from medgym_nb.errors import TaskFileError
from medgym_nb.family import OfficialRow, TaskFamily
from medgym_nb.grading.limits import Limits, grade_within, read_weeks_days
from medgym_nb.medcalc import Calculator, MedcalcInputError, calculators, compute, get_calculator, limits
from medgym_nb.tasks.model import Task

from .notes import draw_entities, write_note

__all__ = ["MedcalcPayload", "MedcalcbenchFamily", "disagreements", "generate"]

SOURCE = "medcalcbench"
_DRAWS = 20
SUITE_PER_CALCULATOR = 4
"""Generated tasks per calculator in the built-in suite (``generate`` makes as many as asked)."""

CONTEXT = (
    "Compute the answer from the patient note above; the note may state other values, earlier measurements and "
    "units other than the question's, so use the values at presentation and convert units as needed. Answer "
    'with `submit` and {"answer": <value>}, or print the value alone from `validate_code` as the last line. '
    "A number may carry its unit (`25.2` or `25.2 mL/min`) but give one value, not a list or a range; a date "
    "as MM/DD/YYYY; a gestational age as ('N weeks', 'M days')."
)


class MedcalcPayload(BaseModel):
    """What a task was computed from. ``entities`` is the official ``Relevant Entities`` form (a Python dict
    literal); ``computed`` is ``repr`` of ``compute``'s answer, ``compute_error`` why there is none, and
    ``agrees`` whether it falls within the task's limits (always true for generated tasks)."""

    model_config = ConfigDict(extra="forbid")

    calculator_id: int
    calculator: str
    origin: Literal["official", "generated"]
    entities: str
    official_answer: str | None = None
    computed: str | None = None
    compute_error: str | None = None
    agrees: bool = False


class MedcalcbenchFamily(TaskFamily):
    """MedCalc-Bench's 55 calculators over patient notes (MedAgentGym's medcalcbench source)."""

    name = "medcalcbench"
    sources = (SOURCE,)
    suite_sources = (SOURCE,)
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {SOURCE: 2051}
    payload_model = MedcalcPayload
    source_names: ClassVar[dict[str, str]] = {SOURCE: "MedCalcBench"}

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        """``SUITE_PER_CALCULATOR`` generated notes per calculator; within each, every other one is ``test``."""
        if source != SOURCE:
            return super().build_suite(source, root, seed)
        return [t for c in calculators() for t in generate(c.id, SUITE_PER_CALCULATOR, seed)]

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """Up to ``n`` generated notes, an equal share per calculator (``generate``); no data files."""
        if source != SOURCE:
            return super().generate(source, n, seed, root)
        per = ceil(n / len(calculators()))
        tasks = (t for c in calculators() for t in generate(c.id, per, seed))
        return (t for _, t in zip(range(n), tasks, strict=False))

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        """A row as it is released; ``TaskFileError`` naming the line when a field the grader needs is bad."""
        try:
            calc = get_calculator(_field(row, "Calculator ID", origin))
        except MedcalcInputError as exc:
            raise TaskFileError(f"{origin.where}: {exc}") from None
        note = _text(row, "Patient Note", origin)
        question = _text(row, "Question", origin)
        truth = _official_limits(calc, row, origin)
        entities = row.get("Relevant Entities")
        computed, error = _compute(calc, entities if isinstance(entities, dict | str) else "")
        agrees = computed is not None and grade_within(truth, computed).passed
        split = str(row.get("split") or origin.split)
        payload = MedcalcPayload(
            calculator_id=calc.id,
            calculator=calc.name,
            origin="official",
            entities=str(entities),
            official_answer=str(row["Ground Truth Answer"]),
            computed=None if computed is None else repr(computed),
            compute_error=error,
            agrees=agrees,
        )
        answer = computed if agrees else truth.value
        return _task(
            f"{SOURCE}.{split}.{origin.line:04d}", calc, note, question, split, truth, answer, payload
        )


def generate(calculator: int | str, n: int, seed: int) -> list[Task]:
    """``n`` generated tasks of one calculator, the same for the same ``seed``; split fixed by position (even
    positions ``test``, odd ``train``), so a longer run extends a shorter one."""
    calc = get_calculator(calculator)
    tasks = []
    for index in range(n):
        rng = random.Random(f"{SOURCE}-{seed}-{calc.id}-{index}")
        entities, value = _drawn(calc, rng)
        truth = _limits(calc, value)
        payload = MedcalcPayload(
            calculator_id=calc.id,
            calculator=calc.name,
            origin="generated",
            entities=repr(entities),
            computed=repr(value),
            agrees=True,
        )
        split = "test" if index % 2 == 0 else "train"
        task_id = f"{SOURCE}.syn.{calc.id:02d}.{index:03d}"
        tasks.append(
            _task(task_id, calc, write_note(calc, entities, rng), calc.question, split, truth, value, payload)
        )
    return tasks


def _drawn(calc: Calculator, rng: random.Random) -> tuple[dict[str, Any], Any]:
    """Entities ``compute`` accepts, and its answer; a few draws may break a rule of the calculator (a
    criterion that needs another), so up to ``_DRAWS`` are tried before the calculator counts as broken."""
    problems = []
    for _ in range(_DRAWS):
        entities = draw_entities(calc, rng)
        try:
            return entities, compute(calc.id, entities)
        except MedcalcInputError as exc:
            problems.append(str(exc))
    raise MedcalcInputError(f"no entities drawn for {calc.name} could be computed: {problems[-1]}")


def disagreements(tasks: list[Task]) -> list[tuple[str, str]]:
    """(task id, why) of official tasks whose answer ``compute`` does not reproduce within the limits."""
    found = []
    for task in tasks:
        p = task.payload
        if isinstance(p, MedcalcPayload) and p.origin == "official" and not p.agrees:
            why = p.compute_error or f"computed {p.computed}, official {p.official_answer}"
            found.append((task.id, why))
    return found


def _field(row: dict[str, Any], name: str, origin: OfficialRow) -> Any:
    value = row.get(name)
    if value is None or value == "":
        raise TaskFileError(f"{origin.where}: the row has no {name!r}")
    return value


def _text(row: dict[str, Any], name: str, origin: OfficialRow) -> str:
    value = _field(row, name, origin)
    if not isinstance(value, str) or not value.strip():
        raise TaskFileError(f"{origin.where}: {name!r} must be text, got {value!r}")
    return value.strip()


def _official_limits(calc: Calculator, row: dict[str, Any], origin: OfficialRow) -> Limits:
    """The row's Ground Truth Answer and limits, typed by the calculator's answer kind."""
    answer, lower, upper = (
        _field(row, name, origin) for name in ("Ground Truth Answer", "Lower Limit", "Upper Limit")
    )
    if calc.answer == "number":
        try:
            low, high = float(lower), float(upper)
            float(answer)
        except (TypeError, ValueError):
            raise TaskFileError(
                f"{origin.where}: {calc.name} answers with a number, but the answer and limits are "
                f"{answer!r}, {lower!r}, {upper!r}"
            ) from None
        if not low <= high:
            raise TaskFileError(f"{origin.where}: Lower Limit {lower!r} is above Upper Limit {upper!r}")
        return Limits(kind="number", value=float(answer), lower=low, upper=high)
    if calc.answer == "date":
        expected = Limits(kind="date", value=str(answer))
        if grade_within(expected, answer).passed:
            return expected
        raise TaskFileError(f"{origin.where}: {calc.name} answers with a date MM/DD/YYYY, got {answer!r}")
    pair = read_weeks_days(answer)
    if pair is None:
        raise TaskFileError(f"{origin.where}: {calc.name} answers with (weeks, days), got {answer!r}")
    return Limits(kind="weeks_days", value=list(pair))


def _limits(calc: Calculator, value: Any) -> Limits:
    """The limits the official file would set around ``value``."""
    if calc.answer == "number":
        low, high = limits(calc.id, value)
        return Limits(kind="number", value=value, lower=float(low), upper=float(high))  # type: ignore[arg-type]
    if calc.answer == "date":
        return Limits(kind="date", value=value)
    pair = read_weeks_days(value)
    assert pair is not None, f"compute gave no (weeks, days) pair: {value!r}"
    return Limits(kind="weeks_days", value=list(pair))


def _compute(calc: Calculator, entities: dict[str, Any] | str) -> tuple[Any, str | None]:
    """``compute``'s answer, or why there is none (unreadable entities, or values such as a creatinine of 0 that
    give no answer): either way the row keeps its official truth."""
    try:
        return compute(calc.id, entities), None
    except MedcalcInputError as exc:
        return None, str(exc)


def _task(
    task_id: str,
    calc: Calculator,
    note: str,
    question: str,
    split: str,
    truth: Limits,
    answer: Any,
    payload: MedcalcPayload,
) -> Task:
    return Task(
        id=task_id,
        source=SOURCE,
        family=MedcalcbenchFamily.name,
        category=calc.name,
        split=split,
        question=f"Patient note:\n{note}\n\nQuestion: {question}",
        context=CONTEXT,
        answer=truth.model_dump(mode="json"),
        payload=payload,
        solution=[_solution(calc, payload, answer)],
    )


def _solution(calc: Calculator, payload: MedcalcPayload, answer: Any) -> str:
    """Self-contained: the entities read from the note, and the answer computed from them on the host."""
    if payload.agrees:
        how = f"# computed on the host from these entities with MedCalc-Bench's {calc.name}"
    else:
        why = payload.compute_error or f"the library computes {payload.computed}, outside the official limits"
        how = f"# the official Ground Truth Answer ({why})"
    entities = " ".join(payload.entities.split())
    return f"# entities: {entities}\n{how}\nanswer = {answer!r}\nprint(answer)"
