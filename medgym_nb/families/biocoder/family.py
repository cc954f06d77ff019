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
from medgym_nb.kernel.environments import KernelEnvironment
from medgym_nb.kernel.session import CellResult
from medgym_nb.tasks.model import Exclusion, Task, TaskSet

from .functions import SUITE
from .programs import (
    PLACEHOLDER,
    SpliceError,
    function_name,
    normalise,
    reference_outputs,
    run_programs,
    splice,
)
from .suite import suite_program

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

BIOCODER_ENV = KernelEnvironment(
    name="biocoder",
    requirements=(
        "numpy==1.26.4",
        "scipy==1.13.1",
        "scikit-image==0.24.0",
        "pandas==2.2.3",
        "scikit-learn==1.5.2",
        "pysam==0.22.1",
        "biopython==1.84",
        "centrosome==1.3.4",
        # what they pull in that can change what a program prints, pinned so a fresh build is the same build
        "imageio==2.38.1",
        "joblib==1.6.0",
        "networkx==3.6.1",
        "pillow==11.3.0",
        "python-dateutil==4.0.0",
        "pytz==2026.6",
        "threadpoolctl==3.8.0",
        "tifffile==2026.3.3",
        "tzdata==2026.6",
    ),
    imports=("numpy", "scipy", "skimage", "pandas", "sklearn", "pysam", "Bio", "centrosome"),
)
"""The official programs' libraries at versions under which they run as written (``np.asfarray`` is numpy 1.x)."""

_REQUIRED = ("idx", "problem", "solution", "context", "signature")
_log = logging.getLogger(__name__)

CONTEXT = (
    "Write the function in Python. A hidden program that calls it decides: what it prints must equal what the "
    "reference function makes it print. Answer with `validate_code`: its code must define the function at top "
    "level (with the exact name of the signature; imports it needs go in the same cell); the definition, "
    "with the cell's imports, is spliced into the hidden program and graded, nothing else of the cell runs "
    'there. Or `submit` {"answer": "<the source of the function>"}. Your kernel runs the same libraries as '
    "the hidden program (numpy 1.26, scipy, scikit-image, pandas, scikit-learn, pysam, biopython, centrosome)."
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


def _question(problem: str, signature: str) -> str:
    return f"{problem.strip()}\n\nSignature:\n```python\n{signature.strip()}\n```"


class BiocoderFamily(TaskFamily):
    """Bioinformatics functions graded by hidden programs (MedAgentGym's biocoder source)."""

    name = "biocoder"
    version = "v1"
    sources = (SOURCE,)
    suite_sources = (SOURCE,)
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {SOURCE: 1137}
    payload_model = BiocoderPayload
    actions = ("execute", "validate_code", "submit", "debug", "terminal")
    kernel = KernelNeeds(environment=BIOCODER_ENV)
    grader_timeout = 300.0

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        """One task per suite function (inputs drawn from ``seed``), with its reference output."""
        if source != SOURCE:
            return super().build_suite(source, root, seed)
        tasks = [
            Task(
                id=f"{SOURCE}.syn.{n:03d}.{item.name}",
                source=SOURCE,
                family=self.name,
                category=item.category,
                split="test",
                question=_question(item.problem, item.signature),
                context=CONTEXT,
                solution=[item.solution],
                payload=BiocoderPayload(
                    program=suite_program(item, seed * 1000 + n),
                    signature=item.signature,
                    function=item.name,
                ),
            )
            for n, item in enumerate(SUITE)
        ]
        return _suite_kept(tasks)

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """The built-in suite only: a new BioCoder task needs a new function with a reference that runs in the
        sandbox, so this family cannot reach its share cheaply; the generated mix gives the rest to others."""
        return iter(self.build_suite(source, root, seed)[:n])

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        missing = [key for key in _REQUIRED if not isinstance(row.get(key), str) or not row[key].strip()]
        if missing:
            raise TaskFileError(f"{origin.where}: a BioCoder row needs text fields {', '.join(missing)}")
        if PLACEHOLDER not in row["context"]:
            raise TaskFileError(f"{origin.where}: the row's context has no {PLACEHOLDER} line")
        try:
            name = function_name(row["signature"])
        except SpliceError as exc:
            raise TaskFileError(f"{origin.where}: {exc}") from exc
        return Task(
            id=f"{SOURCE}.{origin.split}.{row['idx'][:16]}",
            source=SOURCE,
            family=self.name,
            category="official",
            split=origin.split,
            question=_question(row["problem"], row["signature"]),
            context=CONTEXT,
            solution=[row["solution"]],
            payload=BiocoderPayload(program=row["context"], signature=row["signature"], function=name),
        )

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> TaskSet:
        """The rows with their reference outputs; rows whose reference is unstable are excluded."""
        if database is not None:
            raise TaskFileError("BioCoder's tasks take no database; leave out database= (--db)")
        return with_references(tasks)

    def answer_from_cell(self, task: Task, cell: CellResult) -> Answer:
        """The cell's code: the function is taken from it by name when grading."""
        return Answer(kind="value", value=cell.code)

    def answer_from_submit(self, task: Task, params: dict[str, Any]) -> Answer:
        return Answer(kind="value", value=params.get("answer"))

    def oracle_plan(self, task: Task) -> list[dict[str, Any]]:
        """The reference function as a ``validate_code`` cell (it defines, prints nothing)."""
        if not task.solution:
            raise TaskFileError(f"task {task.id} has no reference solution, so the oracle cannot play it")
        return [
            {
                "action": "validate_code",
                "params": {"code": task.solution[-1]},
                "message": "Define the reference function.",
            }
        ]


def with_references(tasks: list[Task], *, sandbox: str = "auto") -> TaskSet:
    """``tasks`` with ``answer`` set to their reference output, less those left out because the reference
    program is unstable (its two runs differ, or it fails or times out), each excluded with why."""
    programs = [splice(_payload(t).program, t.solution[-1], _payload(t).function) for t in tasks]
    references = run_sync(
        reference_outputs(programs, environment=BIOCODER_ENV, sandbox=sandbox, timeout=PROGRAM_TIMEOUT)
    )
    kept = TaskSet()
    for task, ref in zip(tasks, references, strict=True):
        if ref.stable:
            kept.tasks.append(task.model_copy(update={"answer": ref.stdout}))
        else:
            kept.excluded.append(Exclusion(source=task.source, task_id=task.id, reason=ref.why))
    return kept


def _suite_kept(tasks: list[Task]) -> list[Task]:
    """The built-in suite's tasks with their references; a suite function whose reference is unstable is
    a defect of ours, logged and left out."""
    kept = with_references(tasks)
    for exclusion in kept.excluded:
        _log.warning("biocoder: suite task %s excluded: %s", exclusion.task_id, exclusion.reason)
    return kept.tasks


def grade_function(
    task: dict[str, Any], code: Any, *, sandbox: str, timeout: float = PROGRAM_TIMEOUT
) -> Grade:
    """The grade of ``code`` (the agent's answer) for ``task`` (a ``Task`` as JSON data): splice, run (at most
    ``timeout`` seconds), compare."""
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
        program = splice(payload.program, code, payload.function)
    except SpliceError as exc:
        return Grade(score=0.0, passed=False, message=f"cannot use this code: {exc}")
    [run] = run_sync(run_programs([program], environment=BIOCODER_ENV, sandbox=sandbox, timeout=timeout))
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
