"""Spread episodes over a Ray cluster when one machine is not enough.

Each Ray actor is a worker with an env and kernel pool of its own on its node; it plays one episode at a
time in a scratch directory and returns the episode folder's files (notebook, graded notebook, kept
outputs), which the driver writes into the run directory as soon as they arrive (nodes share no file
system). A node that dies takes its actors' in-flight
episodes with it: the driver queues them again (up to ``max_attempts`` tries each) and starts replacement
actors wherever the cluster has room. Resume, the index and notebook names are the local runner's.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._atomic import write_bytes_atomic
from ._loop import run_sync
from .agents.base import Agent
from .config import EnvConfig
from .env import AsyncEnv
from .errors import MedgymError
from .layout import episode_paths
from .runner import (
    EpisodeResult,
    ResultIndex,
    _run_one,
    episode_jobs,
    error_result,
    finished_result,
)
from .tasks.catalog import get_task
from .tasks.model import Task

__all__ = ["EpisodeWorker", "run_episodes_ray"]


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MedgymError("the Ray backend needs ray: pip install 'medgym-nb[ray]'") from exc
    return ray


def localize(task: Task) -> Task:
    """``task`` with a data directory that exists on this node.

    Built-in synthetic suites are rebuilt deterministically into this node's ``$MEDGYM_HOME``; data of
    imported task files must sit at the same path on every node.
    """
    if task.data_dir is None or Path(task.data_dir).is_dir():
        return task
    try:
        local = get_task(task.id, source=task.source)
    except MedgymError:
        local = None
    if local is not None and local.data_dir is not None and Path(local.data_dir).is_dir():
        return task.model_copy(update={"data_dir": local.data_dir})
    raise MedgymError(
        f"task {task.id}: data directory {task.data_dir} does not exist on node {socket.gethostname()}; "
        "put the task data at the same path on every Ray node"
    )


class EpisodeWorker:
    """The body of a Ray actor: plays episodes on its node and hands back (result, notebook text)."""

    def __init__(self, make_agent: Callable[[Task], Agent], config: EnvConfig | None) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="medgym-ray-"))
        self.make_agent = make_agent
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.env = run_sync(self._open(config))

    async def _open(self, config: EnvConfig | None) -> AsyncEnv:
        return AsyncEnv(config, out_dir=self.scratch)

    def ready(self) -> str:
        return self.name

    def play(self, task: Task, rollout: int | None) -> tuple[EpisodeResult, dict[str, bytes]]:
        """Play one episode; returns its result and its folder's files (relative path → bytes)."""
        result = run_sync(_run_one(self.env, self.make_agent, localize(task), rollout))
        folder = episode_paths(self.scratch, task.source, task.id, rollout).folder
        files = {
            str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.is_symlink()
        }
        shutil.rmtree(folder, ignore_errors=True)
        return result.model_copy(update={"worker": self.name}), files

    def close(self) -> None:
        run_sync(self.env.close())
        shutil.rmtree(self.scratch, ignore_errors=True)


