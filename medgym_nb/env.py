"""The environment: Gymnasium's ``reset``/``step``/``close`` over one fresh kernel per episode.

``AsyncEnv`` is the core (the kernel boundary is async); ``Env`` is its sync façade. ``step`` never raises for
agent mistakes: a malformed action, an exception in the agent's code, a timeout or a dead kernel all come
back as observations. It raises only for caller bugs (stepping a finished episode).
"""

from __future__ import annotations

import asyncio
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._loop import run_sync
from .actions import Action, ActionError, parse_action
from .errors import EpisodeFinishedError, GraderError, MedgymError, SandboxUnavailableError
from .grading.answers import Answer
from .grading.comparators import Grade
from .grading.notebook import SharedGrader
from .kernel.bwrap import bwrap_status
from .kernel.docker import docker_status
from .kernel.limits import SandboxLimits
from .kernel.outputs import OutputLimits, truncate
from .kernel.pool import KernelLease, KernelPool
from .kernel.session import CellResult, KernelSession
from .requested_info import InfoRequestError, request_info
from .tasks.model import Task
from .trajectory import Recorder, Turn

__all__ = ["SANDBOXES", "AsyncEnv", "Env", "NoSandboxWarning", "Observation", "choose_sandbox"]

Observation = dict[str, Any]
Grader = Callable[[Task, Answer], Grade]

SANDBOXES: dict[str, str] = {
    "bwrap": "medgym-bwrap",
    "zygote": "medgym-zygote",
    "docker": "medgym-docker",
    "local": "medgym-local",
}
"""Sandbox name → kernelspec name. ``auto`` picks bubblewrap when it works here, else local."""


class NoSandboxWarning(UserWarning):
    """Agent code is about to run without isolation."""


def choose_sandbox(sandbox: str) -> tuple[str, str]:
    """Resolve ``auto`` and validate the name; returns (sandbox, kernelspec name)."""
    if sandbox not in {"auto", *SANDBOXES}:
        raise MedgymError(f"unknown sandbox {sandbox!r}; choose one of auto, {', '.join(SANDBOXES)}")
    if sandbox == "docker":
        ok, why = docker_status()
        if not ok:
            raise SandboxUnavailableError(f"the docker sandbox is unavailable: {why}")
        return "docker", SANDBOXES["docker"]
    if sandbox in {"auto", "bwrap", "zygote"}:
        ok, why = bwrap_status()
        if ok:
            name = "zygote" if sandbox == "zygote" else "bwrap"
            return name, SANDBOXES[name]
        if sandbox != "auto":
            raise SandboxUnavailableError(f"the bubblewrap sandbox is unavailable: {why}")
        warnings.warn(
            f"bubblewrap is unavailable ({why}); agent code will run WITHOUT isolation in a local kernel. "
            "Install it with `apt-get install bubblewrap`.",
            NoSandboxWarning,
            stacklevel=3,
        )
    else:
        warnings.warn("sandbox='local': agent code runs without isolation", NoSandboxWarning, stacklevel=3)
    return "local", SANDBOXES["local"]


def _obs(kind: str, message: str, **extra: Any) -> Observation:
    return {"type": kind, "env_message": message, **extra}


