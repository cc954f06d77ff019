"""The embedded FHIR R4 server (Node, Medplum's router) over real HTTP on loopback: search semantics, writes,
and per-tenant isolation. Every server a test starts is stopped by its fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen

import pytest

from medgym_nb.errors import ServiceError
from medgym_nb.families.medagentbench import server as fhir_server
from medgym_nb.families.medagentbench.ehr import LOADED_AT, PatientSpec, ehr_resources, random_patients
from medgym_nb.families.medagentbench.server import FhirServer, node_status

PATIENT = PatientSpec("S0000001", "Peter", "Stafford", date(1932, 12, 29), "male")

pytestmark = pytest.mark.skipif(
    not node_status()[0], reason=f"embedded FHIR server unavailable: {node_status()[1]}"
)


def _lab(n: int, when: str, value: float, code: str = "MG") -> dict:
    return {
        "resourceType": "Observation",
        "id": f"lab{n}",
        "meta": {"lastUpdated": LOADED_AT},
        "status": "final",
        "code": {"coding": [{"system": "http://example.org/lab", "code": code}]},
        "subject": {"reference": f"Patient/{PATIENT.mrn}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": "mg/dL"},
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    resources = ehr_resources([PATIENT, *random_patients(1, 4)], 1)
    resources = [r for r in resources if r.get("subject", {}).get("reference") != f"Patient/{PATIENT.mrn}"]
    resources += [
        _lab(1, "2023-11-13T08:00:00+00:00", 1.7),
        _lab(2, "2023-11-12T09:00:00+00:00", 2.1),
        _lab(3, "2023-11-10T08:00:00+00:00", 1.2),
        _lab(4, "2023-11-13T09:00:00+00:00", 95, code="GLU"),
    ]
    path = tmp_path_factory.mktemp("fhir") / "fhir.json"
    path.write_text(json.dumps(resources))
    return path


@pytest.fixture(scope="module")
def server(data: Path) -> Iterator[FhirServer]:
    srv = FhirServer(data, port=0)
    try:
        yield srv
    finally:
        srv.close()
    assert srv.proc.poll() is not None  # the node process is gone


def _get(server: FhirServer, query: str) -> dict:
    assert server.url is not None
    with urlopen(server.url + query, timeout=30) as reply:
        return json.loads(reply.read())


def _ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_search_semantics(server: FhirServer):
    assert _ids(_get(server, f"Patient?identifier={PATIENT.mrn}")) == [PATIENT.mrn]
    assert _ids(_get(server, "Patient?family=staff&given=pete&birthdate=1932-12-29")) == [PATIENT.mrn]
    assert _ids(_get(server, "Patient?family=Stafford&birthdate=1932-12-30")) == []
    # token, bare-id reference, date prefix with a literal '+' offset, _sort
    bundle = _get(
        server, f"Observation?patient={PATIENT.mrn}&code=MG&date=ge2023-11-12T10:15:00+00:00&_sort=-date"
    )
    assert _ids(bundle) == ["lab1"]
    newest_first = _ids(_get(server, f"Observation?subject=Patient/{PATIENT.mrn}&code=MG&_sort=-date"))
    assert newest_first == ["lab1", "lab2", "lab3"]
    assert _ids(_get(server, f"Observation?patient={PATIENT.mrn}&code=MG&date=lt2023-11-11")) == ["lab3"]
    assert _ids(_get(server, f"Observation?patient={PATIENT.mrn}&code=http://example.org/lab|GLU")) == [
        "lab4"
    ]


def test_paging_links_and_full_urls(server: FhirServer):
    first = _get(server, f"Observation?patient={PATIENT.mrn}&code=MG&_sort=date&_count=2")
    assert first["total"] == 3 and _ids(first) == ["lab3", "lab2"]
    assert all(e["fullUrl"].endswith(f"/fhir/Observation/{e['resource']['id']}") for e in first["entry"])
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert set(links) == {"self", "next"}
    with urlopen(links["next"], timeout=30) as reply:
        second = json.loads(reply.read())
    assert _ids(second) == ["lab1"] and {link["relation"] for link in second["link"]} == {"self"}


def test_unknown_search_parameter_is_400_and_metadata_is_served(server: FhirServer):
    with pytest.raises(HTTPError) as err:
        _get(server, "Observation?no-such-param=1")
    assert err.value.code == 400 and "no-such-param" in err.value.read().decode()
    meta = _get(server, "metadata")
    assert meta["resourceType"] == "CapabilityStatement" and meta["fhirVersion"] == "4.0.1"


def test_post_assigns_ids_and_ignores_client_meta(server: FhirServer):
    assert server.url is not None
    body = {
        "resourceType": "Observation",
        "id": "chosen-by-client",
        "meta": {"lastUpdated": "2000-01-01T00:00:00Z"},
        "status": "final",
        "code": {"text": "BP"},
        "subject": {"reference": f"Patient/{PATIENT.mrn}"},
        "valueString": "118/77 mmHg",
    }
    request = Request(server.url + "Observation", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/fhir+json")
    with urlopen(request, timeout=30) as reply:
        created = json.loads(reply.read())
        assert reply.status == 201
    assert created["id"] != "chosen-by-client" and created["meta"]["lastUpdated"] > "2020"
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"resource": body, "request": {"method": "POST", "url": "Observation"}}],
    }
    request = Request(server.url, data=json.dumps(bundle).encode(), method="POST")
    request.add_header("Content-Type", "application/fhir+json")
    with urlopen(request, timeout=30) as reply:
        batched = json.loads(reply.read())["entry"][0]["resource"]
    found = _get(server, f"Observation?_lastUpdated=gt2024-01-01&patient={PATIENT.mrn}")
    assert sorted(_ids(found)) == sorted([created["id"], batched["id"]])  # neither write can hide


def test_tenants_start_from_the_same_data_and_keep_their_writes(data: Path, tmp_path: Path):
    server = FhirServer(data)
    try:
        a_dir, b_dir = tmp_path / "a", tmp_path / "b"
        a_dir.mkdir(), b_dir.mkdir()
        a, b = server.open_tenant(a_dir), server.open_tenant(b_dir)
        note = {"resourceType": "Observation", "status": "final", "code": {"text": "BP"}}
        status, created = a.client.request("POST", "/fhir/Observation", note)
        assert status == 201
        query = f"/fhir/Observation?_lastUpdated=gt{quote('2023-11-12T00:00:00Z')}"
        assert [r["resource"]["id"] for r in a.client.request("GET", query)[1]["entry"]] == [created["id"]]
        assert "entry" not in b.client.request("GET", query)[1]  # b never sees a's write
        count = "/fhir/Observation?code=MG&_count=0"
        assert a.client.request("GET", count)[1]["total"] == b.client.request("GET", count)[1]["total"] > 0
        a.close()
        assert not a.socket.exists()
        with pytest.raises(ServiceError):
            a.client.request("GET", "/fhir/metadata")
        b.close()
    finally:
        server.close()


def test_a_missing_data_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ServiceError, match="did not start"):
        FhirServer(tmp_path / "absent.json")


def test_missing_node_packages_say_how_to_install_them(data: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(fhir_server, "FHIR_DIR", tmp_path)  # a checkout where `make` never ran npm ci
    with pytest.raises(ServiceError, match=r"run `medgym setup medagentbench`"):
        FhirServer(data)
