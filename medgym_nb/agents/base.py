"""The agent contract the runner drives."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..observations import Observation
from ..tasks.model import Task

__all__ = ["Agent", "ScriptedAgent"]


@runtime_checkable
class Agent(Protocol):
    """Chooses actions. ``act`` returns ``{"action", "params", "message"?, "usage"?, "tool_call"?}``, or None
    to stop (``tool_call``: the native tool call the action came from, a ``ToolCall``'s fields, recorded)."""

    name: str
    model: str | None

    async def start(self, task: Task, observation: Observation) -> None: ...

    async def act(self, observation: Observation) -> dict[str, Any] | None: ...


class ScriptedAgent:
    """Plays a fixed list of actions: the base of the oracle and replay agents."""

    name = "scripted"
    model: str | None = None

    def __init__(self) -> None:
        self._plan: list[dict[str, Any]] = []

    def plan(self, task: Task) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def start(self, task: Task, observation: Observation) -> None:
        self._plan = list(self.plan(task))

    async def act(self, observation: Observation) -> dict[str, Any] | None:
        return self._plan.pop(0) if self._plan else None
