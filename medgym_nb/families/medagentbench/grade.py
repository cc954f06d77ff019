"""Grading MedAgentBench tasks: the answer, typed, and the server's state — what the episode wrote.

The writes are the resources the episode created on its FHIR server (``ServiceState.writes``, read by the
host after the agent's last turn). Each expected write must be matched by a distinct one of them, field by
field (type, subject, code system and code, dose and unit, route, duration, dates, note), and nothing else
may have been written: an order when none is due, a second order, or one for another patient fails.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from medgym_nb.grading.answers import parse_printed
from medgym_nb.grading.comparators import Grade

from .rules import VITALS, Expected, Facts, WriteSpec, parse_time

__all__ = ["ServiceState", "grade_episode", "read_answer", "write_problems"]

_RATE_UNITS = {"h", "hr", "hrs", "hour", "hours"}


class ServiceState(BaseModel):
    """What the grader gets of the server: the episode's ``writes``; ``facts``, read from the server, when the
    server is the user's own (then the answers follow its data, not our synthetic chart)."""

    writes: list[dict[str, Any]] = Field(default_factory=list)
    facts: Facts | None = None


def read_answer(value: Any) -> list[Any] | None:
    """An answer as a list: a submitted list or value, or printed text (``[1.8]``, ``1.8``); None if empty."""
    if isinstance(value, dict) and "answer" in value:
        value = value["answer"]
    if isinstance(value, str):
        value = parse_printed(value)
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, tuple):
        value = list(value)
    return value if isinstance(value, list) else [value]


def _same(expected: Any, got: Any, tolerance: float) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return False
    if isinstance(expected, int | float):
        if isinstance(got, str):
            try:
                got = float(got)
            except ValueError:
                return False
        return isinstance(got, int | float) and math.isclose(expected, got, rel_tol=0, abs_tol=tolerance)
    if not isinstance(got, str):
        return False
    try:  # a date-time answer: the same instant
        return parse_time(expected) == parse_time(got)
    except ValueError:
        return expected.strip() == got.strip()


def answer_ok(exp: Expected, submitted: Any) -> tuple[bool, str]:
    if exp.answer is None:
        return True, "no answer is asked"
    got = read_answer(submitted)
    if got is None:
        return (True, "no answer given (allowed)") if exp.optional else (False, "no answer given")
    if len(got) != len(exp.answer) or not all(
        _same(e, g, exp.tolerance) for e, g in zip(exp.answer, got, strict=False)
    ):
        return False, "wrong answer"
    return True, "right answer"


