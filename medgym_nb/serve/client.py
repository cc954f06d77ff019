"""``RemoteEnv``: the environment's ``reset``/``step``/``close`` over HTTP, for code written against ``Env``.

The same contract as in-process: ``reset`` gives ``(Observation, info)``, ``step`` Gymnasium's five-tuple,
agent mistakes come back as observations, and the server's refusals raise our own errors (``SessionGoneError``
for a reaped session, ``SessionCapacityError`` with ``retry_after`` at the cap, ``EpisodeFinishedError`` for a
step after the end). It needs only ``httpx``; the server side is ``medgym serve``.
"""

from __future__ import annotations

from typing import Any

import httpx

from .._loop import run_sync
from ..env import SyncEnvFacade
from ..errors import MedgymError
from ..observations import Observation
from ..tasks.model import Task
from .protocol import ResetRequest, SessionState, StepResult, error_for

__all__ = ["AsyncRemoteEnv", "RemoteEnv"]


class AsyncRemoteEnv:
    """One session on a ``medgym serve`` server (opened at the first ``reset``, ended by ``close``).

    ``reset(task)`` takes a ``Task`` or a task id; without one, ``options`` name a ``source`` and ``split`` to
    draw from (and may name the ``agent``, ``model`` and OpenEnv ``episode_id`` recorded with the episode).
    """

    def __init__(
        self, base_url: str = "http://127.0.0.1:8765", *, token: str | None = None, timeout: float = 600.0
    ) -> None:
        self.base_url, self.timeout = base_url, timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http: httpx.AsyncClient | None = None
        self.session_id: str | None = None
        self.done = True
        self.termination = "not_started"
        self.notebook_path: str | None = None

    async def __aenter__(self) -> AsyncRemoteEnv:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self._http is None:  # (again) after close: an env may be reset after it was closed
            self._http = httpx.AsyncClient(
                base_url=self.base_url, headers=self._headers, timeout=self.timeout
            )
        response = await self._http.request(method, path, json=body)
        if response.is_success:
            return response.json()
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            raise MedgymError(f"the server answered {response.status_code}: {response.text[:500]}") from None
        retry = response.headers.get("Retry-After")
        raise error_for(error.get("code", ""), error.get("message", ""), float(retry) if retry else None)

    async def open(self) -> str:
        """Open the session now (``reset`` does it when needed); its id."""
        if self.session_id is None:
            self.session_id = (await self._call("POST", "/sessions"))["session_id"]
        return self.session_id

    async def reset(
        self,
        task: Task | str | None = None,
        *,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Observation, dict[str, Any]]:
        request = ResetRequest.model_validate({**(options or {}), "seed": seed})
        if isinstance(task, Task):
            request = request.model_copy(update={"task_id": task.id, "source": task.source})
        elif task is not None:
            request = request.model_copy(update={"task_id": task})
        sid = await self.open()
        body = request.model_dump(exclude_none=True)
        result = self._track(
            StepResult.model_validate(await self._call("POST", f"/sessions/{sid}/reset", body))
        )
        return Observation.model_validate(result.observation), result.info

    async def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        if self.session_id is None:
            raise MedgymError("the session has not started; call reset first")
        raw = await self._call("POST", f"/sessions/{self.session_id}/step", {"action": action})
        result = self._track(StepResult.model_validate(raw))
        obs = Observation.model_validate(result.observation)
        return obs, result.reward or 0.0, result.terminated, result.truncated, result.info

    async def state(self) -> SessionState:
        return SessionState.model_validate(await self._call("GET", f"/sessions/{await self.open()}/state"))

    async def close(self) -> None:
        """End the session (its running episode is recorded as ``closed``); safe to call twice."""
        sid, self.session_id = self.session_id, None
        try:
            if sid is not None:
                final = SessionState.model_validate(await self._call("DELETE", f"/sessions/{sid}"))
                self.done, self.termination, self.notebook_path = True, final.termination, final.notebook
        finally:
            http, self._http = self._http, None
            if http is not None:
                await http.aclose()

    def _track(self, result: StepResult) -> StepResult:
        self.done = result.done
        self.termination = result.info.get("termination", "running" if not result.done else self.termination)
        self.notebook_path = result.info.get("notebook", self.notebook_path)
        return result


class RemoteEnv(SyncEnvFacade[Task | str]):
    """Sync façade over ``AsyncRemoteEnv``, as ``Env`` is over ``AsyncEnv``."""

    def __init__(self, base_url: str = "http://127.0.0.1:8765", **kwargs: Any) -> None:
        self._env = run_sync(_make(base_url, kwargs))

    def state(self) -> SessionState:
        return run_sync(self._env.state())


async def _make(base_url: str, kwargs: dict[str, Any]) -> AsyncRemoteEnv:
    """Built on the background loop, which then owns its connections."""
    return AsyncRemoteEnv(base_url, **kwargs)
