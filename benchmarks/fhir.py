"""The embedded FHIR server and MedAgentBench episodes: server start, tenant open, search latency at scale,
and oracle episodes per second at concurrency 1 and 4.

Run: .venv/bin/python benchmarks/fhir.py [--episodes 20] [--observations 1000]
Search latency is measured over real HTTP on loopback against a plain server loaded with 100 patients and
``--observations`` lab values each (besides their charts); episodes run in bubblewrap kernels against
per-episode tenants of the suite's server, graded by papermill.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

from _common import med, p95

import medgym_nb as mg
from medgym_nb.families.medagentbench.ehr import ehr_resources, random_patients
from medgym_nb.families.medagentbench.server import FhirServer, close_servers
from medgym_nb.tasks import spread_over_categories


def start_times(data: Path, runs: int) -> tuple[list[float], list[float]]:
    """(wall seconds to ready, the server's own start ms) over ``runs`` starts."""
    wall, own = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        server = FhirServer(data)
        wall.append(time.perf_counter() - t0)
        own.append(server.start_ms)
        server.close()
    return wall, own


def tenant_opens(data: Path, runs: int) -> list[float]:
    server = FhirServer(data)
    times = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(runs):
                folder = Path(tmp, str(n))
                folder.mkdir()
                t0 = time.perf_counter()
                tenant = server.open_tenant(folder)
                times.append(time.perf_counter() - t0)
                tenant.close()
    finally:
        server.close()
    return times


def search_latency(observations: int, repeats: int) -> dict[str, list[float]]:
    patients = random_patients(0, 100)
    resources = ehr_resources(patients, 0, filler=observations)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "fhir.json")
        data.write_text(json.dumps(resources))
        server = FhirServer(data, port=0)
        try:
            print(f"loaded {len(resources)} resources in {server.start_ms / 1000:.2f} s (server's own clock)")
            assert server.url is not None
            queries = {
                "lab by patient+code": "Observation?patient={mrn}&code=MG",
                "lab, date prefix, sorted": "Observation?patient={mrn}&code=GLU&date=ge2023-11-12T10:15:00%2B00:00"
                "&_sort=-date",
                "every obs of a patient (_count=2000)": "Observation?patient={mrn}&_count=2000",
                "lab by code only (scans every Observation)": "Observation?code=MG&_count=1",
                "patient by name+birthdate": "Patient?family={family}&given={given}&birthdate={born}",
            }
            out: dict[str, list[float]] = {}
            for label, query in queries.items():
                times = []
                for n in range(repeats):
                    p = patients[n % len(patients)]
                    url = server.url + query.format(
                        mrn=p.mrn, family=p.family, given=p.given, born=p.birth_date.isoformat()
                    )
                    t0 = time.perf_counter()
                    with urlopen(url, timeout=120) as reply:
                        reply.read()
                    times.append(time.perf_counter() - t0)
                out[label] = times
            return out
        finally:
            server.close()


def episodes_per_second(tasks: list[mg.Task], concurrency: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), out, concurrency=concurrency)
        seconds = time.perf_counter() - t0
    assert all(r.passed for r in results), [r.task_id for r in results if not r.passed]
    return len(results) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--observations", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    suite = mg.load_tasks("medagentbench")
    data = Path(suite[0].data_dir or "", "fhir.json")
    wall, own = start_times(data, 3)
    print(
        f"server start (suite, {len(json.loads(data.read_text()))} resources): wall median {med(wall):.2f} s, "
        f"server's own {statistics.median(own) / 1000:.2f} s"
    )
    opens = tenant_opens(data, 20)
    print(f"tenant open + drop: median {med(opens) * 1000:.1f} ms, p95 {p95(opens) * 1000:.1f} ms")
    for label, times in search_latency(args.observations, args.repeats).items():
        print(f"search {label}: median {med(times) * 1000:.1f} ms, p95 {p95(times) * 1000:.1f} ms")
    tasks = spread_over_categories(suite, args.episodes)
    for level in (1, 4):
        print(
            f"oracle episodes/s at concurrency {level}: {episodes_per_second(tasks, level):.2f} "
            f"({len(tasks)} episodes, bwrap)"
        )
    close_servers()


if __name__ == "__main__":
    main()
