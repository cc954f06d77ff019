"""The MedAgentBench family: FHIR tasks against a real FHIR R4 server, graded from the server's state.

Real components throughout: the embedded Node server, a tenant per episode reached from sandboxed kernels
through the relay, papermill graders. The oracle searches and writes like an agent; wrong writes (dose,
code, patient, an order when none is due, a missing order) and wrong answers score 0; one episode's write
is never seen by a concurrent one; ``--service-url fhir=URL`` runs the tasks against a second server given as a URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.families.medagentbench.family import DATA_FILE
from medgym_nb.families.medagentbench.grade import ServiceState, grade_episode, write_problems
from medgym_nb.families.medagentbench.rules import VITALS, Expected, MabPayload, WriteSpec
from medgym_nb.families.medagentbench.server import FhirServer, close_servers, node_status
from medgym_nb.tasks import spread_over_categories
from medgym_nb.tasks.generate import generate_suite, rebuild_suite
from tests.official import SPLIT_FILES, official_rows
from tests.sandboxes import sandboxes

SOURCE = "medagentbench"

pytestmark = pytest.mark.skipif(
    not node_status()[0], reason=f"embedded FHIR server unavailable: {node_status()[1]}"
)


def _our_servers() -> list[int]:
    """Node FHIR servers started by this process."""
    me = str(os.getpid())
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (
                proc.name.isdigit()
                and b"server.mjs" in (proc / "cmdline").read_bytes()
                and (proc / "stat").read_text().rsplit(")", 1)[1].split()[1] == me
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module", autouse=True)
def servers_stop() -> Iterator[None]:
    """Every embedded server the module's episodes started is stopped by ``close_servers``, none leaks."""
    yield
    close_servers()
    assert _our_servers() == []


@pytest.fixture(scope="module")
def suite() -> list[mg.Task]:
    return mg.load_tasks(SOURCE)


def _payload(task: mg.Task) -> MabPayload:
    assert isinstance(task.payload, MabPayload)
    return task.payload


def _due(task: mg.Task) -> Expected:
    return Expected.model_validate(task.answer)


def _pick(suite: list[mg.Task], kind: int, *, writes: bool | None = None) -> mg.Task:
    return next(
        t for t in suite if _payload(t).kind == kind and (writes is None or bool(_due(t).writes) == writes)
    )


def _resource(spec: WriteSpec) -> dict[str, Any]:
    """The resource a write spec asks for, written as an agent following the tool specs would."""
    base: dict[str, Any] = {"resourceType": spec.resource_type, "subject": {"reference": spec.subject}}
    if spec.resource_type == "Observation":
        return base | {
            "status": "final",
            "category": [{"coding": [{"system": VITALS, "code": "vital-signs"}]}],
            "code": {"text": spec.code},
            "effectiveDateTime": spec.when,
            "valueString": spec.value,
        }
    base |= {"status": "active", "intent": "order", "authoredOn": spec.when}
    if spec.resource_type == "MedicationRequest":
        rate = {"rateQuantity": {"value": spec.hours, "unit": "h"}} if spec.hours else {}
        return base | {
            "medicationCodeableConcept": {"coding": [{"system": spec.system, "code": spec.code}]},
            "dosageInstruction": [
                {
                    "route": {"text": spec.route},
                    "doseAndRate": [{"doseQuantity": {"value": spec.dose, "unit": spec.dose_unit}} | rate],
                }
            ],
        }
    extra = {"occurrenceDateTime": spec.occurrence} if spec.occurrence else {}
    return (
        base
        | {"priority": "stat", "code": {"coding": [{"system": spec.system, "code": spec.code}]}}
        | ({"note": {"text": spec.note}} if spec.note else {})
        | extra
    )


def _post_code(resources: list[dict[str, Any]]) -> str:
    return (
        "import json, os, requests\n"
        f"for r in json.loads({json.dumps(resources)!r}):\n"
        "    reply = requests.post(os.environ['FHIR_BASE'] + r['resourceType'], json=r, timeout=60)\n"
        "    assert reply.status_code == 201, reply.text\n"
    )


