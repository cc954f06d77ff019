"""The prediction family: EHRSHOT and MIMIC-Extract, where the agent trains a model in its kernel and writes
``predictions-<task>.csv``, scored against hidden test labels.

Both sources are the same kind of task (a data folder with labelled train and val splits and an unlabelled
test split; a predictions file; accuracy against labels only the host has), so one family serves them;
the data comes from ``ehrshot.py`` and ``mimic_extract.py``. Each task's pass threshold is set
when its data is built, from what the plain logistic regression of ``baseline.py`` scores
on it (see ``pass_threshold``); that baseline's source is also the oracle's solution. Official rows
(EHRSHOT's ``task.jsonl``, MIMIC-Extract's ``*_tasks.jsonl``) keep their descriptions unchanged and run on
the synthetic data of the task they name.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from medgym_nb.data.cache import cached_build
from medgym_nb.errors import TaskFileError
from medgym_nb.family import KernelNeeds, OfficialRow, TaskFamily
from medgym_nb.grading.answers import Answer
from medgym_nb.grading.comparators import Grade
from medgym_nb.tasks.model import Task, TaskSet

from . import ehrshot, mimic_extract
from .grade import grade_predictions
from .payload import PredictionPayload, calibrated, pass_threshold, scoring_text

__all__ = ["FIGURES", "PredictionFamily", "PredictionPayload", "grade_task", "pass_threshold"]

EHRSHOT, MIMIC_EXTRACT = "ehrshot", "mimic_extract"
FIGURES = ("*.png", "*.jpg", "*.svg", "*.pdf")
"""Figures an agent saves in its work dir are kept with the episode (and shown by ``medgym report``)."""
BASELINE = Path(__file__).with_name("baseline.py")
"""The baseline's module, pasted whole into the oracle's cell. Imported only where it runs (scikit-learn takes a
second to import, and every process that lists the families imports this module)."""


def _category(source: str, name: str) -> str:
    if source == MIMIC_EXTRACT:
        return "mortality" if name.startswith("mort") else "los" if name.startswith("los") else "intervention"
    return {"guo": "operational", "lab": "lab", "new": "diagnosis"}.get(name.split("_")[0], name)


def _context(source: str, payload: PredictionPayload) -> str:
    assert payload.hidden is not None
    where = f"data/{payload.folder}/"
    if source == EHRSHOT:
        data = (
            f"The data is in `{where}`: `train.csv` and `val.csv` have one row per prediction time — "
            f"`patient_id`, the pre-computed feature vector `feature_0` … `feature_{ehrshot.N_FEATURES - 1}` "
            "(empty cells are missing values) and `label`; `test.csv` has the test rows without `label`."
        )
    else:
        outcomes = ", ".join(mimic_extract.FOLDERS[payload.folder])
        hours = "0–23 (the first 24 hours of the ICU stay)" if payload.folder == "mortality_los" else "0–5"
        data = (
            f"The data is in `{where}`: `vitals_labs_train.csv`, `vitals_labs_val.csv` and "
            f"`vitals_labs_test.csv` hold hourly measurements in long form (`patient_id`, `hours_in` {hours}, one "
            "column per vital sign or lab; empty where nothing was measured); `static_<split>.csv` the "
            "demographics (`patient_id`, `gender`, `age`, `ethnicity`, `insurance`); `labels_train.csv` and "
            f"`labels_val.csv` the outcomes (`patient_id`, {outcomes}). Predict `{payload.task_name}`"
            + (
                " (0 stays off, 1 onset, 2 wean, 3 stays on)."
                if payload.hidden.kind == "multiclass"
                else " (0 or 1)."
            )
        )
    return f"{data}\n\n{scoring_text(payload)}"


def _solution(source: str, payload: PredictionPayload) -> list[str]:
    """Look at the data; then the baseline's own source and its solve call, which write the file."""
    folder = f"data/{payload.folder}"
    first = f"{folder}/train.csv" if source == EHRSHOT else f"{folder}/labels_train.csv"
    call = (
        f"solve_ehrshot({folder!r}, {payload.output!r})"
        if source == EHRSHOT
        else f"solve_mimic_extract({folder!r}, {payload.task_name!r}, {payload.output!r})"
    )
    return [
        f"import pandas as pd\nprint(pd.read_csv({first!r}).describe().T.head(12))",
        f"{BASELINE.read_text()}\n{call}\nprint(pd.read_csv({payload.output!r}).head())",
    ]


