"""BioCoder's hidden programs: splicing a function into one, running it sandboxed, and its reference output.

A hidden program holds a line ``<<insert solution here>>`` where the function goes (at module level, or
indented inside a class; a few official programs comment it out, ``# <<insert solution here>>``, and it is the
slot all the same, as the source's text replacement made it). What is spliced is the definition of the
asked-for function (its decorators included; a definition written without decorators gets the signature's,
which the hidden program defines) taken from the agent's code with ``ast``, re-indented to the placeholder's
indentation; the agent's top-level imports go before the program. Nothing else of the agent's code runs: test prints in the same cell
cannot change what the program prints.

Programs run in a fresh sandboxed kernel of BioCoder's kernel environment, each as its own ``python
program.py`` process in a directory of its own (a fresh interpreter, as the program was written to be run):
its stdout goes to a file (bounded by the sandbox's file-size limit and read up to ``OUTPUT_CAP``), never to
the kernel, so nothing a program prints can pose as the runner's report. The reference output of a program is
computed the same way, twice, and cached beside the environment (``<envs>/<env key>-outputs/``) keyed by the
program's text: a program whose two runs differ, that fails, or that prints nothing (any function would
pass) is unstable and its task is excluded.

Outputs are compared exactly after one normalisation: trailing white space is removed from every line and
trailing empty lines are dropped (an editor's or a ``print(end=...)``'s difference, never a value's).
"""

from __future__ import annotations

import ast
import asyncio
import base64
import hashlib
import json
import os
import re
import textwrap
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from medgym_nb.errors import GraderError
from medgym_nb.grading.sandboxed import SandboxRun, run_cells_sandboxed_async
from medgym_nb.kernel.environments import KernelEnvironment, environments_home
from medgym_nb.kernel.limits import SandboxLimits

__all__ = [
    "OUTPUT_CAP",
    "PLACEHOLDER",
    "ProgramRun",
    "Reference",
    "SpliceError",
    "cached_runs",
    "function_name",
    "has_slot",
    "normalise",
    "reference_outputs",
    "run_programs",
    "splice",
]

