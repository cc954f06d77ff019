"""The environment: Gymnasium's ``reset``/``step``/``close`` over one fresh kernel per episode.

``AsyncEnv`` is the core (the kernel boundary is async); ``Env`` is its sync façade. This module is the
episode's lifecycle: a kernel from the pool, the family's set-up cells and service, each action handed to its
handler (registered with its spec in ``actions.py``), the turn and time limits, the notebook, the release.
Grading is ``episode_grading.py``'s, kept files ``kept_files.py``'s, the service connection
``services/episode.py``'s. ``step`` never raises for agent mistakes: a malformed action or bad params, an
exception in the agent's code, a timeout, a kernel that died during or between turns, a failing grader all come
back as observations, and the notebook is saved. It raises only for caller bugs (stepping a finished episode).
Everything family-specific is asked of the task's family.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

from pydantic import ValidationError

from ._loop import run_sync
from .actions import ACTIONS, Action, ActionError, Outcome, parse_action
from .config import EnvConfig
from .episode_grading import EpisodeGrading
from .errors import DeadKernelError, EpisodeFinishedError, MedgymError
from .family.base import TaskFamily
from .family.registry import get_family
from .grading.answers import Answer
from .grading.comparators import Grade
from .grading.context import GradingContext
from .grading.notebook import SharedGrader
from .kernel.choice import choose_sandbox
from .kernel.environments import ensure_environment
from .kernel.outputs import truncate
from .kernel.pool import KernelLease, KernelPool
from .kernel.session import CellResult, KernelSession
from .layout import EpisodePaths, episode_paths, graded_path
from .observations import Observation, ObservationKind, observe
from .services.base import ServiceTenant
from .services.episode import open_episode_service
from .tasks.model import Task
from .trajectory import Recorder, Termination, ToolCall, Turn

__all__ = ["AsyncEnv", "Env", "Grader", "Observation"]

Grader = Callable[[Task, GradingContext, Path | None], Grade]
"""``grader(task, context, output_path)``: a verdict; the executed grader notebook goes to ``output_path``."""

_SEED_MAX = 2**32


class AsyncEnv:
    """One episode at a time, each in its own kernel and work directory, recorded as a notebook.

    ``config`` (or keyword ``settings`` of ``EnvConfig``) says how episodes run. With ``out_dir`` every
    finished episode gets its folder (``medgym_nb.layout.episode_paths``): the notebook, the executed grader
    notebook, the kept output files.
    """

    def __init__(
        self,
        config: EnvConfig | None = None,
        *,
        out_dir: str | os.PathLike[str] | None = None,
        agent: str = "unknown",
        model: str | None = None,
        grader: Grader | None = None,
        **settings: Any,
    ) -> None:
        self.config = EnvConfig.build(config, **settings)
        self.sandbox, self.kernel_name = choose_sandbox(self.config.sandbox)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.agent, self.model = agent, model
        # Default: papermill on a grader kernel kept warm for this env, on a thread of its own (a kernel
        # client must stay on one thread); a custom grader (e.g. grade_with_papermill) runs on any thread.
        self.grader = grader
        self._own_grader: SharedGrader | None = None
        self._pool: KernelPool | None = None
        self._lease: KernelLease | None = None
        self._tenant: ServiceTenant | None = None
        self._releasing: set[asyncio.Task[None]] = set()
        self._grading: EpisodeGrading | None = None
        self.task: Task | None = None
        self.recorder: Recorder | None = None
        self.turn = 0
        self.done = True
        self.termination = Termination.NOT_STARTED
        self.paths: EpisodePaths | None = None
        self.notebook_path: Path | None = None
        self.usage: dict[str, int] = {}
        self._deadline: float | None = None
        self._scratch_files: Path | None = None
        self._packages_checked: set[str] = set()

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
    def tenant(self) -> ServiceTenant | None:
        """The running episode's tenant of its family's service, if it has one."""
        return self._tenant

    @property
    def family(self) -> TaskFamily:
        assert self.task is not None
        return get_family(self.task.family)

    @property
    def answer(self) -> Answer | None:
        """The last graded answer of the running (or last) episode."""
        return self._grading.answer if self._grading else None

    @property
    def grade(self) -> Grade | None:
        """The running (or last) episode's grade so far."""
        return self._grading.grade if self._grading else None

    @property
    def context(self) -> GradingContext | None:
        """What the last grading looked at."""
        return self._grading.context if self._grading else None

    @property
    def pool(self) -> KernelPool:
        """The kernel pool (created on first use, or again after ``close``)."""
        if self._pool is None:
            self._pool = KernelPool(
                self.kernel_name,
                size=self.config.pool_size,
                limits=self.config.limits,
                output_limits=self.config.output_limits,
                preimport=self.config.preimport,
            )
        return self._pool

    @property
    def notebook(self) -> Any:
        """The current (or last) episode's trajectory notebook."""
        return self.recorder.nb if self.recorder else None

    async def reset(
        self, task: Task | None = None, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        """Start an episode on ``task`` (or ``options["task"]``) in a fresh kernel; ends any running one.

        ``seed`` seeds the kernel's ``random`` and numpy generators before the agent's first cell (and is
        recorded, so a replay draws the same numbers). ``options`` may name the ``agent``, ``model`` and
        ``rollout`` recorded with the episode. The family's set-up cells (``TaskFamily.setup_cells``) run
        before the agent's first turn and are the notebook's first cells.
        """
        options = options or {}
        task = task or options.get("task")
        if not isinstance(task, Task):
            raise MedgymError("reset needs a Task: env.reset(task)")
        if seed is not None and not (isinstance(seed, int) and 0 <= seed < _SEED_MAX):
            raise MedgymError(f"seed must be an integer in [0, 2**32), got {seed!r}")
        family = get_family(task.family)  # an unknown family fails here, before a kernel starts
        await self._end_episode(Termination.CLOSED)
        if self._releasing:  # the last episode is wholly gone (its processes, its files) before the next
            await asyncio.gather(*self._releasing, return_exceptions=True)
        self.task, self.turn, self.done = task, 0, False
        self.termination = Termination.RUNNING
        self.notebook_path = None
        self.agent = options.get("agent", self.agent)
        self.model = options.get("model", self.model)
        rollout = options.get("rollout")
        self.usage = {}
        self.paths = None
        if self.out_dir is not None:
            self.paths = episode_paths(self.out_dir, task.source, task.id, rollout)
            shutil.rmtree(self.paths.folder, ignore_errors=True)  # what an earlier, unfinished try left
        self._grading = EpisodeGrading(
            task,
            family,
            run=self._run_grader,
            sandbox=self.sandbox,
            limits=self.config.limits,
            output=self._graded_output,
            files=self._files_dir(),
        )
        self.recorder = Recorder(
            task,
            agent=self.agent,
            model=self.model,
            sandbox=self.sandbox,
            kernel_name=self.kernel_name,
            config=self.config,
            seed=seed,
            rollout=rollout,
        )
        t0 = time.monotonic()
        try:
            environment = await _kernel_environment(family)
            needs = family.kernel
            self._lease = await self.pool.acquire(
                task.data_mounts(), environment, (*needs.packages, *needs.preload)
            )
            assert self.kernel is not None and self.workdir is not None
            self.recorder.meta.sandbox = self.kernel.sandbox
            await self._check_packages(family)
            if seed is not None:
                await self._seed(seed)
            service_note = ""
            if family.kernel.network == "service":
                self._tenant, service_note = await open_episode_service(
                    family, task, self.kernel, self.workdir, self.config
                )
            await self._run_setup_cells(family, task)
        except BaseException:  # no episode began: nothing is recorded, the kernel goes
            self.done, self.recorder = True, None
            await self._release()
            raise
        if self.config.episode_timeout is not None:
            self._deadline = time.monotonic() + self.config.episode_timeout
        else:
            self._deadline = None
        obs = observe(
            ObservationKind.TASK, task.prompt() + service_note, task_id=task.id, actions=list(family.actions)
        )
        info = {
            "task_id": task.id,
            "kernel_start_s": time.monotonic() - t0,
            "sandbox": self.recorder.meta.sandbox,
        }
        return obs, info

    async def _run_setup_cells(self, family: TaskFamily, task: Task) -> None:
        """Run the family's set-up cells in the fresh kernel and record them; one that fails is a fault of
        the task, not of the agent, so the episode does not start."""
        assert self.kernel is not None and self.recorder is not None
        for code in family.setup_cells(task):
            cell = await self.kernel.execute(code, timeout=self.config.cell_timeout)
            self.recorder.setup(cell)
            if cell.status != "ok":
                raise MedgymError(
                    f"task {task.id}: a set-up cell of family {family.name!r} failed ({cell.status}): "
                    f"{truncate(cell.text, 2_000)}"
                )

    async def _check_packages(self, family: TaskFamily) -> None:
        """Fail clearly, once per family and env, if the kernel lacks a package the family declares."""
        packages = family.kernel.packages
        if not packages or family.name in self._packages_checked:
            return
        assert self.kernel is not None
        probe = f"[p for p in {list(packages)!r} if __import__('importlib.util').util.find_spec(p) is None]"
        ok, missing = await self.kernel.run_hidden("", probe, timeout=self.config.cell_timeout)
        if not ok or missing != "[]":
            how = f"pip install 'medgym-nb[{family.kernel.extra}]'" if family.kernel.extra else "install them"
            raise MedgymError(
                f"family {family.name!r} needs packages the kernel lacks: {missing}; {how} in the environment "
                "the kernels run in"
            )
        self._packages_checked.add(family.name)

    async def _seed(self, seed: int) -> None:
        assert self.kernel is not None
        code = (
            f"import random as _r\n_r.seed({seed})\ndel _r\n"
            f"try:\n    import numpy as _np\n    _np.random.seed({seed})\n    del _np\nexcept ImportError:\n    pass"
        )
        ok, why = await self.kernel.run_hidden(code, "None", timeout=self.config.cell_timeout)
        if not ok:
            raise MedgymError(f"could not seed the episode's kernel: {why}")

    def time_left(self) -> float | None:
        """Seconds the running episode has left under ``episode_timeout`` (None: no limit)."""
        return None if self._deadline is None else self._deadline - time.monotonic()

    async def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        if self.done or self.task is None:
            raise EpisodeFinishedError("the episode has ended (or never started); call reset(task) first")
        self.turn += 1
        t0 = time.monotonic()
        # an agent may attach its text ("message"), token counts ("usage") and the native tool call the action
        # came as ("tool_call"): recorded, not run
        usage: dict[str, int] = {}
        message: Any = ""
        tool_call: ToolCall | None = None
        if isinstance(action, dict):
            action = dict(action)
            message = action.pop("message", "")
            usage = action.pop("usage", None) or {}
            with contextlib.suppress(
                ValidationError
            ):  # a malformed record of the call is left out, never fatal
                tool_call = ToolCall.model_validate(action.get("tool_call"))
            action.pop("tool_call", None)
        for key, value in usage.items():
            self.usage[key] = self.usage.get(key, 0) + int(value)
        parsed: Action | None = None
        remaining = self.time_left()
        try:
            parsed = parse_action(action, self.family.actions)
        except ActionError as exc:
            outcome = Outcome(observe(ObservationKind.ERROR, f"Invalid action: {exc}"))
        if parsed is not None and remaining is not None and remaining <= 0:
            outcome = Outcome(
                observe(
                    ObservationKind.ERROR,
                    "[medgym: the episode's time limit was reached before this action ran]",
                )
            )
        elif parsed is not None:
            try:
                outcome = await ACTIONS[parsed.action].handler(self, parsed.params)
            except DeadKernelError as exc:
                outcome = Outcome(
                    observe(
                        ObservationKind.KERNEL_DIED,
                        f"[medgym: the kernel died between turns ({exc}); its state is lost and the episode ends]",
                    ),
                    terminated=True,
                    termination=Termination.KERNEL_DIED,
                )
        obs, cell, reward, terminated = outcome.observation, outcome.cell, outcome.reward, outcome.terminated
        if outcome.termination is not None:
            self.termination = outcome.termination
        truncated = False
        if not terminated:
            if self.turn >= self.config.max_turns:
                truncated, self.termination = True, Termination.MAX_TURNS
                obs.env_message += (
                    f"\n[medgym: the turn limit ({self.config.max_turns}) is reached; the episode ends]"
                )
            elif (left := self.time_left()) is not None and left <= 0:
                truncated, self.termination = True, Termination.EPISODE_TIMEOUT
                obs.env_message += (
                    f"\n[medgym: the episode's time limit ({self.config.episode_timeout:g} s) is reached; "
                    "the episode ends]"
                )
        turn = Turn(
            index=self.turn,
            action=parsed.action if parsed else str(_raw_name(action)),
            params=parsed.params if parsed else {"raw": _raw_repr(action)},
            message=str(message),
            observation_type=obs.type,
            observation=obs.env_message,
            code=cell.code if cell else None,
            status=cell.status if cell else None,
            execution_count=cell.execution_count if cell else None,
            duration=time.monotonic() - t0,
            usage=usage,
            tool_call=tool_call,
        )
        assert self.recorder is not None and self._grading is not None
        self.recorder.record(turn, cell)
        if obs.type is ObservationKind.NEXT_QUESTION:
            self.recorder.question(len(self._grading.parts), obs.question or "")
        info: dict[str, Any] = {"turn": self.turn}
        if self.grade is not None:
            info["grade"] = self.grade.model_dump()
        if terminated or truncated:
            await self._end_episode(self.termination)
            info["termination"] = self.termination.value
            if self.notebook_path:
                info["notebook"] = str(self.notebook_path)
        return obs, reward, terminated, truncated, info

    # ---- what handlers use (actions.ActionContext) ----

    def cell_timeout(self, params: dict[str, Any]) -> float:
        """The cell's limit: the env's, lowered (never raised) by the action's own and the episode's."""
        limits = [self.config.cell_timeout]
        if params.get("timeout") is not None:
            limits.append(float(params["timeout"]))
        if (left := self.time_left()) is not None:
            limits.append(max(left, 0.001))
        return min(limits)

    async def grade_answer(self, answer: Answer, cell: CellResult | None) -> Outcome:
        """Grade ``answer`` (``actions.ActionContext.grade``)."""
        assert self._grading is not None and self.kernel is not None and self.workdir is not None
        return await self._grading.grade_answer(
            answer, cell, kernel=self.kernel, workdir=self.workdir, tenant=self._tenant
        )

    def _graded_output(self, part: int | None) -> Path | None:
        if self.paths is None:
            return None
        return self.paths.graded if part is None else graded_path(self.paths.notebook, part)

    def _files_dir(self) -> Path:
        """Where declared output files are kept: the episode's folder, or a scratch dir without ``out_dir``."""
        if self.paths is not None:
            return self.paths.files
        if self._scratch_files is None:
            self._scratch_files = Path(tempfile.mkdtemp(prefix="medgym-files-"))
        return self._scratch_files

    async def _end_episode(self, termination: Termination, error: str | None = None) -> None:
        """Finish and write the running episode's notebook, then release its kernel and work dir."""
        if self.recorder is not None and not self.done:
            self.termination = termination
        if self.recorder is not None and self.notebook_path is None and self.task is not None:
            assert self._grading is not None
            grade = self._grading.final()
            self.recorder.finish(
                termination=self.termination,
                reward=grade.score if grade else 0.0,
                passed=bool(grade and grade.passed),
                grade=grade,
                answer=self._grading.answer,
                grading=self._grading.recorded(),
                usage=self.usage,
                error=error,
            )
            if self.paths is not None:
                self.notebook_path = await asyncio.to_thread(self.recorder.write, self.paths.notebook)
        self.done = True
        await self._release()

    async def _release(self) -> None:
        """Kill the finished episode's kernel in the background: the step that ended it returns at once."""
        lease, self._lease = self._lease, None
        tenant, self._tenant = self._tenant, None
        if tenant is not None:
            await asyncio.to_thread(tenant.close)
        if lease is not None:
            task = asyncio.ensure_future(lease.release())
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)
        scratch, self._scratch_files = self._scratch_files, None
        if scratch is not None:
            await asyncio.to_thread(shutil.rmtree, scratch, ignore_errors=True)

    def annotate(self, *, system_prompt: str) -> None:
        """Record the agent's system prompt with the running episode."""
        if self.recorder is not None:
            self.recorder.meta.system_prompt = system_prompt

    async def end_episode(
        self, termination: Termination = Termination.CLOSED, *, error: BaseException | None = None
    ) -> None:
        """End the running episode now (the agent gave up, or raised ``error``), keeping the pool."""
        text = "".join(traceback.format_exception(error)) if error is not None else None
        if self.task is not None and not self.done:
            await self._end_episode(termination, text)
        else:
            await self._release()

    async def _run_grader(self, task: Task, context: GradingContext, output: Path | None) -> Grade:
        grader = self.grader
        if grader is None:
            if self._own_grader is None:
                self._own_grader = SharedGrader()
            grader = self._own_grader
        return await asyncio.to_thread(grader, task, context, output)

    async def close(self) -> None:
        """End the running episode (recorded as ``closed``), shut the pool and the grader kernel down;
        safe to call twice."""
        await self.end_episode(Termination.CLOSED)
        await asyncio.gather(*self._releasing, return_exceptions=True)
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
        own, self._own_grader = self._own_grader, None
        if own is not None:
            await asyncio.to_thread(own.close)


