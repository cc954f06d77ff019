"""Every source through the trainer adapters: one oracle episode each through TRL's tool form and through
Gymnasium (its own env checker first), on real kernels; and the tool schemas each adapter shows."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import medgym_nb as mg
from medgym_nb.families.medagentbench.server import close_servers, node_status
from medgym_nb.family import family_for_source
from medgym_nb.kernel.bwrap import bwrap_status
from medgym_nb.trainers.trl import environment_factories, task_dataset, tool_env_class
from tests.marks import slow_except

SOURCES = sorted({s for f in mg.list_families() for s in f.suite_sources})
# In the default set: SQL, code in its own kernel environment, a service; the whole matrix is slow.
FAST = {"mimic_iii", "biocoder", "medagentbench"}


def _skip_reason(source: str) -> str | None:
    family = family_for_source(source)
    if family.kernel.environment is not None and not bwrap_status()[0]:
        return f"{source}'s kernel environment needs bubblewrap: {bwrap_status()[1]}"
    if family.kernel.network == "service" and not node_status()[0]:
        return f"{source}'s service is unavailable: {node_status()[1]}"
    return None


@pytest.fixture(scope="module", autouse=True)
def environments() -> Iterator[None]:
    """Services stopped after (families' kernel environments come from the persistent cache: conftest)."""
    yield
    close_servers()


def _cheapest(source: str) -> mg.Task:
    """The test task of ``source`` whose oracle takes the fewest steps (the first such)."""
    if (reason := _skip_reason(source)) is not None:
        pytest.skip(reason)
    tasks = mg.load_tasks(source, split="test")
    family = mg.get_family(tasks[0].family)
    return min(tasks, key=lambda t: len(family.oracle_plan(t)))


def test_trl_tools_are_the_familys_tools():
    """TRL reads each generated method the way transformers builds a tool schema: the same names, params,
    required params and enum choices as ``mg.tools``, for every family."""
    get_json_schema = pytest.importorskip("transformers.utils").get_json_schema
    factories = environment_factories()
    assert set(factories) == {f.name for f in mg.list_families()}
    for family in mg.list_families():
        cls = tool_env_class(family.name)
        env = cls.__new__(cls)
        for tool in mg.tools(family):
            ours = tool["function"]
            theirs = get_json_schema(getattr(env, ours["name"]))["function"]
            assert theirs["name"] == ours["name"] and theirs["description"]
            assert set(theirs["parameters"]["properties"]) == set(ours["parameters"]["properties"])
            assert set(theirs["parameters"].get("required", [])) == set(
                ours["parameters"].get("required", [])
            )
            for name, prop in ours["parameters"]["properties"].items():
                assert theirs["parameters"]["properties"][name].get("enum") == prop.get("enum")


def test_request_info_is_described_by_the_family():
    sql = {t["function"]["name"]: t["function"] for t in mg.tools("mimic_iii")}
    assert sql["request_info"]["parameters"]["properties"]["info_type"]["enum"] == [
        "column_names",
        "column_values",
        "term",
    ]
    fhir = {t["function"]["name"]: t["function"] for t in mg.tools("medagentbench")}
    assert fhir["request_info"]["parameters"]["required"] == ["url"]
    assert "request_info" not in {t["function"]["name"] for t in mg.tools("medcalcbench")}
    seq = {t["function"]["name"]: t["function"] for t in mg.tools("ehr_seqsql")}
    assert "next question" in seq["submit"]["description"]  # not "ends the episode"
    assert (
        "not"
        in {t["function"]["name"]: t for t in mg.tools("biocoder")}["validate_code"]["function"][
            "description"
        ]
    )


@pytest.mark.parametrize("source", slow_except(SOURCES, FAST))
def test_trl_tool_form_plays_an_oracle_episode(source, tmp_path):
    task = _cheapest(source)
    row = next(r for r in task_dataset(source, "test") if r["task_id"] == task.id)
    assert row["environment"] == task.family and row["prompt"][0]["role"] == "system"
    env = environment_factories(out_dir=tmp_path, sandbox="zygote")[row["environment"]]()
    with env:
        assert env.reset(**row) is None
        for step in mg.get_family(task.family).oracle_plan(task):
            getattr(env, step["action"])(**step["params"])
        reward = env.get_reward()
    (path,) = tmp_path.glob("*/*/episode.ipynb")
    episode = mg.read_episode(path)
    assert episode.passed and reward == episode.reward > 0  # a prediction task's reward is its accuracy
    assert episode.agent == "trl" and episode.system_prompt == row["prompt"][0]["content"]


@pytest.mark.parametrize("source", slow_except(SOURCES, FAST))
def test_gymnasium_id_passes_the_env_checker_and_an_oracle_episode(source):
    gymnasium = pytest.importorskip("gymnasium", reason="the [gym] extra is not installed")
    from gymnasium.utils.env_checker import check_env

    from medgym_nb.gym import gym_ids

    task = _cheapest(source)
    gym_id = next(i for i, s in gym_ids().items() if s == source)
    env = gymnasium.make(f"medgym_nb.gym:{gym_id}", disable_env_checker=True, sandbox="zygote")
    try:
        check_env(env.unwrapped, skip_render_check=True)
        obs, info = env.reset(options={"task": task})
        assert info["observation"].type == "task" and obs
        info = {}
        for step in mg.get_family(task.family).oracle_plan(task):
            obs, reward, terminated, truncated, info = env.step(
                json.dumps({k: step[k] for k in ("action", "params")})
            )
        assert info["grade"]["passed"] and reward > 0 and terminated and not truncated, obs
    finally:
        env.close()
