"""The tools an agent may call in a task: OpenAI-style function schemas, one per permitted action.

Generated from the action registry (``ACTIONS``: each action's pydantic params) and the family's own words
(``TaskFamily.action_help``, ``TaskFamily.action_params`` for actions whose params the family interprets), so
the LLM agent's system prompt and ``tools`` field, the trainers' adapters and the exports all describe the
same actions the environment accepts; nothing else lists them.

    mg.tools(source)  # or a Task, a TaskFamily, a family name
    [{"type": "function", "function": {"name": "request_info", "description": ..., "parameters": {...}}}, ...]
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .actions import ACTIONS, OpenParams
from .errors import UnknownSourceError
from .family.base import TaskFamily
from .family.registry import family_for_source, get_family
from .tasks.model import Task

__all__ = ["action_model", "describe", "family_of", "parameters", "tools"]


def family_of(task_or_family: Task | TaskFamily | str) -> TaskFamily:
    """The family of a task, a family, or a family or source name."""
    if isinstance(task_or_family, TaskFamily):
        return task_or_family
    if isinstance(task_or_family, Task):
        return get_family(task_or_family.family)
    try:
        return family_for_source(task_or_family)
    except UnknownSourceError:
        return get_family(task_or_family)


def action_model(family: TaskFamily, name: str) -> type[BaseModel] | None:
    """The params model agents are told to send for ``name`` (None: it takes none)."""
    model = family.action_params.get(name, ACTIONS[name].params)
    return None if model is OpenParams else model


def describe(family: TaskFamily, name: str) -> str:
    """What ``name`` does in the family's tasks: its own words, else the core's."""
    return family.action_help.get(name) or ACTIONS[name].help


def _clean(schema: Any) -> Any:
    """Pydantic's JSON schema as tool schemas are written: no titles, ``X | None`` as ``X`` (an optional
    param is one left out of ``required``), no ``null`` defaults."""
    if isinstance(schema, list):
        return [_clean(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(branches):
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            schema = {**kept[0], **rest}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "properties":  # its keys are param names, not schema keywords
            out[key] = {name: _clean(prop) for name, prop in value.items()}
        else:
            out[key] = _clean(value)
    return out


def parameters(family: TaskFamily, name: str) -> dict[str, Any]:
    """The JSON schema of ``name``'s params (an object; no properties when it takes none)."""
    model = action_model(family, name)
    if model is None:
        return {"type": "object", "properties": {}}
    schema = _clean(model.model_json_schema())
    schema.pop("additionalProperties", None)
    schema.pop("description", None)
    return {"type": "object", **{k: v for k, v in schema.items() if k != "type"}}


def tools(task_or_family: Task | TaskFamily | str) -> list[dict[str, Any]]:
    """The task's (or family's, or source's) permitted actions as chat-completions ``tools``."""
    family = family_of(task_or_family)
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": describe(family, name),
                "parameters": parameters(family, name),
            },
        }
        for name in family.actions
    ]
