"""``medgym serve``: the environment over HTTP and WebSocket, many sessions each with its own kernel.

``app`` (the FastAPI factory) and ``server`` (uvicorn, drain on SIGTERM) need the ``serve`` extra;
``RemoteEnv``/``AsyncRemoteEnv`` (``client``) need only httpx, and ``openenv_client.MedgymEnvClient`` the
``openenv`` extra.
"""

from .client import AsyncRemoteEnv, RemoteEnv
from .protocol import ResetRequest, SessionState, StepRequest, StepResult
from .sessions import SessionLimits, SessionTable

__all__ = [
    "AsyncRemoteEnv",
    "RemoteEnv",
    "ResetRequest",
    "SessionLimits",
    "SessionState",
    "SessionTable",
    "StepRequest",
    "StepResult",
]