class Writes(ScriptedAgent):
    """Runs ``code`` (by default: posts ``resources``) in a cell, then submits ``answer``."""

    name = "writes"

    def __init__(self, resources: list[dict[str, Any]], answer: Any, code: str = "") -> None:
        super().__init__()
        self.code, self.answer = code or _post_code(resources), answer

    def plan(self, task: mg.Task) -> list[dict[str, Any]]:
        return [
            {"action": "execute", "params": {"code": self.code}},
            {"action": "submit", "params": {"answer": self.answer}},
        ]


def _rewrite_latest_lab(mrn: str, code: str) -> str:
    """Agent code that edits the chart (PUT on the patient's latest lab) instead of reading it."""
    return (
        "import os, requests\n"
        "base = os.environ['FHIR_BASE']\n"
        f"query = {{'patient': {mrn!r}, 'code': {code!r}, '_sort': '-date', '_count': 1}}\n"
        "lab = requests.get(base + 'Observation', params=query, timeout=60).json()['entry'][0]['resource']\n"
        "lab['valueQuantity']['value'] = 9.9\n"
        "assert requests.put(base + 'Observation/' + lab['id'], json=lab, timeout=60).status_code == 200\n"
    )


def test_suite_meets_every_case_of_every_type(suite):
    assert Counter(_payload(t).kind for t in suite) == {k: 10 for k in range(1, 11)}
    assert ["Patient not found"] in [_due(t).answer for t in suite if _payload(t).kind == 1]
    for kind in (4, 6, 7, 9):
        answers = [_due(t).answer for t in suite if _payload(t).kind == kind]
        assert [-1] in answers and any(a != [-1] for a in answers), kind
    for kind in (5, 9, 10):
        orders = {bool(_due(t).writes) for t in suite if _payload(t).kind == kind}
        assert orders == {True, False}, kind
    doses = {_due(t).writes[0].dose for t in suite if _payload(t).kind == 5 and _due(t).writes}
    assert len(doses) >= 2
    data = json.loads(Path(suite[0].data_dir or "", DATA_FILE).read_text())
    assert all(re.fullmatch(r"S\d{7}", r["id"]) for r in data if r["resourceType"] == "Patient")


def test_ground_truth_follows_the_chart(suite):
    """Task 4's answers recomputed on the host from the loaded resources, independently of the rules."""
    data = json.loads(Path(suite[0].data_dir or "", DATA_FILE).read_text())
    for task in (t for t in suite if _payload(t).kind == 4):
        mrn = _payload(task).mrn
        values = sorted(
            (r["effectiveDateTime"], r["valueQuantity"]["value"])
            for r in data
            if r["resourceType"] == "Observation"
            and r["subject"]["reference"] == f"Patient/{mrn}"
            and r["code"].get("text") == "MG"
            and r["effectiveDateTime"] >= "2023-11-12T10:15:00+00:00"
        )
        assert _due(task).answer == [values[-1][1] if values else -1]


def test_write_matching_is_field_by_field(suite):
    spec = _due(_pick(suite, 5, writes=True)).writes[0]
    right = _resource(spec)
    assert write_problems(spec, right) == []
    wrong_dose = json.loads(json.dumps(right))
    wrong_dose["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = (spec.dose or 0) + 1
    assert any("dose" in p for p in write_problems(spec, wrong_dose))
    per_hour = json.loads(json.dumps(right))
    per_hour["dosageInstruction"][0]["doseAndRate"][0]["rateQuantity"] = {"value": 1.0, "unit": "g/h"}
    assert write_problems(spec, per_hour) == []
    due = Expected(answer=[1.7], optional=True, writes=[spec])
    assert grade_episode(due, [], ServiceState(writes=[right])).passed
    assert not grade_episode(due, [1.7], ServiceState(writes=[right, right])).passed  # a second order
    assert not grade_episode(due, [1.8], ServiceState(writes=[right])).passed


@sandboxes("bwrap", "zygote")
def test_oracle_passes_all_ten_types(suite, sandbox, tmp_path):
    tasks = spread_over_categories([t for t in suite if t.split == "test"], 10)
    assert {_payload(t).kind for t in tasks} == set(range(1, 11))
    config = mg.EnvConfig.build(sandbox=sandbox)
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, config=config)
    assert [(r.passed, r.reward) for r in results] == [(True, 1.0)] * 10


