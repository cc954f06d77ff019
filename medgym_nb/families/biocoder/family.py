"""The BioCoder family: write a bioinformatics function; a hidden program that calls it decides by what it prints.

The agent sees the problem, the function's signature and its actions, never the hidden program or its output.
Its answer is the definition of the function: from the last ``validate_code`` cell that defines it (the cell
runs in the episode's kernel first, so a cell that fails is not graded), or a ``submit`` with the source as
``answer``. The grader splices that definition into the program and runs it in a fresh sandboxed kernel of
BioCoder's own kernel environment (numpy 1.x and the libraries the official programs import, so the agent's
episode kernel runs there too); the program's stdout must equal the reference program's
(``biocoder_programs``: normalisation, reference caching, unstable programs excluded).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from medgym_nb._loop import run_sync
from medgym_nb.errors import GraderError, TaskFileError
from medgym_nb.family import KernelNeeds, OfficialRow, TaskFamily
from medgym_nb.grading.answers import Answer
from medgym_nb.grading.comparators import Grade
from medgym_nb.kernel.limits import SandboxLimits
from medgym_nb.kernel.session import CellResult
from medgym_nb.tasks.model import Exclusion, Task, TaskSet

from .environment import BIOCODER_ENV
from .functions import SUITE
from .generated import Instance, instances
from .programs import (
    PLACEHOLDER,
    ProgramRun,
    SpliceError,
    cached_runs,
    function_name,
    has_slot,
    normalise,
    reference_outputs,
    run_programs,
    splice,
)
from .signatures import STUBS, decorator_lines, kernel_free_names, stand_in_cell, stub_function
from .suite import SuiteFunction, suite_program

__all__ = [
    "BIOCODER_ENV",
    "PROGRAM_TIMEOUT",
    "BiocoderFamily",
    "BiocoderPayload",
    "grade_function",
    "with_references",
]

SOURCE = "biocoder"
PROGRAM_TIMEOUT = 30.0
"""Seconds a hidden program may run, with the agent's function in it."""

_REQUIRED = ("problem", "solution", "context", "signature")
"""Text fields a row needs; ``idx`` (the task id) and ``code`` (the pre-spliced program, unused) may be absent."""
_log = logging.getLogger(__name__)

CONTEXT = (
    "Write the function in Python. A hidden program that calls it decides: what it prints must equal what the "
    "reference function makes it print. Answer with `validate_code`: its code must define the function at top "
    "level (with the exact name of the signature; imports it needs go in the same cell); the definition, "
    "with the cell's imports, is spliced into the hidden program and graded, nothing else of the cell runs "
    'there. Or `submit` {"answer": "<the source of the function>"}. Your kernel runs the same libraries as '
    "the hidden program (numpy 1.26, scipy 1.10, scikit-image 0.20, pandas 1.5, scikit-learn 1.2, pysam, "
    "biopython, centrosome)."
)


class BiocoderPayload(BaseModel):
    """The hidden program (with ``PLACEHOLDER``), the function's signature and name; never shown to the agent."""

    model_config = ConfigDict(extra="forbid")

    program: str
    signature: str
    function: str


def _payload(task: Task) -> BiocoderPayload:
    assert isinstance(task.payload, BiocoderPayload)
    return task.payload


def _question(problem: str, signature: str, name: str) -> str:
    question = f"{problem.strip()}\n\nSignature:\n```python\n{signature.strip()}\n```"
    absent = kernel_free_names(signature.strip().rstrip(":") + ":\n    pass\n", name)
    if absent:
        question += (
            f"\n\n{', '.join(absent)}: defined by the hidden program, not in your kernel. Keep the "
            "signature's decorators on your function; to run its definition in your kernel, define a stand-in "
            "there first (it is not spliced: the hidden program's own definition is used when grading)."
        )
    return question


