"""The reference solution of a MedAgentBench task: one code cell that does what a good agent does — search
the FHIR server with ``requests``, apply the task's rule, make the writes, print the answer list.

The cell is self-contained (the sandbox cannot import medgym): it carries the rule's few lines itself.
"""

from __future__ import annotations

from .rules import LOINC, NDC, SNOMED, VITALS, MabPayload

__all__ = ["oracle_cells"]

_PRELUDE = """\
import os, requests
from datetime import datetime, timedelta, timezone
base = os.environ["FHIR_BASE"]
now = datetime.fromisoformat({now!r}.replace("Z", "+00:00"))
mrn = {mrn!r}
subject = {{"reference": "Patient/" + mrn}}

def search(kind, **params):
    out, url, params = [], base + kind, dict(params, _count=1000)
    while url:
        bundle = requests.get(url, params=params, timeout=60).json()
        out += [e["resource"] for e in bundle.get("entry", [])]
        url = next((l["url"] for l in bundle.get("link", []) if l["relation"] == "next"), None)
        params = None
    return out

def post(resource):
    reply = requests.post(base + resource["resourceType"], json=resource, timeout=60)
    assert reply.status_code == 201, reply.text

def labs(code, since=None):
    found = [
        (datetime.fromisoformat(o["effectiveDateTime"].replace("Z", "+00:00")), o["valueQuantity"]["value"])
        for o in search("Observation", patient=mrn, code=code)
    ]
    return sorted(v for v in found if since is None or v[0] >= since)
"""

_BODIES = {
    1: """\
given, _, family = {name!r}.rpartition(" ")
found = [
    p["id"] for p in search("Patient", given=given, family=family or given, birthdate={birth_date!r})
    if any(n.get("family") == (family or given) and given in n.get("given", []) for n in p.get("name", []))
]
print(found[:1] or ["Patient not found"])""",
    2: """\
born = datetime.fromisoformat(requests.get(base + "Patient/" + mrn, timeout=60).json()["birthDate"]).date()
today = now.date()
print([today.year - born.year - ((today.month, today.day) < (born.month, born.day))])""",
    3: """\
post({{"resourceType": "Observation", "status": "final", "subject": subject,
      "category": [{{"coding": [{{"system": {vitals!r}, "code": "vital-signs", "display": "Vital Signs"}}]}}],
      "code": {{"text": {code!r}}}, "effectiveDateTime": now.isoformat(), "valueString": {bp!r}}})
print([])""",
    4: """\
recent = labs({code!r}, now - timedelta(hours=24))
print([recent[-1][1] if recent else -1])""",
    5: """\
recent = labs({code!r}, now - timedelta(hours=24))
level = recent[-1][1] if recent else None
if level is not None and level <= 1.9:
    grams = 4 if level < 1 else 2 if level < 1.5 else 1
    post({{"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": subject,
          "authoredOn": now.isoformat(),
          "medicationCodeableConcept": {{"coding": [{{"system": {ndc!r}, "code": {order_code!r}}}]}},
          "dosageInstruction": [{{"route": {{"text": "IV"}}, "doseAndRate": [{{
              "doseQuantity": {{"value": grams, "unit": "g"}}, "rateQuantity": {{"value": grams, "unit": "h"}}}}]}}]}})
print([level if level is not None else -1])""",
    6: """\
recent = labs({code!r}, now - timedelta(hours=24))
print([sum(v for _, v in recent) / len(recent) if recent else -1])""",
    7: """\
every = labs({code!r})
print([every[-1][1] if every else -1])""",
    8: """\
post({{"resourceType": "ServiceRequest", "status": "active", "intent": "order", "priority": "stat",
      "subject": subject, "authoredOn": now.isoformat(),
      "code": {{"coding": [{{"system": {snomed!r}, "code": {order_code!r}}}]}}, "note": {{"text": {note!r}}}}})
print([])""",
    9: """\
every = labs({code!r})
level = every[-1][1] if every else None
if level is not None and level < 3.5:
    dose = round((3.5 - level) / 0.1) * 10
    post({{"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": subject,
          "authoredOn": now.isoformat(),
          "medicationCodeableConcept": {{"coding": [{{"system": {ndc!r}, "code": {order_code!r}}}]}},
          "dosageInstruction": [{{"route": {{"text": "oral"}},
                                  "doseAndRate": [{{"doseQuantity": {{"value": dose, "unit": "mEq"}}}}]}}]}})
    morning = (now + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    post({{"resourceType": "ServiceRequest", "status": "active", "intent": "order", "priority": "stat",
          "subject": subject, "authoredOn": now.isoformat(), "occurrenceDateTime": morning.isoformat(),
          "code": {{"coding": [{{"system": {loinc!r}, "code": {check_code!r}}}]}}}})
print([level if level is not None else -1])""",
    10: """\
every = labs({code!r})
if not every or every[-1][0] < now - timedelta(days=365):
    post({{"resourceType": "ServiceRequest", "status": "active", "intent": "order", "priority": "stat",
          "subject": subject, "authoredOn": now.isoformat(),
          "code": {{"coding": [{{"system": {loinc!r}, "code": {order_code!r}}}]}}}})
print([every[-1][1], every[-1][0].isoformat()] if every else [-1])""",
}


def oracle_cells(p: MabPayload) -> str:
    """The solving cell for task ``p``."""
    fields = p.model_dump() | {"vitals": VITALS, "ndc": NDC, "loinc": LOINC, "snomed": SNOMED}
    return _PRELUDE.format(**fields) + "\n" + _BODIES[p.kind].format(**fields)