def test_wrong_writes_and_wrong_answers_score_zero(suite, tmp_path):
    mg5, quiet5 = _pick(suite, 5, writes=True), _pick(suite, 5, writes=False)
    a1c, referral, k9, mg4 = (
        _pick(suite, 10, writes=True),
        _pick(suite, 8),
        _pick(suite, 9, writes=True),
        None,
    )
    mg4, edited = [t for t in suite if _payload(t).kind == 4 and _due(t).answer != [-1]][:2]
    dose = _resource(_due(mg5).writes[0])
    dose["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] += 1
    code = _resource(_due(a1c).writes[0])
    code["code"]["coding"][0]["code"] = "4548-5"
    other = next(_payload(t).mrn for t in suite if _payload(t).mrn not in ("", _payload(referral).mrn))
    patient = _resource(_due(referral).writes[0]) | {"subject": {"reference": f"Patient/{other}"}}
    unneeded = _resource(_due(mg5).writes[0]) | {"subject": {"reference": f"Patient/{_payload(quiet5).mrn}"}}
    cases = [
        (mg5, Writes([dose], []), "dose"),
        (a1c, Writes([code], []), "code is not"),
        (referral, Writes([patient], []), "subject is not"),
        (quiet5, Writes([unneeded], []), "nothing was due"),
        (k9, Writes([], []), "none was written"),
        (mg4, Writes([], [(_due(mg4).answer or [0])[0] + 0.3]), "wrong answer"),
        # the right answer, but the chart was edited on the way: a write where none is due
        (
            edited,
            Writes([], _due(edited).answer, _rewrite_latest_lab(_payload(edited).mrn, "MG")),
            "but wrote",
        ),
    ]
    results = mg.run_episodes(
        [c[0] for c in cases], lambda t: next(c[1] for c in cases if c[0] is t), tmp_path
    )
    for (task, _agent, why), result in zip(cases, results, strict=True):
        assert (result.passed, result.reward) == (False, 0.0), task.id
        assert why in mg.read_episode(result.notebook).grade.message, task.id


def test_a_write_is_invisible_to_a_concurrent_episode(suite):
    task = _pick(suite, 3)
    record = _post_code([_resource(_due(task).writes[0])])
    count = (
        "import os, requests\n"
        f"b = requests.get(os.environ['FHIR_BASE'] + 'Observation', params={{'patient': {_payload(task).mrn!r}, "
        "'code': 'BP', '_lastUpdated': 'gt2023-12-01'}, timeout=60).json()\n"
        "print(b['total'])"
    )

    async def both() -> tuple[str, str, float, float]:
        async with mg.AsyncEnv(sandbox="bwrap") as a, mg.AsyncEnv(sandbox="bwrap") as b:
            await asyncio.gather(a.reset(task), b.reset(task))
            await a.step({"action": "execute", "params": {"code": record}})
            seen_a, seen_b = await asyncio.gather(
                a.step({"action": "execute", "params": {"code": count}}),
                b.step({"action": "execute", "params": {"code": count}}),
            )
            graded_a, graded_b = await asyncio.gather(
                a.step({"action": "submit", "params": {"answer": []}}),
                b.step({"action": "submit", "params": {"answer": []}}),
            )
            return seen_a[0].env_message, seen_b[0].env_message, graded_a[1], graded_b[1]

    seen_a, seen_b, reward_a, reward_b = asyncio.run(both())
    assert (seen_a.strip(), seen_b.strip()) == ("1", "0")
    assert (reward_a, reward_b) == (1.0, 0.0)


@sandboxes("zygote")
def test_a_zygote_kernel_cannot_use_another_episodes_relay(suite, sandbox):
    """Zygote kernels share a network namespace: the relay serves its own uid only."""
    task = _pick(suite, 2)

    async def probe() -> str:
        async with mg.AsyncEnv(sandbox=sandbox) as a, mg.AsyncEnv(sandbox=sandbox) as b:
            await asyncio.gather(a.reset(task), b.reset(task))
            # the observation names the variable, not the port: ask b's kernel where its relay is
            where, *_ = await b.step(
                {"action": "execute", "params": {"code": "import os; print(os.environ['FHIR_BASE'])"}}
            )
            port = re.search(r"http://127\.0\.0\.1:(\d+)/fhir/", where.env_message)
            assert port is not None, where.env_message
            code = (
                "import os, requests\n"
                "own = requests.get(os.environ['FHIR_BASE'] + 'metadata', timeout=30).status_code\n"
                "try:\n"
                f"    requests.get('http://127.0.0.1:{port[1]}/fhir/metadata', timeout=30)\n"
                "    other = 'reached'\n"
                "except requests.ConnectionError:\n"
                "    other = 'refused'\n"
                "print(own, other)"
            )
            obs, *_ = await a.step({"action": "execute", "params": {"code": code}})
            return str(obs.env_message).strip()

    assert asyncio.run(probe()) == "200 refused"


@sandboxes("bwrap", "zygote", slow=("bwrap",))  # bwrap kernels reach the FHIR relay in the ten types' test
def test_official_sample_is_regrounded_and_the_oracle_passes(shared_dir, sandbox, tmp_path):
    rows = official_rows(shared_dir, SOURCE, "sample")
    folder, name = SPLIT_FILES["sample"]
    tasks = mg.load_tasks(SOURCE, path=shared_dir.parent / folder / SOURCE / name)
    assert len(tasks) == len(rows)
    for task, row in zip(tasks, rows, strict=True):
        assert task.question == row["instruction"].strip() and _payload(task).mrn in (row["eval_MRN"], "")
        if _payload(task).kind == 1:
            assert _due(task).answer == row["sol"]  # the named patient is planted with that MRN
    config = mg.EnvConfig.build(sandbox=sandbox)
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, concurrency=2, config=config)
    print(f"medagentbench sample ({sandbox}): oracle passes {sum(r.passed for r in results)}/{len(results)}")
    assert [r.passed for r in results] == [True] * len(rows)


