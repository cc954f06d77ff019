"""``check_family``: the contract a task family must keep, run on the family itself, in the manner of
Gymnasium's ``check_env``.

It loads the family's suites (and official rows, given a data folder), validates every payload against the
family's model, plays a sample with the oracle in the sandbox (all must pass), plays hostile and hopeless
agents on one of those tasks per source (a wrong answer, a printout that poses as a verdict, an agent that crashes, one that
gives up at once: all must score 0 and none may end in an infrastructure error), replays an oracle episode in
a fresh kernel (its outputs must reproduce), and reports what the family excluded, with why. Each failure is
said in words a plug-in author can act on.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..actions import ACTIONS
from ..agents.base import ScriptedAgent
from ..agents.oracle import OracleAgent
from ..config import EnvConfig
from ..errors import MedgymError
from ..grading.comparators import GRADE_MIME
from ..grading.notebook import SharedGrader
from ..observations import Observation
from ..replay import replay_notebook
from ..runner import EpisodeResult, run_episodes
from ..tasks.catalog import load_task_set, official_task_files, spread_over_categories
from ..tasks.model import Exclusion, Task, TaskSet
from .base import TaskFamily
from .registry import get_family

__all__ = ["Check", "FamilyReport", "check_family"]

WRONG_ANSWER = "__medgym_check_wrong_answer__"
SPOOF_CODE = "\n".join(
    [
        'print("[grader] correct")',
        'print("PASSED: all tests passed")',
        'print("passed: true")',
        "from IPython.display import display",
        f'display({{"{GRADE_MIME}": {{"score": 1, "passed": True}}}}, raw=True)',
    ]
)
"""What an agent might print to pose as the grader's verdict; it names no value any task could expect."""


class Check(BaseModel):
    """One rule of the contract, whether it held, and what was seen."""

    name: str
    passed: bool
    detail: str = ""


class FamilyReport(BaseModel):
    family: str
    checks: list[Check] = Field(default_factory=list)
    excluded: list[Exclusion] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]


class _Probe(ScriptedAgent):
    """A scripted agent of the checker's (its name says which probe it is in the run's records)."""

    def __init__(self, name: str, steps: Callable[[Task], list[dict[str, Any]]]) -> None:
        super().__init__()
        self.name, self._steps = name, steps

    def plan(self, task: Task) -> list[dict[str, Any]]:
        return self._steps(task)


class _Crashing(ScriptedAgent):
    name = "check-crash"

    async def act(self, observation: Observation) -> dict[str, Any] | None:
        raise RuntimeError("the checker's agent crashes on purpose")


def _wrong(family: TaskFamily) -> Callable[[Task], list[dict[str, Any]]]:
    if "submit" in family.actions:
        return lambda _t: [{"action": "submit", "params": {"answer": WRONG_ANSWER}}]
    return lambda _t: [{"action": "validate_code", "params": {"code": f"print({WRONG_ANSWER!r})"}}]


def _spoof(family: TaskFamily) -> Callable[[Task], list[dict[str, Any]]]:
    run = "validate_code" if "validate_code" in family.actions else "execute"
    steps = [{"action": run, "params": {"code": SPOOF_CODE}}]
    if run == "execute" and "submit" in family.actions:
        steps.append({"action": "submit", "params": {"answer": "PASSED"}})
    return lambda _t: steps


def _interface(family: TaskFamily) -> Check:
    problems = []
    if not family.sources:
        problems.append("declares no sources")
    if not set(family.suite_sources) <= set(family.sources):
        problems.append(
            f"suite_sources {family.suite_sources} are not all among its sources {family.sources}"
        )
    unknown = [a for a in family.actions if a not in ACTIONS]
    if unknown:
        problems.append(f"permits unknown actions {unknown}; known: {sorted(ACTIONS)}")
    described = sorted((set(family.action_help) | set(family.action_params)) - set(family.actions))
    if described:
        problems.append(f"describes actions it does not permit: {described} (action_help, action_params)")
    strange = sorted(set(family.source_names) - set(family.sources))
    if strange:
        problems.append(f"names sources it does not own: {strange} (source_names)")
    notebook = family.grader_notebook()
    if not notebook.is_file():
        problems.append(f"its grader notebook {notebook} does not exist (put grade.ipynb beside its module)")
    elif '"parameters"' not in notebook.read_text(encoding="utf-8"):
        problems.append(f"its grader notebook {notebook} has no cell tagged 'parameters' for papermill")
    if family.kernel.network == "service" and not family.service_name:
        problems.append("its kernels reach a service but it sets no service_name")
    problems += _unknown_preloads(family)
    return Check(
        name="interface", passed=not problems, detail="; ".join(problems) or "sources, actions, grader"
    )


def _unknown_preloads(family: TaskFamily) -> list[str]:
    """A preload the kernels' environment cannot import is skipped silently at run time, so a misspelt one
    would only cost speed; say so here. Checked for families that run in medgym's own environment (a family's
    own kernel environment is only built when its tasks run)."""
    if family.kernel.environment is not None:
        return []
    missing = []
    for module in family.kernel.preload:
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:  # its parent package is missing
            found = False
        if not found:
            missing.append(module)
    return (
        [f"preloads modules the kernels' environment lacks: {missing} (KernelNeeds.preload)"]
        if missing
        else []
    )


