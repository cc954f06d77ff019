"""What crosses the wire between ``medgym serve`` and its clients: one pydantic model per message.

Two dialects share these models. Our REST routes (``/sessions/...``) carry Gymnasium's five-tuple. The
OpenEnv dialect (the ``openenv-core`` package's ``EnvClient``: a WebSocket at ``/ws``, one session per
connection, messages ``{"type": "reset"|"step"|"state"|"close", "data": {...}}``) gets
``{"observation", "reward", "done"}`` with our extra keys beside (its client ignores them). Either way the
observation is ``Observation.model_dump(exclude_none=True)``: MedAgentGym's JSON observation.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..actions import Action
from ..errors import (
    EpisodeFinishedError,
    KernelEnvironmentError,
    KernelStartError,
    MedgymError,
    SandboxUnavailableError,
    ServerDrainingError,
    ServiceError,
    SessionCapacityError,
    SessionGoneError,
    SessionNotFoundError,
    UnknownSourceError,
    UnknownTaskError,
)
from ..observations import Observation

__all__ = [
    "ErrorBody",
    "ResetRequest",
    "SessionInfo",
    "SessionState",
    "StepRequest",
    "StepResult",
    "classify",
    "error_for",
    "schemas",
]

_SEED_MAX = 2**32

ERRORS: list[tuple[type[MedgymError], int, str]] = [
    (SessionNotFoundError, 404, "session_not_found"),
    (SessionGoneError, 410, "session_gone"),
    (SessionCapacityError, 429, "capacity_reached"),
    (ServerDrainingError, 503, "draining"),
    (EpisodeFinishedError, 409, "episode_finished"),
    (UnknownTaskError, 422, "unknown_task"),
    (UnknownSourceError, 422, "unknown_source"),
    (KernelStartError, 503, "kernel_unavailable"),
    (KernelEnvironmentError, 503, "kernel_unavailable"),
    (SandboxUnavailableError, 503, "kernel_unavailable"),
    (ServiceError, 503, "service_unavailable"),
    (MedgymError, 400, "bad_request"),
]
"""Our errors ↔ (HTTP status, stable code): the server answers an error with the first class it is an
instance of, and the client raises the first class listed for the code it got back."""


def classify(exc: MedgymError) -> tuple[int, str]:
    """The (status, code) the server answers ``exc`` with."""
    return next((status, code) for cls, status, code in ERRORS if isinstance(exc, cls))


def error_for(code: str, message: str, retry_after: float | None = None) -> MedgymError:
    """The exception a client raises for an error answer with ``code``."""
    if code == "capacity_reached":
        return SessionCapacityError(message, retry_after or 1.0)
    cls = next((cls for cls, _status, known in ERRORS if known == code), MedgymError)
    return cls(message)


class ResetRequest(BaseModel):
    """Which task the next episode runs: ``task_id`` (``source`` narrows the search), or one drawn from
    ``source`` (a name, several separated by commas, or ``all``) and ``split`` with the session's seeded RNG
    (``seed``, when given, also seeds the draw and the kernel's generators). ``episode_id`` is OpenEnv's
    name for what we record as the rollout tag; ``agent``/``model`` are recorded with the episode."""

    model_config = ConfigDict(extra="forbid")

    task_id: str | None = None
    source: str | None = None
    split: str | None = None
    seed: int | None = Field(default=None, ge=0, lt=_SEED_MAX)
    episode_id: str | None = Field(default=None, max_length=255)
    agent: str | None = None
    model: str | None = None


class StepRequest(BaseModel):
    """``{"action": {"action": NAME, "params": {...}, "message"?: ..., "usage"?: {...}}}`` (OpenEnv's step
    request shape). The action's content is the episode's business: a wrong name or param comes back as an
    ``error`` observation and costs a turn, as in-process; only a body that is not this shape is a 4xx."""

    model_config = ConfigDict(extra="forbid")

    action: dict[str, Any]


class StepResult(BaseModel):
    """One reset or step: OpenEnv's ``observation``/``reward``/``done``, and Gymnasium's ``terminated``,
    ``truncated`` and ``info`` (``info.notebook``: the recorded episode, once it ended)."""

    observation: dict[str, Any]
    reward: float | None = None
    done: bool = False
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = Field(default_factory=dict)


class SessionState(BaseModel):
    """OpenEnv's ``State`` (``episode_id``, ``step_count``) and the session's own view of its episode."""

    session_id: str
    episode_id: str | None = None
    step_count: int = 0
    episodes: int = 0
    task_id: str | None = None
    done: bool = True
    termination: str
    notebook: str | None = None
    time_left: float | None = None
    idle_seconds: float = 0.0


class SessionInfo(BaseModel):
    """What ``POST /sessions`` answers: the id to put in the next requests' paths."""

    session_id: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx: ``{"error": {"code", "message"}}``; ``code`` is stable, ``message`` says what to do."""

    error: dict[str, Any]


def schemas() -> dict[str, Any]:
    """JSON schemas of what the server takes and gives (``GET /schema``, OpenEnv's combined schema)."""
    return {
        "action": Action.model_json_schema(),
        "observation": Observation.model_json_schema(),
        "state": SessionState.model_json_schema(),
        "reset": ResetRequest.model_json_schema(),
        "step": StepRequest.model_json_schema(),
        "result": StepResult.model_json_schema(),
    }
