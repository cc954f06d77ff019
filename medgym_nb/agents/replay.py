"""The replay agent: plays back the recorded actions of a trajectory notebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..tasks.model import Task
from ..trajectory import Episode, read_episode
from .base import ScriptedAgent

__all__ = ["ReplayAgent"]


class ReplayAgent(ScriptedAgent):
    """Sends each recorded turn's action and params again, in order, with the recorded message."""

    name = "replay"

    def __init__(self, episode: Episode | str | Path) -> None:
        super().__init__()
        self.episode = episode if isinstance(episode, Episode) else read_episode(episode)
        self.model = self.episode.model

    def plan(self, task: Task) -> list[dict[str, Any]]:
        return [
            {
                "action": t.action,
                "params": dict(t.params),
                "message": t.message,
                "tool_call": t.tool_call.model_dump() if t.tool_call else None,
            }
            for t in self.episode.turns
        ]
