"""Re-grounding BioDSBench test cases: run each task's reference code on the synthetic study in a sandboxed
kernel, and take the asserts' constants from what it produced.

The tasks of one study are steps of one analysis (a later question may use a variable or a column an
earlier one made), so a study's tasks run in one kernel, in question order. Each reference runs in a cleared
namespace after its set-up cells (the imports and table reads, then the study's earlier code the row carries
in ``code_histories``: the cells the episode's kernel runs before the agent's first turn); if it fails, it
runs again after the references of the study's earlier questions that ran (its *prelude*, which then becomes
part of its set-up). Then the test cases' data-dependent expressions are
evaluated (``run_steps`` in eval mode), their constants replaced (``reground``), and the re-grounded asserts
run against the reference's state: a task is grounded only when all of them pass.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from medgym_nb._loop import run_sync
from medgym_nb.errors import DeadKernelError
from medgym_nb.grading.asserts import RegroundError, TestStep, probe_code, reground
from medgym_nb.kernel.choice import choose_sandbox
from medgym_nb.kernel.pool import KernelPool
from medgym_nb.kernel.session import KernelSession

__all__ = ["GroundItem", "Grounding", "ground_study", "ground_study_async"]

REFERENCE_TIMEOUT = 180.0
_RESET = "get_ipython().run_line_magic('reset', '-f')\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt"
_CODE_FAULTS = {"NameError", "UnboundLocalError", "SyntaxError", "IndentationError", "ModuleNotFoundError"}
"""Errors no other tables can mend: the code names what it never defines, does not parse, or imports what
the kernel lacks."""
_STATE_JSON = "__import__('json').dumps(__medgym_state__)"


@dataclass
class GroundItem:
    """One task to ground: its set-up cells, reference code and parsed test steps; ``earlier``: the
    references to try as its prelude (default: those of the study's earlier questions that grounded)."""

    setup: list[str]
    reference: str
    steps: list[TestStep]
    earlier: list[str] | None = None


@dataclass
class Grounding:
    """The outcome: re-grounded steps and the prelude the reference needed, or why there are none and
    whether other tables could help (``retry``: not when the code itself is at fault, e.g. a name it never
    defines)."""

    steps: list[TestStep] | None = None
    prelude: list[str] = field(default_factory=list)
    reason: str | None = None
    retry: bool = False


async def _probe(kernel: KernelSession, steps: list[TestStep], mode: str) -> dict[str, Any]:
    code = probe_code(steps, "eval" if mode == "eval" else "assert")
    ok, text = await kernel.run_hidden(code, _STATE_JSON, timeout=REFERENCE_TIMEOUT)
    if not ok:
        raise RegroundError(f"the test cases did not run: {text}")
    state: dict[str, Any] = json.loads(ast.literal_eval(text))
    return state


async def _run(kernel: KernelSession, cells: list[str]) -> tuple[int, str, str] | None:
    """Run cells in a cleared namespace; None if all ran, else the failing cell's index, error name and
    error."""
    await kernel.execute(_RESET, timeout=60, store_history=False)
    for n, cell in enumerate(cells):
        result = await kernel.execute(cell, timeout=REFERENCE_TIMEOUT, store_history=False)
        if result.status != "ok":
            error = result.error
            why = f"{error.ename}: {error.evalue}" if error else f"the cell ended with status {result.status}"
            return n, error.ename if error else "", why
    return None


async def _ground_one(kernel: KernelSession, item: GroundItem, history: list[str]) -> Grounding:
    failed = await _run(kernel, [*item.setup, item.reference])
    earlier = history if item.earlier is None else item.earlier
    prelude: list[str] = []
    if failed is not None and failed[0] == len(item.setup) and earlier:
        prelude = list(earlier)
        failed = await _run(kernel, [*item.setup, *prelude, item.reference])
    if failed is not None:
        n, name, error = failed
        retry = name not in _CODE_FAULTS
        if n < len(item.setup):
            where = f"the study's earlier code (set-up cell {n + 1})" if n else "the set-up cell"
            return Grounding(reason=f"{where} fails on the synthetic tables: {error}", retry=retry)
        return Grounding(reason=f"the reference code fails on the synthetic tables: {error}", retry=retry)
    try:
        steps = reground(item.steps, await _probe(kernel, item.steps, "eval"))
        checked = await _probe(kernel, steps, "assert")
    except RegroundError as exc:
        return Grounding(reason=str(exc), retry="NameError" not in str(exc))
    failing = [r for r in checked["results"] if r["kind"] == "assert" and not r["passed"]]
    if failing:
        first = failing[0]
        return Grounding(
            reason=f"re-grounded assert fails on the reference: `{first['source']}` ({first['message']})",
            retry=True,
        )
    return Grounding(steps=steps, prelude=prelude)


async def ground_study_async(
    items: list[GroundItem], data: Mapping[str, str], *, sandbox: str = "auto"
) -> list[Grounding]:
    """Ground one study's tasks, given in question order, in one sandboxed kernel over ``data``."""
    _name, kernel_name = choose_sandbox(sandbox)
    pool = KernelPool(kernel_name)
    out: list[Grounding] = []
    history: list[str] = []
    try:
        lease = await pool.acquire(data)
        try:
            for item in items:
                try:
                    grounding = await _ground_one(lease.kernel, item, history)
                except DeadKernelError as exc:
                    await lease.release()
                    lease = await pool.acquire(data)
                    grounding = Grounding(reason=f"the kernel died running the reference: {exc}")
                if grounding.steps is not None:
                    history.append(item.reference)
                out.append(grounding)
        finally:
            await lease.release()
    finally:
        await pool.close()
    return out


def ground_study(
    items: list[GroundItem], data: Mapping[str, str], *, sandbox: str = "auto"
) -> list[Grounding]:
    """Sync façade of ``ground_study_async``."""
    return run_sync(ground_study_async(items, data, sandbox=sandbox))
