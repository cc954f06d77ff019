"""The task-family plug-in interface.

A family owns one kind of problem end to end: its sources and categories, how a seeded suite is built, how a
row of an official MedAgentGym file becomes a ``Task``, which actions and ``request_info`` kinds its tasks
permit, how an answer is taken from a cell or a submit, its grader notebook and what that grader gets, its
reference (oracle) solution, and what its kernels need. The environment, the runner and the CLI ask the
family; they know nothing family-specific.

Subclass ``TaskFamily``, override what differs from the defaults, and register an instance (or the class)
under the ``medgym_nb.families`` entry point, or at run time with ``medgym_nb.register_family``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from ..actions import ACTIONS, InfoRequestError
from ..errors import MedgymError, NoGeneratorError, TaskFileError, UnknownSourceError
from ..grading.answers import Answer
from ..grading.context import GradingContext
from ..kernel.environments import KernelEnvironment
from ..kernel.session import CellResult
from ..services.base import ServiceTenant
from ..tasks.model import OfficialRow, Task, TaskSet

__all__ = ["InfoRequestError", "KernelNeeds", "SetupStep", "TaskFamily"]


@dataclass(frozen=True)
class SetupStep:
    """Something a family needs installed before its episodes can run (packages of its service, say):
    ``what`` is shown with the progress bar of ``medgym setup``; ``run`` does it, and is quick when it is
    done already. Suites, official data and kernel environments are set up from what the family declares;
    steps are for the rest."""

    what: str
    run: Callable[[], object]


class KernelNeeds(BaseModel):
    """What a family's episode kernels need beyond medgym's standard sandbox.

    ``packages``: import names its tasks use; the env checks them in the first kernel it starts for the
    family and fails with a clear error if any is missing. ``environment``: a kernel environment of the
    family's own (e.g. a pinned numpy 1.x stack; built once, see ``kernel/environments.py``), None for
    medgym's. ``network``: ``"none"`` (the default: no network at all) or ``"service"`` (the family's service
    only). The env refuses families that ask for a network it cannot provide yet, rather than run them without.
    ``preload``: modules most of its tasks import beyond the packages' top levels (``scipy.stats``, not just
    ``scipy``); a zygote template imports them once and its kernels share them copy-on-write, instead of each
    episode paying the import. A hint: a module the environment lacks is skipped, never an error.
    """

    model_config = ConfigDict(frozen=True)

    packages: tuple[str, ...] = ()
    extra: str | None = None
    """The pip extra that installs ``packages`` (``pip install 'medgym-nb[<extra>]'``), for the error message."""
    environment: KernelEnvironment | None = None
    network: Literal["none", "service"] = "none"
    preload: tuple[str, ...] = ()


class TaskFamily:
    """Base class: the defaults describe a family whose agents print their answer from code."""

    name: ClassVar[str]
    """The family's name: its registry key."""
    version: ClassVar[str] = "v1"
    """Part of the cache key of built suites: bump it when a suite's content changes."""
    sources: ClassVar[tuple[str, ...]] = ()
    """MedAgentGym source names (``data/<source>/``) whose tasks this family owns."""
    suite_sources: ClassVar[tuple[str, ...]] = ()
    """Sources with a built-in, generated suite (``load_tasks(source)`` without ``path``)."""
    official_counts: ClassVar[dict[str, int]] = {}
    """MedAgentGym's released task count (train + test) per source: the source's weight in a generated mix
    (``medgym tasks generate``), so a generated suite keeps MedAgentGym's proportions."""
    task_files: ClassVar[tuple[str, ...]] = ("*_tasks.jsonl", "*_tasks.sample.jsonl")
    """Globs of the official task files in a source's data folder (some sources name theirs ``task.jsonl``)."""
    payload_model: ClassVar[type[BaseModel] | None] = None
    """The model of ``Task.payload`` for this family's tasks (None: no payload)."""
    actions: ClassVar[tuple[str, ...]] = tuple(name for name in ACTIONS if name != "request_info")
    """The actions this family's tasks permit (names from ``medgym_nb.actions.ACTIONS``). ``request_info`` is
    left out by default, since the default ``request_info`` answers nothing: families that answer it add it."""
    action_help: ClassVar[dict[str, str]] = {}
    """What an action does in this family's tasks where the core's words (``ACTIONS[name].help``) are not true
    of them: how ``request_info`` is asked, what ``validate_code`` grades, which action ends the episode. It is
    the tool description agents see (``medgym_nb.tools``) and the system prompt built from it."""
    action_params: ClassVar[dict[str, type[BaseModel]]] = {}
    """The params model of an action whose params the family interprets (``OpenParams`` in ``ACTIONS``, e.g.
    ``request_info``): its JSON schema is what agents are told to send. Without one such an action takes none."""
    source_names: ClassVar[dict[str, str]] = {}
    """How a source is named to people (``{"my_source": "My-Source"}``): Gymnasium ids, reports. The source
    name itself where absent."""
    kernel: ClassVar[KernelNeeds] = KernelNeeds()
    service_name: ClassVar[str] = ""
    """The name users give a URL of their own server of this family's service under
    (``EnvConfig.service_urls``, ``--service-url NAME=URL``); families with ``network="service"`` set it."""
    grader_timeout: ClassVar[float] = 120.0
    """Seconds the grader notebook, and a state probe in the episode's kernel, may run."""
    grades_once: ClassVar[bool] = False
    """Whether the first graded answer ends the episode even when it fails: for tasks whose grade message tells
    about hidden labels (a test-set accuracy), so that retrying cannot fit them. Families with a
    ``state_probe`` always grade once."""

    # ---- set-up ----

    def setup_steps(self) -> list[SetupStep]:
        """What to install beyond the family's suites and kernel environment (``medgym setup`` runs both)."""
        return []

    # ---- tasks ----

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        """Generate ``source``'s suite into ``root`` (its data; ``data_dir`` relative to ``root``)."""
        raise UnknownSourceError(f"family {self.name!r} has no built-in suite for {source!r}")

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """Up to ``n`` distinct tasks of ``source`` for a suite at training scale, the same ones for the same
        arguments; their data is written under ``root`` (shared by many tasks, never one file per task) and
        their ``data_dir`` is relative to it. Ids are unique; ``category`` names the template a task was drawn
        from (a generated suite is split by it). Yield fewer than ``n`` when the templates hold no more
        distinct tasks: the caller gives the rest of the share to other sources, rather than pad with
        near-duplicates."""
        raise NoGeneratorError(
            f"family {self.name!r} has no task generator for {source!r}; leave the source out of "
            "--source, or implement TaskFamily.generate for it"
        )

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        """One row of an official ``*_tasks.jsonl`` as a task; ``TaskFileError`` naming ``origin.where``."""
        raise TaskFileError(f"{origin.where}: family {self.name!r} cannot import official rows")

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> TaskSet:
        """The tasks read from official ``files``, made ready to run (data built, answers re-grounded), and
        those that could not be, each with its reason (``TaskSet.excluded``): a row is left out, never a
        reason for the whole load to fail.

        ``database``: the user's real data instead of synthetic data, for families that have one.
        """
        if database is not None:
            raise TaskFileError(f"family {self.name!r} takes no database; leave out database= (--db)")
        return TaskSet(tasks=tasks)

    # ---- episodes ----

    def request_info(self, task: Task, params: dict[str, Any]) -> str:
        """Answer a ``request_info`` action (runs on the host; return text, raise ``InfoRequestError``)."""
        raise InfoRequestError("this task offers no request_info; look at its files with execute")

    def request_service_info(self, task: Task, params: dict[str, Any], service: ServiceTenant) -> str:
        """``request_info`` in an episode with a service tenant (e.g. a query of it on the agent's behalf)."""
        return self.request_info(task, params)

    def setup_cells(self, task: Task) -> list[str]:
        """Code run in the episode's kernel before the agent's first turn, recorded as the notebook's first
        cells: the state a task starts from (e.g. a study's earlier analysis steps). None by default."""
        return []

    def answer_from_cell(self, task: Task, cell: CellResult) -> Answer:
        """The answer a ``validate_code`` cell gives: what it printed."""
        return Answer(kind="printed", value=cell.stdout)

    def answer_from_submit(self, task: Task, params: dict[str, Any]) -> Answer:
        return Answer(kind="value", value=params["answer"])

    def follow_ups(self, task: Task) -> list[str]:
        """Questions asked in turn after the task's first one is answered (a conversation of follow-up questions).

        With follow-ups every answer (a submit or a ``validate_code``) is graded once, for the current question
        (``GradingContext.part``), and the next question is shown (observation ``next_question``); the episode
        ends after the last one, its reward the share answered correctly. None by default.
        """
        return []

    def outputs(self, task: Task) -> tuple[str, ...]:
        """Files (names or glob patterns, no ``/``) in the work dir that are kept and handed to the grader."""
        return ()

    def state_probe(self, task: Task) -> str | None:
        """Code the grader runs in the episode's own kernel after the agent's last turn, or None.

        It must leave a JSON-serialisable value in ``__medgym_state__``; the value (read from the kernel's
        reply, not from printed output) becomes ``GradingContext.state``. A family with a probe grades once:
        its grading ends the episode, since the probe may hold what the agent must not see.
        """
        return None

    def open_service(self, task: Task, directory: Path, url: str | None) -> ServiceTenant:
        """For ``kernel.network == "service"``: the episode's tenant of the family's service, its unix socket
        made in ``directory`` (the episode's work directory); ``url``: the user's own server of it
        (``EnvConfig.service_urls[service_name]``), None for the family's default. Runs on a worker thread."""
        raise MedgymError(f"family {self.name!r} declares no service")

    def service_state(self, task: Task, service: ServiceTenant) -> Any:
        """What the grader should know of the service the episode used (``GradingContext.service``), read
        through ``service`` after the agent's last turn, before the tenant is dropped; None by default."""
        return None

    # ---- grading ----

    def grader_notebook(self) -> Path:
        """The papermill grader notebook: ``grade.ipynb`` in the folder of the module defining the family."""
        return Path(inspect.getfile(type(self))).with_name("grade.ipynb")

    def grader_parameters(self, task: Task, context: GradingContext) -> dict[str, str]:
        """Papermill parameters: JSON strings only, so agent text is data, never code."""
        return {"task": task.model_dump_json(), "context": context.model_dump_json()}

    # ---- the oracle ----

    def oracle_plan(self, task: Task) -> list[dict[str, Any]]:
        """The reference solution as actions: the setup cells with ``execute``, then ``validate_code``."""
        if not task.solution:
            raise TaskFileError(f"task {task.id} has no reference solution, so the oracle cannot play it")
        *setup, final = task.solution
        steps: list[dict[str, Any]] = [
            {"action": "execute", "params": {"code": code}, "message": "Prepare."} for code in setup
        ]
        steps.append(
            {
                "action": "validate_code",
                "params": {"code": final},
                "message": "Run the reference solution and print the answer.",
            }
        )
        return steps
