"""The action vocabulary: ``{"action": NAME, "params": {...}}`` with MedAgentGym's names and ours.

Every action is declared once here: its pydantic params model, the help agents are shown, and its handler,
the coroutine the environment calls to carry it out (registered beside the spec, as papermill registers its
engines, never an ``if`` chain on names). A task family chooses which actions its tasks permit. Bad params
(a missing ``code``, ``"timeout": "soon"``) are an ``ActionError`` whose message the environment shows the
agent, never an exception out of ``step``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .kernel.outputs import truncate
from .observations import Observation, ObservationKind, observe
from .trajectory import Termination

if TYPE_CHECKING:
    from .config import EnvConfig
    from .family.base import TaskFamily
    from .grading.answers import Answer
    from .kernel.session import CellResult, KernelSession
    from .services.base import ServiceTenant
    from .tasks.model import Task

__all__ = [
    "ACTIONS",
    "Action",
    "ActionContext",
    "ActionError",
    "ActionSpec",
    "InfoRequestError",
    "Outcome",
    "parse_action",
]


class ActionError(ValueError):
    """A malformed action; the message tells the agent how to fix it."""


class InfoRequestError(ValueError):
    """A ``request_info`` that cannot be answered; the message is shown to the agent."""


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


@dataclass(frozen=True)
class Outcome:
    """What an action did: the observation shown, the cell that ran (recorded), the reward, whether the
    episode ended and, if it did, how (``termination``)."""

    observation: Observation
    cell: CellResult | None = None
    reward: float = 0.0
    terminated: bool = False
    termination: Termination | None = None


class ActionContext(Protocol):
    """What a handler may use of the running episode (the environment provides it)."""

    task: Task | None
    config: EnvConfig

    @property
    def family(self) -> TaskFamily: ...

    @property
    def kernel(self) -> KernelSession | None: ...

    @property
    def tenant(self) -> ServiceTenant | None: ...

    def cell_timeout(self, params: dict[str, Any]) -> float: ...

    async def grade_answer(self, answer: Answer, cell: CellResult | None) -> Outcome: ...


Handler = Callable[["ActionContext", dict[str, Any]], Awaitable[Outcome]]


def _running(ctx: ActionContext) -> Task:
    assert ctx.task is not None, "a handler runs only within an episode"
    return ctx.task


async def _request_info(ctx: ActionContext, params: dict[str, Any]) -> Outcome:
    """The family answers on the host (through the episode's service tenant, if it has one)."""
    task = _running(ctx)
    try:
        if ctx.tenant is not None:
            text = await asyncio.to_thread(ctx.family.request_service_info, task, params, ctx.tenant)
        else:
            text = ctx.family.request_info(task, params)
    except (InfoRequestError, OSError) as exc:
        return Outcome(observe(ObservationKind.ERROR, f"request_info failed: {exc}"))
    return Outcome(observe(ObservationKind.REQUESTED_INFO, text))


async def _debug(ctx: ActionContext, params: dict[str, Any]) -> Outcome:
    assert ctx.kernel is not None
    err = ctx.kernel.last_error
    text = truncate(err.text(), ctx.config.output_limits.agent_chars) if err else "No error has occurred yet."
    return Outcome(observe(ObservationKind.DEBUGGING_INFO, text))


async def _submit(ctx: ActionContext, params: dict[str, Any]) -> Outcome:
    return await ctx.grade_answer(ctx.family.answer_from_submit(_running(ctx), params), None)


async def _run_cell(
    ctx: ActionContext, code: str, params: dict[str, Any]
) -> tuple[CellResult, Outcome | None]:
    """Run ``code`` in the episode's kernel; an outcome already when it timed out or the kernel died."""
    assert ctx.kernel is not None
    cell = await ctx.kernel.execute(code, timeout=ctx.cell_timeout(params))
    if cell.status == "dead" or not cell.kernel_alive:
        kind = ObservationKind.TIMEOUT if cell.status == "timeout" else ObservationKind.KERNEL_DIED
        return cell, Outcome(
            observe(kind, cell.text, status=cell.status),
            cell,
            terminated=True,
            termination=Termination.KERNEL_DIED,
        )
    if cell.status == "timeout":
        return cell, Outcome(observe(ObservationKind.TIMEOUT, cell.text, status=cell.status), cell)
    return cell, None


async def _terminal(ctx: ActionContext, params: dict[str, Any]) -> Outcome:
    cell, ended = await _run_cell(ctx, f"%%bash\n{params['cmd']}", params)
    return ended or Outcome(observe(ObservationKind.CMD_RESULT, cell.text, status=cell.status), cell)


async def _execute(ctx: ActionContext, params: dict[str, Any]) -> Outcome:
    cell, ended = await _run_cell(ctx, params["code"], params)
    if ended is not None:
        return ended
    kind = ObservationKind.ERROR if cell.status == "error" else ObservationKind.CODE_EXECUTION
    return Outcome(observe(kind, cell.text, status=cell.status), cell)


async def _validate_code(ctx: ActionContext, params: dict[str, Any]) -> Outcome:
    cell, ended = await _run_cell(ctx, params["code"], params)
    if ended is not None:
        return ended
    if cell.status == "error":
        return Outcome(observe(ObservationKind.ERROR, cell.text, status=cell.status), cell)
    return await ctx.grade_answer(ctx.family.answer_from_cell(_running(ctx), cell), cell)


class ActionSpec(BaseModel):
    """``params``: what the action takes (``OpenParams``: a family's ``action_params`` say); ``usage``: a one-line
    example of them; ``help``: what it does, as agents are told unless the family says it differently
    (``TaskFamily.action_help``)."""

    model_config = ConfigDict(frozen=True)

    params: type[BaseModel]
    usage: str
    help: str
    handler: Handler


ACTIONS: dict[str, ActionSpec] = {
    "request_info": ActionSpec(
        params=OpenParams,
        usage='{"info_type": ..., ...}',
        help="ask about the task's data",
        handler=_request_info,
    ),
    "validate_code": ActionSpec(
        params=CodeParams,
        usage='{"code": "..."}',
        help=(
            "run Python that prints the final answer; what it prints is graded. A correct answer ends the "
            "episode; after a wrong one you may fix the code and run it again"
        ),
        handler=_validate_code,
    ),
    "debug": ActionSpec(
        params=OpenParams,
        usage="{}",
        help="show the last error raised in your kernel, with its full traceback",
        handler=_debug,
    ),
    "terminal": ActionSpec(
        params=TerminalParams,
        usage='{"cmd": "..."}',
        help="run a shell command in your work directory",
        handler=_terminal,
    ),
    "execute": ActionSpec(
        params=CodeParams,
        usage='{"code": "..."}',
        help="run Python in your Jupyter kernel (variables persist between calls); nothing is graded",
        handler=_execute,
    ),
    "submit": ActionSpec(
        params=SubmitParams,
        usage='{"answer": ...}',
        help="give the final answer as a value; it is graded and the episode ends",
        handler=_submit,
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
