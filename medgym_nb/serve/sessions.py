"""The server's session table: each session owns one ``AsyncEnv`` (its kernel from the env's warm pool), and
the table enforces the cap, reaps idle sessions and drains at shutdown, recording every episode it ends.

Every session writes under ``<out>/<session id>/`` (``<source>/<task>.r<k>/episode.ipynb``, k its k-th
episode): two sessions on the same task never overwrite each other, nor a restarted server an earlier run's,
and ``medgym report <out>`` reads them all. A session serves one request at a time (its lock); the reaper and
the drain take the same lock, so a step that is running finishes and is recorded before its episode ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..config import EnvConfig
from ..env import AsyncEnv, Grader
from ..errors import (
    MedgymError,
    ServerDrainingError,
    SessionCapacityError,
    SessionGoneError,
    SessionNotFoundError,
    UnknownSourceError,
)
from ..observations import Observation
from ..tasks import Task, get_task, select_tasks
from ..trajectory import Termination
from .protocol import ResetRequest, SessionState, StepResult

__all__ = ["Session", "SessionLimits", "SessionTable"]

_GONE_KEPT = 10_000
"""Ids of ended sessions remembered, so a late request gets 410 (gone) rather than 404 (never existed)."""


class SessionLimits(BaseModel):
    """``max_sessions``: sessions held at once (one more is a 429). ``idle_timeout``: seconds without a
    request before a session is reaped (None: never). ``retry_after``: what a 429 tells the client to wait.
    ``drain_grace``: seconds a running step gets to finish at shutdown before its episode is ended anyway.
    ``seed``: seeds each session's task draws (session k draws with ``Random(f"{seed}:{k}")``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_sessions: int = Field(default=256, ge=1)
    idle_timeout: float | None = Field(default=600.0, gt=0)
    retry_after: float = Field(default=5.0, gt=0)
    drain_grace: float = Field(default=60.0, ge=0)
    seed: int = 0


@dataclass
class Session:
    """One client's environment. ``steps`` counts the running episode's steps, ``episodes`` its resets."""

    id: str
    env: AsyncEnv
    rng: random.Random
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    created: float = field(default_factory=time.monotonic)
    last_active: float = field(default_factory=time.monotonic)
    steps: int = 0
    episodes: int = 0
    episode_id: str | None = None

    def idle_for(self, now: float | None = None) -> float:
        """Seconds since the last request ended (0 while one runs)."""
        return 0.0 if self.lock.locked() else (now or time.monotonic()) - self.last_active