_PAYLOADS = "payloads.json"


def _solve(source: str, folder: Path, name: str, out: Path) -> None:
    from . import baseline as prediction_baseline

    if source == EHRSHOT:
        prediction_baseline.solve_ehrshot(folder, out)
    else:
        prediction_baseline.solve_mimic_extract(folder, name, out)


def _folder_of(source: str, name: str) -> str:
    return name if source == EHRSHOT else mimic_extract.TASKS[name]


def _folder_data(source: str, folder: str, seed: int) -> tuple[Path, dict[str, PredictionPayload]]:
    """Data folder ``folder`` of ``source`` (built once per seed and cached, for the suite and official rows
    alike) and the calibrated payloads of its tasks."""

    def build(root: Path) -> None:
        if source == EHRSHOT:
            hidden = {folder: ehrshot.build_task(root / folder, folder, seed)}
        else:
            hidden = mimic_extract.build_folder(root / folder, folder, seed)
        payloads = [
            calibrated(
                PredictionPayload(task_name=name, folder=folder, hidden=labels),
                partial(_solve, source, root / folder, name),
            )
            for name, labels in hidden.items()
        ]
        (root / _PAYLOADS).write_text(json.dumps([p.model_dump(mode="json") for p in payloads]))

    key = f"{source}-{folder}-{PredictionFamily.name}-{PredictionFamily.version}-seed{seed}"
    root = cached_build(key, build)
    payloads = [PredictionPayload.model_validate(p) for p in json.loads((root / _PAYLOADS).read_text())]
    return root, {p.task_name: p for p in payloads}


def _known(source: str) -> tuple[str, ...]:
    return ehrshot.TASKS if source == EHRSHOT else tuple(mimic_extract.TASKS)


