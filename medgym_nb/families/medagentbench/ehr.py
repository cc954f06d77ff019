"""A synthetic EHR as FHIR R4 resources, for MedAgentBench's tasks.

Deterministic in (seed, patients): every patient's data is a function of its MRN and the seed alone, so a
patient named by an official row gets the same chart whatever else is built. Each (patient, lab) pair draws a
*scenario* — no value, only old values, a normal one, or a value in each dosing band — so that across
patients every task type meets every case its rule distinguishes (an order due or not, each dose, a value
in the last 24 hours or not, an HbA1c older than a year). History (older labs, blood pressures, orders,
problems) is there so that answers need the right filters, and a grader must tell new writes from old.

Resources carry a fixed ``meta.lastUpdated`` (the clock's "now" of the tasks, minus a day): what an episode
writes is later than anything loaded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = [
    "LABS",
    "LAB_SYSTEM",
    "LOADED_AT",
    "NOW",
    "PatientSpec",
    "ehr_resources",
    "fhir_time",
    "random_patients",
    "scenario",
    "scenario_weight",
]

NOW = datetime(2023, 11, 13, 10, 15, tzinfo=UTC)
"""MedAgentBench's fixed "now" (its contexts say "It's 2023-11-13T10:15:00+00:00 now")."""
LOADED_AT = "2023-11-12T00:00:00Z"
LAB_SYSTEM = "http://medgym.local/CodeSystem/flowsheet"
LABS: dict[str, tuple[str, str]] = {
    "MG": ("Magnesium", "mg/dL"),
    "GLU": ("Glucose (CBG)", "mg/dL"),
    "K": ("Potassium", "mmol/L"),
    "A1C": ("Hemoglobin A1c", "%"),
}
FILLER_LABS = ("NA", "CL", "BUN", "CREAT", "HGB", "WBC", "PLT", "CA")

# scenario → (weight, latest value range, latest value age range in hours); None: no value at all
_SCENARIOS: dict[str, dict[str, tuple[float, tuple[float, float], tuple[float, float]] | None]] = {
    "MG": {
        "none": None,
        "old": (1, (1.2, 2.4), (30, 900)),
        "normal": (1, (2.0, 2.6), (1, 23)),
        "mild": (1, (1.5, 1.9), (1, 23)),
        "moderate": (1, (1.0, 1.4), (1, 23)),
        "severe": (1, (0.5, 0.9), (1, 23)),
    },
    "GLU": {"none": None, "old": (1, (70, 250), (30, 900)), "recent": (3, (70, 280), (0.5, 6))},
    "K": {"none": None, "normal": (2, (3.5, 5.0), (2, 400)), "low": (2, (2.5, 3.4), (2, 400))},
    "A1C": {"none": None, "recent": (2, (5.0, 9.5), (200, 8000)), "old": (2, (5.0, 10.5), (9000, 30000))},
}
_DECIMALS = {"MG": 1, "GLU": 0, "K": 1, "A1C": 1}

GIVEN = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
]
FAMILY = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
]


@dataclass(frozen=True)
class PatientSpec:
    """A patient as tasks name it: MRN (``S`` + digits, also the resource id), name and birth date."""

    mrn: str
    given: str
    family: str
    birth_date: date
    gender: str = "unknown"


def fhir_time(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def random_patients(seed: int, count: int, taken: set[str] | None = None) -> list[PatientSpec]:
    """``count`` patients with fresh MRNs (not in ``taken``) and (name, birth date) pairs of their own."""
    rng = random.Random(f"fhir-patients-{seed}")
    taken = set(taken or ())
    named: set[tuple[str, str, date]] = set()
    out: list[PatientSpec] = []
    while len(out) < count:
        mrn = f"S{rng.randrange(100_000, 9_999_999):07d}"
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 75 * 365))
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        if mrn in taken or (given, family, born) in named:
            continue
        taken.add(mrn)
        named.add((given, family, born))
        out.append(PatientSpec(mrn, given, family, born, rng.choice(("male", "female"))))
    return out


def scenario(seed: int, mrn: str, code: str) -> str:
    """The (patient, lab) pair's scenario: a name from ``_SCENARIOS[code]``, uniformly drawn."""
    return random.Random(f"fhir-scenario-{seed}-{mrn}-{code}").choice(sorted(_SCENARIOS[code]))


def scenario_weight(code: str, name: str) -> int:
    """How often a generated suite asks about lab ``code``'s scenario ``name`` relative to the others: its
    weight in ``_SCENARIOS`` (1 for "none"), so the cases a type's rule tells apart stay balanced."""
    plan = _SCENARIOS[code][name]
    return 1 if plan is None else int(plan[0])


def _meta() -> dict[str, str]:
    return {"lastUpdated": LOADED_AT}


