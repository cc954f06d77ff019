"""The Gymnasium registration, checked with Gymnasium's own env checker, on real kernels."""

from __future__ import annotations

import json

import pytest

gymnasium = pytest.importorskip("gymnasium", reason="the [gym] extra is not installed")


def test_make_reset_step_and_env_checker(test_tasks):
    from gymnasium.utils.env_checker import check_env

    # forked kernels: the checker resets the env (a kernel each) several times
    env = gymnasium.make("medgym_nb.gym:medgym/MIMIC-III-v0", disable_env_checker=True, sandbox="zygote")
    try:
        check_env(env.unwrapped, skip_render_check=True)
        obs, info = env.reset(seed=3, options={"task": test_tasks[0]})
        assert test_tasks[0].question in obs and info["observation"].type == "task"
        task = test_tasks[0]
        env.step(json.dumps({"action": "execute", "params": {"code": task.solution[0]}}))
        obs, reward, terminated, truncated, info = env.step(
            json.dumps({"action": "validate_code", "params": {"code": task.solution[1]}})
        )
        assert reward == 1.0 and terminated and not truncated and "[grader] correct" in obs
        first, _ = env.reset(seed=7)
        again, _ = env.reset(seed=7)
        assert first == again  # seeded task choice
    finally:
        env.close()
