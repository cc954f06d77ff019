"""The MedAgentBench family: query and update an EHR through FHIR R4, graded from the server's state.

Each episode gets its own tenant of the embedded FHIR server (``server.py``) loaded with the
task's synthetic EHR (``ehr.py``); its kernel reaches that tenant, and nothing else, at the URL in
``$FHIR_BASE``. Answers are computed from the loaded data when the suite is built (``Task.answer`` holds the
``Expected`` answer and writes); the grader compares the answer typed and the episode's writes field by
field. With the user's own server (``service_urls["fhir"]``, ``--service-url fhir=URL``) the answers are
computed from that server's data at grading time, and task1's official MRNs stand.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from medgym_nb.actions import ACTIONS
from medgym_nb.data.cache import cached_build
from medgym_nb.errors import ServiceError, TaskFileError
from medgym_nb.family import InfoRequestError, KernelNeeds, OfficialRow, SetupStep, TaskFamily
from medgym_nb.grading.answers import Answer
from medgym_nb.services.base import ServiceTenant
from medgym_nb.services.external import UrlTenant
from medgym_nb.tasks.model import Task, TaskSet
from medgym_nb.tasks.store import read_task_set, tasks_digest, write_tasks

from .ehr import NOW, PatientSpec, ehr_resources, fhir_time, random_patients, scenario
from .generate import ehr_of, generated_payloads, resources_by_patient
from .grade import ServiceState
from .oracle import oracle_cells
from .rules import LAB_OF_KIND, Facts, MabPayload, expected, facts_from_resources
from .server import FHIR_ENV_VAR, embedded_server, install_node_packages
from .text import CATEGORIES, INFO_HELP, build_context, question_and_context

__all__ = ["DATA_FILE", "MedAgentBenchFamily"]

SOURCE = "medagentbench"
DATA_FILE = "fhir.json"
WRITTEN_TYPES = ("Observation", "MedicationRequest", "ServiceRequest", "Condition", "Procedure")
"""Resource types whose new instances the grader reads as the episode's writes."""
_SUITE_PATIENTS = 100
_PER_KIND = 10
_EXTRA_PATIENTS = 40
_MAX_DRAWS = 5
"""Payloads drawn per task asked for at most (a draw may repeat an earlier question)."""
_PATTERNS = {
    "now": r"It'?s (\S+) now",
    "name": r"name (.+?) and DOB of (\d{4}-\d{2}-\d{2})",
    "code": r'code for [\w ]+? is "(\w+)"',
    "ndc": r"NDC for [\w ]+? is ([\d-]+)",
    "check": r"LOINC code for serum potassium level is ([\d-]+)",
    "a1c_order": r"LOINC code for ordering HbA1C lab is:?\s*([\d-]+)",
    "snomed": r"SNOMED code for [\w ]+? is (\d+)",
    "bp_code": r"flowsheet ID for blood pressure is (\w+)",
    "bp": r'it is "([^"]+)"',
    "note": r'free text of the referral, "(.+)"\s*$',
}


class FhirRequest(BaseModel):
    """What ``request_info`` takes: one FHIR request run on the episode's server (``path`` is accepted for
    ``url``)."""

    model_config = ConfigDict(extra="allow")

    method: Literal["GET", "POST"] = Field(default="GET", description="the HTTP method")
    url: str = Field(description="the FHIR path and query, e.g. Observation?patient=S1234567&code=MG")
    body: dict[str, Any] | None = Field(default=None, description="the resource to create (POST)")


