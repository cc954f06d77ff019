"""BioCoder tasks at training scale: instances of the parametrised templates, with their reference outputs.

Every template's parameter points are shuffled with the seed and the templates taken in turn, so any
prefix of the stream covers them all evenly. Each instance is a program (``suite.suite_program``) whose
inputs are drawn from a seed of its own.

The reference output is computed in-process, not in the sandbox: the official flow runs each reference
program twice in a sandboxed kernel, which for thousands of programs takes longer than a whole generated
suite may. Template programs are ours, use only the standard library (no files, no clock, no set order in
what they print) and seed ``random`` themselves, so what they print is a function of their text; the host
runs the same Python as BioCoder's kernel environment. ``exec`` of the program under ``__main__`` with its
stdout captured is therefore what ``python program.py`` prints there; ``tests/test_biocoder.py``
runs a sample in the sandbox and checks it. The same in-process run with each stub (``signatures.STUBS``)
spliced in must print something else (or fail): an instance whose output does not depend on the function is
skipped, as the official flow excludes such rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .programs import normalise, splice
from .signatures import STUBS, decorator_lines, stub_function
from .suite import SuiteFunction, suite_program
from .template import Template
from .templates_reads import TEMPLATES as READS
from .templates_sequence import TEMPLATES as SEQUENCE

__all__ = ["TEMPLATES", "Instance", "instances", "run_in_process"]

TEMPLATES: list[Template] = [*SEQUENCE, *READS]
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Instance:
    """One template instance: its function (problem, reference, hidden ``main``), its hidden program
    (with the slot) and what that prints with the reference spliced in (``answer``)."""

    template: Template
    number: int
    function: SuiteFunction
    program: str
    answer: str


def run_in_process(program: str) -> str | None:
    """What ``program`` prints when run as ``__main__`` (normalised), or None if it raises; the global
    ``random`` state it seeds is restored after."""
    state = random.getstate()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(program, "<program>", "exec"), {"__name__": "__main__"})  # noqa: S102 (our templates)
    except Exception:  # a stub (or a template defect, logged by the caller) makes the program fail
        return None
    finally:
        random.setstate(state)
    return normalise(out.getvalue())


def _program_seed(seed: int, name: str, number: int) -> int:
    return int(hashlib.sha256(f"{seed}-{name}-{number}".encode()).hexdigest()[:8], 16)


def _points(template: Template, seed: int) -> list[dict[str, Any]]:
    points = list(template.points())
    random.Random(f"{seed}-{template.name}").shuffle(points)
    return points


def _instance(template: Template, number: int, point: dict[str, Any], seed: int) -> Instance | None:
    """The instance at ``point``, or None when its output does not tell the reference from a stub."""
    parts = template.make(point)
    function = SuiteFunction(template.name, parts.problem, parts.solution, parts.main, helpers=parts.helpers)
    hidden = suite_program(function, _program_seed(seed, template.name, number))
    decorators = decorator_lines(function.signature)
    program = splice(hidden, function.solution, function.name, decorators)
    answer = run_in_process(program)
    if not answer:
        _log.warning(
            "biocoder: template %s at %s: its reference fails or prints nothing", template.name, point
        )
        return None
    for stub in STUBS:
        code = stub_function(function.signature, function.name, stub)
        if run_in_process(splice(hidden, code, function.name, decorators)) == answer:
            return None
    return Instance(template, number, function, hidden, answer)


def instances(seed: int) -> Iterator[Instance]:
    """Every template's instances, the templates in turn (round robin), each template's points in an order
    drawn from ``seed``; the same for the same seed."""
    queues = [(t, _points(t, seed)) for t in TEMPLATES]
    for number in range(max(len(points) for _t, points in queues)):
        for template, points in queues:
            if number < len(points):
                made = _instance(template, number, points[number], seed)
                if made is not None:
                    yield made