def run_episodes_ray(
    tasks: list[Task],
    make_agent: Callable[[Task], Agent],
    out_dir: str | Path,
    *,
    address: str | None = None,
    resume: bool = True,
    concurrency: int = 1,
    rollouts: int = 1,
    progress: Callable[[EpisodeResult], None] | None = None,
    cpus_per_worker: float = 1.0,
    max_attempts: int = 3,
    start_timeout: float = 300.0,
    config: EnvConfig | None = None,
) -> list[EpisodeResult]:
    """``run_episodes`` on Ray: ``concurrency`` actors (``cpus_per_worker`` CPUs each) play the episodes.

    ``address`` is a running cluster's (``ray.init`` semantics: ``None`` connects to the cluster this
    process already joined or starts a local one, ``"auto"`` finds one on this machine).
    """
    ray = _import_ray()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = episode_jobs(tasks, rollouts)
    index = ResultIndex(out, len(jobs))
    queue: collections.deque[int] = collections.deque()
    for i, (task, rollout) in enumerate(jobs):
        done = finished_result(out, task, rollout) if resume else None
        if done is None:
            queue.append(i)
            continue
        index.set(i, done)
        if progress is not None:
            progress(done)
    if not queue:
        index.flush()
        return index.done()

    joined = ray.is_initialized()
    if not joined:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    actor_class = ray.remote(num_cpus=cpus_per_worker, max_restarts=0)(EpisodeWorker)
    attempts: collections.Counter[int] = collections.Counter()
    idle: list[Any] = []
    starting: dict[Any, Any] = {}  # ready() ref -> actor
    running: dict[Any, tuple[Any, int]] = {}  # play() ref -> (actor, job)
    failed_starts = 0

    def spawn() -> None:
        actor = actor_class.remote(make_agent, config)
        starting[actor.ready.remote()] = actor

    def record(i: int, result: EpisodeResult) -> None:
        result.attempts = attempts[i]
        index.set(i, result)
        if progress is not None:
            progress(result)

    try:
        for _ in range(max(1, min(concurrency, len(queue)))):
            spawn()
        while queue or running:
            while idle and queue:
                actor, i = idle.pop(), queue.popleft()
                attempts[i] += 1
                running[actor.play.remote(*jobs[i])] = (actor, i)
            ready, _ = ray.wait(
                [*running, *starting], num_returns=1, timeout=None if running else start_timeout
            )
            if not ready:
                raise MedgymError(
                    f"no Ray worker started within {start_timeout:.0f} s: does the cluster have "
                    f"{cpus_per_worker:g} free CPU(s) per worker and medgym-nb installed on its nodes?"
                )
            ref = ready[0]
            if ref in starting:
                actor = starting.pop(ref)
                try:
                    ray.get(ref)
                except ray.exceptions.RayError as exc:
                    failed_starts += 1
                    if failed_starts > max_attempts * max(1, concurrency):
                        raise MedgymError(f"Ray workers keep failing to start: {exc}") from exc
                    spawn()
                else:
                    idle.append(actor)
                continue
            actor, i = running.pop(ref)
            task, rollout = jobs[i]
            try:
                result, files = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # our code raised inside a live actor
                idle.append(actor)
                record(i, error_result(task, _agent_name(make_agent, task), f"Ray worker error: {exc}"))
            except ray.exceptions.RayError as exc:  # the actor or its node is gone
                ray.kill(actor)
                spawn()
                if attempts[i] < max_attempts:
                    queue.appendleft(i)
                else:
                    message = f"lost its Ray worker {attempts[i]} times: {exc}"
                    record(i, error_result(task, _agent_name(make_agent, task), message))
            else:
                idle.append(actor)
                if files:
                    paths = episode_paths(out, task.source, task.id, rollout)
                    # the notebook last: its presence is what marks the episode finished for resume
                    for name, data in sorted(files.items(), key=lambda f: f[0] == paths.notebook.name):
                        write_bytes_atomic(paths.folder / name, data)
                    result.notebook = str(paths.notebook)
                record(i, result)
    finally:
        index.flush()
        _stop(ray, idle, [*starting.values(), *(actor for actor, _ in running.values())])
        if not joined:
            ray.shutdown()
    return index.done()


def _agent_name(make_agent: Callable[[Task], Agent], task: Task) -> str:
    """For results the driver writes itself (agents are cheap to make; none is played here)."""
    try:
        return make_agent(task).name
    except Exception:
        return "?"


def _stop(ray: Any, idle: list[Any], busy: list[Any]) -> None:
    """Close idle actors' kernels cleanly, then kill every actor (a killed one's sandboxes die with it)."""
    with contextlib.suppress(ray.exceptions.RayError):
        ray.get([actor.close.remote() for actor in idle], timeout=60)
    for actor in [*idle, *busy]:
        ray.kill(actor)
