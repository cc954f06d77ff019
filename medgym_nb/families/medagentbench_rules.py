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
KINDS = range(1, 11)
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


def expected(p: MabPayload, facts: Facts) -> Expected:
    """The answer and the writes due for task ``p`` when the chart says ``facts``."""
    now = parse_time(p.now)
    subject = f"Patient/{p.mrn}"
    stamp = now.isoformat()
    day = now - timedelta(hours=24)
    if p.kind == 1:
        return Expected(answer=[p.mrn or "Patient not found"])
    if p.kind == 2:
        return Expected(answer=[_age(facts.birth_date, now)] if facts.birth_date else [-1])
    if p.kind == 3:
        write = WriteSpec(resource_type="Observation", subject=subject, code=p.code, value=p.bp, when=stamp)
        return Expected(answer=None, writes=[write])
    if p.kind == 8:
        write = WriteSpec(
            resource_type="ServiceRequest",
            subject=subject,
            system=SNOMED,
            code=p.order_code,
            note=p.note,
            when=stamp,
        )
        return Expected(answer=None, writes=[write])
    if p.kind in (4, 5):
        last = _latest(facts.labs, day)
        answer = [last[1] if last else -1]
        if p.kind == 4:
            return Expected(answer=answer)
        dose = magnesium_dose(last[1]) if last else None
        writes = []
        if dose is not None:
            writes.append(
                WriteSpec(
                    resource_type="MedicationRequest",
                    subject=subject,
                    system=NDC,
                    code=p.order_code,
                    dose=dose[0],
                    dose_unit="g",
                    route="IV",
                    hours=dose[1],
                    when=stamp,
                )
            )
        return Expected(answer=answer, optional=True, writes=writes)
    if p.kind == 6:
        recent = [v for t, v in facts.labs if parse_time(t) >= day]
        return Expected(answer=[sum(recent) / len(recent) if recent else -1], tolerance=0.1)
    if p.kind == 7:
        last = _latest(facts.labs)
        return Expected(answer=[last[1] if last else -1])
    if p.kind == 9:
        last = _latest(facts.labs)
        mEq = potassium_dose(last[1]) if last else None
        writes = []
        if mEq is not None:
            morning = (now + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
            writes = [
                WriteSpec(
                    resource_type="MedicationRequest",
                    subject=subject,
                    system=NDC,
                    code=p.order_code,
                    dose=mEq,
                    dose_unit="mEq",
                    route="oral",
                    when=stamp,
                ),
                WriteSpec(
                    resource_type="ServiceRequest",
                    subject=subject,
                    system=LOINC,
                    code=p.check_code,
                    occurrence=morning.isoformat(),
                    when=stamp,
                ),
            ]
        return Expected(answer=[last[1] if last else -1], optional=True, writes=writes)
    # kind 10: the last HbA1c and its time; an order when there is none or it is older than a year
    last = _latest(facts.labs)
    stale = last is None or last[0] < now - timedelta(days=365)
    writes = []
    if stale:
        writes = [
            WriteSpec(
                resource_type="ServiceRequest", subject=subject, system=LOINC, code=p.order_code, when=stamp
            )
        ]
    return Expected(answer=[last[1], last[0].isoformat()] if last else [-1], writes=writes)
