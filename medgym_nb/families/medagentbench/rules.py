"""MedAgentBench's ten task types as rules: what each asks, its answer and the writes it calls for.

The rules follow MedAgentBench's instructions and reference solutions (task1..task10): a patient's MRN by
name and birth date; an age (rounded down); recording a blood pressure; the latest magnesium in the last 24
hours; magnesium replacement by the dosing bands (<1 g/dL: 4 g over 4 h, <1.5: 2 g over 2 h, ≤1.9: 1 g over
1 h, none otherwise or without a value); the 24-hour CBG average; the latest CBG; an orthopedic referral;
potassium replacement (10 mEq per 0.1 below 3.5, with a serum potassium the next day at 08:00); and an HbA1c
order when the last one is missing or more than a year old. Every answer is computed from ``Facts`` — what
the chart says — so it holds on our synthetic server and on any other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Expected",
    "Facts",
    "MabPayload",
    "WriteSpec",
    "expected",
    "facts_from_resources",
    "parse_time",
]

NDC = "http://hl7.org/fhir/sid/ndc"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
VITALS = "http://hl7.org/fhir/observation-category"
LAB_OF_KIND = {4: "MG", 5: "MG", 6: "GLU", 7: "GLU", 9: "K", 10: "A1C"}
"""The lab each type reads (its code is also taken from the row's context when it names one)."""


class MabPayload(BaseModel):
    """One task's parameters, read from its text: ``kind`` (1..10), the patient ``mrn`` it is about (task1:
    the MRN expected, "" when no patient matches), ``now``, and what the type needs (``name`` and
    ``birth_date`` for task1, the lab ``code``, the ``order_code`` of the product or order, task9's
    ``check_code`` of the next-morning potassium, the blood pressure ``bp``, the referral ``note``). ``official_sol`` keeps an official row's ``sol`` for servers that hold the official data."""

    model_config = ConfigDict(extra="forbid")

    kind: int = Field(ge=1, le=10)
    mrn: str
    now: str
    name: str = ""
    birth_date: str = ""
    code: str = ""
    order_code: str = ""
    check_code: str = ""
    bp: str = ""
    note: str = ""
    official_sol: Any = None


class Facts(BaseModel):
    """What the chart holds for the task: the patient's birth date and the (time, value) of its lab."""

    birth_date: str | None = None
    labs: list[tuple[str, float]] = Field(default_factory=list)


class WriteSpec(BaseModel):
    """A resource the episode must create. ``resource_type``; ``system``/``code``: its coded concept
    (the medication for a MedicationRequest); ``dose``/``dose_unit``/``route``/``hours`` for medication
    orders; ``when``: authoredOn (orders) or effectiveDateTime (observations); ``occurrence``: a
    ServiceRequest's occurrenceDateTime; ``value``: an Observation's valueString; ``note``: free text."""

    model_config = ConfigDict(extra="forbid")

    resource_type: str
    subject: str
    system: str = ""
    code: str = ""
    dose: float | None = None
    dose_unit: str = ""
    route: str = ""
    hours: float | None = None
    when: str = ""
    occurrence: str = ""
    value: str = ""
    note: str = ""


class Expected(BaseModel):
    """The answer (None: none is asked; ``optional``: an empty answer also passes) and the writes due."""

    answer: list[Any] | None
    optional: bool = False
    writes: list[WriteSpec] = Field(default_factory=list)
    tolerance: float = 1e-6


def parse_time(text: str) -> datetime:
    """An ISO date-time (``Z`` or an offset; naive times are UTC) — ``ValueError`` when it is not one."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def facts_from_resources(resources: list[dict[str, Any]], mrn: str, code: str) -> Facts:
    """The facts of patient ``mrn`` for lab ``code`` among ``resources`` (a loaded data set, or the
    results of searches on a server)."""
    birth = None
    labs: list[tuple[str, float]] = []
    reference = f"Patient/{mrn}"
    for r in resources:
        if r.get("resourceType") == "Patient" and r.get("id") == mrn:
            birth = r.get("birthDate")
        elif (
            r.get("resourceType") == "Observation"
            and code
            and (r.get("subject") or {}).get("reference") == reference
            and any(c.get("code") == code for c in (r.get("code") or {}).get("coding") or [])
            and isinstance((r.get("valueQuantity") or {}).get("value"), int | float)
        ):
            labs.append((r["effectiveDateTime"], float(r["valueQuantity"]["value"])))
    return Facts(birth_date=birth, labs=labs)


def _latest(labs: list[tuple[str, float]], since: datetime | None = None) -> tuple[datetime, float] | None:
    timed = [(parse_time(t), v) for t, v in labs]
    timed = [(t, v) for t, v in timed if since is None or t >= since]
    return max(timed, key=lambda tv: tv[0]) if timed else None


def _age(birth: str, now: datetime) -> int:
    born = datetime.fromisoformat(birth).date()
    today = now.date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def magnesium_dose(level: float) -> tuple[float, float] | None:
    """(grams, hours) of IV magnesium for a serum level in mg/dL; None when none is due (above 1.9)."""
    if level > 1.9:
        return None
    if level < 1.0:
        return 4.0, 4.0
    if level < 1.5:
        return 2.0, 2.0
    return 1.0, 1.0


def potassium_dose(level: float) -> float | None:
    """mEq of oral potassium: 10 per 0.1 mmol/L below 3.5; None when the level is not low."""
    if level >= 3.5:
        return None
    return round((3.5 - level) / 0.1) * 10.0


def _order(p: MabPayload, resource_type: str, system: str, code: str, **fields: Any) -> WriteSpec:
    """A write for patient ``p.mrn`` authored at ``p.now``."""
    return WriteSpec(
        resource_type=resource_type,
        subject=f"Patient/{p.mrn}",
        system=system,
        code=code,
        when=p.now,
        **fields,
    )


def _value(last: tuple[datetime, float] | None) -> list[Any]:
    return [last[1] if last else -1]


def _since_day(p: MabPayload) -> datetime:
    return parse_time(p.now) - timedelta(hours=24)


def _mrn(p: MabPayload, facts: Facts) -> Expected:
    return Expected(answer=[p.mrn or "Patient not found"])


def _age_answer(p: MabPayload, facts: Facts) -> Expected:
    return Expected(answer=[_age(facts.birth_date, parse_time(p.now))] if facts.birth_date else [-1])


def _blood_pressure(p: MabPayload, facts: Facts) -> Expected:
    return Expected(answer=None, writes=[_order(p, "Observation", "", p.code, value=p.bp)])


def _magnesium(p: MabPayload, facts: Facts) -> Expected:
    return Expected(answer=_value(_latest(facts.labs, _since_day(p))))


def _magnesium_order(p: MabPayload, facts: Facts) -> Expected:
    last = _latest(facts.labs, _since_day(p))
    dose = magnesium_dose(last[1]) if last else None
    writes = []
    if dose is not None:
        grams, hours = dose
        writes = [
            _order(
                p, "MedicationRequest", NDC, p.order_code, dose=grams, dose_unit="g", route="IV", hours=hours
            )
        ]
    return Expected(answer=_value(last), optional=True, writes=writes)


def _glucose_average(p: MabPayload, facts: Facts) -> Expected:
    day = _since_day(p)
    recent = [v for t, v in facts.labs if parse_time(t) >= day]
    return Expected(answer=[sum(recent) / len(recent) if recent else -1], tolerance=0.1)


def _glucose(p: MabPayload, facts: Facts) -> Expected:
    return Expected(answer=_value(_latest(facts.labs)))


def _referral(p: MabPayload, facts: Facts) -> Expected:
    return Expected(answer=None, writes=[_order(p, "ServiceRequest", SNOMED, p.order_code, note=p.note)])


def _potassium_order(p: MabPayload, facts: Facts) -> Expected:
    last = _latest(facts.labs)
    mEq = potassium_dose(last[1]) if last else None
    writes = []
    if mEq is not None:
        morning = (parse_time(p.now) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
        writes = [
            _order(p, "MedicationRequest", NDC, p.order_code, dose=mEq, dose_unit="mEq", route="oral"),
            _order(p, "ServiceRequest", LOINC, p.check_code, occurrence=morning.isoformat()),
        ]
    return Expected(answer=_value(last), optional=True, writes=writes)


def _hba1c(p: MabPayload, facts: Facts) -> Expected:
    last = _latest(facts.labs)
    stale = last is None or last[0] < parse_time(p.now) - timedelta(days=365)
    writes = [_order(p, "ServiceRequest", LOINC, p.order_code)] if stale else []
    return Expected(answer=[last[1], last[0].isoformat()] if last else [-1], writes=writes)


_RULES: dict[int, Callable[[MabPayload, Facts], Expected]] = {
    1: _mrn,
    2: _age_answer,
    3: _blood_pressure,
    4: _magnesium,
    5: _magnesium_order,
    6: _glucose_average,
    7: _glucose,
    8: _referral,
    9: _potassium_order,
    10: _hba1c,
}


def expected(p: MabPayload, facts: Facts) -> Expected:
    """The answer and the writes due for task ``p`` when the chart says ``facts``."""
    return _RULES[p.kind](p, facts)