class SessionTable:
    """Open, look up, reset, step and close sessions; the app maps its errors to HTTP statuses."""

    def __init__(
        self,
        config: EnvConfig,
        out_dir: Path,
        limits: SessionLimits | None = None,
        *,
        grader: Grader | None = None,
    ) -> None:
        self.config, self.out_dir = config, Path(out_dir)
        self.limits = limits or SessionLimits()
        self.grader = grader
        self.draining = False
        self._sessions: dict[str, Session] = {}
        self._gone: OrderedDict[str, str] = OrderedDict()
        self._opened = 0
        self._reaper: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def ids(self) -> list[str]:
        return list(self._sessions)

    def open(self) -> Session:
        """A new session (its kernel starts at its first reset); 429 at the cap, 503 while draining."""
        if self.draining:
            raise ServerDrainingError("the server is shutting down and opens no new sessions")
        if len(self._sessions) >= self.limits.max_sessions:
            raise SessionCapacityError(
                f"the server holds its maximum of {self.limits.max_sessions} sessions; retry after "
                f"{self.limits.retry_after:g} s, or close sessions you no longer use",
                self.limits.retry_after,
            )
        sid = uuid.uuid4().hex
        env = AsyncEnv(self.config, out_dir=self.out_dir / sid, agent="remote", grader=self.grader)
        session = Session(sid, env, random.Random(f"{self.limits.seed}:{self._opened}"))
        self._opened += 1
        self._sessions[sid] = session
        return session

    def get(self, sid: str) -> Session:
        """The live session ``sid``; ``SessionGoneError`` (410) if it ended, else ``SessionNotFoundError``."""
        session = self._sessions.get(sid)
        if session is not None:
            return session
        if sid in self._gone:
            raise SessionGoneError(f"session {sid} is gone ({self._gone[sid]}); open a new one")
        raise SessionNotFoundError(f"no session {sid} on this server; open one with POST /sessions")

    async def reset(self, session: Session, request: ResetRequest) -> StepResult:
        """Start the session's next episode on the task the request names or draws."""
        async with self._turn(session):
            task = await _choose_task(request, session.rng)
            options: dict[str, Any] = {"rollout": session.episodes}
            if request.agent is not None:
                options["agent"] = request.agent
            if request.model is not None:
                options["model"] = request.model
            obs, info = await session.env.reset(task, seed=request.seed, options=options)
            session.episodes += 1
            session.steps, session.episode_id = 0, request.episode_id or f"{task.id}.r{options['rollout']}"
            return _result(obs, None, False, False, info)

    async def step(self, session: Session, action: dict[str, Any]) -> StepResult:
        async with self._turn(session):
            obs, reward, terminated, truncated, info = await session.env.step(action)
            session.steps += 1
            return _result(obs, reward, terminated, truncated, info)

    def state(self, session: Session) -> SessionState:
        env = session.env
        return SessionState(
            session_id=session.id,
            episode_id=session.episode_id,
            step_count=session.steps,
            episodes=session.episodes,
            task_id=env.task.id if env.task else None,
            done=env.done,
            termination=env.termination.value,
            notebook=str(env.notebook_path) if env.notebook_path else None,
            time_left=env.time_left(),
            idle_seconds=session.idle_for(),
        )

    async def close(
        self, sid: str, why: str | None = None, termination: Termination = Termination.CLOSED
    ) -> None:
        """End ``sid``: a running step finishes first (within ``drain_grace`` at shutdown), then its episode is
        recorded with ``termination`` (and ``why``, when the server or a vanished client ended it) and its
        kernel and pool go. Later requests for it get 410."""
        session = self._sessions.pop(sid, None)
        if session is None:
            return
        self._gone[sid] = why or "closed by the client"
        while len(self._gone) > _GONE_KEPT:
            self._gone.popitem(last=False)
        try:
            async with _held(session.lock, self.limits.drain_grace if self.draining else None):
                await session.env.end_episode(termination, error=_Ended(why) if why else None)
        finally:
            await session.env.close()

    async def reap_idle(self) -> list[str]:
        """Close every session idle longer than ``idle_timeout``; their ids."""
        limit = self.limits.idle_timeout
        if limit is None:
            return []
        now = time.monotonic()
        idle = [s.id for s in self._sessions.values() if s.idle_for(now) > limit]
        for sid in idle:
            await self.close(sid, f"reaped after {limit:g} s without a request")
        return idle

    def start_reaper(self) -> None:
        """Reap in the background, checking a few times per ``idle_timeout``."""
        limit = self.limits.idle_timeout
        if limit is None or self._reaper is not None:
            return
        period = min(max(limit / 4, 0.05), 30.0)

        async def loop() -> None:
            while True:
                await asyncio.sleep(period)
                await self.reap_idle()

        self._reaper = asyncio.ensure_future(loop())

    async def drain(self, reason: str = "the server shut down") -> None:
        """Stop opening sessions, end every one (running steps finish first; the episodes are recorded as
        ``interrupted``) and stop the reaper."""
        self.draining = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        await asyncio.gather(
            *(self.close(sid, reason, Termination.INTERRUPTED) for sid in list(self._sessions)),
            return_exceptions=True,
        )

    @contextlib.asynccontextmanager
    async def _turn(self, session: Session) -> Any:
        """One request at a time per session; the reaper counts idleness from when the last one ended."""
        async with session.lock:
            if session.id not in self._sessions:  # closed while this request waited for the lock
                raise SessionGoneError(f"session {session.id} is gone ({self._gone.get(session.id)})")
            try:
                yield
            finally:
                session.last_active = time.monotonic()


class _Ended(MedgymError):
    """Why the server ended an episode from outside (recorded in the notebook's closing cell)."""


@contextlib.asynccontextmanager
async def _held(lock: asyncio.Lock, timeout: float | None) -> Any:
    """``lock`` held for the block; with ``timeout``, the block runs anyway once it passes (at shutdown a
    step that never returns must not keep the episode from being recorded)."""
    try:
        await asyncio.wait_for(lock.acquire(), timeout)
    except TimeoutError:
        yield
        return
    try:
        yield
    finally:
        lock.release()


def _result(
    obs: Observation, reward: float | None, terminated: bool, truncated: bool, info: dict[str, Any]
) -> StepResult:
    return StepResult(
        observation=obs.model_dump(mode="json", exclude_none=True),
        reward=reward,
        done=terminated or truncated,
        terminated=terminated,
        truncated=truncated,
        info=info,
    )


@functools.lru_cache(maxsize=64)
def _tasks_of(source: str, split: str | None) -> tuple[Task, ...]:
    return tuple(select_tasks(source, split))


@functools.lru_cache(maxsize=4096)
def _task_by_id(task_id: str, source: str | None) -> Task:
    return get_task(task_id, source=source)


async def _choose_task(request: ResetRequest, rng: random.Random) -> Task:
    """The task a reset names, or one drawn (a first load of a suite may build it: off the event loop)."""
    if request.task_id is not None:
        return await asyncio.to_thread(_task_by_id, request.task_id, request.source)
    if request.source is None:
        raise MedgymError("reset needs a task_id, or a source (and optionally a split) to draw a task from")
    tasks = await asyncio.to_thread(_tasks_of, request.source, request.split)
    if not tasks:
        raise UnknownSourceError(f"source {request.source!r} has no tasks in split {request.split!r}")
    draw = random.Random(request.seed) if request.seed is not None else rng
    return draw.choice(tasks)