def _patient(p: PatientSpec) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": p.mrn,
        "meta": _meta(),
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]
                },
                "value": p.mrn,
            }
        ],
        "name": [{"use": "official", "family": p.family, "given": [p.given]}],
        "gender": p.gender,
        "birthDate": p.birth_date.isoformat(),
    }


def _lab(mrn: str, code: str, display: str, unit: str, when: datetime, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "meta": _meta(),
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LAB_SYSTEM, "code": code, "display": display}], "text": code},
        "subject": {"reference": f"Patient/{mrn}"},
        "effectiveDateTime": fhir_time(when),
        "issued": fhir_time(when + timedelta(minutes=45)),
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


def _labs(rng: random.Random, seed: int, mrn: str, code: str) -> list[dict[str, Any]]:
    """The latest value in the scenario's band and age, plus older values (before it, any band)."""
    plan = _SCENARIOS[code][scenario(seed, mrn, code)]
    if plan is None:
        return []
    count, (low, high), (young, old) = plan
    display, unit = LABS[code]
    digits = _DECIMALS[code]
    latest = NOW - timedelta(hours=rng.uniform(young, old))
    times = [latest]
    if code == "GLU" and old < 24:  # several readings in the last day, for the 24-hour average
        times += [NOW - timedelta(hours=rng.uniform(old, 23.5)) for _ in range(rng.randrange(1, 5))]
    times += [
        latest - timedelta(hours=rng.uniform(24, 2000)) for _ in range(rng.randrange(0, int(count) + 2))
    ]
    values = [round(rng.uniform(low, high), digits)]
    generic = _SCENARIOS[code].get("normal") or _SCENARIOS[code].get("recent") or plan
    assert generic is not None
    values += [round(rng.uniform(*generic[1]), digits) for _ in times[1:]]
    return [_lab(mrn, code, display, unit, t, v) for t, v in zip(times, values, strict=True)]


def _history(rng: random.Random, mrn: str) -> list[dict[str, Any]]:
    """Earlier vitals, orders and problems: what a grader must not mistake for the episode's writes."""
    subject = {"reference": f"Patient/{mrn}"}
    out: list[dict[str, Any]] = []
    for _ in range(rng.randrange(0, 3)):
        when = NOW - timedelta(days=rng.uniform(2, 400))
        out.append(
            {
                "resourceType": "Observation",
                "meta": _meta(),
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {"system": "http://hl7.org/fhir/observation-category", "code": "vital-signs"}
                        ]
                    }
                ],
                "code": {"text": "BP"},
                "subject": subject,
                "effectiveDateTime": fhir_time(when),
                "valueString": f"{rng.randrange(100, 160)}/{rng.randrange(60, 95)} mmHg",
            }
        )
    if rng.random() < 0.4:
        out.append(
            {
                "resourceType": "MedicationRequest",
                "meta": _meta(),
                "status": "completed",
                "intent": "order",
                "medicationCodeableConcept": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": "0338-1715-40"}],
                    "text": "magnesium sulfate IV",
                },
                "subject": subject,
                "authoredOn": fhir_time(NOW - timedelta(days=rng.uniform(30, 300))),
            }
        )
    if rng.random() < 0.3:
        out.append(
            {
                "resourceType": "ServiceRequest",
                "meta": _meta(),
                "status": "completed",
                "intent": "order",
                "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
                "subject": subject,
                "authoredOn": fhir_time(NOW - timedelta(days=rng.uniform(30, 900))),
            }
        )
    if rng.random() < 0.5:
        out.append(
            {
                "resourceType": "Condition",
                "meta": _meta(),
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                "code": "problem-list-item",
                            }
                        ]
                    }
                ],
                "code": {
                    "text": rng.choice(("Hypertension", "Type 2 diabetes", "CKD stage 3", "Hypokalemia"))
                },
                "subject": subject,
            }
        )
    return out


def _filler(rng: random.Random, mrn: str, count: int) -> list[dict[str, Any]]:
    """``count`` extra lab values of other codes (for search benchmarks at scale)."""
    return [
        _lab(mrn, code, code, "1", NOW - timedelta(hours=rng.uniform(1, 9000)), round(rng.uniform(1, 200), 1))
        for code in rng.choices(FILLER_LABS, k=count)
    ]


def ehr_resources(patients: list[PatientSpec], seed: int, *, filler: int = 0) -> list[dict[str, Any]]:
    """Every resource of the EHR: each patient, its labs by scenario, its history, ``filler`` extra labs."""
    out: list[dict[str, Any]] = []
    for p in patients:
        rng = random.Random(f"fhir-chart-{seed}-{p.mrn}")
        out.append(_patient(p))
        for code in LABS:
            out += _labs(rng, seed, p.mrn, code)
        out += _history(rng, p.mrn)
        out += _filler(rng, p.mrn, filler)
    return out
