"""Gymnasium registration: ``gymnasium.make("medgym_nb.gym:medgym/All-v0")`` draws from every built-in suite,
``medgym/<Source>-v0`` from one, the source named as its family names it (``TaskFamily.source_names``;
``gym_ids()`` lists them; import this module first to use the ids without the module prefix).

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

__all__ = ["MedgymTextEnv", "gym_ids"]

_CHARSET = string.whitespace + "".join(c for c in map(chr, range(0x20, 0x30000)) if c.isprintable())
"""Every printable character (and whitespace): task texts quote notes, names and units in any script."""
_TEXT = spaces.Text(max_length=1_000_000, min_length=0, charset=_CHARSET)


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


def gym_ids() -> dict[str, str]:
    """``{Gymnasium id: source}`` for every source with a built-in suite (``"all"`` for ``medgym/All-v0``)."""
    ids = {"medgym/All-v0": "all"}
    for family in list_families():
        for source in family.suite_sources:
            ids[f"medgym/{family.source_names.get(source, source)}-v0"] = source
    return ids


for _id, _source in gym_ids().items():
    gymnasium.register(id=_id, entry_point=MedgymTextEnv, kwargs={"source": _source})
