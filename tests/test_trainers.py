"""The TRL environment adapter, driven the way GRPOTrainer drives an ``environment_factory`` (real kernels)."""

from __future__ import annotations

import inspect
import json

import pytest

import medgym_nb as mg
from medgym_nb.trainers.trl import environment_factories, task_dataset, tool_env_class


def trl_tools(env: object) -> dict:
    """What GRPOTrainer offers the model: every public function of the class but reset/get_reward."""
    return {
        name: getattr(env, name)
        for name, _ in inspect.getmembers(type(env), predicate=inspect.isfunction)
        if name not in ("reset", "get_reward") and not name.startswith("_")
    }


def test_tool_env_plays_graded_recorded_rollouts(test_tasks, tmp_path):
    rows = {row["task_id"]: row for row in task_dataset("mimic_iii", "test")}
    first, second = test_tasks[0], test_tasks[1]
    assert rows[first.id]["prompt"][1]["content"].startswith(first.question)
    with environment_factories(out_dir=tmp_path)[rows[first.id]["environment"]]() as env:
        tools = trl_tools(env)
        assert sorted(tools) == sorted(t["function"]["name"] for t in mg.tools(first))
        assert env.reset(**rows[first.id]) is None  # the prompt already carries the task
        assert "admissions" in tools["request_info"](info_type="column_names")
        assert tools["execute"](code="x = 41") == ""
        assert tools["execute"](code="print(x + 1)").strip() == "42"  # state persists between calls
        tools["execute"](code=first.solution[0])
        verdict = tools["validate_code"](code=first.solution[1])
        assert env.get_reward() == 1.0, verdict
        assert "ended" in tools["execute"](code="1")
        env.reset(**rows[second.id])  # the same instance, reused for the next rollout: a fresh kernel
        assert "NameError" in tools["execute"](code="print(x)")
        tools["submit"](answer=json.dumps(["certainly not this"]))
        assert env.get_reward() == 0.0
    episodes = [mg.read_episode(p) for p in sorted(tmp_path.glob("mimic_iii/*/episode.ipynb"))]
    assert sorted((e.task.id, e.passed, e.agent) for e in episodes) == sorted(
        [(first.id, True, "trl"), (second.id, False, "trl")]
    )


def test_an_abandoned_rollout_scores_zero_and_is_recorded(test_tasks, tmp_path):
    row = task_dataset("mimic_iii", "test")[0]
    with tool_env_class("ehrsql")(out_dir=tmp_path) as env:
        env.reset(**row)
        env.execute(code="y = 1")
        assert env.get_reward() == 0.0
    (path,) = tmp_path.glob("mimic_iii/*/episode.ipynb")
    assert mg.read_episode(path).termination == "closed"


def test_a_row_of_another_family_is_refused(tmp_path):
    row = task_dataset("npowerai", "test")[0]
    with (
        tool_env_class("ehrsql")(out_dir=tmp_path) as env,
        pytest.raises(mg.MedgymError, match="environment"),
    ):
        env.reset(**row)
