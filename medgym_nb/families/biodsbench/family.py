"""The BioDSBench family: analyses of cBioPortal studies, graded by ``assert`` test cases that check what the
agent left in its session (a fitted ``KaplanMeierFitter``, a DataFrame of mutation counts, a p-value).

After the agent's last turn the asserts run in the episode's own kernel as its state probe (see
``grading/asserts.py``): the reward is the share that pass, and each one's result is recorded in the graded
notebook. Printing "PASSED" or the expected value earns nothing.

Official rows (``queries``, ``dataframes``, ``reference_answer``, ``test_cases``, ``study_ids``,
``question_ids``) come without the study tables they read, so ``prepare_official`` synthesizes each study's
tables from the tasks' descriptions (``cbioportal.py``), runs the reference code on them in a sandboxed
kernel and re-grounds the asserts' constants to what it produced (``biodsbench_ground.py``). Tasks whose
reference does not run there, or whose asserts cannot be re-grounded, are left out and listed, with the
reason, by ``ungrounded_tasks``. The paths the official code uses (``/workdir/<table>.csv``) become the
episode's read-only ``data/<table>.csv``. ``build_suite`` generates the built-in suite
(``biodsbench_suite.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medgym_nb.data.cache import cached_build
from medgym_nb.errors import TaskFileError
from medgym_nb.family.base import KernelNeeds, OfficialRow, TaskFamily
from medgym_nb.grading.answers import Answer
from medgym_nb.grading.asserts import TestStep, parse_tests, probe_code
from medgym_nb.tasks.model import Task
from medgym_nb.tasks.store import read_tasks, write_tasks

from .cbioportal import parse_dataframes, synthesize_study
from .cbioportal_mentions import mentions
from .ground import GroundItem, ground_study

__all__ = [
    "SETUP",
    "BiodsbenchFamily",
    "BiodsbenchPayload",
    "local_paths",
    "official_setup",
    "task_context",
    "ungrounded_tasks",
]

SOURCE = "biodsbench"
GROUNDING_FILE = "grounding.json"
SETUP = "import os\nimport pandas as pd\nimport matplotlib.pyplot as plt\nINPUT_DIR = 'data'"
"""The oracle's first cell: official reference code uses ``os``, ``pd`` and ``INPUT_DIR`` without defining them."""
_WORKDIR = re.compile(r"/workdir(?=[/\"'`\s)]|$)")
_FIELDS = ("queries", "dataframes", "reference_answer", "test_cases", "study_ids", "question_ids")

CONTEXT = (
    "The study's tables are in the read-only folder `data/`, each as CSV (`data/<table>.csv`) and as "
    "tab-separated text (`data/<table>.txt`). Leave your results in the variables the question names: after "
    "your last turn, hidden test cases check those variables in this session (what you print does not "
    "count). End with `validate_code` running your final code, or with `submit`. Figures you save in the "
    "work directory (png, jpg, svg) are kept with the episode."
)


class BiodsbenchPayload(BaseModel):
    """A task's study and hidden test steps; ``prelude`` is the code of the study's earlier questions that the
    reference needs (shown to the agent), ``official_tests`` the test cases as released."""

    model_config = ConfigDict(extra="forbid")

    study: str
    question_id: str = ""
    tests: list[TestStep] = Field(default_factory=list)
    official_tests: str = ""
    dataframes: str = ""
    reference: str = ""
    prelude: list[str] = Field(default_factory=list)


def official_setup(dataframes: str) -> str:
    """The oracle's first cell for an official task: ``SETUP``, then each described table read into the
    variable its description names (BioDSBench's references use them without reading them)."""
    reads = [f"{spec.name} = pd.read_csv('data/{spec.file}')" for spec in parse_dataframes(dataframes)]
    return "\n".join([SETUP, *dict.fromkeys(reads)])


def local_paths(text: str) -> str:
    """Official paths (``/workdir/x.csv``, ``INPUT_DIR = "/workdir"``) as the episode's ``data/`` ones."""
    return _WORKDIR.sub("data", text)


NAMED_TABLES = (
    "Each table is described as a DataFrame with a name: load it into a variable of that name (e.g. "
    "`data_mutations = pd.read_csv('data/data_mutations.csv')`)."
)


def task_context(tables: str, prelude: list[str], *, named: bool = True) -> str:
    """What the agent is told besides the question: the rules, the tables, and any prelude code."""
    parts = [CONTEXT + (" " + NAMED_TABLES if named else ""), "The tables:\n" + tables.strip()]
    if prelude:
        code = "\n\n".join(prelude)
        parts.append(
            "This question continues an analysis of the same study; its earlier steps ran the code below, "
            "which has not been run in your session (run what you need of it):\n```python\n" + code + "\n```"
        )
    return "\n\n".join(parts)