class MedAgentBenchFamily(TaskFamily):
    """MedAgentBench's ten FHIR task types against a per-episode FHIR R4 server."""

    name = "medagentbench"
    version = "v2"  # v2: generated tasks over an EHR of n / 10 patients, drawn parameters
    sources = (SOURCE,)
    suite_sources = (SOURCE,)
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {SOURCE: 298}
    payload_model = MabPayload
    actions = tuple(ACTIONS)
    action_params: ClassVar[dict[str, type[BaseModel]]] = {"request_info": FhirRequest}
    action_help: ClassVar[dict[str, str]] = {
        "request_info": INFO_HELP,
        "validate_code": (
            "run Python (it may call the FHIR server) that prints the final answer; the answer and the "
            "resources you wrote to the server are graded. A correct one ends the episode; after a wrong one you "
            "may try again"
        ),
        "submit": (
            "give the final answer as a value; it is graded with the resources you wrote to the server, and "
            "the episode ends"
        ),
    }
    source_names: ClassVar[dict[str, str]] = {SOURCE: "MedAgentBench"}
    kernel = KernelNeeds(packages=("requests",), network="service")
    service_name = "fhir"

    def setup_steps(self) -> list[SetupStep]:
        return [SetupStep("install the FHIR server's Node packages (npm ci)", install_node_packages)]

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        """100 patients, ten tasks per type; patients picked so each type meets each of its cases."""
        if source != SOURCE:
            return super().build_suite(source, root, seed)
        patients = random_patients(seed, _SUITE_PATIENTS)
        resources = _write_data(root, ehr_resources(patients, seed))
        rng = random.Random(f"medagentbench-suite-{seed}")
        tasks: list[Task] = []
        for kind in range(1, 11):
            for n, payload in enumerate(_suite_payloads(kind, patients, seed, rng)):
                split = "test" if n % 3 == 0 else "train"
                tasks.append(_task(f"{SOURCE}.syn.task{kind}_{n}", payload, split, resources, None))
        return tasks

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """``n`` distinct tasks, the ten types in turn, over one EHR of about ``n / 10`` patients under
        ``root`` (``generate.py``); every third task of a type is ``test``."""
        if source != SOURCE:
            return super().generate(source, n, seed, root)
        return _generated(n, seed, root)

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        payload = _official_payload(row, origin)
        funcs = origin.folder / "funcs_v1.json"
        question, context = question_and_context(
            payload, str(row.get("instruction", "")), str(row.get("context", ""))
        )
        return Task(
            id=f"{SOURCE}.{str(row['id']).strip()}",
            source=SOURCE,
            family=self.name,
            category=CATEGORIES[payload.kind],
            split=origin.split,
            question=question,
            context=build_context(context, funcs if funcs.is_file() else None),
            payload=payload,
        )

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> TaskSet:
        """The rows over a synthetic EHR that holds their patients (MRNs, and task1's names and birth dates)
        with scenario-drawn charts; answers re-grounded on it. Built once per (rows' tasks, seed)."""
        if database is not None:
            raise TaskFileError(
                "MedAgentBench runs against a FHIR server: use --service-url fhir=URL, not --db"
            )
        key = f"{source}-official-{self.name}-{self.version}-seed{seed}-{tasks_digest(tasks)}"

        def build(root: Path) -> None:
            patients = _planted_patients([_payload(t) for t in tasks], seed)
            resources = _write_data(root, ehr_resources(patients, seed))
            write_tasks(root, [_task(t.id, _payload(t), t.split, resources, t) for t in tasks])

        return read_task_set(cached_build(key, build))

    # ---- episodes ----

    def open_service(self, task: Task, directory: Path, url: str | None) -> ServiceTenant:
        if url is not None:
            return UrlTenant(url, directory, env_var=FHIR_ENV_VAR, label="FHIR R4 server")
        if not task.data_dir:
            raise TaskFileError(f"task {task.id} names no data directory with its EHR")
        return embedded_server(Path(task.data_dir) / DATA_FILE).open_tenant(directory)

    def request_service_info(self, task: Task, params: dict[str, Any], service: ServiceTenant) -> str:
        """A GET or POST on the episode's server, as upstream's tools: ``{"method": "GET", "url":
        "Observation?patient=S1&code=MG"}``; POST takes ``"body"`` (the resource)."""
        method = str(params.get("method", "GET")).upper()
        target = str(params.get("url") or params.get("path") or "")
        if method not in ("GET", "POST") or not target:
            raise InfoRequestError(INFO_HELP)
        target = re.sub(r"^(https?://[^/]+)?/?(fhir/)?", "", target)
        body = params.get("body") if method == "POST" else None
        status, reply = service.client.request(method, service.prefix + target, body)
        text = reply if isinstance(reply, str) else json.dumps(reply, indent=1)
        return f"HTTP {status}\n{text}"

    def answer_from_submit(self, task: Task, params: dict[str, Any]) -> Answer:
        return Answer(kind="value", value=params.get("answer", params))

    def service_state(self, task: Task, service: ServiceTenant) -> Any:
        """The episode's writes; with the user's own server also the chart's facts, read from it."""
        payload = _payload(task)
        opened = service.opened_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        writes: list[dict[str, Any]] = []
        for kind in WRITTEN_TYPES:
            writes += _search(service, f"{kind}?_lastUpdated=gt{quote(opened)}&_count=1000")
        facts = None
        if isinstance(service, UrlTenant):
            found = _search(service, f"Patient?_id={quote(payload.mrn)}") if payload.mrn else []
            if payload.code:
                found += _search(
                    service,
                    f"Observation?patient=Patient/{quote(payload.mrn)}&code={payload.code}&_count=5000",
                )
            facts = facts_from_resources(found, payload.mrn, payload.code)
        return ServiceState(writes=writes, facts=facts).model_dump(mode="json")

    def oracle_plan(self, task: Task) -> list[dict[str, Any]]:
        return [
            {
                "action": "validate_code",
                "params": {"code": oracle_cells(_payload(task))},
                "message": "Solve it.",
            }
        ]


