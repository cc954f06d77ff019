"""Synthetic MIMIC-Extract: hourly vital-sign and lab series of ICU stays, for its mortality, length-of-stay
and intervention tasks.

MIMIC-Extract's hourly tables are credentialed, so the stays here are drawn from two latent traits per
stay (acuity and complexity) that drive both the series and the outcomes; vitals are charted most hours,
labs every several hours, so most lab cells are missing. Two folders, as MedAgentGym names them:

- ``mortality_los/``: the first 24 hours (``hours_in`` 0–23) of each stay; outcomes ``mort_hosp``,
  ``mort_icu``, ``los_3``, ``los_7`` (0/1; an ICU death is a hospital death, a stay over 7 days is over 3).
- ``vasopressor_ventilation/``: 6-hour windows (``hours_in`` 0–5); outcomes ``vasopressor`` and
  ``ventilation``, the intervention's status in the 4 hours after a 6-hour gap: 0 stays off, 1 onset,
  2 wean (stops), 3 stays on. The status before the window shows in the vitals, its change in their trend.

Each folder: ``vitals_labs_<split>.csv`` (long: ``patient_id``, ``hours_in``, one column per variable),
``static_<split>.csv`` (``patient_id``, ``gender``, ``age``, ``ethnicity``, ``insurance``) and
``labels_<split>.csv`` for train and val only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .split import SPLITS, HiddenLabels, assign_splits, patient_ids, rng_for, sprinkle_missing

__all__ = ["DESCRIPTIONS", "FOLDERS", "TASKS", "VARIABLES", "build_folder", "hidden_labels", "write_folder"]

TASKS = {
    "mort_hosp": "mortality_los",
    "mort_icu": "mortality_los",
    "los_3": "mortality_los",
    "los_7": "mortality_los",
    "vasopressor": "vasopressor_ventilation",
    "ventilation": "vasopressor_ventilation",
}
"""Task name → the folder of its data (MedAgentGym's ``feature_label_directory``)."""
FOLDERS = {folder: [t for t, f in TASKS.items() if f == folder] for folder in dict.fromkeys(TASKS.values())}
_HOURS = {"mortality_los": 24, "vasopressor_ventilation": 6}
_STAYS = {"mortality_los": 2000, "vasopressor_ventilation": 2500}

# name: (mean, sd between stays, sd hour to hour, effect of acuity, effect of complexity, share missing)
VARIABLES = {
    "heart rate": (86, 12, 5, 7, 5, 0.08),
    "systolic blood pressure": (121, 15, 7, -8, 0, 0.1),
    "diastolic blood pressure": (62, 9, 5, -5, 0, 0.1),
    "mean blood pressure": (80, 10, 5, -6, 0, 0.1),
    "respiratory rate": (19, 4, 2, 2.5, 2, 0.1),
    "temperature": (37.0, 0.5, 0.2, 0.25, 0.3, 0.5),
    "oxygen saturation": (97, 2, 1, -1.2, 0, 0.1),
    "fraction inspired oxygen": (0.45, 0.1, 0.03, 0.06, 0.02, 0.7),
    "glucose": (135, 30, 15, 10, 14, 0.75),
    "potassium": (4.1, 0.4, 0.2, 0.15, 0, 0.8),
    "sodium": (139, 3.5, 1, -1, 0.5, 0.8),
    "bicarbonate": (24, 3, 1, -2, 0, 0.8),
    "creatinine": (1.3, 0.6, 0.1, 0.35, 0.45, 0.82),
    "blood urea nitrogen": (25, 10, 2, 6, 9, 0.82),
    "hemoglobin": (10.5, 1.6, 0.3, -0.6, -0.9, 0.8),
    "white blood cell count": (11, 4, 1, 2.2, 3, 0.82),
    "platelets": (210, 70, 10, -25, -10, 0.82),
    "lactate": (2.0, 0.8, 0.3, 0.9, 0.1, 0.85),
}
_ETHNICITIES = ("WHITE", "BLACK", "HISPANIC", "ASIAN", "OTHER")
_INSURANCE = ("Medicare", "Private", "Medicaid", "Government")
_ADMISSIONS = ("ELECTIVE", "URGENT", "EMERGENCY")
"""Admission types, least acute first (a quarter elective, a tenth urgent, the rest emergency)."""


def _static(rng: np.random.Generator, ids: np.ndarray, acuity: np.ndarray) -> pd.DataFrame:
    age = np.clip(64 + 10 * acuity + 14 * rng.standard_normal(len(ids)), 18, 91).round()
    return pd.DataFrame(
        {
            "patient_id": ids,
            "gender": rng.choice(["M", "F"], len(ids), p=[0.56, 0.44]),
            "age": age,
            "ethnicity": rng.choice(_ETHNICITIES, len(ids), p=[0.7, 0.1, 0.05, 0.05, 0.1]),
            "insurance": rng.choice(_INSURANCE, len(ids), p=[0.55, 0.3, 0.1, 0.05]),
        }
    )


def _series(
    rng: np.random.Generator, ids: np.ndarray, level: np.ndarray, trend: np.ndarray, hours: int
) -> pd.DataFrame:
    """Long hourly series: each stay's own level per variable (``level``/``trend`` give the acuity and
    complexity shifts at hour 0 and its change per hour, in units of each variable's acuity effect)."""
    n = len(ids)
    hour = np.arange(hours)
    columns: dict[str, np.ndarray] = {
        "patient_id": np.repeat(ids, hours),
        "hours_in": np.tile(hour, n),
    }
    for name, (mean, between, within, acuity_fx, complexity_fx, missing) in VARIABLES.items():
        base = (
            mean
            + between * 0.6 * rng.standard_normal(n)
            + acuity_fx * level[:, 0]
            + complexity_fx * level[:, 1]
        )
        drift = acuity_fx * trend[:, None] * hour[None, :]
        values = base[:, None] + drift + within * rng.standard_normal((n, hours))
        columns[name] = sprinkle_missing(rng, values, missing).ravel()
    return pd.DataFrame(columns).round(2)


def _mortality_los(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    acuity, complexity = rng.standard_normal(n), rng.standard_normal(n)
    death = 2.2 * acuity + 0.4 * rng.standard_normal(n)
    mort_hosp = death > np.quantile(death, 0.86)
    mort_icu = mort_hosp & (death + 0.3 * rng.standard_normal(n) > np.quantile(death, 0.885))
    los = np.exp(1.2 + 0.55 * complexity + 0.2 * acuity + 0.12 * rng.standard_normal(n))
    outcomes = {"mort_hosp": mort_hosp, "mort_icu": mort_icu, "los_3": los > 3, "los_7": los > 7}
    level = np.column_stack([acuity, complexity])
    return level, np.zeros(n), {k: v.astype(int) for k, v in outcomes.items()}


def _interventions(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Before the window a stay is on vasopressors (ventilation) or not; those on tend to come off when their
    vitals improve through the window, those off to start when they worsen."""
    acuity = rng.standard_normal(n)
    trend = 0.35 * rng.standard_normal(n)
    outcomes: dict[str, np.ndarray] = {}
    for name, on_share, shift in (("vasopressor", 0.25, 1.6), ("ventilation", 0.4, 1.0)):
        on = acuity + 0.4 * rng.standard_normal(n) > np.quantile(acuity, 1 - on_share)
        change = trend + 0.12 * rng.standard_normal(n)
        onset = ~on & (change > np.quantile(change[~on], 0.88))
        wean = on & (change < np.quantile(change[on], 0.3))
        outcomes[name] = np.select([onset, wean, on], [1, 2, 3], 0)
        acuity = acuity + shift * on * 0.3
    level = np.column_stack([acuity, 0.3 * rng.standard_normal(n)])
    return level, trend, outcomes


def write_folder(
    folder: Path, name: str, rng: np.random.Generator, stays: int | None = None, admissions: bool = False
) -> pd.DataFrame:
    """Write folder ``name`` (``mortality_los`` or ``vasopressor_ventilation``) of ``stays`` stays (default:
    the built-in size) into ``folder``; ``admissions`` adds the static column ``admission_type`` (emergency
    stays are the more acute). The test patients' static columns and outcomes, in the files' order."""
    if name not in FOLDERS:
        raise ValueError(f"unknown MIMIC-Extract folder {name!r}")
    n, hours = stays or _STAYS[name], _HOURS[name]
    level, trend, outcomes = (_mortality_los if name == "mortality_los" else _interventions)(rng, n)
    ids = patient_ids(rng, n)
    static = _static(rng, ids, level[:, 0])
    series = _series(rng, ids, level, trend, hours)
    labels = pd.DataFrame({"patient_id": ids, **outcomes})
    splits = assign_splits(rng, n)
    if admissions:
        urgency = level[:, 0] + rng.standard_normal(n)
        cuts = np.quantile(urgency, [0.25, 0.35])
        static["admission_type"] = np.array(_ADMISSIONS)[np.searchsorted(cuts, urgency)]
    folder.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        chosen = set(ids[splits == split].tolist())
        series[series["patient_id"].isin(chosen)].to_csv(folder / f"vitals_labs_{split}.csv", index=False)
        static[splits == split].to_csv(folder / f"static_{split}.csv", index=False)
        if split != "test":
            labels[splits == split].to_csv(folder / f"labels_{split}.csv", index=False)
    return static[splits == "test"].merge(labels, on="patient_id", how="left")


def hidden_labels(truth: pd.DataFrame, task: str) -> HiddenLabels:
    """Test labels of outcome ``task`` for the patients of ``truth`` (in its order)."""
    binary = task in ("mort_hosp", "mort_icu", "los_3", "los_7")
    return HiddenLabels(
        kind="binary" if binary else "multiclass",
        classes=[0, 1] if binary else [0, 1, 2, 3],
        patient_ids=truth["patient_id"].tolist(),
        labels=truth[task].astype(int).tolist(),
    )


def build_folder(folder: Path, name: str, seed: int) -> dict[str, HiddenLabels]:
    """Write the built-in folder ``name``; each of its tasks' test labels."""
    truth = write_folder(folder, name, rng_for("mimic_extract", name, seed))
    return {task: hidden_labels(truth, task) for task in FOLDERS[name]}


_SERIES = "based on the hourly lab and vital-sign measurements of the first 24 hours of the ICU stay"
_WINDOW = (
    "Use the past 6 hours of lab and vital-sign measurements and the static demographics (matching patient "
    "id) to predict the {0} status in the 4 hours that follow a 6-hour gap: stays off, onset, wean, or "
    "stays on."
)
DESCRIPTIONS = {
    "mort_hosp": f"Predict in-hospital mortality {_SERIES}.",
    "mort_icu": f"Predict mortality in the ICU {_SERIES}.",
    "los_3": f"Predict whether the length of stay exceeds 3 days {_SERIES}.",
    "los_7": f"Predict whether the length of stay exceeds 7 days {_SERIES}.",
    "vasopressor": _WINDOW.format("vasopressor intervention"),
    "ventilation": _WINDOW.format("mechanical ventilation"),
}
"""The built-in suite's task texts (official rows keep their own)."""
