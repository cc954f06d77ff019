"""The environment's configuration: one typed model, passed whole from the CLI to the runner to each env and
recorded in every episode's notebook."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .kernel.limits import SandboxLimits
from .kernel.outputs import OutputLimits

__all__ = ["EnvConfig"]


class EnvConfig(BaseModel):
    """How episodes run.

    ``sandbox``: auto, bwrap, zygote, docker or local. ``max_turns``: agent actions per episode.
    ``cell_timeout``: seconds per code cell (an action's own ``timeout`` may only lower it).
    ``episode_timeout``: wall-clock seconds for the whole episode (None: no limit). ``limits``: the sandbox's
    rlimits. ``output_limits``: output kept for the agent and the notebook. ``pool_size``: kernels kept
    pre-started. ``preimport``: pre-import numpy/pandas in pooled kernels. ``service_urls``: a family service
    name → the URL of the user's own server of it (e.g. ``{"ehr": "http://127.0.0.1:8080/api/"}``), used
    instead of the family's embedded one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sandbox: str = "auto"
    max_turns: int = Field(default=15, ge=1)
    cell_timeout: float = Field(default=120.0, gt=0)
    episode_timeout: float | None = Field(default=None, gt=0)
    limits: SandboxLimits = Field(default_factory=SandboxLimits)
    output_limits: OutputLimits = Field(default_factory=OutputLimits)
    pool_size: int = Field(default=0, ge=0)
    preimport: bool = False
    service_urls: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def build(cls, config: EnvConfig | None = None, **settings: Any) -> EnvConfig:
        """``config`` with ``settings`` applied; a wrong name or value is a ``ConfigError`` naming it."""
        base = config.model_dump() if config is not None else {}
        try:
            return cls.model_validate({**base, **settings})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(
                f"invalid environment setting ({problems}); settings are {', '.join(cls.model_fields)}"
            ) from None
