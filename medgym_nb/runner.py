"""Run many episodes: one folder per episode, an index, resumable.

One bad episode never kills a batch: an agent that raises ends its own episode (``agent_error``, the
traceback in its notebook); an infrastructure failure (a kernel that will not start, an LLM endpoint that is
down) becomes a result with termination ``error`` and no notebook, and is retried on resume.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ._atomic import write_text_atomic
from ._loop import run_sync
from .agents.base import Agent
from .config import EnvConfig
from .env import AsyncEnv, Grader
from .errors import MedgymError, TrajectoryError
from .grading.notebook import SharedGrader
from .layout import episode_paths, legacy_notebook
from .tasks.model import Task
from .trajectory import Episode, Termination, ToolCall, read_episode

__all__ = [
    "EpisodeResult",
    "ResultIndex",
    "episode_jobs",
    "error_result",
    "finished_result",
    "play_episode",
    "run_episodes",
    "run_episodes_async",
]

INDEX = "results.jsonl"


class EpisodeResult(BaseModel):
    task_id: str
    source: str
    category: str
    agent: str
    model: str | None = None
    reward: float
    passed: bool
    termination: Termination
    turns: int
    duration: float
    notebook: str | None = None
    error: str | None = None
    attempts: int = 1
    worker: str | None = None

    @classmethod
    def from_episode(cls, ep: Episode, notebook: Path) -> EpisodeResult:
        return cls(
            task_id=ep.task.id,
            source=ep.task.source,
            category=ep.task.category,
            agent=ep.agent,
            model=ep.model,
            reward=ep.reward,
            passed=ep.passed,
            termination=ep.termination,
            turns=len(ep.turns),
            duration=ep.duration,
            notebook=str(notebook),
        )


def episode_jobs(tasks: list[Task], rollouts: int) -> list[tuple[Task, int | None]]:
    """(task, rollout) pairs in run order; rollout is None with a single sample per task."""
    return [(task, None if rollouts == 1 else k) for task in tasks for k in range(rollouts)]


def finished_result(out_dir: Path, task: Task, rollout: int | None) -> EpisodeResult | None:
    """The result of an episode whose notebook is already complete under ``out_dir`` (resume); a run of the
    old flat layout counts too."""
    current = episode_paths(out_dir, task.source, task.id, rollout).notebook
    for path in (current, legacy_notebook(out_dir, task.source, task.id, rollout)):
        episode = _finished(path)
        if episode is not None:
            return EpisodeResult.from_episode(episode, path)
    return None


def error_result(task: Task, agent: str, message: str, turns: int = 0) -> EpisodeResult:
    """An infrastructure failure: no notebook, retried on resume."""
    return EpisodeResult(
        task_id=task.id,
        source=task.source,
        category=task.category,
        agent=agent,
        reward=0.0,
        passed=False,
        termination=Termination.ERROR,
        turns=turns,
        duration=0.0,
        error=message,
    )


class ResultIndex:
    """``results.jsonl`` in run order, rewritten atomically at most once a second (and at the end).

    Rewriting after every episode would cost O(n²) I/O over a large run; a run killed in between loses
    nothing, since resume rebuilds the index from the notebooks.
    """

    def __init__(self, out_dir: Path, size: int, interval: float = 1.0) -> None:
        self.path = out_dir / INDEX
        self.results: list[EpisodeResult | None] = [None] * size
        self.interval = interval
        self._written = 0.0

    def set(self, index: int, result: EpisodeResult) -> None:
        self.results[index] = result
        if time.monotonic() - self._written >= self.interval:
            self.flush()

    def flush(self) -> None:
        write_text_atomic(self.path, "".join(json.dumps(r.model_dump()) + "\n" for r in self.done()))
        self._written = time.monotonic()

    def done(self) -> list[EpisodeResult]:
        return [r for r in self.results if r is not None]


def _finished(path: Path) -> Episode | None:
    if not path.is_file():
        return None
    try:
        episode = read_episode(path)
    except TrajectoryError:
        return None
    # infrastructure failures are not results: they are run again
    return None if episode.termination.retried else episode


async def play_episode(
    env: AsyncEnv, agent: Agent, task: Task, rollout: int | None = None, seed: int | None = None
) -> None:
    """Drive one episode of ``agent`` on ``task`` to its end.

    An agent that raises (anything but our own errors, which are infrastructure faults) ends this episode
    as ``agent_error`` with its traceback in the notebook; an agent still thinking when the episode's time
    is up ends it as ``episode_timeout``.
    """
    obs, _info = await env.reset(
        task, seed=seed, options={"agent": agent.name, "model": agent.model, "rollout": rollout}
    )
    try:
        await asyncio.wait_for(agent.start(task, obs), env.time_left())
        messages = getattr(agent, "messages", None)
        if messages and messages[0].get("role") == "system":
            env.annotate(system_prompt=messages[0]["content"])
        while not env.done:
            action = await asyncio.wait_for(agent.act(obs), env.time_left())
            if action is None:
                await env.end_episode(Termination.CLOSED)  # the agent gave up (or ran out of budget)
                return
            call = action.pop("tool_call", None)
            if call is not None and env.recorder is not None:
                env.recorder.answering(ToolCall.model_validate(call))
            obs, _reward, _terminated, _truncated, _info = await env.step(action)
    except TimeoutError:
        await env.end_episode(Termination.EPISODE_TIMEOUT)
    except MedgymError:
        raise
    except Exception as exc:
        await env.end_episode(Termination.AGENT_ERROR, error=exc)


async def run_episodes_async(
    tasks: list[Task],
    make_agent: Callable[[Task], Agent],
    out_dir: str | Path,
    *,
    resume: bool = True,
    concurrency: int = 1,
    rollouts: int = 1,
    progress: Callable[[EpisodeResult], None] | None = None,
    config: EnvConfig | None = None,
    grader: Grader | None = None,
) -> list[EpisodeResult]:
    """Play every task ``rollouts`` times, ``concurrency`` episodes at once, each in its own env and pool.

    Finished episodes are skipped when ``resume``; returns results in (task, rollout) order. Each episode
    gets its folder ``<out>/<source>/<task_id>[.r<k>]/`` (``medgym_nb.layout``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = episode_jobs(tasks, rollouts)
    index = ResultIndex(out, len(jobs))
    pending = iter(range(len(jobs)))

    async def worker() -> None:
        env = AsyncEnv(config, out_dir=out, grader=grader)
        try:
            for i in pending:
                task, rollout = jobs[i]
                result = finished_result(out, task, rollout) if resume else None
                if result is None:
                    result = await _run_one(env, make_agent, task, rollout)
                index.set(i, result)
                if progress is not None:
                    progress(result)
        finally:
            await env.close()

    shared = None
    if grader is None:  # one warm grader kernel for all workers
        shared = grader = SharedGrader()
    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(jobs))))))
    finally:
        index.flush()
        if shared is not None:
            await asyncio.to_thread(shared.close)
    return index.done()


async def _run_one(
    env: AsyncEnv, make_agent: Callable[[Task], Agent], task: Task, rollout: int | None
) -> EpisodeResult:
    """Play one episode in ``env`` (whose ``out_dir`` receives the notebook); infrastructure failures
    become an error result."""
    try:
        agent = make_agent(task)
    except Exception as exc:  # no episode started: nothing to record but the reason
        return error_result(task, "?", f"could not create the agent: {exc!r}")
    try:
        await play_episode(env, agent, task, rollout)
        assert env.notebook_path is not None
        return EpisodeResult.from_episode(read_episode(env.notebook_path), env.notebook_path)
    except MedgymError as exc:
        await env.end_episode(Termination.ERROR)
        return error_result(task, agent.name, str(exc), env.turn)


def run_episodes(
    tasks: list[Task], make_agent: Callable[[Task], Agent], out_dir: str | Path, **kwargs: Any
) -> list[EpisodeResult]:
    """Sync façade of ``run_episodes_async``."""
    return run_sync(run_episodes_async(tasks, make_agent, out_dir, **kwargs))
