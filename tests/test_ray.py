"""The Ray backend on a real multi-node Ray cluster (several raylets on this machine, loopback only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import medgym_nb as mg
from medgym_nb.agents.llm import LLMAgent, LLMConfig
from tests.marks import slow_except

from .openai_stub import Reply, StubServer

ray = pytest.importorskip(
    "ray", reason="the Ray backend needs the [ray] extra (pip install 'medgym-nb[ray]')"
)
from ray.cluster_utils import Cluster  # noqa: E402

NODE = {"num_cpus": 1, "object_store_memory": 80 * 2**20}
# Keep every Ray service on 127.0.0.1 (not the host's address) and send no usage statistics.
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


@pytest.fixture(scope="module")
def head() -> Iterator[Any]:
    """A head with no CPUs (drivers only), shared by the module's tests: ~6 s to start and stop."""
    with pytest.MonkeyPatch.context() as env:
        for key, value in RAY_ENV.items():
            env.setenv(key, value)
        head = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 0, "include_dashboard": False, "object_store_memory": 80 * 2**20},
        )
        try:
            yield head
        finally:
            head.shutdown()


@pytest.fixture
def cluster(head: Any) -> Iterator[Any]:
    """The head with two fresh one-CPU worker nodes (one actor fits on each), removed after the test with
    any node it added."""
    head.workers = [head.add_node(**NODE) for _ in range(2)]
    head.wait_for_nodes()
    try:
        yield head
    finally:
        ray.shutdown()
        for node in list(head.worker_nodes):
            head.remove_node(node)


def _index(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_cli_runs_over_two_nodes_and_resumes(cluster, tmp_path):
    out = tmp_path / "run"
    args = [str(Path(sys.executable).with_name("medgym")), "run", "--source", "mimic_iii", "--backend", "ray"]
    args += ["--address", cluster.address, "--concurrency", "2", "--limit", "6", "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, env=os.environ)
    assert done.returncode == 0, done.stderr
    index = _index(out)
    assert len(index) == 6 and all(r["passed"] for r in index)
    assert len({r["worker"] for r in index}) == 2  # both nodes' actors played
    notebooks = sorted(out.glob("mimic_iii/*/episode.ipynb"))
    assert len(notebooks) == 6 and {Path(r["notebook"]) for r in index} == set(notebooks)
    for path in notebooks:
        episode = mg.read_episode(path)
        assert episode.passed and episode.agent == "oracle"
    mtimes = {p: p.stat().st_mtime_ns for p in notebooks}
    again = subprocess.run(args, capture_output=True, text=True, timeout=600, env=os.environ)
    assert again.returncode == 0, again.stderr
    assert all(r["worker"] is None for r in _index(out))  # all six came from the notebooks on disk
    assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items())


@pytest.mark.parametrize("max_attempts", slow_except([3, 1], {1}))
def test_a_dead_node_loses_only_its_in_flight_episode(cluster, test_tasks, tmp_path, max_attempts):
    """Its episode is played again elsewhere; with no attempts left it is an infrastructure error instead
    (which a resumed run plays again)."""
    tasks = test_tasks[:5]
    answers = {t.question: t.answer for t in tasks}

    def script(body, _n):
        question = body["messages"][1]["content"].split("\n")[0]
        turns = sum(m["role"] == "assistant" for m in body["messages"])
        if turns == 0:  # a first, slow turn, so that both actors are mid-episode for a while
            return Reply(json.dumps({"action": "execute", "params": {"code": "x = 1"}}), delay=1.5)
        return Reply(json.dumps({"action": "submit", "params": {"answer": answers[question]}}))

    with StubServer(script) as server:
        config = LLMConfig(base_url=server.url, model="stub-model", timeout=30)
        ray.init(address=cluster.address, log_to_driver=False)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["results"] = mg.run_episodes_ray(
                    tasks,
                    lambda _t: LLMAgent(config),
                    tmp_path,
                    concurrency=2,
                    config=mg.EnvConfig(pool_size=1),
                    max_attempts=max_attempts,
                )
            except BaseException as exc:  # surfaced by the assertion below
                outcome["error"] = exc

        driver = threading.Thread(target=run)
        driver.start()
        deadline = time.monotonic() + 180
        while server.in_flight < 2 and time.monotonic() < deadline and driver.is_alive():
            time.sleep(0.05)
        assert server.in_flight == 2, "both actors should be waiting on the model"
        cluster.remove_node(cluster.workers[0])  # the node (and its actor, mid-episode) dies
        cluster.add_node(**NODE)  # room for a replacement actor
        driver.join(300)
    assert not driver.is_alive() and "error" not in outcome, outcome.get("error")
    results = outcome["results"]
    assert [r.task_id for r in results] == [t.id for t in tasks]
    if max_attempts > 1:
        assert all(r.passed for r in results)
        assert [r.attempts for r in results].count(2) == 1  # only the dead node's episode was played again
        assert all(mg.read_episode(r.notebook).passed for r in results)
        return
    (lost,) = [r for r in results if r.termination == "error"]
    assert lost.agent == "llm" and lost.notebook is None and "lost its Ray worker 1 times" in lost.error
    assert all(r.passed and mg.read_episode(r.notebook).passed for r in results if r is not lost)
