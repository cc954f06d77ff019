"""The step() contract, held for inputs a new user tries: real kernels, every case ends in an observation.

A kernel that dies between turns, an action that tries to lift its own time limit, parameters of the wrong
type, an agent that raises, an episode that runs out of wall-clock time, seeds, configuration recorded in
the notebook, and run outputs that follow the umask.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import nbformat
import pytest

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.export import export_run


def test_kernel_dying_between_turns_is_an_observation_and_the_notebook_is_saved(test_tasks, tmp_path):
    with mg.Env(out_dir=tmp_path) as env:
        env.reset(test_tasks[0])
        env.step(
            {
                "action": "execute",
                "params": {"code": "import os, threading\nthreading.Timer(0.3, os._exit, [1]).start()"},
            }
        )
        time.sleep(1.5)
        obs, reward, terminated, truncated, info = env.step({"action": "execute", "params": {"code": "1"}})
    assert obs.type == "kernel_died" and terminated and not truncated and reward == 0.0
    assert "between turns" in obs.env_message and info["termination"] == "kernel_died"
    assert mg.read_episode(info["notebook"]).termination == mg.Termination.KERNEL_DIED


@pytest.mark.parametrize(("env_limit", "action_limit"), [(1.0, 600), (30.0, 0.5)])
def test_an_action_may_lower_its_time_limit_but_never_raise_it(test_tasks, env_limit, action_limit):
    """The cell stops at the lower of the two limits (the sleep would take 5 s)."""
    with mg.Env(cell_timeout=env_limit) as env:
        env.reset(test_tasks[0])
        t0 = time.monotonic()
        obs, *_ = env.step(
            {"action": "execute", "params": {"code": "import time; time.sleep(5)", "timeout": action_limit}}
        )
        assert obs.type == "timeout" and time.monotonic() - t0 < 4


@pytest.mark.parametrize(
    "params",
    [
        {"code": "1", "timeout": "soon"},
        {"code": "1", "timeout": -3},
        {"code": "1", "cod": "typo"},
        {"code": None},
    ],
)
def test_bad_params_are_an_error_observation(test_tasks, params):
    with mg.Env() as env:
        env.reset(test_tasks[0])
        obs, _reward, terminated, _truncated, _ = env.step({"action": "execute", "params": params})
        assert obs.type == "error" and "execute" in obs.env_message and not terminated
        obs, *_ = env.step({"action": "execute", "params": {"code": "print(6 * 7)"}})
        assert obs.env_message.strip() == "42"


class Raising(ScriptedAgent):
    name = "raising"

    def plan(self, task):
        return [{"action": "execute", "params": {"code": "x = 1"}}]

    async def act(self, observation):
        if not self._plan:
            raise ZeroDivisionError("the agent's own bug")
        return await super().act(observation)


def test_an_agent_that_raises_ends_only_its_own_episode(test_tasks, tmp_path):
    tasks = test_tasks[:3]
    results = mg.run_episodes(
        tasks, lambda t: Raising() if t.id == tasks[1].id else mg.OracleAgent(), tmp_path, concurrency=2
    )
    assert [r.passed for r in results] == [True, False, True]
    assert results[1].termination == mg.Termination.AGENT_ERROR and results[1].error is None
    episode = mg.read_episode(results[1].notebook)
    assert "ZeroDivisionError: the agent's own bug" in episode.error and len(episode.turns) == 1
    nb = nbformat.read(results[1].notebook, as_version=4)
    assert any(
        "ZeroDivisionError" in c.source
        for c in nb.cells
        if c.metadata.get("medgym", {}).get("role") == "error"
    )
    # an agent error is the agent's failure, not infrastructure: resume keeps it
    again = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path)
    assert again[1].termination == mg.Termination.AGENT_ERROR


def test_episode_wall_clock_limit(test_tasks, tmp_path):
    with mg.Env(episode_timeout=2.0, out_dir=tmp_path) as env:
        env.reset(test_tasks[0])
        obs, _, terminated, truncated, _ = env.step({"action": "execute", "params": {"code": "import time"}})
        assert not (terminated or truncated)
        obs, _, terminated, truncated, info = env.step(
            {"action": "execute", "params": {"code": "time.sleep(30)"}}
        )
    assert obs.type == "timeout" and truncated and not terminated
    assert info["termination"] == "episode_timeout" and "time limit" in obs.env_message

    class Slow(ScriptedAgent):
        name = "slow"

        def plan(self, task):
            return []

        async def act(self, observation):
            import asyncio

            await asyncio.sleep(30)

    [result] = mg.run_episodes(
        [test_tasks[0]], lambda _t: Slow(), tmp_path / "slow", config=mg.EnvConfig(episode_timeout=1.0)
    )
    assert result.termination == mg.Termination.EPISODE_TIMEOUT and result.duration < 10


def test_configuration_is_one_model_recorded_in_every_notebook(test_tasks, tmp_path):
    with pytest.raises(mg.ConfigError, match="max_turn"):
        mg.Env(max_turn=3)
    with pytest.raises(mg.ConfigError, match="cell_timeout"):
        mg.EnvConfig.build(cell_timeout=-1)
    config = mg.EnvConfig(max_turns=4, cell_timeout=9.0, episode_timeout=99.0)
    [result] = mg.run_episodes([test_tasks[0]], lambda _t: mg.OracleAgent(), tmp_path, config=config)
    recorded = mg.read_episode(result.notebook).config
    assert recorded == config


def test_seed_is_honoured_and_recorded(test_tasks, tmp_path):
    draws = []
    for _ in range(2):
        with mg.Env(out_dir=tmp_path) as env:
            env.reset(test_tasks[0], seed=1234)
            obs, *_ = env.step(
                {
                    "action": "execute",
                    "params": {"code": "import random, numpy\nprint(random.random(), numpy.random.rand())"},
                }
            )
            draws.append(obs.env_message)
            env.end_episode()
            assert mg.read_episode(env.notebook_path).seed == 1234
    assert draws[0] == draws[1]
    with mg.Env() as env, pytest.raises(mg.MedgymError, match="seed"):
        env.reset(test_tasks[0], seed=-1)


def test_run_outputs_follow_the_umask(test_tasks, tmp_path):
    old = os.umask(0o022)
    try:
        [result] = mg.run_episodes([test_tasks[0]], lambda _t: mg.OracleAgent(), tmp_path)
    finally:
        os.umask(old)
    for path in (
        Path(result.notebook),
        Path(result.notebook).with_name("grade.ipynb"),
        tmp_path / "results.jsonl",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_medagentgym_export_is_what_its_scripts_read(test_tasks, tmp_path):
    tasks = test_tasks[:2]
    mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path / "run", rollouts=2)
    count = export_run(tmp_path / "run", tmp_path / "out", "medagentgym")
    names = sorted(p.name for p in (tmp_path / "out").glob("history_*.json"))
    assert count == 4 and names == [f"history_{i}_{k}.json" for i in range(2) for k in range(2)]
    history = json.loads((tmp_path / "out" / "history_0_1.json").read_text())
    assert isinstance(history, list) and [m["role"] for m in history[:2]] == ["system", "user"]
    assert history[-1] == {"result": "success", "score": 1.0}
    assert all(set(m) == {"role", "content"} for m in history[:-1])


@pytest.mark.parametrize("sandbox", ["bwrap", "zygote"])
def test_official_task_files_are_not_reachable_from_the_episode(tmp_path, sandbox):
    """Official tasks keep their database beside the task file (answers, reference SQL): only the database
    is shown to the episode."""
    from medgym_nb.kernel.bwrap import bwrap_status

    if not bwrap_status()[0] or (sandbox == "zygote" and os.geteuid() != 0):
        pytest.skip(f"{sandbox} unavailable here: {bwrap_status()[1]} (zygote needs root)")
    folder = tmp_path / "data" / "mimic_iii"
    folder.mkdir(parents=True)
    db = Path(mg.load_tasks("mimic_iii")[0].data_dir) / "mimic_iii.db"
    (folder / "mimic_iii.db").write_bytes(db.read_bytes())
    row = {
        "id": "q1",
        "question": "how many patients?",
        "query": "select count(*) from patients",
        "answer": [7],
    }
    (folder / "train_tasks.jsonl").write_text(json.dumps(row) + "\n")
    (folder / "answers.json").write_text('{"q1": [7]}')
    [task] = mg.load_tasks("mimic_iii", path=tmp_path / "data")
    probe = (
        "import os\nprint(sorted(os.listdir('data')))\n"
        f"for p in ['data/train_tasks.jsonl', 'data/../train_tasks.jsonl', {str(folder / 'answers.json')!r}]:\n"
        "    print(p, os.path.exists(p))"
    )
    with mg.Env(sandbox=sandbox) as env:
        env.reset(task)
        obs, *_ = env.step({"action": "execute", "params": {"code": probe}})
    lines = obs.env_message.strip().splitlines()
    assert lines[0] == "['mimic_iii.db']" and all(line.endswith(" False") for line in lines[1:]), lines
