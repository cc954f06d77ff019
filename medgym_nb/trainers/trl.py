"""TRL adapter: medgym episodes as environments of TRL's ``GRPOTrainer(environment_factory=...)``.

TRL makes one instance per concurrent rollout and reuses it: ``reset(**row)`` is called with each dataset
row, every public method of the environment's class becomes a tool the model can call (its name, type hints
and Google-style docstring are the tool schema), and ``get_reward()`` scores the finished rollout. Since the
tools differ per family, there is one environment class per family, its methods generated from the family's
tool schemas (``medgym_nb.tools``), and ``environment_factories()`` maps family names to them: given a dict,
TRL picks each row's environment by its ``environment`` field and shows that prompt only its tools. Each
``reset`` starts a fresh sandboxed kernel, so a rollout's code, variables and files never leak into the next,
and every rollout is recorded as a notebook when ``out_dir`` is set. The adapter imports nothing from TRL.

    from medgym_nb.trainers.trl import environment_factories, task_dataset
    trainer = GRPOTrainer(model=..., train_dataset=Dataset.from_list(task_dataset("all", "train")),
                          environment_factory=environment_factories(), args=GRPOConfig(...))
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..env import Env
from ..errors import EpisodeFinishedError, MedgymError
from ..family import TaskFamily, get_family, list_families
from ..prompt import system_prompt
from ..tasks import Task, get_task, select_tasks
from ..tools import action_model, describe
from ..trajectory import Termination

__all__ = ["MedgymToolEnv", "environment_factories", "task_dataset", "tool_env_class"]


def task_dataset(source: str = "all", split: str | None = "train", path: str | None = None) -> list[dict]:
    """Rows for a TRL dataset: a conversational ``prompt`` (the tool-call system prompt, the task), the
    ``environment`` (family) whose tools the prompt shows, and the ``task_id``/``source`` ``reset`` needs."""
    return [
        {
            "prompt": [
                {"role": "system", "content": system_prompt(task, tool_calls=True)},
                {"role": "user", "content": task.prompt()},
            ],
            "environment": task.family,
            "task_id": task.id,
            "source": task.source,
        }
        for task in select_tasks(source, split, path=path)
    ]


class MedgymToolEnv:
    """One episode at a time in its own kernel. Its subclasses per family (``tool_env_class``) add the tools.

    ``env_options`` go to :class:`medgym_nb.Env` (``sandbox``, ``pool_size``, ``out_dir``, ``limits``, ...);
    a pool of one keeps the next rollout's kernel warm while the model generates.
    """

    family: TaskFamily | None = None

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
        task = self._tasks[key]
        if self.family is not None and task.family != self.family.name:
            raise MedgymError(
                f"task {task_id} belongs to family {task.family!r}, not {self.family.name!r}: give the row's "
                "'environment' field to TRL with environment_factory=environment_factories()"
            )
        self.reward = 0.0
        self._env.reset(task)
        self._env.annotate(system_prompt=system_prompt(task, tool_calls=True))

    @property
    def done(self) -> bool:
        """Whether the episode has ended (answer graded, or a limit reached)."""
        return bool(self._env.done)

    @property
    def passed(self) -> bool:
        """Whether the episode's answer passed so far."""
        return bool(self._env.grade and self._env.grade.passed)

    def get_reward(self) -> float:
        """The rollout's reward: the grade of its answer, 0 without one (records the episode)."""
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
        params = {k: v for k, v in params.items() if v is not None}
        try:
            obs, reward, _terminated, _truncated, _info = self._env.step({"action": action, "params": params})
        except EpisodeFinishedError:
            return "The episode has ended; no more actions are taken."
        except MedgymError as exc:
            return f"Error: {exc}"
        self.reward = max(self.reward, float(reward))
        return obs.env_message


def _docstring(family: TaskFamily, name: str, model: type[BaseModel] | None) -> str:
    """A Google-style docstring, which is what TRL (transformers' ``get_json_schema``) reads the tool from."""
    text = describe(family, name)
    lines = [text[:1].upper() + text[1:] + "."]
    if model is not None and model.model_fields:
        lines += ["", "Args:"]
        for field, info in model.model_fields.items():
            lines.append(f"    {field}: {(info.description or field).replace(chr(10), ' ')}")
    lines += [
        "",
        "Returns:",
        "    What the environment answers: output, results, errors, the grader's verdict.",
    ]
    return "\n".join(lines)


def _tool(family: TaskFamily, name: str) -> Callable[..., str]:
    """A method calling action ``name``, its signature and docstring those of the family's params model."""
    model = action_model(family, name)
    fields = model.model_fields if model is not None else {}

    def tool(self: MedgymToolEnv, **params: Any) -> str:
        return self._act(name, **params)

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for field, info in fields.items():
        default = inspect.Parameter.empty if info.is_required() else None
        parameters.append(
            inspect.Parameter(
                field, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=info.annotation
            )
        )
    tool.__signature__ = inspect.Signature(parameters, return_annotation=str)  # type: ignore[attr-defined]
    tool.__annotations__ = {field: info.annotation for field, info in fields.items()} | {"return": str}
    tool.__name__ = tool.__qualname__ = name
    tool.__doc__ = _docstring(family, name, model)
    return tool


@functools.cache
def tool_env_class(family_name: str) -> type[MedgymToolEnv]:
    """The environment class of a family: ``MedgymToolEnv`` with one public method per permitted action."""
    family = get_family(family_name)
    methods: dict[str, Any] = {name: _tool(family, name) for name in family.actions}
    name = "".join(part.title() for part in family_name.split("_")) + "ToolEnv"
    return type(name, (MedgymToolEnv,), {"family": family, **methods, "__module__": __name__})


def environment_factories(**env_options: Any) -> dict[str, Callable[[], MedgymToolEnv]]:
    """``{family name: factory}`` for ``GRPOTrainer(environment_factory=...)``, every installed family."""
    return {
        family.name: functools.partial(tool_env_class(family.name), **env_options)
        for family in list_families()
    }
