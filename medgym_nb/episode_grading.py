"""Grading within an episode: build what the grader looks at, run it, and decide what follows.

One ``EpisodeGrading`` per episode holds its graded answers. An answer is graded with a ``GradingContext``
(the answer; the state the family's probe reads in the episode's own kernel after the agent's last turn; the
declared output files, kept; what the family reads of its service; the sandbox and limits the episode ran
under, for graders that run agent code). A multi-part task grades each answer for its current question and
shows the next; its reward is the share answered correctly.
"""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .actions import Outcome
from .errors import GraderError, ServiceError
from .family.base import TaskFamily
from .grading.answers import Answer
from .grading.comparators import Grade, combine_parts
from .grading.context import GradingContext
from .kept_files import keep_outputs
from .kernel.limits import SandboxLimits
from .kernel.session import CellResult, KernelSession
from .observations import ObservationKind, observe
from .services.base import ServiceTenant
from .tasks.model import Task
from .trajectory import Termination

__all__ = ["EpisodeGrading", "RunGrader"]

RunGrader = Callable[[Task, GradingContext, Path | None], Awaitable[Grade]]
"""``run(task, context, output_path)``: a verdict; the executed grader notebook goes to ``output_path``."""

_STATE = "__medgym_state__"


class EpisodeGrading:
    """The graded answers of one episode. ``output(part)``: where the executed grader notebook of an
    answer goes (None: not kept); ``files``: where declared output files are kept."""

    def __init__(
        self,
        task: Task,
        family: TaskFamily,
        *,
        run: RunGrader,
        sandbox: str,
        limits: SandboxLimits,
        output: Callable[[int | None], Path | None],
        files: Path,
    ) -> None:
        self.task, self.family, self._run = task, family, run
        self.sandbox, self.limits, self._output, self._files = sandbox, limits, output, files
        self.answer: Answer | None = None
        self.grade: Grade | None = None
        self.context: GradingContext | None = None
        self.parts: list[tuple[GradingContext, Grade]] = []

    async def grade_answer(
        self,
        answer: Answer,
        cell: CellResult | None,
        *,
        kernel: KernelSession,
        workdir: Path,
        tenant: ServiceTenant | None,
    ) -> Outcome:
        """Grade ``answer`` (from ``cell``, or a submit when None) and say what the episode does next."""
        submit = cell is None
        probe = self.family.state_probe(self.task)
        follow_ups = self.family.follow_ups(self.task)
        part = len(self.parts) if follow_ups else None
        try:
            context = await self._context(answer, probe, part or 0, kernel, workdir, tenant)
            grade = await self._run(self.task, context, self._output(part))
        except GraderError as exc:
            message = f"[medgym: grading failed, not your fault: {exc}]"
            return Outcome(observe(ObservationKind.ERROR, message), cell, 0.0, True, Termination.GRADER_ERROR)
        self.answer, self.grade, self.context = answer, grade, context
        shown = ((cell.text if cell else "") + f"\n[grader] {grade.message}").strip()
        if part is not None:
            return self._next_part(follow_ups, context, grade, shown, cell)
        obs = observe(ObservationKind.GRADE, shown, score=grade.score, passed=grade.passed)
        if grade.passed or submit or probe is not None or self.family.grades_once:
            ended = Termination.PASSED if grade.passed else Termination.SUBMITTED
            return Outcome(obs, cell, grade.score, True, ended)
        return Outcome(obs, cell)

    def _next_part(
        self,
        follow_ups: list[str],
        context: GradingContext,
        grade: Grade,
        shown: str,
        cell: CellResult | None,
    ) -> Outcome:
        """After an answer to a multi-part task: the next question, or the end with the share answered."""
        self.parts.append((context, grade))
        if len(self.parts) <= len(follow_ups):
            question = follow_ups[len(self.parts) - 1]
            obs = observe(
                ObservationKind.NEXT_QUESTION,
                f"{shown}\n\nNext question: {question}",
                score=grade.score,
                passed=grade.passed,
                question=question,
            )
            return Outcome(obs, cell)
        self.grade = self.combined()
        ended = Termination.PASSED if self.grade.passed else Termination.SUBMITTED
        message = f"{shown}\n[grader] {self.grade.message}"
        obs = observe(ObservationKind.GRADE, message, score=self.grade.score, passed=self.grade.passed)
        return Outcome(obs, cell, self.grade.score, True, ended)

    def combined(self) -> Grade:
        """A multi-part task's grade: unanswered questions count as wrong."""
        total = len(self.family.follow_ups(self.task)) + 1
        return combine_parts([grade for _context, grade in self.parts], total)

    def final(self) -> Grade | None:
        """The episode's grade as it ends (a multi-part task that ended early is combined)."""
        if self.parts:
            self.grade = self.combined()
        return self.grade

    def recorded(self) -> dict[str, Any] | None:
        """The grading context(s) as the notebook keeps them, for re-grading offline."""
        if self.parts:
            return {"parts": [context.recorded() for context, _grade in self.parts]}
        return self.context.recorded() if self.context else None

    async def _context(
        self,
        answer: Answer,
        probe: str | None,
        part: int,
        kernel: KernelSession,
        workdir: Path,
        tenant: ServiceTenant | None,
    ) -> GradingContext:
        state: Any = None
        state_error: str | None = None
        if probe is not None:
            code = f"{probe}\n__medgym_state_json__ = __import__('json').dumps({_STATE}, default=repr)"
            ok, text = await kernel.run_hidden(
                code, "__medgym_state_json__", timeout=self.family.grader_timeout
            )
            if ok:
                state = json.loads(ast.literal_eval(text))
            else:
                state_error = text
        service = None
        if tenant is not None:
            try:
                service = await asyncio.to_thread(self.family.service_state, self.task, tenant)
            except ServiceError as exc:
                raise GraderError(f"could not read the episode's service: {exc}") from exc
        patterns = self.family.outputs(self.task)
        return GradingContext(
            answer=answer,
            state=state,
            state_error=state_error,
            files=keep_outputs(workdir, patterns, self._files) if patterns else {},
            service=service,
            sandbox=self.sandbox,
            limits=self.limits,
            part=part,
        )
