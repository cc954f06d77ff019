"""The environment end to end on real kernels, with real papermill grading and notebook recording."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import medgym_nb as mg
from medgym_nb.grading import GRADE_MIME


def test_public_api_example(test_tasks):
    with mg.Env() as env:
        obs, _info = env.reset(test_tasks[0])
        assert obs.type == "task" and test_tasks[0].question in obs.env_message
        obs, reward, terminated, truncated, _info = env.step(
            {"action": "execute", "params": {"code": "x = 41"}}
        )
        assert (reward, terminated, truncated) == (0.0, False, False)
        obs, *_ = env.step({"action": "execute", "params": {"code": "print(x + 1)"}})
        assert "42" in obs.env_message and obs.type == "code_execution"


def test_oracle_episode_passes_and_notebook_records_it(test_tasks, tmp_path: Path):
    task = test_tasks[1]
    with mg.Env(out_dir=tmp_path, agent="manual") as env:
        env.reset(task)
        obs, *_ = env.step(
            {"action": "request_info", "params": {"info_type": "column_names", "table": "admissions"}}
        )
        assert obs.type == "requested_info" and "subject_id" in obs.env_message
        env.step({"action": "execute", "params": {"code": task.solution[0]}, "message": "connect"})
        obs, reward, terminated, truncated, info = env.step(
            {"action": "validate_code", "params": {"code": task.solution[1]}}
        )
    assert obs.type == "grade" and obs.passed and "[grader] correct" in obs.env_message
    assert (reward, terminated, truncated) == (1.0, True, False)
    path = Path(info["notebook"])
    assert path == tmp_path / task.source / task.id / "episode.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    meta = nb.metadata["medgym"]
    assert meta["passed"] and meta["reward"] == 1.0 and meta["termination"] == "passed" and meta["turns"] == 3
    assert meta["task_id"] == task.id and "jupyter_client" in meta["versions"]
    assert meta["sandbox"] == env.sandbox and meta["config"]["limits"]["memory_mb"] == 4096
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code_cells] == [1, 2]
    assert code_cells[1].metadata["medgym"]["action"] == "validate_code"
    assert code_cells[1].outputs[0]["text"].startswith("[")
    episode = mg.read_episode(path)
    assert [t.action for t in episode.turns] == ["request_info", "execute", "validate_code"]
    assert episode.turns[1].message == "connect" and episode.passed and episode.final_answer.kind == "printed"


def test_agent_mistakes_never_raise(test_tasks):
    with mg.Env(max_turns=20) as env:
        env.reset(test_tasks[0])
        for bad in [
            "not json",
            {"action": "fly"},
            {"action": "execute"},
            {"action": "execute", "params": []},
            {"action": "execute", "params": {"code": 3}},
            42,
        ]:
            obs, reward, terminated, _truncated, _ = env.step(bad)
            assert obs.type == "error" and not terminated and reward == 0.0
        obs, *_ = env.step({"action": "execute", "params": {"code": "undefined_name"}})
        assert obs.type == "error" and "NameError" in obs.env_message
        obs, *_ = env.step({"action": "debug"})
        assert obs.type == "debugging_info" and "NameError" in obs.env_message
        obs, *_ = env.step({"action": "terminal", "params": {"cmd": "echo hello from bash; ls data"}})
        assert obs.type == "cmd_result" and "hello from bash" in obs.env_message
        assert "mimic_iii.db" in obs.env_message
        obs, *_ = env.step(
            {"action": "request_info", "params": {"info_type": "term", "keyterm": "emergency room"}}
        )
        assert "emergency room admit" in obs.env_message
        obs, *_ = env.step(
            {"action": "request_info", "params": {"info_type": "column_names", "table": "nope"}}
        )
        assert obs.type == "error"


def test_wrong_submit_scores_zero_with_message(test_tasks, tmp_path):
    with mg.Env(out_dir=tmp_path) as env:
        env.reset(test_tasks[0])
        obs, reward, terminated, _, info = env.step({"action": "submit", "params": {"answer": ["wrong"]}})
        assert terminated and reward == 0.0 and obs.type == "grade" and "incorrect" in obs.env_message
        assert info["termination"] == "submitted"
        with pytest.raises(mg.EpisodeFinishedError):
            env.step({"action": "debug"})


def test_spoofed_grade_output_does_not_pass(test_tasks):
    """Agent code that displays our grade MIME type and prints a wrong answer still fails."""
    spoof = (
        "from IPython.display import display\n"
        f"display({{{GRADE_MIME!r}: {{'score': 1.0, 'passed': True, 'message': 'correct'}}}}, raw=True)\n"
        "print(['not the answer'])"
    )
    with mg.Env() as env:
        env.reset(test_tasks[0])
        obs, reward, terminated, *_ = env.step({"action": "validate_code", "params": {"code": spoof}})
    assert not obs.passed and reward == 0.0 and not terminated


def test_kernel_death_ends_episode_and_notebook_is_saved(test_tasks, tmp_path):
    with mg.Env(out_dir=tmp_path) as env:
        env.reset(test_tasks[0])
        env.step({"action": "execute", "params": {"code": "a = 1"}})
        obs, reward, terminated, truncated, info = env.step(
            {"action": "execute", "params": {"code": "import os; os._exit(1)"}}
        )
    assert obs.type == "kernel_died" and terminated and not truncated and reward == 0.0
    assert info["termination"] == "kernel_died"
    nb = nbformat.read(info["notebook"], as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["medgym"]["termination"] == "kernel_died"


def test_timeout_in_episode_keeps_state(test_tasks):
    with mg.Env(cell_timeout=1.5) as env:
        env.reset(test_tasks[0])
        env.step({"action": "execute", "params": {"code": "kept = 7"}})
        obs, _, terminated, *_ = env.step({"action": "execute", "params": {"code": "while True: pass"}})
        assert obs.type == "timeout" and not terminated
        obs, *_ = env.step({"action": "execute", "params": {"code": "print(kept)"}})
        assert obs.env_message.strip() == "7"


def test_turn_limit_truncates(test_tasks, tmp_path):
    with mg.Env(max_turns=2, out_dir=tmp_path) as env:
        env.reset(test_tasks[0])
        assert env.step({"action": "debug"})[3] is False
        obs, _, terminated, truncated, info = env.step({"action": "debug"})
    assert truncated and not terminated and info["termination"] == "max_turns"
    assert "turn limit" in obs.env_message


def test_closing_mid_episode_records_closed(test_tasks, tmp_path):
    env = mg.Env(out_dir=tmp_path)
    env.reset(test_tasks[0])
    env.step({"action": "execute", "params": {"code": "1"}})
    env.close()
    env.close()  # idempotent
    episode = mg.read_episode(tmp_path / "mimic_iii" / test_tasks[0].id / "episode.ipynb")
    assert episode.termination == "closed" and len(episode.turns) == 1
