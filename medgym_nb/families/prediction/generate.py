"""Generated prediction tasks: an outcome of a shared data pool (``pools.py``) for a cohort, over a time window
and with a feature set, each calibrated against the baseline on exactly that question.

A template is an outcome family (EHRSHOT: length of stay, readmission, ICU transfer, each new diagnosis, each
lab, CheXpert; MIMIC-Extract: each outcome); its tasks vary the outcome's window (3/7/14-day stays, 6-month to
2-year diagnoses, severity or abnormal labs; MIMIC-Extract's hours of series), the cohort (age bands, sex,
insurance, admission type) and the features. Templates take turns, each over its combinations in a seeded
order, so any prefix spreads over them. A combination whose baseline barely beats the majority class has no
fair pass threshold and is skipped. The baseline's predictions for a task come from the same functions the
oracle runs in the kernel (``baseline.py``); the host reads each pool once and reuses it.
"""

from __future__ import annotations

import inspect
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import pandas as pd

from . import baseline
from .mimic_extract import FOLDERS, VARIABLES, hidden_labels, write_folder
from .payload import PredictionPayload, calibrated, scoring_text
from .pools import EHRSHOT_FEATURES, EHRSHOT_OUTCOMES, Outcome, build_ehrshot_pool
from .split import HiddenLabels, rng_for

__all__ = ["Draft", "ehrshot_drafts", "mimic_extract_drafts"]

C = TypeVar("C")
Tables = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]
_POOL_STAYS = 3000
_EHRSHOT_FOLDER = "ehrshot"
_EHRSHOT_COHORTS = {
    "all visits": "",
    "patients aged 18–44": "age < 45",
    "patients aged 45–64": "45 <= age < 65",
    "patients aged 65 and over": "age >= 65",
    "female patients": "sex == 'F'",
    "male patients": "sex == 'M'",
}
_MIMIC_COHORTS = {
    "all stays": "",
    "patients under 65": "age < 65",
    "patients aged 65 and over": "age >= 65",
    "female patients": "gender == 'F'",
    "male patients": "gender == 'M'",
    "Medicare patients": "insurance == 'Medicare'",
    "emergency admissions": "admission_type == 'EMERGENCY'",
}
_VITALS = tuple(list(VARIABLES)[:8])
_LABS = tuple(list(VARIABLES)[8:])
_MIMIC_FEATURES: dict[str, tuple[str, ...]] = {
    "vital signs and labs": (),
    "vital signs only": _VITALS,
    "labs only": _LABS,
}
"""Feature set → the variables of the series it keeps (none named: every variable)."""
_MIMIC_OUTCOMES = {
    "mort_hosp": "Predict in-hospital mortality",
    "mort_icu": "Predict mortality in the ICU",
    "los_3": "Predict whether the length of stay exceeds 3 days",
    "los_7": "Predict whether the length of stay exceeds 7 days",
    "vasopressor": "Predict the vasopressor status in the 4 hours that follow a 6-hour gap after the window (stays "
    "off, onset, wean, or stays on)",
    "ventilation": "Predict the mechanical ventilation status in the 4 hours that follow a 6-hour gap after the "
    "window (stays off, onset, wean, or stays on)",
}
_WINDOWS = {
    "mortality_los": {"first 24 hours": (0, 24), "first 12 hours": (0, 12), "first 6 hours": (0, 6)},
    "vasopressor_ventilation": {"6-hour window": (0, 6), "last 3 hours of the 6-hour window": (3, 6)},
}


@dataclass(frozen=True)
class Draft:
    """A generated task before its threshold: the template (its category), question, data paragraph and a
    payload with its hidden labels; ``predict`` writes the baseline's file; ``call`` is the oracle's call."""

    template: str
    question: str
    data: str
    payload: PredictionPayload
    predict: Callable[[Path], None]
    call: str

    def context(self, payload: PredictionPayload) -> str:
        """The data paragraph and the scoring rule with the calibrated ``payload``'s threshold."""
        return f"{self.data}\n\n{scoring_text(payload, 'every test patient of the cohort')}"

    def solution(self) -> list[str]:
        """Look at the cohort's data; then the baseline's source and its call, which write the file."""
        first = f"data/{self.payload.folder}/" + (
            "train.csv" if self.payload.folder == _EHRSHOT_FOLDER else "static_train.csv"
        )
        look = f"import pandas as pd\nprint(pd.read_csv({first!r}).describe().T.head(12))"
        body = (
            f"{inspect.getsource(baseline)}\n{self.call}\nprint(pd.read_csv({self.payload.output!r}).head())"
        )
        return [look, body]

    def calibrated(self) -> PredictionPayload | None:
        """The payload with its pass threshold; None when the baseline barely beats the majority class."""
        try:
            return calibrated(self.payload, self.predict)
        except ValueError:
            return None


def _turns(templates: dict[str, list[C]], rng: random.Random) -> Iterator[tuple[str, C]]:
    """Each template's combinations in a seeded order, the templates taking turns until all run out."""
    orders = {t: iter(rng.sample(c, len(c))) for t, c in sorted(templates.items())}
    while orders:
        for template in list(orders):
            combination = next(orders[template], None)
            if combination is None:
                del orders[template]
            else:
                yield template, combination


def _cohort_note(name: str, where: str) -> str:
    return f"Cohort: {name}" + (f" (the rows where `{where}`, as a pandas query)" if where else "") + "."


