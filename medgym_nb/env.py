"""The environment: Gymnasium's ``reset``/``step``/``close`` over one fresh kernel per episode.

``AsyncEnv`` is the core (the kernel boundary is async); ``Env`` is its sync façade. ``step`` never raises for
agent mistakes: a malformed action or bad params, an exception in the agent's code, a timeout, a kernel that
died during or between turns, a failing grader all come back as observations, and the notebook is saved. It
raises only for caller bugs (stepping a finished episode). Everything family-specific (permitted actions,
``request_info``, the answer rule, what the grader gets) is asked of the task's family.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import shutil
import stat
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._loop import run_sync
from .actions import Action, ActionError, parse_action
from .config import EnvConfig
from .errors import DeadKernelError, EpisodeFinishedError, GraderError, MedgymError, ServiceError
from .family.base import InfoRequestError, TaskFamily
from .family.registry import get_family
from .grading.answers import Answer
from .grading.comparators import Grade, combine_parts
from .grading.context import GradingContext
from .grading.notebook import SharedGrader
from .kernel.choice import choose_sandbox
from .kernel.environments import ensure_environment
from .kernel.outputs import truncate
from .kernel.pool import KernelLease, KernelPool
from .kernel.session import CellResult, KernelSession
from .layout import EpisodePaths, episode_paths, graded_path
from .observations import Observation, ObservationKind
from .services.base import ServiceTenant, relay_code
from .tasks.model import Task
from .trajectory import Recorder, Termination, Turn

__all__ = ["AsyncEnv", "Env", "Grader", "Observation"]

Grader = Callable[[Task, GradingContext, Path | None], Grade]
"""``grader(task, context, output_path)``: a verdict; the executed grader notebook goes to ``output_path``."""

MAX_KEPT_FILE_BYTES = 64 * 1024 * 1024
"""A declared output file larger than this is not kept (the grader is told it is missing)."""

_STATE = "__medgym_state__"
_SEED_MAX = 2**32


def _obs(kind: ObservationKind, message: str, **extra: Any) -> Observation:
    return Observation(type=kind, env_message=message, **extra)


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
        self.task: Task | None = None
        self.recorder: Recorder | None = None
        self.turn = 0
        self.done = True
        self.termination = Termination.NOT_STARTED
        self.answer: Answer | None = None
        self.grade: Grade | None = None
        self.context: GradingContext | None = None
        self.parts: list[tuple[GradingContext, Grade]] = []  # graded answers of a multi-part task
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
    def family(self) -> TaskFamily:
        assert self.task is not None
        return get_family(self.task.family)

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
        ``rollout`` recorded with the episode.
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
        self.termination, self.answer, self.grade, self.context = Termination.RUNNING, None, None, None
        self.parts = []
        self.notebook_path = None
        self.agent = options.get("agent", self.agent)
        self.model = options.get("model", self.model)
        rollout = options.get("rollout")
        self.usage = {}
        self.paths = None
        if self.out_dir is not None:
            self.paths = episode_paths(self.out_dir, task.source, task.id, rollout)
            shutil.rmtree(self.paths.folder, ignore_errors=True)  # what an earlier, unfinished try left
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
            self._lease = await self.pool.acquire(task.data_mounts(), environment)
            assert self.kernel is not None
            self.recorder.meta.sandbox = self.kernel.sandbox
            await self._check_packages(family)
            if seed is not None:
                await self._seed(seed)
            service_note = await self._open_service(family, task)
        except BaseException:  # no episode began: nothing is recorded, the kernel goes
            self.done, self.recorder = True, None
            await self._release()
            raise
        if self.config.episode_timeout is not None:
            self._deadline = time.monotonic() + self.config.episode_timeout
        else:
            self._deadline = None
        obs = _obs(
            ObservationKind.TASK, task.prompt() + service_note, task_id=task.id, actions=list(family.actions)
        )
        info = {
            "task_id": task.id,
            "kernel_start_s": time.monotonic() - t0,
            "sandbox": self.recorder.meta.sandbox,
        }
        return obs, info

    async def _check_packages(self, family: TaskFamily) -> None:
        """Fail clearly, once per family and env, if the kernel lacks a package the family declares."""
        packages = family.kernel.packages
        if not packages or family.name in self._packages_checked:
            return
        assert self.kernel is not None
        probe = f"[p for p in {list(packages)!r} if __import__('importlib.util').util.find_spec(p) is None]"
        ok, missing = await self.kernel.run_hidden("", probe, timeout=self.config.cell_timeout)
        if not ok or missing != "[]":
            raise MedgymError(
                f"family {family.name!r} needs packages the kernel lacks: {missing}; install them into the "
                "environment the kernels run in"
            )
        self._packages_checked.add(family.name)

    async def _open_service(self, family: TaskFamily, task: Task) -> str:
        """For a family with a service: open the episode's tenant, start the kernel's relay to it; what the
        agent is told of it ("" for families without)."""
        if family.kernel.network != "service":
            return ""
        assert self.kernel is not None and self.workdir is not None
        url = self.config.service_urls.get(family.service_name)
        self._tenant = await asyncio.to_thread(family.open_service, task, self.workdir, url)
        code, expression = relay_code(self._tenant)
        ok, value = await self.kernel.run_hidden(code, expression, timeout=self.config.cell_timeout)
        if not ok:
            raise MedgymError(f"could not connect the episode's kernel to its service: {value}")
        base = ast.literal_eval(value)
        return (
            f"\n\nThe {self._tenant.label} of this episode is at {base} "
            f"(also in the environment variable {self._tenant.env_var})."
        )

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
        # an agent may attach its text ("message") and token counts ("usage"): recorded, not run
        usage: dict[str, int] = {}
        message: Any = ""
        if isinstance(action, dict):
            action = dict(action)
            message = action.pop("message", "")
            usage = action.pop("usage", None) or {}
        for key, value in usage.items():
            self.usage[key] = self.usage.get(key, 0) + int(value)
        parsed: Action | None = None
        cell: CellResult | None = None
        reward, terminated = 0.0, False
        remaining = self.time_left()
        try:
            parsed = parse_action(action, self.family.actions)
        except ActionError as exc:
            obs = _obs(ObservationKind.ERROR, f"Invalid action: {exc}")
        if parsed is not None and remaining is not None and remaining <= 0:
            obs = _obs(
                ObservationKind.ERROR, "[medgym: the episode's time limit was reached before this action ran]"
            )
        elif parsed is not None:
            try:
                obs, cell, reward, terminated = await self._dispatch(parsed)
            except DeadKernelError as exc:
                self.termination, terminated = Termination.KERNEL_DIED, True
                obs = _obs(
                    ObservationKind.KERNEL_DIED,
                    f"[medgym: the kernel died between turns ({exc}); its state is lost and the episode ends]",
                )
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
        )
        assert self.recorder is not None
        self.recorder.record(turn, cell)
        if obs.type is ObservationKind.NEXT_QUESTION:
            self.recorder.question(len(self.parts), obs.question or "")
        info: dict[str, Any] = {"turn": self.turn}
        if self.grade is not None:
            info["grade"] = self.grade.model_dump()
        if terminated or truncated:
            await self._end_episode(self.termination)
            info["termination"] = self.termination.value
            if self.notebook_path:
                info["notebook"] = str(self.notebook_path)
        return obs, reward, terminated, truncated, info

    def _cell_timeout(self, params: dict[str, Any]) -> float:
        """The cell's limit: the env's, lowered (never raised) by the action's own and the episode's."""
        limits = [self.config.cell_timeout]
        if params.get("timeout") is not None:
            limits.append(float(params["timeout"]))
        if (left := self.time_left()) is not None:
            limits.append(max(left, 0.001))
        return min(limits)

    async def _dispatch(self, action: Action) -> tuple[Observation, CellResult | None, float, bool]:
        name, params = action.action, action.params
        assert self.task is not None and self.kernel is not None
        if name == "request_info":
            try:
                if self._tenant is not None:
                    text = await asyncio.to_thread(
                        self.family.request_service_info, self.task, params, self._tenant
                    )
                else:
                    text = self.family.request_info(self.task, params)
                return _obs(ObservationKind.REQUESTED_INFO, text), None, 0.0, False
            except (InfoRequestError, OSError) as exc:
                return _obs(ObservationKind.ERROR, f"request_info failed: {exc}"), None, 0.0, False
        if name == "debug":
            err = self.kernel.last_error
            limit = self.config.output_limits.agent_chars
            text = truncate(err.text(), limit) if err else "No error has occurred yet."
            return _obs(ObservationKind.DEBUGGING_INFO, text), None, 0.0, False
        if name == "submit":
            return await self._grade(self.family.answer_from_submit(self.task, params), None)
        code = f"%%bash\n{params['cmd']}" if name == "terminal" else params["code"]
        cell = await self.kernel.execute(code, timeout=self._cell_timeout(params))
        if cell.status == "dead" or not cell.kernel_alive:
            self.termination = Termination.KERNEL_DIED
            kind = ObservationKind.TIMEOUT if cell.status == "timeout" else ObservationKind.KERNEL_DIED
            return _obs(kind, cell.text, status=cell.status), cell, 0.0, True
        if cell.status == "timeout":
            return _obs(ObservationKind.TIMEOUT, cell.text, status=cell.status), cell, 0.0, False
        if name == "terminal":
            return _obs(ObservationKind.CMD_RESULT, cell.text, status=cell.status), cell, 0.0, False
        if cell.status == "error":
            return _obs(ObservationKind.ERROR, cell.text, status=cell.status), cell, 0.0, False
        if name == "execute":
            return _obs(ObservationKind.CODE_EXECUTION, cell.text, status=cell.status), cell, 0.0, False
        return await self._grade(self.family.answer_from_cell(self.task, cell), cell)

    async def _grade(
        self, answer: Answer, cell: CellResult | None
    ) -> tuple[Observation, CellResult | None, float, bool]:
        assert self.task is not None
        submit = cell is None
        probe = self.family.state_probe(self.task)
        follow_ups = self.family.follow_ups(self.task)
        part = len(self.parts) if follow_ups else None
        output = None
        if self.paths is not None:
            output = self.paths.graded if part is None else graded_path(self.paths.notebook, part)
        try:
            context = await self._grading_context(answer, probe, part or 0)
            grade = await self._run_grader(self.task, context, output)
        except GraderError as exc:
            self.termination = Termination.GRADER_ERROR
            return (
                _obs(ObservationKind.ERROR, f"[medgym: grading failed, not your fault: {exc}]"),
                cell,
                0.0,
                True,
            )
        self.answer, self.grade, self.context = answer, grade, context
        shown = ((cell.text if cell else "") + f"\n[grader] {grade.message}").strip()
        if part is not None:
            return self._next_part(follow_ups, context, grade, shown, cell)
        obs = _obs(ObservationKind.GRADE, shown, score=grade.score, passed=grade.passed)
        if grade.passed or submit or probe is not None or self.family.grades_once:
            self.termination = Termination.PASSED if grade.passed else Termination.SUBMITTED
            return obs, cell, grade.score, True
        return obs, cell, 0.0, False

    def _next_part(
        self,
        follow_ups: list[str],
        context: GradingContext,
        grade: Grade,
        shown: str,
        cell: CellResult | None,
    ) -> tuple[Observation, CellResult | None, float, bool]:
        """After an answer to a multi-part task: the next question, or the end with the share answered."""
        self.parts.append((context, grade))
        if len(self.parts) <= len(follow_ups):
            question = follow_ups[len(self.parts) - 1]
            message = f"{shown}\n\nNext question: {question}"
            return (
                _obs(
                    ObservationKind.NEXT_QUESTION,
                    message,
                    score=grade.score,
                    passed=grade.passed,
                    question=question,
                ),
                cell,
                0.0,
                False,
            )
        self.grade = self._combined_grade()
        self.termination = Termination.PASSED if self.grade.passed else Termination.SUBMITTED
        message = f"{shown}\n[grader] {self.grade.message}"
        return (
            _obs(ObservationKind.GRADE, message, score=self.grade.score, passed=self.grade.passed),
            cell,
            self.grade.score,
            True,
        )

    def _combined_grade(self) -> Grade:
        assert self.task is not None
        total = len(self.family.follow_ups(self.task)) + 1
        return combine_parts([grade for _context, grade in self.parts], total)

    async def _grading_context(self, answer: Answer, probe: str | None, part: int = 0) -> GradingContext:
        """The answer, plus what the family's grader looks at: the kernel's state, the kept output files."""
        assert self.task is not None and self.kernel is not None
        state: Any = None
        state_error: str | None = None
        if probe is not None:
            code = f"{probe}\n__medgym_state_json__ = __import__('json').dumps({_STATE}, default=repr)"
            ok, text = await self.kernel.run_hidden(
                code, "__medgym_state_json__", timeout=self.family.grader_timeout
            )
            if ok:
                state = json.loads(ast.literal_eval(text))
            else:
                state_error = text
        service = None
        if self._tenant is not None:
            try:
                service = await asyncio.to_thread(self.family.service_state, self.task, self._tenant)
            except ServiceError as exc:
                raise GraderError(f"could not read the episode's service: {exc}") from exc
        return GradingContext(
            answer=answer,
            state=state,
            state_error=state_error,
            files=self._keep_outputs(self.family.outputs(self.task)),
            service=service,
            sandbox=self.sandbox,
            part=part,
        )

    def _keep_outputs(self, patterns: tuple[str, ...]) -> dict[str, str]:
        """Copy the declared output files out of the work dir (regular files only, never through a link)."""
        if not patterns or self.workdir is None:
            return {}
        if self.paths is not None:
            target = self.paths.files
        else:
            if self._scratch_files is None:
                self._scratch_files = Path(tempfile.mkdtemp(prefix="medgym-files-"))
            target = self._scratch_files
        kept: dict[str, str] = {}
        for pattern in patterns:
            if "/" in pattern or pattern.startswith("."):
                raise MedgymError(f"family output pattern {pattern!r} must be a plain file name or glob")
            for path in sorted(self.workdir.glob(pattern)):
                data = _read_regular_file(path)
                if data is not None:
                    target.mkdir(parents=True, exist_ok=True)
                    (target / path.name).write_bytes(data)
                    kept[path.name] = str(target / path.name)
        return kept

    async def _end_episode(self, termination: Termination, error: str | None = None) -> None:
        """Finish and write the running episode's notebook, then release its kernel and work dir."""
        if self.recorder is not None and not self.done:
            self.termination = termination
        if self.recorder is not None and self.notebook_path is None and self.task is not None:
            if self.parts:  # a multi-part task that ended early: unanswered questions count as wrong
                self.grade = self._combined_grade()
            passed = bool(self.grade and self.grade.passed)
            self.recorder.finish(
                termination=self.termination,
                reward=self.grade.score if self.grade else 0.0,
                passed=passed,
                grade=self.grade,
                answer=self.answer,
                grading=self._recorded_grading(),
                usage=self.usage,
                error=error,
            )
            if self.paths is not None:
                self.notebook_path = self.recorder.write(self.paths.notebook)
        self.done = True
        await self._release()

    def _recorded_grading(self) -> dict[str, Any] | None:
        """The grading context(s) as the notebook keeps them, for re-grading offline."""
        if self.parts:
            return {"parts": [context.recorded() for context, _grade in self.parts]}
        return self.context.recorded() if self.context else None

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
            shutil.rmtree(scratch, ignore_errors=True)

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


def _read_regular_file(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a link) within the size limit, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_KEPT_FILE_BYTES:
            return None
        return fh.read(MAX_KEPT_FILE_BYTES + 1)[:MAX_KEPT_FILE_BYTES]


def _raw_name(action: Any) -> str:
    return action.get("action", "invalid") if isinstance(action, dict) else "invalid"


def _raw_repr(action: Any) -> str:
    return truncate(repr(action), 2_000)


class Env:
    """Sync façade over ``AsyncEnv`` for scripts, tests and notebooks; same arguments, same contract."""

    def __init__(self, config: EnvConfig | None = None, **kwargs: Any) -> None:
        self._env = AsyncEnv(config, **kwargs)

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

    def end_episode(self, termination: Termination = Termination.CLOSED) -> None:
        run_sync(self._env.end_episode(termination))

    def close(self) -> None:
        run_sync(self._env.close())
