"""The system prompt, built in one place from the task's tools (``medgym_nb.tools``).

Two forms: for agents that write JSON actions in text (MedAgentGym's convention) it spells out each action's
params; for agents that call tools natively the schemas travel in the request's ``tools`` field, so it says
only how to act. The env records the prompt an agent used (``EpisodeMeta.system_prompt``); exports reuse the
recorded one and build one here only for notebooks that lack it.
"""

from __future__ import annotations

import json
from typing import Any

from .family.base import TaskFamily
from .tasks.model import Task
from .tools import family_of, tools

__all__ = ["system_prompt"]

_ROLE = (
    "You are a biomedical data scientist working in a stateful Jupyter kernel. Solve the task by acting step "
    "by step."
)


def _params(schema: dict[str, Any]) -> str:
    """``{"code": string, "timeout"?: number}``: each param with its type (or its choices)."""
    required = set(schema.get("required", []))
    parts = []
    for name, prop in schema.get("properties", {}).items():
        kind = "|".join(json.dumps(v) for v in prop["enum"]) if "enum" in prop else prop.get("type", "any")
        parts.append(f'"{name}"{"" if name in required else "?"}: {kind}')
    return "{" + ", ".join(parts) + "}"


def system_prompt(task_or_family: Task | TaskFamily | str, *, tool_calls: bool = False) -> str:
    """The system prompt for the task's family: JSON actions in text, or native tool calls."""
    family = family_of(task_or_family)
    schemas = [t["function"] for t in tools(family)]
    if tool_calls:
        names = ", ".join(s["name"] for s in schemas)
        return (
            f"{_ROLE} Act by calling the tools ({names}); every reply must call at least one. Several calls in "
            "one reply run in order, each answered by its own result."
        )
    lines = [f"- {s['name']} {_params(s['parameters'])}: {s['description']}" for s in schemas]
    return (
        f"{_ROLE} Each reply must contain exactly one action as JSON:\n"
        '{"action": NAME, "params": {...}}\nAvailable actions:\n' + "\n".join(lines)
    )