def ehrshot_drafts(root: Path, seed: int) -> Iterator[Draft]:
    """Drafts over the EHRSHOT pool written to ``root/ehrshot``: outcome × cohort × feature set."""
    folder = root / _EHRSHOT_FOLDER
    truth = build_ehrshot_pool(folder, seed)
    frames = baseline.ehrshot_frames(folder)
    grid: dict[str, list[tuple[Outcome, str, str]]] = {}
    for outcome in EHRSHOT_OUTCOMES:
        for cohort, features in itertools.product(_EHRSHOT_COHORTS, EHRSHOT_FEATURES):
            grid.setdefault(outcome.template, []).append((outcome, cohort, features))
    for template, (outcome, cohort, features) in _turns(grid, random.Random(f"ehrshot-generate-{seed}")):
        where, prefixes = _EHRSHOT_COHORTS[cohort], EHRSHOT_FEATURES[features]
        chosen = truth.query(where) if where else truth
        hidden = HiddenLabels(
            kind=outcome.kind,
            classes=[0, 1]
            if outcome.kind == "binary"
            else [0, 1, 2, 3]
            if outcome.kind == "multiclass"
            else [],
            patient_ids=chosen["patient_id"].tolist(),
            labels=chosen[outcome.column].astype(int).tolist(),
        )
        payload = PredictionPayload(
            task_name=outcome.column,
            folder=_EHRSHOT_FOLDER,
            hidden=hidden,
            label=outcome.column,
            where=where,
            features=list(prefixes),
        )
        args = f"label={outcome.column!r}, where={where!r}, features={prefixes!r}"
        yield Draft(
            template=template,
            question=f"{outcome.question} {_cohort_note(cohort, where)} Features: {features}.",
            data=(
                f"The data is in `data/{_EHRSHOT_FOLDER}/`: `train.csv` and `val.csv` have one row per visit — "
                "`patient_id`, `age`, `sex`, pre-computed features in four groups (`cond_*` conditions, `med_*` "
                "medications, `lab_*` lab values, `proc_*` procedures; empty cells are missing values) and one "
                f"label column per outcome; `test.csv` has the test rows without labels. This task's label is the "
                f"column `{outcome.column}`; its features are the columns whose names start with "
                + " or ".join(f"`{p}`" for p in prefixes)
                + "."
            ),
            payload=payload,
            predict=partial(
                baseline.predict_ehrshot, *frames, label=outcome.column, where=where, features=prefixes
            ),
            call=f"solve_ehrshot({f'data/{_EHRSHOT_FOLDER}'!r}, {payload.output!r}, {args})",
        )


def mimic_extract_drafts(root: Path, seed: int) -> Iterator[Draft]:
    """Drafts over MIMIC-Extract's two folders written under ``root``: outcome × cohort × window × features."""
    truths = {
        name: write_folder(
            root / name, name, rng_for("mimic_extract-pool", name, seed), _POOL_STAYS, admissions=True
        )
        for name in FOLDERS
    }
    tables: dict[tuple[str, tuple[int, int], tuple[str, ...]], Tables] = {}
    grid: dict[str, list[tuple[str, str, str, str]]] = {}
    for name, outcomes in FOLDERS.items():
        for outcome in outcomes:
            for combination in itertools.product(_MIMIC_COHORTS, _WINDOWS[name], _MIMIC_FEATURES):
                grid.setdefault(outcome, []).append((name, *combination))
    for outcome, (name, cohort, window, features) in _turns(
        grid, random.Random(f"mimic_extract-generate-{seed}")
    ):
        where, hours, variables = _MIMIC_COHORTS[cohort], _WINDOWS[name][window], _MIMIC_FEATURES[features]
        key = (name, hours, variables)
        if key not in tables:
            tables[key] = baseline.mimic_extract_tables(root / name, hours, variables)
        truth = truths[name]
        payload = PredictionPayload(
            task_name=outcome,
            folder=name,
            hidden=hidden_labels(truth.query(where) if where else truth, outcome),
            label=outcome,
            where=where,
            features=list(variables),
            hours=hours,
        )
        kept = ", ".join(variables) if variables else "every variable"
        yield Draft(
            template=outcome,
            question=(
                f"{_MIMIC_OUTCOMES[outcome]} from the {features} of the {window} of the ICU stay's series "
                f"(`hours_in` {hours[0]}–{hours[1] - 1}) and the static demographics. {_cohort_note(cohort, where)}"
            ),
            data=(
                f"The data is in `data/{name}/`: `vitals_labs_train.csv`, `vitals_labs_val.csv` and "
                "`vitals_labs_test.csv` hold hourly measurements in long form (`patient_id`, `hours_in`, one "
                "column per vital sign or lab; empty where nothing was measured); `static_<split>.csv` the "
                "demographics (`patient_id`, `gender`, `age`, `ethnicity`, `insurance`, `admission_type`); "
                f"`labels_train.csv` and `labels_val.csv` the outcomes (`patient_id`, {', '.join(FOLDERS[name])}). "
                f"Predict `{outcome}`"
                + (" (0 stays off, 1 onset, 2 wean, 3 stays on)" if name != "mortality_los" else " (0 or 1)")
                + f" from {kept}."
            ),
            payload=payload,
            predict=partial(_predict_mimic, tables[key], outcome, where),
            call=(
                f"solve_mimic_extract({f'data/{name}'!r}, {outcome!r}, {payload.output!r}, where={where!r}, "
                f"hours={hours!r}, variables={variables!r})"
            ),
        )


def _predict_mimic(tables: Tables, label: str, where: str, out: Path) -> None:
    baseline.predict_mimic_extract(tables, label, out, where)