@pytest.mark.slow
def test_oracle_passes_the_whole_train_split(shared_dir, tmp_path):
    rows = official_rows(shared_dir, SOURCE, "train")
    folder, name = SPLIT_FILES["train"]
    tasks = mg.load_tasks(SOURCE, path=shared_dir.parent / folder / SOURCE / name)
    assert len(tasks) == len(rows) == 240
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, concurrency=2)
    print(f"medagentbench train: oracle passes {sum(r.passed for r in results)}/{len(results)}")
    assert all(r.passed for r in results)


def test_a_malformed_official_row_is_a_clear_error(tmp_path):
    bad = tmp_path / "test_tasks.jsonl"
    bad.write_text(
        json.dumps({"id": "task5_1", "instruction": "Check it.", "context": "", "eval_MRN": "S1"}) + "\n"
    )
    with pytest.raises(mg.TaskFileError, match=r"test_tasks.jsonl:1: cannot read the lab's code"):
        mg.load_tasks(SOURCE, path=bad)
    bad.write_text(json.dumps({"id": "task11_1", "instruction": "?", "eval_MRN": "S1"}) + "\n")
    with pytest.raises(mg.TaskFileError, match="not a MedAgentBench task id"):
        mg.load_tasks(SOURCE, path=bad)


def test_fhir_base_runs_the_tasks_against_a_server_given_by_url(suite, tmp_path):
    """A second embedded server started as a plain URL on loopback; the CLI's --service-url fhir=URL points at it. The
    sandboxed kernel reaches it through the relay only: its port is not reachable directly."""
    server = FhirServer(Path(suite[0].data_dir or "", DATA_FILE), port=0)
    try:
        assert server.url is not None
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("medgym")),
                "run",
                "--source",
                SOURCE,
                "--limit",
                "3",
                "--service-url",
                f"fhir={server.url}",
                "--out",
                "r",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "COLUMNS": "120"},
        )
        assert run.returncode == 0, run.stderr
        assert "100%" in run.stdout
        records = [json.loads(line) for line in (tmp_path / "r" / "results.jsonl").read_text().splitlines()]
        assert len(records) == 3 and all(r["passed"] for r in records)
        graded = [mg.read_episode(tmp_path / r["notebook"]).grade for r in records]
        assert all(g is not None and re.search(r"; (no )?writes,? as due$", g.message) for g in graded)
        print("--service-url fhir=URL:", [r["category"] for r in records])
        port = server.url.split(":")[2].split("/")[0]
        with mg.Env(sandbox="bwrap", service_urls={"fhir": server.url}) as env:
            env.reset(_pick(suite, 2))
            code = (
                "import requests\n"
                "try:\n"
                f"    requests.get('http://127.0.0.1:{port}/fhir/metadata', timeout=10)\n"
                "    print('reached')\n"
                "except requests.ConnectionError:\n"
                "    print('unreachable')"
            )
            obs, *_ = env.step({"action": "execute", "params": {"code": code}})
            assert obs.env_message.strip() == "unreachable"
    finally:
        server.close()


