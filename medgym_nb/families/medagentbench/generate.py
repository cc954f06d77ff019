"""MedAgentBench at training scale: the ten task types over as many patients of one synthetic EHR as the
share asks for, each instance drawn with its own parameters.

One EHR (``data/fhir.json`` under the generator's root) is shared by every task: a patient per task and type,
so a suite of ``n`` tasks holds about ``n / 10`` patients. Besides the patient, a task draws what its type
leaves open: its clock ("now", which moves the 24-hour and one-year windows of the lab types over the chart,
and the age of task2), the blood pressure of task3, the referral's free text of task8, and for task1 a birth
date that is off by some days for a third of them (the patient is then not found). Answers and due writes
come from the rules (``rules.expected``) on the patient's chart, as for the built-in suite, and are graded
by the same grader.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import timedelta
from math import ceil
from typing import Any

from .ehr import NOW, PatientSpec, ehr_resources, fhir_time, random_patients, scenario, scenario_weight
from .rules import LAB_OF_KIND, MabPayload

__all__ = ["ehr_of", "generated_payloads", "patient_count", "resources_by_patient"]

_KINDS = range(1, 11)
_MIN_PATIENTS = 100
_SPARE_PATIENTS = 20
_CLOCK_HOURS = {4: 6.0, 5: 6.0, 6: 6.0, 7: 72.0, 9: 72.0}
"""How far past the chart's "now" a lab type's clock may move (hours); half its tasks keep the chart's own."""
_A1C_CLOCK_DAYS = 400
_AGE_CLOCK_DAYS = 5 * 365
_SITUATIONS = (
    ("acute left knee injury", "radiology report indicates ACL tear", "ACL tear grade II"),
    (
        "right hip pain after a fall",
        "X-ray shows no displaced fracture",
        "possible occult femoral neck fracture",
    ),
    ("chronic right shoulder pain", "MRI indicates a full-thickness rotator cuff tear", "rotator cuff tear"),
    ("low back pain radiating to the left leg", "MRI shows L4-L5 disc herniation", "lumbar radiculopathy"),
    (
        "swollen right ankle after a twist",
        "X-ray shows a lateral malleolus fracture",
        "Weber B ankle fracture",
    ),
    ("progressive right knee pain", "X-ray shows joint-space narrowing", "severe knee osteoarthritis"),
    (
        "left wrist pain after a fall",
        "X-ray shows a distal radius fracture",
        "displaced distal radius fracture",
    ),
    ("painful left hip on walking", "X-ray shows femoral head collapse", "avascular necrosis of the hip"),
)
_REQUESTS = (
    "evaluate and provide management recommendations",
    "evaluate and advise on imaging",
    "evaluate for surgical repair",
    "evaluate and consider operative management",
)


def patient_count(n: int) -> int:
    """Patients in the EHR of an ``n``-task suite: one per task of each type, and some nobody asks about."""
    return max(_MIN_PATIENTS, ceil(n / len(_KINDS)) + _SPARE_PATIENTS)


def resources_by_patient(resources: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each patient's resources (its Patient and those whose subject it is), so a task's facts are read from
    its patient's chart only, not from the whole EHR once per task."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        mrn = r["id"] if r.get("resourceType") == "Patient" else (r.get("subject") or {}).get("reference", "")
        out.setdefault(str(mrn).removeprefix("Patient/"), []).append(r)
    return out


def _clock(rng: random.Random, hours: float) -> str:
    """The chart's "now" for half the tasks, else up to ``hours`` later (to the minute)."""
    later = 0 if rng.random() < 0.5 else rng.randrange(0, int(hours * 60))
    return fhir_time(NOW + timedelta(minutes=later))


def _note(rng: random.Random) -> str:
    situation, background, assessment = rng.choice(_SITUATIONS)
    return (
        f"Situation: {situation}, Background: {background}. Assessment: {assessment}. Recommendation: request "
        f"for Orthopedic service to {rng.choice(_REQUESTS)}."
    )


def _payload(kind: int, p: PatientSpec, patients: list[PatientSpec], rng: random.Random) -> MabPayload:
    """Task ``kind`` about patient ``p`` with its parameters drawn from ``rng``."""
    fields: dict[str, Any] = {
        "kind": kind,
        "mrn": p.mrn,
        "now": fhir_time(NOW),
        "code": LAB_OF_KIND.get(kind, ""),
    }
    if kind == 1:
        born = p.birth_date + timedelta(days=rng.randrange(1, 400)) if rng.random() < 1 / 3 else p.birth_date
        known = any(q.given == p.given and q.family == p.family and q.birth_date == born for q in patients)
        fields |= {
            "mrn": p.mrn if known else "",
            "name": f"{p.given} {p.family}",
            "birth_date": born.isoformat(),
        }
    elif kind == 2:
        fields["now"] = fhir_time(
            NOW + timedelta(days=rng.randrange(0, _AGE_CLOCK_DAYS), minutes=rng.randrange(1440))
        )
    elif kind == 3:
        bp = f"{rng.randrange(90, 180)}/{rng.randrange(50, 110)} mmHg"
        fields |= {"code": "BP", "bp": bp, "now": _clock(rng, 8)}
    elif kind == 8:
        fields |= {"order_code": "306181000000106", "note": _note(rng), "now": _clock(rng, 8)}
    elif kind == 10:
        later = 0 if rng.random() < 0.5 else rng.randrange(0, _A1C_CLOCK_DAYS * 1440)
        fields |= {"order_code": "4548-4", "now": fhir_time(NOW + timedelta(minutes=later))}
    else:
        fields["now"] = _clock(rng, _CLOCK_HOURS[kind])
        if kind == 5:
            fields["order_code"] = "0338-1715-40"
        elif kind == 9:
            fields |= {"order_code": "40032-917-01", "check_code": "2823-3"}
    return MabPayload(**fields)


def _of_kind(kind: int, patients: list[PatientSpec], seed: int) -> Iterator[MabPayload]:
    """Payloads of ``kind``: the patients in a seeded order, round after round with fresh parameters. A lab
    type takes its patients from each scenario of their chart in turn (by ``scenario_weight``), so an answer
    of -1 or an order due is as common as the suite's cases make it, not as common as charts without it."""
    rng = random.Random(f"medagentbench-generate-{seed}-task{kind}")
    code = LAB_OF_KIND.get(kind)
    if code is None:
        while True:
            for p in rng.sample(patients, len(patients)):
                yield _payload(kind, p, patients, rng)
    by_case: dict[str, list[PatientSpec]] = {}
    for p in patients:
        by_case.setdefault(scenario(seed, p.mrn, code), []).append(p)
    queues = {case: itertools.cycle(rng.sample(group, len(group))) for case, group in sorted(by_case.items())}
    turns = [case for case in queues for _ in range(scenario_weight(code, case))]
    while True:
        for case in turns:
            yield _payload(kind, next(queues[case]), patients, rng)


def generated_payloads(patients: list[PatientSpec], seed: int) -> Iterator[MabPayload]:
    """Payloads of the ten types in turn (so any prefix is balanced over types), endless: the caller stops."""
    streams = [_of_kind(kind, patients, seed) for kind in _KINDS]
    while True:
        for stream in streams:
            yield next(stream)


def ehr_of(n: int, seed: int) -> tuple[list[PatientSpec], list[dict[str, Any]]]:
    """The patients and resources of an ``n``-task suite's EHR (a function of ``n`` and ``seed`` alone)."""
    patients = random_patients(seed, patient_count(n))
    return patients, ehr_resources(patients, seed)
