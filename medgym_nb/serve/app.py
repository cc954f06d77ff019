"""The HTTP and WebSocket front of the session table (FastAPI): our REST routes and the OpenEnv dialect.

REST: ``POST /sessions`` → ``{"session_id"}``; ``POST /sessions/{id}/reset`` and ``/step``; ``GET
/sessions/{id}/state``; ``DELETE /sessions/{id}`` (the episode is recorded; the answer is the final state).
OpenEnv: ``/ws`` (one session per connection, the protocol of ``openenv-core``'s ``EnvClient``), and its
``/health``, ``/metadata``, ``/schema``. Every error is JSON ``{"error": {"code", "message"}}`` with a 4xx/5xx
status; a bad request never ends the session it was about.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import Body, Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from ..config import EnvConfig
from ..errors import MedgymError, SessionCapacityError, SessionError
from ..grading.notebook import SharedGrader
from ..trajectory import Termination
from .protocol import (
    ErrorBody,
    ResetRequest,
    SessionInfo,
    SessionState,
    StepRequest,
    StepResult,
    classify,
    schemas,
)
from .sessions import Session, SessionLimits, SessionTable

__all__ = ["create_app"]

REFUSAL_WAIT = 10.0
"""Seconds a refused WebSocket client has to send its first message before the server hangs up."""
_WS_CODES = {"capacity_reached": "CAPACITY_REACHED", "invalid_request": "VALIDATION_ERROR"}
"""Our codes → OpenEnv's ``WSErrorCode`` where it has one (else ``EXECUTION_ERROR``)."""


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **extra: Any):
    body = ErrorBody(error={"code": code, "message": message, **extra})
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def create_app(
    config: EnvConfig,
    out_dir: str | Path,
    limits: SessionLimits | None = None,
    *,
    token: str | None = None,
) -> FastAPI:
    """The server's app: every session an ``AsyncEnv(config)`` recording under ``out_dir``; with ``token``,
    every route but ``/health`` wants ``Authorization: Bearer <token>``. ``app.state.table`` is the table."""
    grader = SharedGrader()
    table = SessionTable(config, Path(out_dir), limits, grader=grader)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        table.start_reaper()
        try:
            yield
        finally:
            await table.drain()
            grader.close()

    app = FastAPI(title="medgym-nb", version=_version(), lifespan=lifespan)
    app.state.table = table

    def authorized(headers: Mapping[str, str]) -> bool:
        if token is None:
            return True
        scheme, _, given = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(given.strip(), token)

    async def require_token(request: Request) -> None:
        if not authorized(request.headers):
            raise HTTPException(401, "a bearer token is required: send 'Authorization: Bearer <token>'")

    @app.exception_handler(MedgymError)
    async def medgym_error(_request: Request, exc: MedgymError) -> JSONResponse:
        status, code = classify(exc)
        if isinstance(exc, SessionCapacityError):
            return _error(status, code, str(exc), {"Retry-After": f"{exc.retry_after:.0f}"})
        return _error(status, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return _error(
            422, "invalid_request", "the request does not match its schema (GET /schema)", details=details
        )

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        code = "unauthorized" if exc.status_code == 401 else f"http_{exc.status_code}"
        return _error(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal", f"{type(exc).__name__}: {exc}")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "healthy", "sessions": len(table), "draining": table.draining}

    auth = [Depends(require_token)]

    @app.get("/metadata", dependencies=auth)
    async def metadata() -> dict[str, Any]:
        return {
            "name": "medgym-nb",
            "description": "Biomedical coding tasks in sandboxed Jupyter kernels, recorded as notebooks.",
            "version": _version(),
            "max_sessions": table.limits.max_sessions,
            "sandbox": config.sandbox,
        }

    @app.get("/schema", dependencies=auth)
    async def schema() -> dict[str, Any]:
        return schemas()

    @app.post("/sessions", status_code=201, dependencies=auth)
    async def open_session() -> SessionInfo:
        return SessionInfo(session_id=table.open().id)

    @app.get("/sessions", dependencies=auth)
    async def list_sessions() -> dict[str, Any]:
        states = [table.state(table.get(sid)) for sid in table.ids()]
        return {"sessions": states, "max_sessions": table.limits.max_sessions, "draining": table.draining}

    @app.post("/sessions/{sid}/reset", dependencies=auth)
    async def reset(sid: str, request: ResetRequest = Body(default_factory=ResetRequest)) -> StepResult:  # noqa: B008
        return await table.reset(table.get(sid), request)

    @app.post("/sessions/{sid}/step", dependencies=auth)
    async def step(sid: str, request: StepRequest) -> StepResult:
        return await table.step(table.get(sid), request.action)

    @app.get("/sessions/{sid}/state", dependencies=auth)
    async def state(sid: str) -> SessionState:
        return table.state(table.get(sid))

    @app.delete("/sessions/{sid}", dependencies=auth)
    async def close(sid: str) -> SessionState:
        session = table.get(sid)
        await table.close(sid)
        return table.state(session)

    @app.websocket("/ws")
    async def openenv_session(websocket: WebSocket) -> None:
        if not authorized(websocket.headers):
            await websocket.close(code=1008, reason="a bearer token is required")
            return
        await websocket.accept()
        try:
            session = table.open()
        except SessionError as exc:
            # answer the client's first message with the refusal, then close: closing at once would race
            # that message (its send fails on a closing socket, and the refusal is never read)
            with contextlib.suppress(WebSocketDisconnect, TimeoutError):
                await asyncio.wait_for(websocket.receive_text(), REFUSAL_WAIT)
                await websocket.send_text(_ws_error(exc))
                await websocket.close(code=1013)
            return
        why: str | None = "the client disconnected mid-session"
        try:
            while (reply := await _ws_reply(table, session, await websocket.receive_text())) is not None:
                await websocket.send_text(reply)
            why = None
        except WebSocketDisconnect:
            pass
        finally:
            termination = Termination.INTERRUPTED if table.draining else Termination.CLOSED
            await table.close(session.id, why, termination)
        if why is None:
            await websocket.close()

    return app


async def _ws_reply(table: SessionTable, session: Session, raw: str) -> str | None:
    """The answer to one OpenEnv message (None: the client closed the session)."""
    try:
        message = json.loads(raw)
        if not isinstance(message, dict):
            raise ValueError("a message is a JSON object")
    except ValueError as exc:
        return _ws_message("error", {"message": f"Invalid JSON: {exc}", "code": "INVALID_JSON"})
    kind, data = message.get("type"), message.get("data") or {}
    try:
        if kind == "reset":
            result = await table.reset(session, ResetRequest.model_validate(data))
        elif kind == "step":
            result = await table.step(session, StepRequest.model_validate({"action": data}).action)
        elif kind == "state":
            return _ws_message("state", table.state(session).model_dump(mode="json"))
        elif kind == "close":
            return None
        else:
            return _ws_message("error", {"message": f"Unknown message type: {kind}", "code": "UNKNOWN_TYPE"})
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return _ws_message(
            "error", {"message": "Invalid message", "code": "VALIDATION_ERROR", "errors": errors}
        )
    except MedgymError as exc:
        return _ws_error(exc)
    return _ws_message("observation", result.model_dump(mode="json"))


def _ws_error(exc: MedgymError) -> str:
    status, code = classify(exc)
    data: dict[str, Any] = {"message": str(exc), "code": _WS_CODES.get(code, "EXECUTION_ERROR")}
    data.update(error=code, status=status)
    if isinstance(exc, SessionCapacityError):
        data["retry_after"] = exc.retry_after
    return _ws_message("error", data)


def _ws_message(kind: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": kind, "data": data})


def _version() -> str:
    return version("medgym-nb")
