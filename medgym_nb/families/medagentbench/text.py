"""What a MedAgentBench agent is told: the question (upstream's phrasing for each type), the context with its
fixed "now", how to reach the FHIR server, the tool specs, and how to answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .rules import MabPayload

__all__ = ["CATEGORIES", "INFO_HELP", "build_context", "question_and_context"]

CATEGORIES = {
    1: "task1_patient_mrn",
    2: "task2_patient_age",
    3: "task3_record_bp",
    4: "task4_magnesium_24h",
    5: "task5_magnesium_order",
    6: "task6_cbg_average_24h",
    7: "task7_cbg_latest",
    8: "task8_ortho_referral",
    9: "task9_potassium_order",
    10: "task10_hba1c",
}

INFO_HELP = (
    'run one FHIR request on the episode\'s server on your behalf: {"method": "GET", "url": "Observation?patient=S1234567'
    '&code=MG"}, or {"method": "POST", "url": "Observation", "body": {...the resource...}}; the reply is the '
    "server's JSON."
)

_NOW = "It's {now} now."
_QUESTIONS = {
    1: (
        "What’s the MRN of the patient with name {name} and DOB of {birth_date}? If the patient does not exist, "
        'the answer should be "Patient not found"',
        "",
    ),
    2: (
        "What's the age of the patient with MRN of {mrn}?",
        "It's {now} now, and the answer should be rounded down to an integer.",
    ),
    3: (
        'I just measured the blood pressure for patient with MRN of {mrn}, and it is "{bp}". Help me record it.',
        _NOW + " The flowsheet ID for blood pressure is {code}.",
    ),
    4: (
        "What’s the most recent magnesium level of the patient {mrn} within last 24 hours?",
        _NOW
        + ' The code for magnesium is "{code}". The answer should be a single number converted to a unit of '
        "mg/dL, and it should be -1 if a measurement within last 24 hours is not available.",
    ),
    5: (
        "Check patient {mrn}'s last serum magnesium level within last 24 hours. If low, then order replacement IV "
        "magnesium according to dosing instructions. If no magnesium level has been recorded in the last 24 hours, "
        "don't order anything.",
        _NOW
        + ' The code for magnesium is "{code}". The NDC for replacement IV magnesium is {order_code}. Dosing '
        "instructions: (1) Mild deficiency (eg, serum magnesium 1.5 to 1.9 mg/dL):\nIV: 1 g over 1 hour.\n(2) "
        "Moderate deficiency (eg, serum magnesium 1 to <1.5 mg/dL):\nIV: 2 g over 2 hours.\n(3) Severe deficiency "
        "(eg, serum magnesium <1 mg/dL):\nIV: 4 g over 4 hours.",
    ),
    6: (
        "What is the average CBG of the patient {mrn} over the last 24 hours?",
        _NOW
        + ' The code for CBG is "{code}". The answer should be a single number converted to a unit of mg/dL, '
        "and it should be -1 if a measurement within last 24 hours is not available.",
    ),
    7: ("What is the most recent CBG of the patient {mrn}?", _NOW + ' The code for CBG is "{code}"'),
    8: (
        'Order orthopedic surgery referral for patient {mrn}. Specify within the free text of the referral, "{note}"',
        _NOW + " The SNOMED code for orthopedic surgery referral is {order_code}.",
    ),
    9: (
        "Check patient {mrn}'s most recent potassium level. If low, then order replacement potassium according to "
        "dosing instructions. Also pair this order with a morning serum potassium level to be completed the next "
        "day at 8am.",
        _NOW
        + ' The code for potassium is "{code}". The NDC for replacement potassium is {order_code}. Dosing '
        "instructions: for every 0.1 mEq/L (or mmol/L) below threshold, order 10 mEq potassium oral repletion) to "
        "reach a goal of 3.5 serum level. The LOINC code for serum potassium level is {check_code}.",
    ),
    10: (
        "What’s the last HbA1C (hemoglobin A1C) value in the chart for patient {mrn} and when was it recorded? If "
        "the lab value result date is greater than 1 year old, order a new HbA1C lab test.",
        _NOW
        + ' The code for HbA1C is "{code}". The LOINC code for ordering HbA1C lab is: {order_code}. The answer '
        "should be [-1] if a measurement is not available.",
    ),
}

_HOW = (
    "Use the FHIR R4 server from code cells (e.g. `requests`; its base URL is in the environment variable "
    "FHIR_BASE, written {api_base} in the functions below) or through request_info. Searches return Bundles "
    "(default 20 entries; use _count, and follow the `next` link). Patient references are `Patient/<MRN>`. "
    'Answer with submit and a list, as upstream\'s FINISH does: {"answer": [1.8]} (or print the list from '
    'validate_code). Tasks that only record or order something take {"answer": []} when done; your writes '
    "on the server are what is graded, so make exactly the writes the task calls for."
)

# Upstream's tools in the same JSON form (our wording): what each endpoint takes.
_FUNCS: list[dict[str, Any]] = [
    {
        "name": "GET {api_base}/Patient",
        "description": "Patient.Search: patients by demographics.",
        "parameters": {
            "identifier": "the MRN",
            "name": "any part of the name",
            "given": "first name",
            "family": "last name",
            "birthdate": "YYYY-MM-DD",
            "gender": "male/female",
        },
    },
    {
        "name": "GET {api_base}/Observation",
        "description": "Observation.Search (labs and vitals).",
        "parameters": {
            "patient": "the patient's MRN",
            "code": "the lab or flowsheet code",
            "category": "laboratory or vital-signs",
            "date": "effective date, with ge/le/gt/lt prefixes",
        },
    },
    {
        "name": "POST {api_base}/Observation",
        "description": "Observation.Create (vitals).",
        "parameters": {
            "resourceType": "Observation",
            "category": "[{coding: [{system: "
            "'http://hl7.org/fhir/observation-category', code: 'vital-signs', display: 'Vital Signs'}]}]",
            "code": "{text: <flowsheet ID>}",
            "effectiveDateTime": "ISO date-time",
            "status": "final",
            "valueString": "the measurement",
            "subject": "{reference: 'Patient/<MRN>'}",
        },
    },
    {
        "name": "GET {api_base}/MedicationRequest",
        "description": "MedicationRequest.Search (medication orders).",
        "parameters": {"patient": "the patient's MRN", "date": "authored date", "category": "order category"},
    },
    {
        "name": "POST {api_base}/MedicationRequest",
        "description": "MedicationRequest.Create.",
        "parameters": {
            "resourceType": "MedicationRequest",
            "medicationCodeableConcept": "{coding: [{system: "
            "'http://hl7.org/fhir/sid/ndc', code, display}], text}",
            "authoredOn": "ISO date-time",
            "dosageInstruction": "[{route: {text}, doseAndRate: [{doseQuantity: {value, unit}, "
            "rateQuantity: {value, unit: 'h'}}]}]",
            "status": "active",
            "intent": "order",
            "subject": "{reference: 'Patient/<MRN>'}",
        },
    },
    {
        "name": "GET {api_base}/Condition",
        "description": "Condition.Search (problem list).",
        "parameters": {"patient": "the patient's MRN", "category": "problem-list-item"},
    },
    {
        "name": "GET {api_base}/Procedure",
        "description": "Procedure.Search.",
        "parameters": {"patient": "the patient's MRN", "code": "procedure code", "date": "date"},
    },
    {
        "name": "POST {api_base}/ServiceRequest",
        "description": "ServiceRequest.Create (orders, referrals).",
        "parameters": {
            "resourceType": "ServiceRequest",
            "code": "{coding: [{system, code, display}]}",
            "authoredOn": "ISO date-time",
            "status": "active",
            "intent": "order",
            "priority": "stat",
            "subject": "{reference: 'Patient/<MRN>'}",
            "note": "{text: free text}",
            "occurrenceDateTime": "ISO date-time",
        },
    },
]


def question_and_context(p: MabPayload, instruction: str, context: str) -> tuple[str, str]:
    """An official row's own text, or the type's template filled from the payload."""
    if instruction:
        return instruction.strip(), context.strip()
    question, ctx = _QUESTIONS[p.kind]
    fields = p.model_dump()
    return question.format(**fields), ctx.format(**fields)


def build_context(context: str, funcs: Path | None) -> str:
    """The task's context, how to reach the server and answer, and the tool specs (an official folder's
    ``funcs_v1.json`` when there is one, else ours)."""
    specs = json.loads(funcs.read_text()) if funcs is not None else _FUNCS
    listing = json.dumps(specs, ensure_ascii=False)
    return "\n\n".join(part for part in (context, _HOW, f"Functions: {listing}") if part)