class AsyncEnv:
    """One episode at a time, each in its own kernel and work directory, recorded as a notebook.

    ``out_dir`` set: every finished episode's notebook is written to ``out_dir/<source>/<task_id>.ipynb``.
    """

    def __init__(
        self,
        *,
        sandbox: str = "auto",
        max_turns: int = 15,
        cell_timeout: float = 120.0,
        out_dir: str | os.PathLike[str] | None = None,
        agent: str = "unknown",
        model: str | None = None,
        output_limits: OutputLimits | None = None,
        limits: SandboxLimits | None = None,
        pool_size: int = 0,
        preimport: bool = False,
        grader: Grader | None = None,
    ) -> None:
        self.sandbox, self.kernel_name = choose_sandbox(sandbox)
        self.limits = limits or SandboxLimits()
        self.max_turns = max_turns
        self.cell_timeout = cell_timeout
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.agent, self.model = agent, model
        self.output_limits = output_limits or OutputLimits()
        # Default: papermill on a grader kernel kept warm for this env, on a thread of its own (a kernel
        # client must stay on one thread); a custom grader (e.g. grade_with_papermill) runs on any thread.
        self.grader = grader
        self._own_grader: SharedGrader | None = None
        self.pool_size, self.preimport = pool_size, preimport
        self._pool: KernelPool | None = None
        self._lease: KernelLease | None = None
        self._releasing: set[asyncio.Task[None]] = set()
        self.task: Task | None = None
        self.recorder: Recorder | None = None
        self.turn = 0
        self.done = True
        self.termination = "not_started"
        self.answer: Answer | None = None
        self.grade: Grade | None = None
        self.notebook_path: Path | None = None
        self.rollout: int | None = None
        self.usage: dict[str, int] = {}

    async def __aenter__(self) -> AsyncEnv:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def kernel(self) -> KernelSession | None:
        """The running episode's kernel."""
        return self._lease.kernel if self._lease else None

    @property
    def workdir(self) -> Path | None:
        """The running episode's private work directory (the kernel's cwd)."""
        return self._lease.workdir if self._lease else None

    @property
    def pool(self) -> KernelPool:
        """The kernel pool (created on first use, or again after ``close``)."""
        if self._pool is None:
            self._pool = KernelPool(
                self.kernel_name,
                size=self.pool_size,
                limits=self.limits,
                output_limits=self.output_limits,
                preimport=self.preimport,
            )
        return self._pool

    @property
    def notebook(self) -> Any:
        """The current (or last) episode's trajectory notebook."""
        return self.recorder.nb if self.recorder else None

    async def reset(
        self, task: Task | None = None, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        """Start an episode on ``task`` (or ``options["task"]``) in a fresh kernel; ends any running one."""
        task = task or (options or {}).get("task")
        if not isinstance(task, Task):
            raise MedgymError("reset needs a Task: env.reset(task)")
        await self._end_episode("reset")
        if self._releasing:  # the last episode is wholly gone (its processes, its files) before the next
            await asyncio.gather(*self._releasing, return_exceptions=True)
        self.task, self.turn, self.done = task, 0, False
        self.termination, self.answer, self.grade, self.notebook_path = "running", None, None, None
        self.agent = (options or {}).get("agent", self.agent)
        self.model = (options or {}).get("model", self.model)
        self.rollout = (options or {}).get("rollout")
        self.usage = {}
        self.recorder = Recorder(
            task,
            agent=self.agent,
            model=self.model,
            sandbox=self.sandbox,
            kernel_name=self.kernel_name,
            limits=self.limits.model_dump() if self.sandbox != "local" else None,
        )
        t0 = time.monotonic()
        self._lease = await self.pool.acquire(task.data_mounts())
        obs = _obs("task", task.prompt(), task_id=task.id, actions=list(task.actions))
        return obs, {"task_id": task.id, "kernel_start_s": time.monotonic() - t0, "sandbox": self.sandbox}

    async def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        if self.done or self.task is None:
            raise EpisodeFinishedError("the episode has ended (or never started); call reset(task) first")
        self.turn += 1
        t0 = time.monotonic()
        # an agent may attach its text ("message") and token counts ("usage"): recorded, not run
        usage: dict[str, int] = {}
        if isinstance(action, dict):
            action = dict(action)
            message = action.pop("message", "")
            usage = action.pop("usage", None) or {}
        else:
            message = ""
        for key, value in usage.items():
            self.usage[key] = self.usage.get(key, 0) + int(value)
        parsed: Action | None = None
        try:
            parsed = parse_action(action, self.task.actions)
        except ActionError as exc:
            obs, cell = _obs("error", f"Invalid action: {exc}"), None
            reward, terminated = 0.0, False
        if parsed is not None:
            obs, cell, reward, terminated = await self._dispatch(parsed)
        truncated = not terminated and self.turn >= self.max_turns
        if truncated:
            self.termination = "max_turns"
            obs["env_message"] += (
                f"\n[medgym: the turn limit ({self.max_turns}) is reached; the episode ends]"
            )
        turn = Turn(
            index=self.turn,
            action=parsed.action if parsed else str(_raw_name(action)),
            params=parsed.params if parsed else {"raw": _raw_repr(action)},
            message=str(message),
            observation_type=obs["type"],
            observation=obs["env_message"],
            code=cell.code if cell else None,
            status=cell.status if cell else None,
            execution_count=cell.execution_count if cell else None,
            duration=time.monotonic() - t0,
            usage=usage,
        )
        assert self.recorder is not None
        self.recorder.record(turn, cell)
        info: dict[str, Any] = {"turn": self.turn}
        if self.grade is not None:
            info["grade"] = self.grade.model_dump()
        if terminated or truncated:
            await self._end_episode(self.termination)
            info["termination"] = self.termination
            if self.notebook_path:
                info["notebook"] = str(self.notebook_path)
        return obs, reward, terminated, truncated, info

    async def _dispatch(self, action: Action) -> tuple[Observation, CellResult | None, float, bool]:
        name, params = action.action, action.params
        assert self.task is not None and self.kernel is not None
        if name == "request_info":
            try:
                return _obs("requested_info", request_info(self.task, params)), None, 0.0, False
            except (InfoRequestError, OSError) as exc:
                return _obs("error", f"request_info failed: {exc}"), None, 0.0, False
        if name == "debug":
            err = self.kernel.last_error
            text = (
                truncate(err.text(), self.output_limits.agent_chars) if err else "No error has occurred yet."
            )
            return _obs("debugging_info", text), None, 0.0, False
        if name == "submit":
            return await self._grade(Answer(kind="value", value=params["answer"]), None)
        code = f"%%bash\n{params['cmd']}" if name == "terminal" else params["code"]
        cell = await self.kernel.execute(code, timeout=float(params.get("timeout", self.cell_timeout)))
        if cell.status == "dead" or not cell.kernel_alive:
            self.termination = "kernel_died"
            kind = "timeout" if cell.status == "timeout" else "kernel_died"
            return _obs(kind, cell.text, status=cell.status), cell, 0.0, True
        if cell.status == "timeout":
            return _obs("timeout", cell.text, status=cell.status), cell, 0.0, False
        if name == "terminal":
            return _obs("cmd_result", cell.text, status=cell.status), cell, 0.0, False
        if cell.status == "error":
            return _obs("error", cell.text, status=cell.status), cell, 0.0, False
        if name == "execute":
            return _obs("code_execution", cell.text, status=cell.status), cell, 0.0, False
        return await self._grade(Answer(kind="printed", value=cell.stdout), cell)

    async def _grade(
        self, answer: Answer, cell: CellResult | None
    ) -> tuple[Observation, CellResult | None, float, bool]:
        assert self.task is not None
        submit = cell is None
        try:
            grade = await self._run_grader(self.task, answer)
        except GraderError as exc:
            self.termination = "grader_error"
            return _obs("error", f"[medgym: grading failed, not your fault: {exc}]"), cell, 0.0, True
        self.answer, self.grade = answer, grade
        shown = (cell.text if cell else "") + f"\n[grader] {grade.message}"
        obs = _obs("grade", shown.strip(), score=grade.score, passed=grade.passed)
        if grade.passed or submit:
            self.termination = "passed" if grade.passed else "submitted"
            return obs, cell, grade.score, True
        return obs, cell, 0.0, False

    async def _end_episode(self, termination: str) -> None:
        """Finish and write the running episode's notebook, then release its kernel and work dir."""
        if self.recorder is not None and not self.done:
            self.termination = termination
        if self.recorder is not None and self.notebook_path is None and self.task is not None:
            passed = bool(self.grade and self.grade.passed)
            self.recorder.finish(
                termination=self.termination,
                reward=self.grade.score if passed and self.grade else 0.0,
                passed=passed,
                grade=self.grade,
                answer=self.answer,
                usage=self.usage,
            )
            if self.out_dir is not None:
                suffix = "" if self.rollout is None else f".r{self.rollout}"
                path = self.out_dir / self.task.source / f"{self.task.id}{suffix}.ipynb"
                self.notebook_path = self.recorder.write(path)
        self.done = True
        await self._release()

    async def _release(self) -> None:
        """Kill the finished episode's kernel in the background: the step that ended it returns at once."""
        lease, self._lease = self._lease, None
        if lease is not None:
            task = asyncio.ensure_future(lease.release())
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)

    def annotate(self, **metadata: Any) -> None:
        """Add keys to the running episode's notebook metadata (e.g. the agent's system prompt)."""
        if self.recorder is not None:
            self.recorder.meta.update(metadata)

    async def end_episode(self, termination: str = "closed") -> None:
        """End the running episode now (e.g. the agent gave up), keeping the pool for the next one."""
        if self.task is not None and not self.done:
            await self._end_episode(termination)
        else:
            await self._release()

    async def _run_grader(self, task: Task, answer: Answer) -> Grade:
        grader = self.grader
        if grader is None:
            if self._own_grader is None:
                self._own_grader = SharedGrader()
            grader = self._own_grader
        return await asyncio.to_thread(grader, task, answer)

    async def close(self) -> None:
        """End the running episode (recorded as ``closed``), shut the pool and the grader kernel down;
        safe to call twice."""
        await self.end_episode("closed")
        await asyncio.gather(*self._releasing, return_exceptions=True)
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
        own, self._own_grader = self._own_grader, None
        if own is not None:
            await asyncio.to_thread(own.close)


def _raw_name(action: Any) -> str:
    return action.get("action", "invalid") if isinstance(action, dict) else "invalid"


def _raw_repr(action: Any) -> str:
    return truncate(repr(action), 2_000)


class Env:
    """Sync façade over ``AsyncEnv`` for scripts, tests and notebooks; same arguments, same contract."""

    def __init__(self, **kwargs: Any) -> None:
        self._env = AsyncEnv(**kwargs)

    def __enter__(self) -> Env:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)

    def reset(
        self, task: Task | None = None, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        return run_sync(self._env.reset(task, seed=seed, options=options))

    def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        return run_sync(self._env.step(action))

    def end_episode(self, termination: str = "closed") -> None:
        run_sync(self._env.end_episode(termination))

    def close(self) -> None:
        run_sync(self._env.close())
