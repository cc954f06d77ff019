"""The verifiers taskset driven the way ``vf-eval`` drives it (``env.serving()``, ``env.run_slot``): its
chat harness talks to a scripted OpenAI-compatible model on loopback that replays the oracle's actions as tool
calls, each one an MCP call into the rollout's toolset (a real sandboxed episode); the reward is the grade."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import medgym_nb as mg
from tests.marks import slow_except
from tests.openai_stub import Reply, StubServer, call
from tests.test_adapters import SOURCES, _cheapest, environments  # noqa: F401 (the module fixture)

vf = pytest.importorskip("verifiers.v1", reason="the [verifiers] extra is not installed")

from verifiers.v1.env import RunSlot  # noqa: E402

from medgym_nb.trainers.verifiers import (  # noqa: E402
    MedgymEnvConfig,
    MedgymTaskConfig,
    MedgymTasksetConfig,
    MedgymToolsetConfig,
)

# Two sources in the default set (SQL, code in its own environment); the whole matrix is slow (~11 s a rollout).
FAST = {"mimic_iii", "biocoder"}


@pytest.fixture(scope="module", autouse=True)
def harness_path() -> Iterator[None]:
    """verifiers runs its chat harness with uv (a PEP 723 script): the [verifiers] extra installs uv beside
    this interpreter; the stub model's key is read from an env var like any provider's."""
    old = os.environ["PATH"]
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{old}"
    os.environ["MEDGYM_STUB_KEY"] = "stub"
    yield
    os.environ["PATH"] = old


def _rollout(source: str, out_dir: Path) -> tuple[object, mg.Task, StubServer]:
    task = _cheapest(source)
    plan = mg.get_family(task.family).oracle_plan(task)

    def script(body: dict, n: int) -> Reply:
        if n < len(plan):
            return Reply(tool_calls=[call(plan[n]["action"], **plan[n]["params"])])
        return Reply(content="done")  # never reached: the episode's end stops the rollout

    tools = MedgymToolsetConfig(sandbox="zygote", out_dir=str(out_dir))
    config = MedgymEnvConfig(
        taskset=MedgymTasksetConfig(id="medgym-verifiers", source=source, task=MedgymTaskConfig(tools=tools))
    )
    env = vf.load_environment(config)
    (row,) = env.taskset.include(ids=[task.id])
    with StubServer(script) as stub:
        ctx = vf.ModelContext(
            model="stub", client=vf.EvalClientConfig(base_url=stub.url, api_key_var="MEDGYM_STUB_KEY")
        )

        async def run() -> object:
            async with env.serving():
                return await env.run_slot(RunSlot(row), ctx)

        episode = asyncio.run(run())
    return episode, task, stub


@pytest.mark.parametrize("source", slow_except(SOURCES, FAST))
def test_vf_rollout_plays_an_oracle_episode(source, tmp_path):
    episode, task, stub = _rollout(source, tmp_path)
    (trace,) = episode.traces
    assert episode.ok and not episode.errors, trace.last_error
    assert trace.stop_condition == "episode_over"  # no turn after the answer was graded
    assert trace.metrics["passed"] == 1.0
    (path,) = tmp_path.glob("*/*/episode.ipynb")
    recorded = mg.read_episode(path)
    assert recorded.passed and recorded.agent == "verifiers"
    assert trace.rewards["grade"].score == recorded.reward > 0  # a prediction task's reward is its accuracy
    first = stub.requests[0]
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert first["messages"][0]["content"] == recorded.system_prompt
    assert [t["function"] for t in first["tools"]] == [t["function"] for t in mg.tools(task)]
