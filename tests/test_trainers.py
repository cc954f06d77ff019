"""The TRL environment adapter, driven the way GRPOTrainer drives an ``environment_factory`` (real kernels)."""

from __future__ import annotations

import inspect
import json

import pytest

import medgym_nb as mg
from medgym_nb.trainers.trl import MedgymToolEnv, task_dataset


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
    assert rows[first.id]["prompt"][0]["content"].startswith(first.question)
    with MedgymToolEnv(out_dir=tmp_path) as env:
        tools = trl_tools(env)
        assert sorted(tools) == ["execute", "request_info", "submit", "terminal", "validate_code"]
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
    with MedgymToolEnv(out_dir=tmp_path) as env:
        env.reset(**row)
        env.execute(code="y = 1")
        assert env.get_reward() == 0.0
    (path,) = tmp_path.glob("mimic_iii/*/episode.ipynb")
    assert mg.read_episode(path).termination == "closed"


def test_tool_schemas_are_what_transformers_builds_for_trl():
    transformers_utils = pytest.importorskip(
        "transformers.utils", reason="the tool-schema check needs transformers (the [dev] extra installs it)"
    )
    for name, method in trl_tools(MedgymToolEnv.__new__(MedgymToolEnv)).items():
        schema = transformers_utils.get_json_schema(method)["function"]
        params = inspect.signature(method).parameters
        assert schema["name"] == name and schema["description"]
        assert set(schema["parameters"]["properties"]) == set(params)
        assert all(p["description"] for p in schema["parameters"]["properties"].values())
        required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
        assert set(schema["parameters"].get("required", [])) == required