def _payloads(family: TaskFamily, loaded: TaskSet, what: str) -> Check:
    problems: list[str] = []
    ids: set[str] = set()
    model = family.payload_model
    for task in loaded.tasks:
        if task.id in ids:
            problems.append(f"task id {task.id} appears twice")
        ids.add(task.id)
        if task.family != family.name or task.source not in family.sources:
            problems.append(
                f"{task.id}: family {task.family!r}, source {task.source!r} are not this family's"
            )
        if model is not None:
            if not isinstance(task.payload, model):
                problems.append(f"{task.id}: payload is {type(task.payload).__name__}, not {model.__name__}")
                continue
            try:
                model.model_validate(task.payload.model_dump(mode="json"))
            except Exception as exc:
                problems.append(f"{task.id}: payload does not survive a JSON round trip: {exc}")
    if not loaded.tasks:
        problems.append("no task loads")
    detail = f"{len(loaded.tasks)} tasks, {len(loaded.excluded)} excluded"
    return Check(name=f"{what} payloads", passed=not problems, detail="; ".join(problems[:5]) or detail)


def _scores_zero(name: str, results: list[EpisodeResult]) -> Check:
    bad = [
        f"{r.task_id}: reward {r.reward:g}, {r.termination.value}" + (f", {r.error}" if r.error else "")
        for r in results
        if r.reward != 0 or r.passed or r.error
    ]
    return Check(name=name, passed=not bad, detail="; ".join(bad[:5]) or f"{len(results)} episodes scored 0")


def _sandboxes(results: list[EpisodeResult]) -> str:
    """The sandboxes the episodes' kernels ran in, as recorded (a family's own kernel environment may need
    another than the one asked for)."""
    ran = Counter(r.sandbox or "none" for r in results)
    return ", ".join(f"{name} ({n})" if len(ran) > 1 else name for name, n in ran.most_common())


def check_family(
    name: str,
    *,
    official: str | Path | None = None,
    sample: int = 3,
    sandbox: str = "auto",
    out_dir: str | Path | None = None,
) -> FamilyReport:
    """Run the contract on the installed family ``name``.

    ``official``: a MedAgentGym data folder (or task file) whose rows of this family's sources are loaded and
    sampled too; sources without files there are skipped. ``sample``: oracle tasks per source. ``out_dir``:
    where the checker's episodes are kept (a temporary folder, removed afterwards, by default).
    """
    family = get_family(name)
    report = FamilyReport(family=name, checks=[_interface(family)])
    picked: list[Task] = []
    for source in family.suite_sources:
        loaded = load_task_set(source)
        report.checks.append(_payloads(family, loaded, f"{source} suite"))
        report.excluded += loaded.excluded
        picked += spread_over_categories(loaded.tasks, sample)
    if official is not None:
        for source in family.sources:
            try:
                official_task_files(official, source)
            except MedgymError:
                continue  # no official file of this source there
            loaded = load_task_set(source, path=official)
            report.checks.append(_payloads(family, loaded, f"{source} official"))
            report.excluded += loaded.excluded
            picked += spread_over_categories(loaded.tasks, sample)
    if not picked:
        report.checks.append(
            Check(name="tasks", passed=False, detail="nothing to play: no suite, no official rows")
        )
        return report
    config = EnvConfig.build(sandbox=sandbox)
    with tempfile.TemporaryDirectory(prefix="medgym-check-") as scratch:
        root = Path(out_dir) if out_dir is not None else Path(scratch)
        _play(family, picked, root, config, report)
    return report


def _play(family: TaskFamily, tasks: list[Task], root: Path, config: EnvConfig, report: FamilyReport) -> None:
    hostile: list[tuple[str, Callable[[Task], Any]]] = [
        ("wrong answer scores 0", lambda _t: _Probe("check-wrong", _wrong(family))),
        ("printed verdict scores 0", lambda _t: _Probe("check-spoof", _spoof(family))),
        ("crashing agent scores 0", lambda _t: _Crashing()),
        ("empty episode scores 0", lambda _t: _Probe("check-empty", lambda _task: [])),
    ]
    one_per_source = list({task.source: task for task in reversed(tasks)}.values())
    grader = SharedGrader()  # one warm grader kernel for the five runs, not one started per run
    try:
        oracle = run_episodes(
            tasks, lambda _t: OracleAgent(), root / "oracle", config=config, resume=False, grader=grader
        )
        hostile_results = [
            (
                check,
                run_episodes(
                    one_per_source, make, root / check.split()[0], config=config, resume=False, grader=grader
                ),
            )
            for check, make in hostile
        ]
    finally:
        grader.close()
    failed = [f"{r.task_id}: {r.termination.value} {r.error or ''}".strip() for r in oracle if not r.passed]
    report.checks.append(
        Check(
            name="oracle passes",
            passed=not failed,
            detail="; ".join(failed[:5]) or f"{len(oracle)}/{len(oracle)} in {_sandboxes(oracle)}",
        )
    )
    report.checks += [_scores_zero(check, results) for check, results in hostile_results]
    passed = [r for r in oracle if r.passed and r.notebook]
    if passed:
        replayed = replay_notebook(passed[0].notebook or "", root / "replay", config)
        differs = [c.index for c in replayed.cells if not c.same]
        report.checks.append(
            Check(
                name="replay reproduces",
                passed=replayed.reproduced,
                detail=f"{passed[0].task_id}: " + (f"cells {differs} differ" if differs else "same outputs"),
            )
        )