def _text(value: str) -> str:
    """``value`` with Windows or old Mac line ends made ``\\n`` (a row saved on another system)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


class BiocoderFamily(TaskFamily):
    """Bioinformatics functions graded by hidden programs (MedAgentGym's biocoder source)."""

    name = "biocoder"
    version = (
        "v3"  # v3: generated template instances; v2: the environment of environment.py and the stub filter
    )
    sources = (SOURCE,)
    suite_sources = (SOURCE,)
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {SOURCE: 1137}
    payload_model = BiocoderPayload
    actions = ("execute", "validate_code", "submit", "debug", "terminal")
    action_help: ClassVar[dict[str, str]] = {
        "validate_code": (
            "run Python that defines the requested function; the function, taken from this code by its name, "
            "is graded by hidden test programs (what the cell prints is not). A passing function ends the "
            "episode; after a failing one you may fix it and try again"
        ),
        "submit": "give the function's full source code as a string; it is graded and the episode ends",
    }
    source_names: ClassVar[dict[str, str]] = {SOURCE: "BioCoder"}
    kernel = KernelNeeds(environment=BIOCODER_ENV)
    grader_timeout = 300.0

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        """One task per suite function (inputs drawn from ``seed``), with its reference output."""
        if source != SOURCE:
            return super().build_suite(source, root, seed)
        tasks = [
            _function_task(
                item, f"{SOURCE}.syn.{n:03d}.{item.name}", "test", suite_program(item, seed * 1000 + n)
            )
            for n, item in enumerate(SUITE)
        ]
        return _suite_kept(tasks)

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """The built-in suite, then instances of the parametrised templates (``generated.py``: reference
        outputs computed in-process, stub-checked), up to ``n``."""
        if source != SOURCE:
            return super().generate(source, n, seed, root)
        suite = self.build_suite(source, root, seed)
        made = (_generated_task(instance) for instance in instances(seed))
        return itertools.islice(itertools.chain(suite, made), n)

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        missing = [key for key in _REQUIRED if not isinstance(row.get(key), str) or not row[key].strip()]
        if missing:
            raise TaskFileError(f"{origin.where}: a BioCoder row needs text fields {', '.join(missing)}")
        problem, solution, context, signature = (_text(row[key]) for key in _REQUIRED)
        if not has_slot(context):
            raise TaskFileError(f"{origin.where}: the row's context has no {PLACEHOLDER} line")
        try:
            name = function_name(signature)
        except SpliceError as exc:
            raise TaskFileError(f"{origin.where}: {exc}") from exc
        idx = row.get("idx")
        if not isinstance(idx, str) or not idx.strip():
            idx = hashlib.sha256(f"{signature}\n{context}".encode()).hexdigest()
        return Task(
            id=f"{SOURCE}.{origin.split}.{idx[:16]}",
            source=SOURCE,
            family=self.name,
            category="official",
            split=origin.split,
            question=_question(problem, signature, name),
            context=CONTEXT,
            solution=[solution],
            payload=BiocoderPayload(program=context, signature=signature, function=name),
        )

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> TaskSet:
        """The rows with their reference outputs; rows whose reference is unstable, or whose program prints
        the same with a do-nothing function, are excluded."""
        if database is not None:
            raise TaskFileError("BioCoder's tasks take no database; leave out database= (--db)")
        return with_references(tasks)

    def answer_from_cell(self, task: Task, cell: CellResult) -> Answer:
        """The cell's code: the function is taken from it by name when grading."""
        return Answer(kind="value", value=cell.code)

    def answer_from_submit(self, task: Task, params: dict[str, Any]) -> Answer:
        return Answer(kind="value", value=params.get("answer"))

    def oracle_plan(self, task: Task) -> list[dict[str, Any]]:
        """The reference function as a ``validate_code`` cell (it defines, prints nothing), after stand-ins for
        the names its definition needs that only the hidden program defines (``signatures.stand_in_cell``)."""
        if not task.solution:
            raise TaskFileError(f"task {task.id} has no reference solution, so the oracle cannot play it")
        return [
            {
                "action": "validate_code",
                "params": {"code": stand_in_cell(task.solution[-1], _payload(task).function)},
                "message": "Define the reference function.",
            }
        ]


def _generated_task(instance: Instance) -> Task:
    """A template instance as a task; its answer is the in-process reference output (see ``generated.py``)."""
    item = instance.function
    task_id = f"{SOURCE}.gen.{item.category}.{instance.number:04d}"
    return _function_task(item, task_id, "train", instance.program, answer=instance.answer)


def _function_task(
    item: SuiteFunction, task_id: str, split: str, program: str, answer: str | None = None
) -> Task:
    """A task asking for ``item``'s function, graded by ``program`` (the suite's and the generated ones')."""
    return Task(
        id=task_id,
        source=SOURCE,
        family=BiocoderFamily.name,
        category=item.category,
        split=split,
        question=_question(item.problem, item.signature, item.name),
        context=CONTEXT,
        answer=answer,
        solution=[item.solution],
        payload=BiocoderPayload(program=program, signature=item.signature, function=item.name),
    )


def _spliced(task: Task, code: str) -> str:
    payload = _payload(task)
    return splice(payload.program, code, payload.function, decorator_lines(payload.signature))


def with_references(tasks: list[Task], *, sandbox: str = "auto") -> TaskSet:
    """``tasks`` with ``answer`` set to their reference output, less those left out, each excluded with why:
    the reference cannot be spliced, its program is unstable (its two runs differ, or it fails or times out),
    or the program prints the same with a stub (``signatures.STUBS``) in place of the reference."""
    kept = TaskSet()
    spliced: list[tuple[Task, str]] = []
    for task in tasks:
        try:
            spliced.append((task, _spliced(task, task.solution[-1])))
        except SpliceError as exc:
            kept.excluded.append(
                Exclusion(source=task.source, task_id=task.id, reason=f"the reference: {exc}")
            )
    references = run_sync(
        reference_outputs(
            [program for _task, program in spliced],
            environment=BIOCODER_ENV,
            sandbox=sandbox,
            timeout=PROGRAM_TIMEOUT,
        )
    )
    stable = []
    for (task, _program), ref in zip(spliced, references, strict=True):
        if ref.stable:
            stable.append(task.model_copy(update={"answer": ref.stdout}))
        else:
            kept.excluded.append(Exclusion(source=task.source, task_id=task.id, reason=ref.why))
    stubs = [
        _spliced(task, stub_function(_payload(task).signature, _payload(task).function, stub))
        for task in stable
        for stub in STUBS
    ]
    runs = run_sync(cached_runs(stubs, environment=BIOCODER_ENV, sandbox=sandbox, timeout=PROGRAM_TIMEOUT))
    for n, task in enumerate(stable):
        passing = [
            stub for stub, run in zip(STUBS, runs[2 * n : 2 * n + 2], strict=True) if _passes(run, task)
        ]
        if passing:
            reason = (
                f"the program's output does not depend on the function (a function that {passing[0]} passes)"
            )
            kept.excluded.append(Exclusion(source=task.source, task_id=task.id, reason=reason))
        else:
            kept.tasks.append(task)
    return kept


def _passes(run: ProgramRun, task: Task) -> bool:
    return run.ok and run.stdout == task.answer


def _suite_kept(tasks: list[Task]) -> list[Task]:
    """The built-in suite's tasks with their references; a suite function whose reference is unstable is
    a defect of ours, logged and left out."""
    kept = with_references(tasks)
    for exclusion in kept.excluded:
        _log.warning("biocoder: suite task %s excluded: %s", exclusion.task_id, exclusion.reason)
    return kept.tasks


def grade_function(
    task: dict[str, Any],
    code: Any,
    *,
    sandbox: str,
    limits: SandboxLimits | None = None,
    timeout: float = PROGRAM_TIMEOUT,
) -> Grade:
    """The grade of ``code`` (the agent's answer) for ``task`` (a ``Task`` as JSON data): splice, run (at most
    ``timeout`` seconds, in ``sandbox`` under ``limits``: the episode's), compare."""
    payload = BiocoderPayload.model_validate(task["payload"])
    expected = task.get("answer")
    if not isinstance(expected, str):
        raise GraderError(f"task {task.get('id')} has no reference output")
    if not normalise(expected):
        raise GraderError(
            f"task {task.get('id')}: its program prints nothing, so no function can be graded by it"
        )
    if not isinstance(code, str) or not code.strip():
        return Grade(score=0.0, passed=False, message="no code was given: answer with the function's source")
    try:
        program = splice(payload.program, code, payload.function, decorator_lines(payload.signature))
    except SpliceError as exc:
        return Grade(score=0.0, passed=False, message=f"cannot use this code: {exc}")
    [run] = run_sync(
        run_programs([program], environment=BIOCODER_ENV, sandbox=sandbox, timeout=timeout, limits=limits)
    )
    if run.returncode is None:
        return Grade(score=0.0, passed=False, message=f"the program did not finish within {timeout:g} s")
    if run.truncated:
        return Grade(score=0.0, passed=False, message="the program printed far more than expected")
    if run.returncode != 0:
        tail = run.stderr.strip().splitlines()[-1:] or [""]
        return Grade(
            score=0.0,
            passed=False,
            message=f"the program failed with your function (exit code {run.returncode}): {tail[0][:300]}",
        )
    if run.stdout != normalise(expected):
        digest = hashlib.sha256(run.stdout.encode()).hexdigest()[:8]
        return Grade(
            score=0.0,
            passed=False,
            message=f"the program's output differs from the reference ({len(run.stdout)} chars, {digest})",
        )
    return Grade(score=1.0, passed=True, message="the program's output matches the reference")