PLACEHOLDER = "<<insert solution here>>"
OUTPUT_CAP = 600_000
"""Bytes of a program's stdout that are read; a longer output is marked truncated and never matches. Its
base64 form (the runner's report) stays under what the kernel lets one cell print (``OutputLimits``)."""
_STDERR_CAP = 4000
_SIGNATURE = re.compile(r"def\s+([A-Za-z_]\w*)\s*\(")
_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([^']+)'")
_SLOT = re.compile(r"^(?P<indent>[ \t]*)(?:#[ \t]*)?" + re.escape(PLACEHOLDER) + r"[ \t]*$")
"""The placeholder line: bare or commented out, at any indentation (the definition takes that indentation)."""


class SpliceError(ValueError):
    """The agent's code cannot be spliced (no such function, a syntax error); the message says why."""


class ProgramRun(BaseModel):
    """One run of a program: exit code (None: killed at the time limit), stdout (normalised), stderr tail."""

    returncode: int | None
    stdout: str
    stderr: str = ""
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.truncated


class Reference(BaseModel):
    """A program's reference output; ``stable`` is False when its two runs differed or failed (``why``)."""

    stable: bool
    stdout: str = ""
    why: str = ""


def function_name(signature: str) -> str:
    """The function's name in an official ``signature`` (``def name(args)``, maybe after decorators)."""
    found = _SIGNATURE.search(signature)
    if found is None:
        raise SpliceError(f"no function definition in signature {signature!r}")
    return found.group(1)


def normalise(text: str) -> str:
    """Trailing white space of every line and trailing empty lines removed (see the module docstring)."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")


def has_slot(context: str) -> bool:
    """Whether ``context`` has a placeholder line (see ``_SLOT``)."""
    return any(_SLOT.match(line) for line in context.splitlines())


def splice(context: str, code: str, name: str, decorators: Sequence[str] = ()) -> str:
    """The hidden program with the definition of ``name`` from ``code`` in place of the placeholder;
    ``decorators`` (the signature's ``@...`` lines) go before a definition that has none of its own."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise SpliceError(f"the code does not parse: {exc.msg} (line {exc.lineno})") from exc
    defs = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
    ]
    if not defs:
        raise SpliceError(f"the code defines no top-level function named {name!r}")
    node = defs[-1]  # as Python would: the last definition wins
    lines = code.splitlines()
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    assert node.end_lineno is not None
    function = textwrap.dedent("\n".join(lines[start : node.end_lineno]))
    if not node.decorator_list and decorators:
        function = "\n".join([*decorators, function])
    imports = [
        ast.get_source_segment(code, n) or "" for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    out: list[str] = []
    spliced = False
    for line in context.splitlines():
        slot = None if spliced else _SLOT.match(line)
        if slot is not None:
            indent = slot.group("indent")
            out.append(textwrap.indent(function, indent, lambda _line: True))
            spliced = True
        else:
            out.append(line)
    if not spliced:
        raise SpliceError(f"the hidden program has no {PLACEHOLDER} line")
    return "\n".join([*imports, *out]) + "\n"


# Runs in the sandboxed kernel (BioCoder's environment has no medgym): one program as its own process, its
# report one JSON line with the stdout base64-encoded, so its size is bounded (4/3 of ``OUTPUT_CAP``) whatever
# the program printed, and within what the kernel lets one cell print.
_RUNNER = """
import base64 as _b64, json as _json, os as _os, subprocess as _sp, sys as _sys, tempfile as _tf
def _medgym_run(number, program, timeout, cap, err_cap):
    folder = _os.path.abspath(f"program{number}")
    _os.makedirs(folder)
    with open(_os.path.join(folder, "program.py"), "w") as f:
        f.write(program)
    with _tf.TemporaryFile() as out, _tf.TemporaryFile() as err:
        try:
            code = _sp.run([_sys.executable, "program.py"], cwd=folder, stdin=_sp.DEVNULL, stdout=out,
                           stderr=err, timeout=timeout).returncode
        except _sp.TimeoutExpired:
            code = None
        out.seek(0)
        text = out.read(cap + 1)
        err.seek(max(0, err.seek(0, 2) - err_cap))
        return {"returncode": code, "stdout": _b64.b64encode(text[:cap]).decode("ascii"),
                "truncated": len(text) > cap, "stderr": err.read().decode("utf-8", "replace")}
"""


async def run_programs(
    programs: list[str],
    *,
    environment: KernelEnvironment,
    sandbox: str,
    timeout: float,
    limits: SandboxLimits | None = None,
) -> list[ProgramRun]:
    """Run each program (``timeout`` seconds each) in a fresh sandboxed kernel of ``environment``, one cell
    per program, under ``limits`` (the episode's, when grading an agent's function; the defaults otherwise).
    Many programs (a suite's references) are split over one kernel per core, in order.

    A kernel that died was killed by the program of its last cell (each runs under the kernel's uid and may
    signal it): that program counts as killed (``returncode`` -9) and the programs after it run in a new
    kernel, so one program cannot take the others' results with it. ``GraderError`` if the runner fails
    otherwise (an infrastructure fault, never the program's).
    """
    kernels = min(len(programs), os.cpu_count() or 1)
    if kernels <= 1:
        return await _run_in_one_kernel(programs, environment, sandbox, timeout, limits)
    size = -(-len(programs) // kernels)
    chunks = [programs[i : i + size] for i in range(0, len(programs), size)]
    runs = await asyncio.gather(
        *(_run_in_one_kernel(chunk, environment, sandbox, timeout, limits) for chunk in chunks)
    )
    return [run for chunk_runs in runs for run in chunk_runs]


async def _run_in_one_kernel(
    programs: list[str],
    environment: KernelEnvironment,
    sandbox: str,
    timeout: float,
    limits: SandboxLimits | None,
) -> list[ProgramRun]:
    cells = [
        f"{_RUNNER}\nprint(_json.dumps(_medgym_run({number}, {program!r}, {timeout!r}, {OUTPUT_CAP}, "
        f"{_STDERR_CAP})))"
        for number, program in enumerate(programs)
    ]
    runs = await run_cells_sandboxed_async(
        cells, sandbox=sandbox, timeout=timeout + 60, environment=environment, limits=limits
    )
    done = [_program_run(run) for run in runs]
    if len(done) < len(programs):
        done += await _run_in_one_kernel(programs[len(done) :], environment, sandbox, timeout, limits)
    return done


def _program_run(run: SandboxRun) -> ProgramRun:
    """One program's run from its runner cell (a dead kernel: the program killed it)."""
    if run.status == "dead":
        return ProgramRun(returncode=-9, stdout="", stderr="the program killed its runner")
    if run.status != "ok":
        raise GraderError(f"the program runner failed in its kernel ({run.status}): {run.text[-2000:]}")
    try:
        report = json.loads(run.stdout.strip().splitlines()[-1])
        stdout = base64.b64decode(report["stdout"]).decode("utf-8", "replace")
    except (ValueError, IndexError, KeyError) as exc:
        raise GraderError(f"the program runner's report is unreadable: {run.stdout[-500:]!r}") from exc
    return ProgramRun(
        returncode=report["returncode"],
        stdout=normalise(stdout),
        stderr=report["stderr"],
        truncated=report["truncated"],
    )


def _cache_dir(environment: KernelEnvironment, kind: str = "outputs") -> Path:
    return environments_home() / f"{environment.key}-{kind}"


_Cached = TypeVar("_Cached", bound=BaseModel)


async def _cached(
    programs: list[str],
    folder: Path,
    model: type[_Cached],
    compute: Callable[[list[str]], Awaitable[list[_Cached]]],
) -> list[_Cached]:
    """``compute``'s result for each program, read from ``folder`` (keyed by the program's text) where it was
    stored before, else computed for the missing programs at once and stored (atomically)."""
    found: dict[str, _Cached] = {}
    for program in set(programs):
        path = folder / f"{_program_key(program)}.json"
        if path.is_file():
            found[program] = model.model_validate_json(path.read_text())
    missing = sorted(set(programs) - set(found))
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
        for program, result in zip(missing, await compute(missing), strict=True):
            found[program] = result
            path = folder / f"{_program_key(program)}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(result.model_dump_json())
            tmp.replace(path)
    return [found[p] for p in programs]


def _program_key(program: str) -> str:
    return hashlib.sha256(program.encode()).hexdigest()


def _compare(first: ProgramRun, second: ProgramRun) -> Reference:
    for run in (first, second):
        missing = _MISSING_MODULE.search(run.stderr)
        if not run.ok and missing is not None:
            return Reference(
                stable=False,
                why=f"the reference program imports {missing.group(1)!r}, which the kernel environment does not "
                "have (no installable distribution provides it)",
            )
        if not run.ok:
            what = "timed out" if run.returncode is None else f"exited with {run.returncode}"
            if run.truncated:
                what = f"printed more than {OUTPUT_CAP} bytes"
            return Reference(stable=False, why=f"the reference program {what}: {run.stderr[-800:]}")
    if first.stdout != second.stdout:
        return Reference(stable=False, why="the reference program's output differs between two runs")
    if not first.stdout:
        return Reference(
            stable=False, why="the reference program prints nothing: it cannot tell functions apart"
        )
    return Reference(stable=True, stdout=first.stdout)


async def reference_outputs(
    programs: list[str], *, environment: KernelEnvironment, sandbox: str = "auto", timeout: float = 60.0
) -> list[Reference]:
    """The reference of each program (the reference function spliced in): cached, else run twice now, both
    rounds in parallel kernels."""

    async def twice(missing: list[str]) -> list[Reference]:
        first, second = await asyncio.gather(
            *(
                run_programs(missing, environment=environment, sandbox=sandbox, timeout=timeout)
                for _round in range(2)
            )
        )
        return [_compare(a, b) for a, b in zip(first, second, strict=True)]

    return await _cached(programs, _cache_dir(environment), Reference, twice)


async def cached_runs(
    programs: list[str], *, environment: KernelEnvironment, sandbox: str = "auto", timeout: float = 60.0
) -> list[ProgramRun]:
    """One run of each program, cached like references (``<env key>-runs/``): for programs whose result is
    looked at once per task file, such as a reference program with a do-nothing function spliced in."""

    async def once(missing: list[str]) -> list[ProgramRun]:
        return await run_programs(missing, environment=environment, sandbox=sandbox, timeout=timeout)

    return await _cached(programs, _cache_dir(environment, "runs"), ProgramRun, once)
