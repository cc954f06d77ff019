"""Agent actions: ``{"action": NAME, "params": {...}}`` with MedAgentGym's names and ours."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .tasks.model import ACTIONS

__all__ = ["Action", "ActionError", "parse_action"]

_REQUIRED: dict[str, tuple[str, ...]] = {
    "execute": ("code",),
    "validate_code": ("code",),
    "terminal": ("cmd",),
    "submit": ("answer",),
    "request_info": (),
    "debug": (),
}
_ALIASES = {"command": "cmd"}


class ActionError(ValueError):
    """A malformed action; the message tells the agent how to fix it."""


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str
    params: dict[str, Any] = Field(default_factory=dict)


def parse_action(raw: Any, permitted: list[str] | None = None) -> Action:
    """Validate a dict (or JSON text) as an action the task permits; ``ActionError`` otherwise."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ActionError(f"the action is not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("action"), str):
        raise ActionError('an action is a JSON object like {"action": "execute", "params": {"code": "..."}}')
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise ActionError("'params' must be a JSON object")
    name = raw["action"]
    allowed = permitted or list(ACTIONS)
    if name not in allowed:
        raise ActionError(f"unknown or forbidden action {name!r}; this task permits: {', '.join(allowed)}")
    params = {_ALIASES.get(k, k): v for k, v in params.items()}
    missing = [p for p in _REQUIRED.get(name, ()) if p not in params]
    if missing:
        raise ActionError(f"action {name!r} needs params: {', '.join(missing)}")
    for key in ("code", "cmd"):
        if key in params and not isinstance(params[key], str):
            raise ActionError(f"param {key!r} must be a string")
    return Action(action=name, params=params)