class PredictionFamily(TaskFamily):
    """Train a model, write a predictions file (MedAgentGym's ehrshot and mimic_extract sources)."""

    name = "prediction"
    version = "v2"  # v2: generated tasks over shared pools (cohort, outcome, window, features)
    sources = (EHRSHOT, MIMIC_EXTRACT)
    suite_sources = (EHRSHOT, MIMIC_EXTRACT)
    # MedAgentGym's released train + test counts (its metadata.json): the weights of a generated mix
    official_counts: ClassVar[dict[str, int]] = {EHRSHOT: 15, MIMIC_EXTRACT: 6}
    task_files = ("task.jsonl", *TaskFamily.task_files)
    payload_model = PredictionPayload
    kernel = KernelNeeds(
        packages=("numpy", "pandas", "sklearn"),
        # what the baseline and most answers import past sklearn's top level (~0.1 s an episode otherwise)
        preload=(
            "sklearn.linear_model",
            "sklearn.pipeline",
            "sklearn.preprocessing",
            "sklearn.impute",
            "sklearn.metrics",
            "sklearn.ensemble",
            "sklearn.model_selection",
        ),
    )
    grader_timeout = 180.0
    grades_once = True  # the grade shows the accuracy on the hidden test labels: no retries to fit them
    action_help: ClassVar[dict[str, str]] = {
        "validate_code": (
            "run the code that writes your predictions file (named in the task) to the work directory; the file "
            "is scored on the hidden test labels once, and the episode ends, pass or fail"
        ),
        "submit": (
            "end the episode and have the predictions file in the work directory scored on the hidden test "
            "labels (the value given is recorded, not graded)"
        ),
    }
    source_names: ClassVar[dict[str, str]] = {EHRSHOT: "EHRSHOT", MIMIC_EXTRACT: "MIMIC-Extract"}

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        """One task per official task name of the source; their data is cached per data folder (shared with
        official rows), not under ``root``."""
        if source not in self.sources:
            return super().build_suite(source, root, seed)
        return [
            self._task(f"{source}.{name}", source, "test", _description(source, name), name, seed)
            for name in _known(source)
        ]

    def generate(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        """Up to ``n`` tasks over the source's shared pool under ``root``: outcome, cohort, window and features
        drawn by ``generate.py``, each with its own threshold; every third task of a template is ``test``."""
        if source not in self.sources:
            return super().generate(source, n, seed, root)
        return self._generated(source, n, seed, root)

    def _generated(self, source: str, n: int, seed: int, root: Path) -> Iterator[Task]:
        if n <= 0:
            return
        from .generate import ehrshot_drafts, mimic_extract_drafts  # scikit-learn, through the baseline

        made: Counter[str] = Counter()
        drafts = ehrshot_drafts(root, seed) if source == EHRSHOT else mimic_extract_drafts(root, seed)
        for draft in drafts:
            payload = draft.calibrated()
            if payload is None:
                continue
            number = made[draft.template]
            made[draft.template] += 1
            yield Task(
                id=f"{source}.gen.{draft.template}.{number:04d}",
                source=source,
                family=self.name,
                category=draft.template,
                split="test" if number % 3 == 0 else "train",
                question=draft.question,
                context=draft.context(payload),
                data_dir=".",
                data_files=[payload.folder],
                answer={"file": payload.output, "accuracy_at_least": payload.threshold},
                solution=draft.solution(),
                payload=payload,
            )
            if made.total() >= n:
                return

    def read_official_row(self, row: dict[str, Any], origin: OfficialRow) -> Task:
        name = row.get("task_name")
        description = row.get("task_description")
        if not isinstance(name, str) or not isinstance(description, str) or not description.strip():
            raise TaskFileError(f"{origin.where}: a {origin.source} row needs task_name and task_description")
        if name not in _known(origin.source):
            raise TaskFileError(
                f"{origin.where}: unknown {origin.source} task {name!r}; known: {', '.join(_known(origin.source))}"
            )
        return Task(
            id=f"{origin.source}.{origin.split}.{origin.line:04d}",
            source=origin.source,
            family=self.name,
            category=_category(origin.source, name),
            split=origin.split,
            question=description,
            payload=PredictionPayload(task_name=name),
        )

    def prepare_official(
        self, source: str, tasks: list[Task], files: list[Path], *, seed: int, database: Path | None
    ) -> TaskSet:
        """The rows' tasks, descriptions unchanged, on the synthetic data of the task they name (built once per
        data folder and seed, shared with the built-in suite)."""
        if database is not None:
            raise TaskFileError(f"{source} tasks run on synthetic data; leave out database= (--db)")
        return TaskSet(
            tasks=[self._task(t.id, source, t.split, t.question, _payload(t).task_name, seed) for t in tasks]
        )

    def _task(self, task_id: str, source: str, split: str, question: str, name: str, seed: int) -> Task:
        data, payloads = _folder_data(source, _folder_of(source, name), seed)
        payload = payloads[name]
        return Task(
            id=task_id,
            source=source,
            family=self.name,
            category=_category(source, name),
            split=split,
            question=question,
            context=_context(source, payload),
            data_dir=str(data),
            data_files=[payload.folder],
            answer={"file": payload.output, "accuracy_at_least": payload.threshold},
            solution=_solution(source, payload),
            payload=payload,
        )

    def outputs(self, task: Task) -> tuple[str, ...]:
        return (_payload(task).output, *FIGURES)

    def answer_from_submit(self, task: Task, params: dict[str, Any]) -> Answer:
        """The file is the answer; whatever ``submit`` says besides is recorded, not graded."""
        return Answer(kind="value", value=params.get("answer", _payload(task).output))


def _description(source: str, name: str) -> str:
    """The built-in suite's own wording of the task (official rows keep theirs)."""
    return ehrshot.DESCRIPTIONS[name] if source == EHRSHOT else mimic_extract.DESCRIPTIONS[name]


def _payload(task: Task) -> PredictionPayload:
    assert isinstance(task.payload, PredictionPayload)
    return task.payload


def grade_task(task: Task, files: dict[str, str]) -> Grade:
    """The grader notebook's one call: score the task's predictions file among the kept ``files``."""
    payload = _payload(task)
    if payload.hidden is None:
        raise TaskFileError(
            f"task {task.id} has no test labels: load it through load_tasks, which builds them"
        )
    return grade_predictions(files.get(payload.output), payload.output, payload.hidden, payload.threshold)
