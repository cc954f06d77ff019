"""Gymnasium registration: ``gymnasium.make("medgym_nb.gym:medgym/All-v0")`` draws from every built-in suite,
``medgym/<source>-v0`` from one (import this module first to use the ids without the module prefix).

Observations and actions are text, as an LLM policy sees them: the observation is the environment's message
(the full observation dict is in ``info["observation"]``), the action is the JSON action string. Each reset
draws a task from the suite with the env's seeded generator, unless ``options={"task": task}`` names one.
Requires the ``[gym]`` extra.
"""

from __future__ import annotations

import string
from typing import Any

try:
    import gymnasium
    from gymnasium import spaces
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("the Gymnasium adapter needs gymnasium: pip install 'medgym-nb[gym]'") from exc

from .env import Env
from .family import list_families
from .tasks import Task, select_tasks

__all__ = ["MedgymTextEnv"]

_TEXT = spaces.Text(max_length=1_000_000, min_length=0, charset=string.printable + "…→·")


class MedgymTextEnv(gymnasium.Env[str, str]):
    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - Gymnasium's class attribute

    def __init__(self, source: str = "all", split: str | None = "test", **env_kwargs: Any) -> None:
        self.tasks = select_tasks(source, split)
        self.observation_space = _TEXT
        self.action_space = _TEXT
        self._env = Env(**env_kwargs)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        task = (options or {}).get("task")
        if not isinstance(task, Task):
            task = self.tasks[int(self.np_random.integers(len(self.tasks)))]
        obs, info = self._env.reset(task)
        return obs.env_message, {**info, "observation": obs}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self._env.step(action)
        return obs.env_message, reward, terminated, truncated, {**info, "observation": obs}

    def close(self) -> None:
        self._env.close()


gymnasium.register(id="medgym/All-v0", entry_point=MedgymTextEnv, kwargs={"source": "all"})
for _source in sorted({s for f in list_families() for s in f.suite_sources}):
    gymnasium.register(id=f"medgym/{_source}-v0", entry_point=MedgymTextEnv, kwargs={"source": _source})
