"""The docker sandbox through a real Docker-API engine (podman's service here): the core loop in containers."""

from __future__ import annotations

import os
import time

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import medgym_nb as mg
from medgym_nb.kernel.docker import (
    LABEL,
    OWNER_LABEL,
    docker_client,
    docker_status,
    kernel_image,
    remove_stale_containers,
)

OK, WHY = docker_status()
pytestmark = pytest.mark.skipif(not OK, reason=f"docker sandbox unavailable here: {WHY}")


def our_containers() -> list:
    return docker_client().containers.list(all=True, filters={"label": LABEL})


def test_state_persists_and_the_oracle_passes_in_containers(test_tasks, tmp_path):
    task = test_tasks[2]
    with mg.Env(sandbox="docker", out_dir=tmp_path, pool_size=1) as env:
        env.reset(task)
        env.step({"action": "execute", "params": {"code": "x = 41"}})
        obs, *_ = env.step(
            {"action": "execute", "params": {"code": "import socket\nprint(x + 1, socket.gethostname())"}}
        )
        assert obs.env_message.split() == ["42", "sandbox"]
        assert len(our_containers()) >= 1
        for cell in task.solution[:-1]:
            env.step({"action": "execute", "params": {"code": cell}})
        obs, reward, terminated, _t, info = env.step(
            {"action": "validate_code", "params": {"code": task.solution[-1]}}
        )
    assert obs.passed and reward == 1.0 and terminated
    meta = nbformat.read(info["notebook"], as_version=4).metadata["medgym"]
    assert (
        meta["sandbox"] == "docker" and meta["config"]["limits"]["processes"] == mg.SandboxLimits().processes
    )
    deadline = time.monotonic() + 10
    while our_containers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not our_containers()


def test_timeout_keeps_state_and_kernel_death_is_reported(test_tasks, tmp_path):
    with mg.Env(sandbox="docker", cell_timeout=2, out_dir=tmp_path) as env:
        env.reset(test_tasks[0])
        env.step({"action": "execute", "params": {"code": "kept = 7"}})
        obs, *_ = env.step({"action": "execute", "params": {"code": "while True: pass"}})
        assert obs.type == "timeout"
        obs, *_ = env.step({"action": "execute", "params": {"code": "print(kept)"}})
        assert obs.env_message.strip() == "7"
        obs, _r, terminated, _t, info = env.step(
            {"action": "execute", "params": {"code": "import os; os._exit(1)"}}
        )
    assert obs.type == "kernel_died" and terminated
    nbformat.validate(nbformat.read(info["notebook"], as_version=4))


def test_runner_over_several_tasks_in_containers(test_tasks, tmp_path):
    results = mg.run_episodes(
        test_tasks[:3],
        lambda _t: mg.OracleAgent(),
        tmp_path,
        config=mg.EnvConfig(sandbox="docker", pool_size=2),
    )
    assert all(r.passed for r in results)


def test_papermill_runs_a_notebook_with_the_docker_kernelspec(tmp_path):
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("import socket\nprint(socket.gethostname())")]), src)
    papermill.execute_notebook(
        str(src), str(out), kernel_name="medgym-docker", progress_bar=False, cwd=str(tmp_path)
    )
    assert nbformat.read(out, as_version=4).cells[0].outputs[0]["text"].strip() == "sandbox"


def test_containers_of_a_dead_run_are_removed():
    client = docker_client()
    dead_pid = 2**22 + 12345  # above pid_max's default range: no such process
    assert not os.path.exists(f"/proc/{dead_pid}")
    leftover = client.containers.create(
        kernel_image(), ["sleep", "60"], labels={LABEL: "1", OWNER_LABEL: str(dead_pid)}, network_mode="none"
    )
    assert remove_stale_containers(client) >= 1
    assert leftover.id not in {c.id for c in our_containers()}