def test_request_info_queries_and_writes_the_episodes_own_server(suite, tmp_path):
    """Upstream's GET/POST tools, run by the host on the episode's tenant: the POST counts as the episode's."""
    task = _pick(suite, 3)
    mrn = _payload(task).mrn

    class Tools(ScriptedAgent):
        name = "tools"

        def plan(self, task: mg.Task) -> list[dict[str, Any]]:
            body = _resource(_due(task).writes[0])
            return [
                {"action": "request_info", "params": {"method": "GET", "url": f"Patient?identifier={mrn}"}},
                {"action": "request_info", "params": {"method": "POST", "url": "Observation", "body": body}},
                {"action": "request_info", "params": {"method": "GET", "url": "Observation?no-such=1"}},
                {"action": "submit", "params": {"answer": []}},
            ]

    [result] = mg.run_episodes([task], lambda _t: Tools(), tmp_path)
    turns = mg.read_episode(result.notebook).turns
    assert turns[0].observation.startswith("HTTP 200") and f'"id": "{mrn}"' in turns[0].observation
    assert turns[1].observation.startswith("HTTP 201")
    assert turns[2].observation.startswith("HTTP 400")
    assert (result.passed, result.reward) == (True, 1.0)


# ---- generated tasks (medgym tasks generate) ----


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mab-generated")
    generate_suite(out, SOURCE, n=200, seed=5)
    return out


def test_generated_tasks_are_distinct_balanced_and_share_one_ehr(generated, tmp_path):
    tasks = mg.load_tasks(SOURCE, path=generated)
    payloads = [_payload(t) for t in tasks]
    assert len(tasks) == 200 and len({(t.question, t.context) for t in tasks}) == 200
    assert Counter(p.kind for p in payloads) == dict.fromkeys(range(1, 11), 20)
    assert len({t.data_dir for t in tasks}) == 1  # one EHR for every task
    assert len({p.mrn for p in payloads if p.kind == 4}) == 20  # a patient per task of a type
    assert len({p.now for p in payloads}) > 50  # clocks drawn, so windows move over the charts
    assert {"Patient not found"} < {(_due(t).answer or [""])[0] for t in tasks if _payload(t).kind == 1}
    for kind in (5, 9, 10):  # orders due for some, not for others
        assert {bool(_due(t).writes) for t in tasks if _payload(t).kind == kind} == {True, False}
    rebuild_suite(generated / "manifest.json", tmp_path / "again")
    assert (tmp_path / "again" / "tasks.jsonl").read_bytes() == (generated / "tasks.jsonl").read_bytes()


def test_oracle_passes_generated_tasks_and_wrong_answers_fail(generated, tmp_path):
    every = mg.load_tasks(SOURCE, path=generated)
    right = spread_over_categories(every, 10)
    age = next(t for t in every if _payload(t).kind == 2 and t not in right)
    order = next(t for t in every if _payload(t).kind == 9 and _due(t).writes and t not in right)
    wrong = {
        age.id: Writes([], [(_due(age).answer or [0])[0] + 1]),  # a year off
        order.id: Writes([], _due(order).answer),  # the right level, but no order
    }
    config = mg.EnvConfig(sandbox="zygote")  # forked kernels; the ten types' test runs in both sandboxes
    results = mg.run_episodes(
        [*right, age, order],
        lambda t: wrong.get(t.id) or mg.OracleAgent(),
        tmp_path,
        concurrency=2,
        config=config,
    )
    assert [r.passed for r in results] == [True] * 10 + [False, False]
    assert "wrong answer" in mg.read_episode(results[-2].notebook).grade.message
    assert "none was written" in mg.read_episode(results[-1].notebook).grade.message
