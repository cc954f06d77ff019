"""``medgym serve`` on loopback with real kernels: OpenEnv's own client runs an oracle episode per source, bad
requests get JSON 4xx and leave the session working, ended sessions answer 404/410, the cap answers 429,
tokens are checked, a vanished client loses nothing, and SIGTERM drains with every notebook written."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

import medgym_nb as mg
from medgym_nb.errors import ConfigError, SessionGoneError
from medgym_nb.families.medagentbench.server import node_status
from medgym_nb.serve import RemoteEnv, SessionLimits
from medgym_nb.serve.app import create_app
from medgym_nb.serve.openenv_client import MedgymEnvClient
from medgym_nb.serve.server import serve
from tests.marks import slow_except

CONFIG = mg.EnvConfig(sandbox="zygote", cell_timeout=60)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def running(out: Path, limits: SessionLimits | None = None, token: str | None = None) -> Iterator[tuple]:
    """The app under uvicorn on a thread of its own, on 127.0.0.1 and a free port; drained on exit."""
    app = create_app(CONFIG, out, limits, token=token)
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app.state.table
    finally:
        server.should_exit = True
        thread.join(120)
        sock.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    with running(tmp_path_factory.mktemp("serve")) as found:
        yield found


def _oracle(task: mg.Task) -> list[dict]:
    return mg.get_family(task.family).oracle_plan(task)


@pytest.mark.parametrize("source", slow_except(mg.list_sources(), {"mimic_iii", "medagentbench", "npowerai"}))
def test_openenv_client_runs_an_oracle_episode_per_source(server, source):
    if source == "medagentbench" and not node_status()[0]:
        pytest.skip(f"embedded FHIR server unavailable: {node_status()[1]}")
    url, _table = server
    task = mg.load_tasks(source, split="test")[0]
    with MedgymEnvClient(url).sync() as env:
        result = env.reset(task_id=task.id, source=source, seed=7)
        assert result.observation.type == "task" and result.observation.task_id == task.id
        for action in _oracle(task):
            result = env.step(action)
            if result.done:
                break
        assert result.done and result.observation.passed, result.observation.env_message
        state = env.state()
    assert state.termination == "passed" and state.step_count >= 1
    episode = mg.read_episode(state.notebook)
    assert episode.task.id == task.id and episode.termination == mg.Termination.PASSED


def test_remote_env_has_env_contract_and_draws_tasks_by_source(server):
    url, _table = server
    with RemoteEnv(url) as env:
        obs, info = env.reset(options={"source": "medcalcbench", "split": "test"}, seed=1)
        assert obs.type == "task" and info["task_id"].startswith("medcalcbench.")
        with RemoteEnv(url) as twin:  # the same seed draws the same task
            assert (
                twin.reset(options={"source": "medcalcbench", "split": "test"}, seed=1)[0].task_id
                == obs.task_id
            )
        obs, reward, terminated, truncated, info = env.step({"action": "execute", "params": {"code": "1+1"}})
        assert (obs.type, obs.env_message.strip(), reward, terminated, truncated) == (
            "code_execution",
            "2",
            0,
            False,
            False,
        )
        obs, *_ = env.step(
            {"action": "no_such_action"}
        )  # an agent mistake: an observation, not an HTTP error
        assert obs.type == "error" and "unknown or forbidden action" in obs.env_message
    assert env.termination == "closed" and Path(env.notebook_path).is_file()


def test_malformed_requests_get_json_4xx_and_the_session_keeps_working(server):
    url, _table = server
    with httpx.Client(base_url=url, timeout=120) as http:
        sid = http.post("/sessions").json()["session_id"]
        bad = [
            ("POST", f"/sessions/{sid}/reset", {"content": b"{not json"}, 422, "invalid_request"),
            (
                "POST",
                f"/sessions/{sid}/reset",
                {"json": {"task_id": 5, "colour": "red"}},
                422,
                "invalid_request",
            ),
            ("POST", f"/sessions/{sid}/reset", {"json": {"task_id": "mimic_iii.nope"}}, 422, "unknown_task"),
            (
                "POST",
                f"/sessions/{sid}/reset",
                {"json": {"seed": -1, "source": "eicu"}},
                422,
                "invalid_request",
            ),
            ("POST", f"/sessions/{sid}/reset", {"json": {}}, 400, "bad_request"),
            ("POST", f"/sessions/{sid}/step", {"json": {"action": "execute"}}, 422, "invalid_request"),
            (
                "POST",
                f"/sessions/{sid}/step",
                {"json": {"action": {"action": "execute"}}},
                409,
                "episode_finished",
            ),
            ("GET", "/no/such/route", {}, 404, "http_404"),
        ]
        for method, path, kwargs, status, code in bad:
            response = http.request(method, path, **kwargs)
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
            assert response.json()["error"]["message"]
        reset = http.post(f"/sessions/{sid}/reset", json={"source": "npowerai", "split": "test"})
        assert reset.status_code == 200 and reset.json()["observation"]["type"] == "task"
        step = http.post(
            f"/sessions/{sid}/step", json={"action": {"action": "execute", "params": {"code": "6*7"}}}
        )
        assert step.json()["observation"]["env_message"].strip() == "42"
        assert http.get("/schema").json()["observation"]["properties"]["type"]
        assert http.delete(f"/sessions/{sid}").json()["termination"] == "closed"


def test_a_websocket_survives_bad_messages(server):
    url, _table = server

    async def talk() -> list[dict]:
        async with connect(url.replace("http", "ws") + "/ws") as ws:
            replies = []
            for message in [
                "{oops",
                json.dumps({"type": "dance"}),
                json.dumps({"type": "reset", "data": {"x": 1}}),
            ]:
                await ws.send(message)
                replies.append(json.loads(await ws.recv()))
            await ws.send(json.dumps({"type": "reset", "data": {"source": "npowerai", "split": "test"}}))
            replies.append(json.loads(await ws.recv()))
            await ws.send(json.dumps({"type": "close"}))
            return replies

    replies = asyncio.run(talk())
    assert [r["data"].get("code") for r in replies[:3]] == [
        "INVALID_JSON",
        "UNKNOWN_TYPE",
        "VALIDATION_ERROR",
    ]
    assert replies[3]["type"] == "observation" and replies[3]["data"]["observation"]["type"] == "task"


def test_closed_reaped_and_unknown_sessions_answer_404_or_410(tmp_path):
    limits = SessionLimits(idle_timeout=0.5)
    with running(tmp_path, limits) as (url, table), httpx.Client(base_url=url, timeout=120) as http:
        assert http.post("/sessions/0123abcd/step", json={"action": {}}).status_code == 404
        closed = http.post("/sessions").json()["session_id"]
        http.delete(f"/sessions/{closed}")
        gone = http.post(f"/sessions/{closed}/step", json={"action": {}})
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "session_gone"
        reaped = http.post("/sessions").json()["session_id"]
        http.post(f"/sessions/{reaped}/reset", json={"source": "npowerai", "split": "test"})
        http.post(
            f"/sessions/{reaped}/step", json={"action": {"action": "execute", "params": {"code": "x = 1"}}}
        )
        deadline = time.monotonic() + 30
        while len(table) and time.monotonic() < deadline:
            time.sleep(0.1)
        late = http.get(f"/sessions/{reaped}/state")
        assert late.status_code == 410 and "reaped" in late.json()["error"]["message"]
        env = RemoteEnv(url)
        env.reset(options={"source": "npowerai", "split": "test"})
        http.delete(f"/sessions/{env.session_id}")
        with pytest.raises(SessionGoneError, match="closed by the client"):
            env.step({"action": "execute", "params": {"code": "1"}})
    episode = mg.read_episode(_recorded_notebook(tmp_path / reaped))
    assert episode.termination == mg.Termination.CLOSED and len(episode.turns) == 1
    assert "reaped" in (episode.error or "")


def test_the_cap_answers_429_with_retry_after(tmp_path):
    limits = SessionLimits(max_sessions=2, retry_after=7)
    with running(tmp_path, limits) as (url, _table), httpx.Client(base_url=url) as http:
        first, _second = (http.post("/sessions").json()["session_id"] for _ in range(2))
        refused = http.post("/sessions")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "7"
        assert refused.json()["error"]["code"] == "capacity_reached"
        with pytest.raises(RuntimeError, match="CAPACITY_REACHED"), MedgymEnvClient(url).sync() as env:
            env.reset(source="npowerai")
        http.delete(f"/sessions/{first}")
        assert http.post("/sessions").status_code == 201


def test_a_token_is_checked_and_required_off_loopback(tmp_path):
    with pytest.raises(ConfigError, match="without a bearer token"):
        serve(CONFIG, tmp_path, host="0.0.0.0")  # refused before anything binds
    with running(tmp_path, token="s3cret") as (url, _table):
        assert httpx.get(f"{url}/health").status_code == 200
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            denied = httpx.post(f"{url}/sessions", headers=headers)
            assert denied.status_code == 401 and denied.json()["error"]["code"] == "unauthorized"
            assert denied.headers["WWW-Authenticate"] == "Bearer"
        assert httpx.post(f"{url}/sessions", headers={"Authorization": "Bearer s3cret"}).status_code == 201
        with pytest.raises(ConnectionError), MedgymEnvClient(url).sync() as env:
            env.reset(source="npowerai")
        with MedgymEnvClient(url, token="s3cret").sync() as env:
            assert env.reset(source="npowerai", split="test").observation.type == "task"


def _recorded_notebook(session_dir: Path, timeout: float = 60) -> Path:
    """The session's one notebook, once written: a session leaves the table as its close begins, and its
    notebook is written (atomically) when the close ends."""
    deadline = time.monotonic() + timeout
    while not (written := list(session_dir.rglob("episode.ipynb"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    (notebook,) = written
    return notebook


def test_a_client_that_vanishes_mid_episode_loses_nothing(server, tmp_path):
    url, table = server

    async def vanish() -> str:
        ws = await connect(url.replace("http", "ws") + "/ws")
        await ws.send(json.dumps({"type": "reset", "data": {"source": "npowerai", "split": "test"}}))
        await ws.recv()
        await ws.send(
            json.dumps({"type": "step", "data": {"action": "execute", "params": {"code": "y = 41 + 1"}}})
        )
        await ws.recv()
        await ws.send(json.dumps({"type": "state"}))
        sid = json.loads(await ws.recv())["data"]["session_id"]
        ws.transport.abort()  # no close frame, no goodbye
        return sid

    sid = asyncio.run(vanish())
    notebook = _recorded_notebook(table.out_dir / sid)
    assert sid not in table.ids()
    episode = mg.read_episode(notebook)
    assert episode.termination == mg.Termination.CLOSED and "disconnected" in (episode.error or "")
    assert [turn.params.get("code") for turn in episode.turns] == ["y = 41 + 1"]


def test_sigterm_drains_every_session_into_its_notebook(tmp_path):
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()
    exe = Path(sys.executable).with_name("medgym")
    args = [
        str(exe),
        "serve",
        "--port",
        str(port),
        "--sandbox",
        "zygote",
        "--out",
        str(tmp_path),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(
        args, env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "medgym serve did not start"
                time.sleep(0.2)
        idle, busy = RemoteEnv(url), RemoteEnv(url)
        idle.reset(options={"source": "npowerai", "split": "test"})
        busy.reset(options={"source": "medcalcbench", "split": "test"})
        slow = {"action": "execute", "params": {"code": "import time; time.sleep(2); 'slept'"}}
        answer: list = []
        stepping = threading.Thread(target=lambda: answer.append(busy.step(slow)))
        stepping.start()
        time.sleep(0.8)  # the step is running in the kernel
        proc.send_signal(signal.SIGTERM)
        stepping.join(60)
        # uvicorn drains, then re-raises the signal it caught: the conventional exit of a SIGTERMed server
        assert proc.wait(60) in (0, -signal.SIGTERM), proc.stdout.read() if proc.stdout else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert answer and "slept" in answer[0][0].env_message  # the running step finished and was answered
    episodes = {
        mg.read_episode(nb).task.source: mg.read_episode(nb) for nb in tmp_path.rglob("episode.ipynb")
    }
    assert set(episodes) == {"npowerai", "medcalcbench"}
    assert all(ep.termination == mg.Termination.INTERRUPTED for ep in episodes.values())
    assert [turn.params.get("code") for turn in episodes["medcalcbench"].turns] == [slow["params"]["code"]]
