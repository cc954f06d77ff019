"""The action vocabulary: ``{"action": NAME, "params": {...}}`` with MedAgentGym's names and ours.

Every action is declared once here, with a pydantic model for its params and the help text agents are shown;
a task family chooses which of them its tasks permit. Bad params (a missing ``code``, ``"timeout": "soon"``)
are an ``ActionError`` whose message the environment shows the agent, never an exception out of ``step``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["ACTIONS", "Action", "ActionError", "ActionSpec", "parse_action"]


class ActionError(ValueError):
    """A malformed action; the message tells the agent how to fix it."""


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeParams(_Params):
    code: str = Field(description="Python source, as in a notebook cell")
    timeout: float | None = Field(
        default=None, gt=0, description="seconds; may lower the environment's cell limit, never raise it"
    )


class TerminalParams(_Params):
    cmd: str = Field(description="the shell command line")
    timeout: float | None = Field(
        default=None, gt=0, description="seconds; may lower the environment's limit"
    )


class SubmitParams(_Params):
    answer: Any = Field(description="the answer: a number, a string, a list or an object, as the task asks")


class OpenParams(BaseModel):
    """Params a family interprets itself (``request_info`` kinds; MedAgentGym's ``debug`` sends code)."""

    model_config = ConfigDict(extra="allow")


class ActionSpec(BaseModel):
    """``params``: what the action takes (``OpenParams``: a family's ``action_params`` say); ``usage``: a one-line
    example of them; ``help``: what it does, as agents are told unless the family says it differently
    (``TaskFamily.action_help``)."""

    model_config = ConfigDict(frozen=True)

    params: type[BaseModel]
    usage: str
    help: str


ACTIONS: dict[str, ActionSpec] = {
    "request_info": ActionSpec(
        params=OpenParams, usage='{"info_type": ..., ...}', help="ask about the task's data"
    ),
    "validate_code": ActionSpec(
        params=CodeParams,
        usage='{"code": "..."}',
        help=(
            "run Python that prints the final answer; what it prints is graded. A correct answer ends the "
            "episode; after a wrong one you may fix the code and run it again"
        ),
    ),
    "debug": ActionSpec(
        params=OpenParams,
        usage="{}",
        help="show the last error raised in your kernel, with its full traceback",
    ),
    "terminal": ActionSpec(
        params=TerminalParams, usage='{"cmd": "..."}', help="run a shell command in your work directory"
    ),
    "execute": ActionSpec(
        params=CodeParams,
        usage='{"code": "..."}',
        help="run Python in your Jupyter kernel (variables persist between calls); nothing is graded",
    ),
    "submit": ActionSpec(
        params=SubmitParams,
        usage='{"answer": ...}',
        help="give the final answer as a value; it is graded and the episode ends",
    ),
}
"""Every action the environment understands (MedAgentGym's four, plus ``execute`` and ``submit``)."""

_ALIASES = {"command": "cmd"}


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str
    params: dict[str, Any] = Field(default_factory=dict)


def _problem(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "params"
        if error["type"] == "missing":
            parts.append(f"missing param {where!r}")
        elif error["type"] == "extra_forbidden":
            parts.append(f"unknown param {where!r}")
        else:
            parts.append(f"param {where!r}: {error['msg']}")
    return "; ".join(parts)


def parse_action(raw: Any, permitted: tuple[str, ...] | list[str]) -> Action:
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
    if name not in permitted or name not in ACTIONS:
        raise ActionError(f"unknown or forbidden action {name!r}; this task permits: {', '.join(permitted)}")
    spec = ACTIONS[name]
    params = {_ALIASES.get(k, k): v for k, v in params.items()}
    try:
        model = spec.params.model_validate(params)
    except ValidationError as exc:
        raise ActionError(f"action {name!r}: {_problem(exc)}; expected params {spec.usage}") from None
    return Action(action=name, params=model.model_dump(exclude_unset=True))
