"""``MedgymEnvClient``: OpenEnv's own ``EnvClient`` (``openenv-core``) typed for our server, per its pattern.

OpenEnv clients subclass ``EnvClient`` with three conversions (action → payload, payload → ``StepResult``,
payload → state); the WebSocket protocol, the session per connection and the ``.sync()`` wrapper are its own.
The one addition is the bearer token, which ``EnvClient.connect`` has no way to send: it is added to the
WebSocket handshake. Install ``medgym-nb[openenv]`` for it.
"""

from __future__ import annotations

import os
from typing import Any

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from websockets.asyncio.client import connect

from ..observations import Observation
from .protocol import SessionState

__all__ = ["MedgymEnvClient"]


class MedgymEnvClient(EnvClient[dict[str, Any], Observation, SessionState]):
    """``await client.reset(task_id=..., seed=...)`` or ``reset(source=..., split=...)``; ``step({"action":
    "execute", "params": {"code": "..."}})``. The observation is our ``Observation``. ``token``: the server's
    bearer token (default: ``$MEDGYM_SERVE_TOKEN``)."""

    def __init__(self, base_url: str, *, token: str | None = None, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self._token = token or os.environ.get("MEDGYM_SERVE_TOKEN")

    async def connect(self) -> MedgymEnvClient:
        if self._token is None:
            await super().connect()
        elif self._ws is None:  # type: ignore[has-type]  # (openenv-core ships no type hints)
            self._ws = await connect(
                self._ws_url,
                open_timeout=self._connect_timeout,
                max_size=self._max_message_size,
                additional_headers={"Authorization": f"Bearer {self._token}"},
            )
        return self

    def _step_payload(self, action: dict[str, Any]) -> dict[str, Any]:
        return action

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[Observation]:
        return StepResult(
            observation=Observation.model_validate(payload.get("observation", {})),
            reward=payload.get("reward"),
            done=payload.get("done", False),
        )

    def _parse_state(self, payload: dict[str, Any]) -> SessionState:
        return SessionState.model_validate(payload)