def _generated(n: int, seed: int, root: Path) -> Iterator[Task]:
    patients, resources = ehr_of(n, seed)
    _write_data(root, resources)
    charts = resources_by_patient(resources)
    seen: set[tuple[str, str]] = set()
    made: Counter[int] = Counter()
    for payload in itertools.islice(generated_payloads(patients, seed), _MAX_DRAWS * n):
        if len(seen) >= n:
            return
        number = made[payload.kind]
        split = "test" if number % 3 == 0 else "train"
        task = _task(
            f"{SOURCE}.gen.task{payload.kind}_{number:05d}", payload, split, charts.get(payload.mrn, []), None
        )
        if (task.question, task.context) in seen:
            continue
        seen.add((task.question, task.context))
        made[payload.kind] += 1
        yield task


def _search(service: ServiceTenant, query: str) -> list[dict[str, Any]]:
    """Every resource a search returns, following ``next`` links."""
    out: list[dict[str, Any]] = []
    target: str | None = service.prefix + query
    while target:
        status, bundle = service.client.request("GET", target)
        if status != 200 or not isinstance(bundle, dict):
            raise ServiceError(f"the FHIR server answered {status} to {target}: {str(bundle)[:300]}")
        out += [e["resource"] for e in bundle.get("entry") or [] if "resource" in e]
        nxt = next((link["url"] for link in bundle.get("link") or [] if link.get("relation") == "next"), None)
        target = re.sub(r"^https?://[^/]+", "", nxt) if nxt else None
    return out


def _payload(task: Task) -> MabPayload:
    assert isinstance(task.payload, MabPayload)
    return task.payload


def _write_data(root: Path, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / DATA_FILE).write_text(json.dumps(resources))
    return resources


def _task(
    task_id: str, payload: MabPayload, split: str, resources: list[dict[str, Any]], official: Task | None
) -> Task:
    """The task with its answer (``Expected``) computed from ``resources``."""
    code = payload.code or LAB_OF_KIND.get(payload.kind, "")
    facts: Facts = facts_from_resources(resources, payload.mrn, code)
    if official is not None:
        return official.model_copy(
            update={"data_dir": "data", "answer": expected(payload, facts).model_dump(mode="json")}
        )
    question, context = question_and_context(payload, "", "")
    return Task(
        id=task_id,
        source=SOURCE,
        family=MedAgentBenchFamily.name,
        category=CATEGORIES[payload.kind],
        split=split,
        question=question,
        context=build_context(context, None),
        data_dir="data",
        answer=expected(payload, facts).model_dump(mode="json"),
        payload=payload,
    )


def _find(pattern: str, text: str, origin: OfficialRow, what: str) -> re.Match[str]:
    found = re.search(_PATTERNS[pattern], text, re.DOTALL)
    if found is None:
        raise TaskFileError(f"{origin.where}: cannot read {what} from the task's text")
    return found


def _official_payload(row: dict[str, Any], origin: OfficialRow) -> MabPayload:
    """A row's parameters: its type from the id (``taskN_...``), the rest from its instruction and context."""
    kind_match = re.match(r"^task(\d+)_", str(row.get("id", "")).strip())
    if kind_match is None or not 1 <= int(kind_match[1]) <= 10:
        raise TaskFileError(
            f"{origin.where}: id {row.get('id')!r} is not a MedAgentBench task id (task1..task10)"
        )
    kind = int(kind_match[1])
    instruction, context = str(row.get("instruction") or ""), str(row.get("context") or "")
    mrn = str(row.get("eval_MRN") or "").strip()
    sol = row.get("sol")
    now_match = re.search(_PATTERNS["now"], context)
    fields: dict[str, Any] = {"kind": kind, "mrn": mrn, "now": now_match[1] if now_match else fhir_time(NOW)}
    if kind == 1:
        found = _find("name", instruction, origin, "the patient's name and birth date")
        answer = sol[0] if isinstance(sol, list) and sol else None
        if not isinstance(answer, str):
            raise TaskFileError(f"{origin.where}: task1 needs sol as a list with the MRN, got {sol!r}")
        fields |= {
            "name": found[1].strip(),
            "birth_date": found[2],
            "mrn": "" if "not found" in answer.lower() else answer,
        }
    elif not re.fullmatch(r"S\d+", mrn):
        raise TaskFileError(f"{origin.where}: eval_MRN {mrn!r} is not an MRN (S and digits)")
    if kind in LAB_OF_KIND:
        fields["code"] = _find("code", context, origin, "the lab's code")[1]
    if kind in (5, 9):
        fields["order_code"] = _find("ndc", context, origin, "the NDC")[1]
    if kind == 9:
        fields["check_code"] = _find("check", context, origin, "the serum potassium LOINC code")[1]
    if kind == 10:
        fields["order_code"] = _find("a1c_order", context, origin, "the HbA1c order's LOINC code")[1]
    if kind == 8:
        fields["order_code"] = _find("snomed", context, origin, "the referral's SNOMED code")[1]
        fields["note"] = _find("note", instruction, origin, "the referral's free text")[1]
    if kind == 3:
        fields["code"] = _find("bp_code", context, origin, "the blood pressure's flowsheet ID")[1]
        fields["bp"] = _find("bp", instruction, origin, "the measured blood pressure")[1]
    return MabPayload(**fields, official_sol=sol)


