"""TRL adapter: a medgym episode as an environment of TRL's ``GRPOTrainer(environment_factory=...)``.

TRL makes one instance per concurrent rollout and reuses it: ``reset(**row)`` is called with each dataset
row, every public method becomes a tool the model can call (its name, type hints and Google-style docstring
are the tool schema), and ``get_reward()`` scores the finished rollout. Each ``reset`` starts a fresh
sandboxed kernel, so a rollout's code, variables and files never leak into the next one, and every rollout is
recorded as a notebook when ``out_dir`` is set. The adapter imports nothing from TRL, so the same class
serves any trainer that follows this convention.

    from medgym_nb.trainers.trl import MedgymToolEnv, task_dataset
    trainer = GRPOTrainer(model=..., train_dataset=Dataset.from_list(task_dataset("all", "train")),
                          environment_factory=MedgymToolEnv, args=GRPOConfig(...))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..env import Env
from ..errors import EpisodeFinishedError, MedgymError
from ..tasks import Task, get_task, select_tasks
from ..trajectory import Termination

__all__ = ["MedgymToolEnv", "task_dataset"]

INSTRUCTIONS = (
    "Solve the task by calling the tools: `execute` runs Python in a stateful Jupyter kernel (variables "
    "persist between calls), `request_info` describes the database, `terminal` runs a shell command, and "
    "`submit` hands in the final answer (or `validate_code` runs code that prints it); either ends the episode."
)


def task_dataset(source: str = "all", split: str | None = "train", path: str | None = None) -> list[dict]:
    """Rows for a TRL dataset: a conversational ``prompt`` plus the ``task_id``/``source`` ``reset`` needs."""
    return [
        {
            "prompt": [{"role": "user", "content": f"{task.prompt()}\n\n{INSTRUCTIONS}"}],
            "task_id": task.id,
            "source": task.source,
        }
        for task in select_tasks(source, split, path=path)
    ]


class MedgymToolEnv:
    """One episode at a time in its own kernel; the tools are MedAgentGym's actions.

    ``env_options`` go to :class:`medgym_nb.Env` (``sandbox``, ``pool_size``, ``out_dir``, ``limits``, ...);
    a pool of one keeps the next rollout's kernel warm while the model generates.
    """

    def __init__(self, **env_options: Any) -> None:
        env_options.setdefault("pool_size", 1)
        env_options.setdefault("agent", "trl")
        self._env = Env(**env_options)
        self._tasks: dict[tuple[str, str], Task] = {}
        self.reward = 0.0

    def reset(
        self, task_id: str, source: str | None = None, task_file: str | None = None, **_row: Any
    ) -> None:
        """Start an episode on the row's task (the prompt already holds its text, so nothing is appended)."""
        key = (source or "", task_id)
        if key not in self._tasks:
            self._tasks[key] = get_task(task_id, source=source, path=Path(task_file) if task_file else None)
        self.reward = 0.0
        self._env.reset(self._tasks[key])

    def execute(self, code: str) -> str:
        """Run Python code in the episode's Jupyter kernel; state persists across calls.

        Args:
            code: Python source to run, as in a notebook cell.

        Returns:
            The cell's output (stdout, results, or the error traceback).
        """
        return self._act("execute", code=code)

    def request_info(
        self, info_type: str, table: str | None = None, column: str | None = None, keyterm: str | None = None
    ) -> str:
        """Describe the task's database.

        Args:
            info_type: "column_names" (all tables, or one), "column_values" (a table's column) or "term" (fuzzy search for a value).
            table: The table to look at.
            column: The column whose distinct values to list (with "column_values").
            keyterm: The text to search for (with "term").

        Returns:
            The requested schema, values or matches.
        """
        params = {"info_type": info_type, "table": table, "column": column, "keyterm": keyterm}
        return self._act("request_info", **{k: v for k, v in params.items() if v is not None})

    def validate_code(self, code: str) -> str:
        """Run Python code whose printed output is the final answer; the episode ends and is graded.

        Args:
            code: Python source that prints the answer.

        Returns:
            The output and the grader's verdict.
        """
        return self._act("validate_code", code=code)

    def terminal(self, cmd: str) -> str:
        """Run a shell command in the episode's sandboxed work directory.

        Args:
            cmd: The shell command line.

        Returns:
            What the command printed.
        """
        return self._act("terminal", cmd=cmd)

    def submit(self, answer: str) -> str:
        """Hand in the final answer; the episode ends and is graded.

        Args:
            answer: The answer, e.g. a number, a string or a JSON list of values.

        Returns:
            The grader's verdict.
        """
        try:
            value: Any = json.loads(answer)
        except json.JSONDecodeError:
            value = answer
        return self._act("submit", answer=value)

    def get_reward(self) -> float:
        """The rollout's reward: the grade of its submitted answer, 0 without one (records the episode)."""
        if not self._env.done:
            self._env.end_episode(Termination.CLOSED)
        return self.reward

    def __enter__(self) -> MedgymToolEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the kernels. Not a public method: TRL would offer every public method to the model as a tool
        (TRL itself never closes its environments; the kernels stop when the process exits)."""
        self._env.close()

    def _act(self, action: str, **params: Any) -> str:
        try:
            obs, reward, _terminated, _truncated, _info = self._env.step({"action": action, "params": params})
        except EpisodeFinishedError:
            return "The episode has ended; no more actions are taken."
        except MedgymError as exc:
            return f"Error: {exc}"
        self.reward = max(self.reward, float(reward))
        return obs.env_message