async def _kernel_environment(family: TaskFamily) -> Path | None:
    """The directory of the family's own kernel environment (built on first use, logged), or None."""
    spec = family.kernel.environment
    if spec is None:
        return None
    return await asyncio.to_thread(ensure_environment, spec)


def _raw_name(action: Any) -> str:
    return action.get("action", "invalid") if isinstance(action, dict) else "invalid"


def _raw_repr(action: Any) -> str:
    return truncate(repr(action), 2_000)


TaskArg = TypeVar("TaskArg")


class SyncEnvFacade(Generic[TaskArg]):
    """The sync façade shared by ``Env`` and the server's ``RemoteEnv``: each method runs the async
    environment's (``self._env``) to completion; attributes not defined here are the async environment's."""

    _env: Any

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)

    def reset(
        self, task: TaskArg | None = None, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        return run_sync(self._env.reset(task, seed=seed, options=options))

    def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        return run_sync(self._env.step(action))

    def close(self) -> None:
        run_sync(self._env.close())


class Env(SyncEnvFacade[Task]):
    """Sync façade over ``AsyncEnv`` for scripts, tests and notebooks; same arguments, same contract."""

    def __init__(self, config: EnvConfig | None = None, **kwargs: Any) -> None:
        self._env = AsyncEnv(config, **kwargs)

    def end_episode(self, termination: Termination = Termination.CLOSED) -> None:
        run_sync(self._env.end_episode(termination))