def _planted_patients(payloads: list[MabPayload], seed: int) -> list[PatientSpec]:
    """The rows' patients (task1's with the name and birth date asked for), then unrelated ones."""
    named: dict[str, PatientSpec] = {}
    for p in payloads:
        if p.kind == 1 and p.mrn:
            given, _, family = p.name.rpartition(" ")  # the last word is the family name
            named[p.mrn] = PatientSpec(
                p.mrn, given, family or given, datetime.fromisoformat(p.birth_date).date()
            )
    others = {p.mrn for p in payloads if p.mrn} - set(named)
    extra = random_patients(seed, len(others) + _EXTRA_PATIENTS, taken=set(named) | others)
    asked = {(p.name.lower(), p.birth_date) for p in payloads if p.kind == 1}
    filler = [q for q in extra if (f"{q.given} {q.family}".lower(), q.birth_date.isoformat()) not in asked]
    planted = [
        PatientSpec(mrn, spec.given, spec.family, spec.birth_date, spec.gender)
        for mrn, spec in zip(sorted(others), filler, strict=False)
    ]
    return list(named.values()) + planted + filler[len(others) :]


def _suite_payloads(
    kind: int, patients: list[PatientSpec], seed: int, rng: random.Random
) -> list[MabPayload]:
    """Ten payloads of ``kind``; for lab types, patients taken in turn from each scenario."""
    now = fhir_time(NOW)
    if kind == 1:
        chosen = rng.sample(patients, _PER_KIND)
        out = []
        for n, p in enumerate(chosen):
            born = p.birth_date if n % 3 else p.birth_date + timedelta(days=1 + n)
            known = any(
                q.given == p.given and q.family == p.family and q.birth_date == born for q in patients
            )
            out.append(
                MabPayload(
                    kind=1,
                    mrn=p.mrn if known else "",
                    now=now,
                    name=f"{p.given} {p.family}",
                    birth_date=born.isoformat(),
                )
            )
        return out
    code = LAB_OF_KIND.get(kind, "")
    if code:
        by_case: dict[str, list[PatientSpec]] = {}
        for p in patients:
            by_case.setdefault(scenario(seed, p.mrn, code), []).append(p)
        cases = [itertools.cycle(rng.sample(v, len(v))) for _, v in sorted(by_case.items())]
        chosen = [next(cases[n % len(cases)]) for n in range(_PER_KIND)]
    else:
        chosen = rng.sample(patients, _PER_KIND)
    return [_suite_payload(kind, p.mrn, code, now, rng) for p in chosen]


def _suite_payload(kind: int, mrn: str, code: str, now: str, rng: random.Random) -> MabPayload:
    fields: dict[str, Any] = {"kind": kind, "mrn": mrn, "now": now, "code": code}
    if kind == 3:
        fields |= {"code": "BP", "bp": f"{rng.randrange(95, 170)}/{rng.randrange(55, 100)} mmHg"}
    elif kind == 5:
        fields["order_code"] = "0338-1715-40"
    elif kind == 8:
        fields |= {"order_code": "306181000000106", "note": rng.choice(_REFERRAL_NOTES)}
    elif kind == 9:
        fields |= {"order_code": "40032-917-01", "check_code": "2823-3"}
    elif kind == 10:
        fields["order_code"] = "4548-4"
    return MabPayload(**fields)


_REFERRAL_NOTES = (
    "Situation: acute left knee injury, Background: radiology report indicates ACL tear. Assessment: ACL tear "
    "grade II. Recommendation: request for Orthopedic service to evaluate and provide management recommendations.",
    "Situation: right hip pain after a fall, Background: X-ray shows no displaced fracture. Assessment: possible "
    "occult femoral neck fracture. Recommendation: request for Orthopedic service to evaluate and advise on imaging.",
    "Situation: chronic right shoulder pain, Background: MRI indicates a full-thickness rotator cuff tear. "
    "Assessment: rotator cuff tear. Recommendation: request for Orthopedic service to evaluate for repair.",
)
