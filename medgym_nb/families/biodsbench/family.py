"""The BioDSBench family: analyses of cBioPortal studies, graded by ``assert`` test cases that check what the
agent left in its session (a fitted ``KaplanMeierFitter``, a DataFrame of mutation counts, a p-value).

After the agent's last turn the asserts run in the episode's own kernel as its state probe (see
``grading/asserts.py``): the reward is the share that pass, and each one's result is recorded in the graded
notebook. Printing "PASSED" or the expected value earns nothing.

Official rows (``queries``, ``dataframes``, ``reference_answer``, ``test_cases``, ``study_ids``,
``question_ids``) come without the study tables they read, so ``prepare_official`` synthesizes each study's
tables from the tasks' descriptions (``cbioportal.py``), runs the reference code on them in a sandboxed
kernel and re-grounds the asserts' constants to what it produced (``ground.py``). Tasks whose
reference does not run there, or whose asserts cannot be re-grounded, are left out and listed, with the
reason, as the load's exclusions. A row's ``code_histories`` (the study's earlier code) run before the
agent's first turn as the episode's set-up cells (``setup_cells``), after the table reads the official code
presumes; its ``chat_histories`` are shown in the context. The paths the official code uses
(``/workdir/<table>.csv``) become the episode's read-only ``data/<table>.csv``. ``build_suite`` generates
the built-in suite (``suite.py``).
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import os
import re
import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from medgym_nb._loop import run_sync
from medgym_nb.data.cache import cached_build
from medgym_nb.errors import TaskFileError
from medgym_nb.family import KernelNeeds, OfficialRow, TaskFamily
from medgym_nb.grading.answers import Answer
from medgym_nb.grading.asserts import TestStep, parse_tests, probe_code
from medgym_nb.tasks.model import Exclusion, Task, TaskSet
from medgym_nb.tasks.store import read_task_set, tasks_digest, write_tasks

from .cbioportal import Variant, parse_dataframes, synthesize_study
from .cbioportal_mentions import mentions
from .generated import generate
from .ground import Grounding, GroundItem, ground_study_async
from .payload import SOURCE, BiodsbenchPayload, histories, local_paths, official_setup, task_context
from .suite import build_suite

__all__ = ["BiodsbenchFamily", "BiodsbenchPayload"]

_FIELDS = ("queries", "dataframes", "reference_answer", "test_cases", "study_ids", "question_ids")


class BiodsbenchFamily(TaskFamily):
    """cBioPortal analyses checked by asserts on the agent's variables (MedAgentGym's biodsbench source)."""

    name = "biodsbench"
    sources = (SOURCE,)
    suite_sources = (SOURCE,)
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {SOURCE: 99}
    payload_model = BiodsbenchPayload
    version = "v3"  # v3: generated cohorts; v2: set-up cells (code_histories), wider tables, variants
    kernel = KernelNeeds(
        packages=("pandas", "lifelines", "scipy", "matplotlib", "seaborn", "plotly", "PyComplexHeatmap"),
        extra="biodsbench",
    )
    action_help: ClassVar[dict[str, str]] = {
        "validate_code": (
            "run your final analysis code; then the variables it leaves in your kernel (and figures saved in "
            "the work directory) are checked by the task's hidden asserts. Grading happens once and ends the "
            "episode, pass or fail"
        ),
        "submit": (
            "end the episode and have the variables in your kernel checked by the hidden asserts (the value "
            "given is recorded, not graded)"
        ),
    }
    source_names: ClassVar[dict[str, str]] = {SOURCE: "BioDSBench"}

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        if source != SOURCE:
            return super().build_suite(source, root, seed)

        return build_suite(root, seed)

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """The built-in suite, then parametrised analyses over synthetic cohorts (``generated.py``), up to ``n``."""
        if source != SOURCE:
            return super().generate(source, n, seed, root)
        suite = self.build_suite(source, root, seed)[:n]
        return itertools.chain(suite, generate(root, n - len(suite), seed))

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        missing = [f for f in _FIELDS if not isinstance(row.get(f), str) or not str(row.get(f)).strip()]
        if missing:
            raise TaskFileError(f"{origin.where}: a BioDSBench row needs text fields {', '.join(missing)}")
        try:
            steps = parse_tests(local_paths(row["test_cases"]))
            parse_dataframes(row["dataframes"])
            history = histories(row.get("code_histories"), "code_histories")
            chat = histories(row.get("chat_histories"), "chat_histories")
        except TaskFileError as exc:
            raise TaskFileError(f"{origin.where}: {exc}") from None
        study, question = row["study_ids"].strip(), row["question_ids"].strip()
        split = str(row.get("split") or origin.split)
        tables = local_paths(row["dataframes"])
        return Task(
            id=f"{SOURCE}.{split}.{study}.{question}",
            source=SOURCE,
            family=self.name,
            category=f"study_{study}",
            split=split,
            question=local_paths(row["queries"]),
            context=task_context(tables, history, chat),
            solution=[local_paths(row["reference_answer"])],
            payload=BiodsbenchPayload(
                study=study,
                question_id=question,
                tests=steps,
                official_tests=row["test_cases"],
                dataframes=tables,
                reference=local_paths(row["reference_answer"]),
                setup=[official_setup(row["dataframes"]), *history],
                history=history,
                chat=chat,
            ),
        )

    def setup_cells(self, task: Task) -> list[str]:
        """An official task's kernel starts where its study's analysis stands: the tables read into the
        variables the descriptions name, then the study's earlier code (``code_histories``, and any
        earlier references re-grounding found its reference needs)."""
        return list(_payload(task).setup)

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> TaskSet:
        """The tasks whose asserts re-ground on synthetic tables; built once per (rows' tasks, seed), cached.

        A task whose asserts do not re-ground is excluded with the reason.
        """
        if database is not None:
            raise TaskFileError(
                "BioDSBench's tables are synthesized from the task descriptions; leave out --db"
            )

        def build(root: Path) -> None:
            grounded, reasons = ground_tasks(tasks, root, seed)
            excluded = [
                Exclusion(source=source, task_id=task_id, reason=reason)
                for task_id, reason in reasons.items()
                if reason is not None
            ]
            write_tasks(root, grounded, excluded)

        key = f"{SOURCE}-official-{self.name}-{self.version}-seed{seed}-{tasks_digest(tasks)}"
        return read_task_set(cached_build(key, build))

    def answer_from_submit(self, task: Task, params: dict[str, Any]) -> Answer:
        """A submit only ends the episode: the asserts look at the session, not at the submitted value."""
        return Answer(kind="value", value=params.get("answer"))

    def outputs(self, task: Task) -> tuple[str, ...]:
        return ("*.png", "*.jpg", "*.jpeg", "*.svg")

    def state_probe(self, task: Task) -> str | None:
        return probe_code(_payload(task).tests)


def _payload(task: Task) -> BiodsbenchPayload:
    assert isinstance(task.payload, BiodsbenchPayload)
    return task.payload


def _question_order(task: Task) -> tuple[int, str]:
    qid = _payload(task).question_id
    return (int(qid), qid) if qid.isdigit() else (1 << 30, qid)


def ground_tasks(tasks: list[Task], root: Path, seed: int) -> tuple[list[Task], dict[str, str | None]]:
    """Synthesize each study's tables under ``root/data/<study>`` and re-ground its tasks there.

    A task that does not re-ground on them gets a second try on tables made for it
    (``root/data/<study>~q<question>``, see ``_variant``). Returns the grounded tasks (``data_dir``
    relative to ``root``) and every task's outcome: None when grounded, else the reason.

    Studies are independent, so one study's tables are synthesized (here) while another's tasks are grounded
    (in its kernel), as many at once as there are cores.
    """
    by_study: dict[str, list[Task]] = {}
    for task in tasks:
        by_study.setdefault(_payload(task).study, []).append(task)
    studies = run_sync(_ground_studies(sorted(by_study.items()), root, seed))
    grounded = [task for study_tasks, _reasons in studies for task in study_tasks]
    reasons = {
        task_id: reason for _tasks, study_reasons in studies for task_id, reason in study_reasons.items()
    }
    return grounded, reasons


async def _ground_studies(
    studies: list[tuple[str, list[Task]]], root: Path, seed: int
) -> list[tuple[list[Task], dict[str, str | None]]]:
    slots = asyncio.Semaphore(os.cpu_count() or 1)

    async def one(study: str, members: list[Task]) -> tuple[list[Task], dict[str, str | None]]:
        async with slots:
            return await _ground_study_tasks(study, members, root, seed)

    return await asyncio.gather(*(one(study, members) for study, members in studies))


async def _ground_study_tasks(
    study: str, members: list[Task], root: Path, seed: int
) -> tuple[list[Task], dict[str, str | None]]:
    members = sorted(members, key=_question_order)
    specs = [spec for t in members for spec in parse_dataframes(_payload(t).dataframes)]
    named = mentions([code for t in members for code in _code(t)])
    folder = f"data/{study}"
    synthesize = partial(synthesize_study, specs, study=study, seed=seed, mentioned=named)
    names = await asyncio.to_thread(synthesize, root / folder)
    columns = {c for spec in specs for c in spec.columns} | set(named.columns)
    items = [_item(t) for t in members]
    outcomes = await ground_study_async(items, _mounts(root / folder, names))
    grounded: list[Task] = []
    reasons: dict[str, str | None] = {}
    done: list[str] = []
    for task, item, outcome in zip(members, items, outcomes, strict=True):
        where, files = folder, names
        variant = _variant(task, columns) if outcome.retry else None
        if variant is not None:
            where = f"data/{study}~q{_payload(task).question_id}"
            files = await asyncio.to_thread(synthesize, root / where, variant=variant)
            item.earlier = list(done)
            (retry,) = await ground_study_async([item], _mounts(root / where, files))
            outcome = retry if retry.steps is not None else outcome
            if retry.steps is None:
                shutil.rmtree(root / where)
                where, files = folder, names
        reasons[task.id] = outcome.reason
        if outcome.steps is None:
            continue
        done.append(item.reference)
        grounded.append(_grounded(task, outcome, where, files))
    return grounded, reasons


def _code(task: Task) -> list[str]:
    """A task's code: its study's earlier steps, its reference and its test cases."""
    payload = _payload(task)
    return [*payload.history, payload.reference, local_paths(payload.official_tests)]


def _item(task: Task) -> GroundItem:
    payload = _payload(task)
    return GroundItem(list(payload.setup), payload.reference, payload.tests)


def _mounts(folder: Path, names: list[str]) -> dict[str, str]:
    return {name: str((folder / name).resolve()) for name in names}


def _grounded(task: Task, outcome: Grounding, data_dir: str, files: list[str]) -> Task:
    assert outcome.steps is not None
    payload = _payload(task)
    payload = payload.model_copy(
        update={
            "tests": outcome.steps,
            "prelude": outcome.prelude,
            "setup": [*payload.setup, *outcome.prelude],
        }
    )
    return task.model_copy(
        update={
            "data_dir": data_dir,
            "data_files": files,
            "context": task_context(payload.dataframes, [*payload.history, *outcome.prelude], payload.chat),
            "payload": payload,
        }
    )


_SURVIVAL = re.compile(r"_(MONTHS|DAYS|YEARS|STATUS)$", re.I)
_NOT_GROUPS = {"Hugo_Symbol", "Variant_Classification", "Entrez_Gene_Id", "PATIENT_ID", "SAMPLE_ID"}


def _variant(task: Task, columns: set[str]) -> Variant | None:
    """Tables made for a task that did not re-ground on its study's: no missing values in the columns its
    code names (real tables often have none where the analysis looks), and, when an assert tests a
    threshold (``pvalue < 0.0001``), survival far apart between the groups its code compares."""
    own = mentions(_code(task))
    complete = tuple(c for c in own.read if c in columns)
    if not _thresholds(_payload(task).tests):
        return Variant(complete=complete) if complete else None
    groups = [c for c in [*own.values, *own.numeric] if not _SURVIVAL.search(c) and c not in _NOT_GROUPS]
    return Variant(complete=complete, signal=tuple(dict.fromkeys(groups)), genes=tuple(own.genes))


def _thresholds(steps: list[TestStep]) -> bool:
    """Whether an assert compares with an order (``<``, ``>=``) and has no constant to re-ground."""
    order = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
    for step in steps:
        if step.kind != "assert" or step.holes:
            continue
        for node in ast.walk(ast.parse(step.source)):
            if isinstance(node, ast.Compare) and any(isinstance(op, order) for op in node.ops):
                return True
    return False