class BiodsbenchFamily(TaskFamily):
    """cBioPortal analyses checked by asserts on the agent's variables (MedAgentGym's biodsbench source)."""

    name = "biodsbench"
    sources = (SOURCE,)
    suite_sources = (SOURCE,)
    payload_model = BiodsbenchPayload
    kernel = KernelNeeds(packages=("pandas", "lifelines", "scipy", "matplotlib"))

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        if source != SOURCE:
            return super().build_suite(source, root, seed)
        from .suite import build_suite  # here: the suite module imports this one

        return build_suite(root, seed)

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        missing = [f for f in _FIELDS if not isinstance(row.get(f), str) or not str(row.get(f)).strip()]
        if missing:
            raise TaskFileError(f"{origin.where}: a BioDSBench row needs text fields {', '.join(missing)}")
        try:
            steps = parse_tests(local_paths(row["test_cases"]))
            parse_dataframes(row["dataframes"])
        except TaskFileError as exc:
            raise TaskFileError(f"{origin.where}: {exc}") from None
        study, question = row["study_ids"].strip(), row["question_ids"].strip()
        split = str(row.get("split") or origin.split)
        return Task(
            id=f"{SOURCE}.{split}.{study}.{question}",
            source=SOURCE,
            family=self.name,
            category=f"study_{study}",
            split=split,
            question=local_paths(row["queries"]),
            context=task_context(local_paths(row["dataframes"]), []),
            solution=[official_setup(row["dataframes"]), local_paths(row["reference_answer"])],
            payload=BiodsbenchPayload(
                study=study,
                question_id=question,
                tests=steps,
                official_tests=row["test_cases"],
                dataframes=local_paths(row["dataframes"]),
                reference=local_paths(row["reference_answer"]),
            ),
        )

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> list[Task]:
        """The tasks whose asserts re-ground on synthetic tables; built once per (files, seed) and cached.

        The build writes ``grounding.json`` (task id → None or the reason it was left out).
        """
        if database is not None:
            raise TaskFileError(
                "BioDSBench's tables are synthesized from the task descriptions; leave out --db"
            )

        def build(root: Path) -> None:
            grounded, reasons = ground_tasks(tasks, root, seed)
            write_tasks(root, grounded)
            (root / GROUNDING_FILE).write_text(json.dumps(reasons, indent=1), encoding="utf-8")

        return read_tasks(cached_build(_build_key(files, seed), build))

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

    Returns the grounded tasks (``data_dir`` relative to ``root``) and every task's outcome: None when
    grounded, else the reason.
    """
    by_study: dict[str, list[Task]] = {}
    for task in tasks:
        by_study.setdefault(_payload(task).study, []).append(task)
    grounded: list[Task] = []
    reasons: dict[str, str | None] = {}
    for study, members in sorted(by_study.items()):
        members.sort(key=_question_order)
        folder = root / "data" / study
        specs = [spec for t in members for spec in parse_dataframes(_payload(t).dataframes)]
        code = [_payload(t).reference for t in members]
        names = synthesize_study(specs, folder, study=study, seed=seed, mentioned=mentions(code))
        mounts = {name: str((folder / name).resolve()) for name in names}
        items = [GroundItem(t.solution[0], _payload(t).reference, _payload(t).tests) for t in members]
        for task, outcome in zip(members, ground_study(items, mounts), strict=True):
            reasons[task.id] = outcome.reason
            if outcome.steps is None:
                continue
            payload = _payload(task).model_copy(update={"tests": outcome.steps, "prelude": outcome.prelude})
            grounded.append(
                task.model_copy(
                    update={
                        "data_dir": f"data/{study}",
                        "data_files": names,
                        "context": task_context(payload.dataframes, outcome.prelude),
                        "solution": [task.solution[0], *outcome.prelude, payload.reference],
                        "payload": payload,
                    }
                )
            )
    return grounded, reasons


def _build_key(files: list[Path], seed: int) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return f"{SOURCE}-official-{BiodsbenchFamily.name}-{BiodsbenchFamily.version}-seed{seed}-{digest.hexdigest()[:16]}"


def ungrounded_tasks(path: str | Path, *, seed: int = 0) -> dict[str, str | None]:
    """Every official task under ``path`` (a task file or a data folder) → None if it re-grounded, else why
    not; prepares the tasks first if they were not yet."""
    from medgym_nb.data.cache import medgym_home
    from medgym_nb.tasks.catalog import load_tasks, official_task_files

    load_tasks(SOURCE, path=path, seed=seed)
    files = official_task_files(path, SOURCE)
    build = medgym_home() / "builds" / _build_key(files, seed)
    result: dict[str, str | None] = json.loads((build / GROUNDING_FILE).read_text(encoding="utf-8"))
    return result