def _instant(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None


def _when_ok(spec: str, got: Any) -> bool:
    """The same minute, or — for a bare date — the same day."""
    want = parse_time(spec)
    if isinstance(got, str) and len(got.strip()) == 10:
        return got.strip() == want.date().isoformat()
    value = _instant(got)
    return value is not None and value.replace(second=0, microsecond=0) == want.replace(
        second=0, microsecond=0
    )


def _codings(concept: Any) -> list[dict[str, Any]]:
    codings = (concept or {}).get("coding") if isinstance(concept, dict) else None
    return [c for c in codings or [] if isinstance(c, dict)]


def _has_code(concept: Any, system: str, code: str) -> bool:
    return any(c.get("system") == system and c.get("code") == code for c in _codings(concept))


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def _notes(resource: dict[str, Any]) -> list[str]:
    note = resource.get("note")
    notes = note if isinstance(note, list) else [note]
    return [_text(n.get("text")) for n in notes if isinstance(n, dict)]


def _first(items: Any) -> dict[str, Any]:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def _medication_problems(spec: WriteSpec, r: dict[str, Any]) -> list[str]:
    problems = []
    if not _has_code(r.get("medicationCodeableConcept"), spec.system, spec.code):
        problems.append(f"medication is not {spec.system}|{spec.code}")
    dosage = _first(r.get("dosageInstruction"))
    route = dosage.get("route") or {}
    route_texts = {_text(route.get("text")).lower()} | {
        _text(c.get(k)).lower() for c in _codings(route) for k in ("code", "display")
    }
    if spec.route.lower() not in route_texts:
        problems.append(f"route is not {spec.route}")
    rate = _first(dosage.get("doseAndRate"))
    dose = rate.get("doseQuantity") or {}
    if dose.get("value") != spec.dose or _text(dose.get("unit")).lower() != spec.dose_unit.lower():
        problems.append(f"dose is not {spec.dose:g} {spec.dose_unit}")
    if spec.hours is not None and spec.dose is not None:
        speed = rate.get("rateQuantity") or {}
        unit = _text(speed.get("unit")).lower()
        over = unit in _RATE_UNITS and speed.get("value") == spec.hours
        per_hour = unit in {f"{spec.dose_unit}/h", f"{spec.dose_unit}/hr"} and speed.get("value") == (
            spec.dose / spec.hours
        )
        if not (over or per_hour):
            problems.append(f"rate is not over {spec.hours:g} h")
    return problems


def write_problems(spec: WriteSpec, r: dict[str, Any]) -> list[str]:
    """Why resource ``r`` is not the write ``spec`` asks for ([] when it is)."""
    if r.get("resourceType") != spec.resource_type:
        return [f"not a {spec.resource_type}"]
    problems = []
    if (r.get("subject") or {}).get("reference") != spec.subject:
        problems.append(f"subject is not {spec.subject}")
    if spec.resource_type == "Observation":
        concept = r.get("code") or {}
        if _text(concept.get("text")) != spec.code and not any(
            c.get("code") == spec.code for c in _codings(concept)
        ):
            problems.append(f"code is not {spec.code}")
        if not any(_has_code(c, VITALS, "vital-signs") for c in r.get("category") or []):
            problems.append("category is not vital-signs")
        if r.get("status") != "final":
            problems.append("status is not final")
        if _text(r.get("valueString")) != _text(spec.value):
            problems.append(f"value is not {spec.value!r}")
        if not _when_ok(spec.when, r.get("effectiveDateTime")):
            problems.append("effectiveDateTime is not now")
        return problems
    if r.get("status") != "active" or r.get("intent") != "order":
        problems.append("not an active order (status active, intent order)")
    if not _when_ok(spec.when, r.get("authoredOn")):
        problems.append("authoredOn is not now")
    if spec.resource_type == "MedicationRequest":
        return problems + _medication_problems(spec, r)
    if not _has_code(r.get("code"), spec.system, spec.code):
        problems.append(f"code is not {spec.system}|{spec.code}")
    if r.get("priority") != "stat":
        problems.append("priority is not stat")
    if spec.occurrence and _instant(r.get("occurrenceDateTime")) != parse_time(spec.occurrence):
        problems.append(f"occurrenceDateTime is not {spec.occurrence}")
    if spec.note and _text(spec.note) not in _notes(r):
        problems.append("the note is not the text asked for")
    return problems


def writes_ok(specs: list[WriteSpec], writes: list[dict[str, Any]]) -> tuple[bool, str]:
    """Each spec matched by a distinct write, and no write left over."""
    left = list(writes)
    for spec in specs:
        match = next((r for r in left if not write_problems(spec, r)), None)
        if match is None:
            near: list[list[str]] = [
                write_problems(spec, r) for r in left if r.get("resourceType") == spec.resource_type
            ]
            closest: list[str] = min(near, key=len) if near else ["none was written"]
            why = "; ".join(closest)
            return False, f"missing {spec.resource_type} for {spec.subject}: {why}"
        left.remove(match)
    if left:
        kinds = ", ".join(sorted({str(r.get("resourceType")) for r in left}))
        return (
            False,
            f"unexpected writes: {len(left)} ({kinds})" if specs else f"nothing was due, but wrote {kinds}",
        )
    return True, "writes as due" if specs else "no writes, as due"


def grade_episode(exp: Expected, submitted: Any, state: ServiceState) -> Grade:
    """Score 1 when the answer and the writes are both right; sub-scores for each."""
    a_ok, a_msg = answer_ok(exp, submitted)
    w_ok, w_msg = writes_ok(exp.writes, state.writes)
    passed = a_ok and w_ok
    return Grade(
        score=float(passed),
        passed=passed,
        message=f"{'correct' if passed else 'incorrect'}: {a_msg}; {w_msg}",
        subscores={"answer": float(a_ok), "writes": float(w_ok)},
    )
