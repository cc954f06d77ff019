"""The data generated prediction tasks share: one EHRSHOT pool of visits with every outcome as a column, and
MIMIC-Extract's two folders with more stays and an admission type.

Where the built-in suite has one folder per task, a generated task is a question over a pool: a cohort of its
rows (a pandas query on the demographic columns), one of its outcomes, a time window of the series
(MIMIC-Extract) and a feature set. So a few files serve every task of a source, and the hidden test labels
of a task are the pool's test rows of its cohort, read from ``truth`` (test rows with their demographics and
every outcome, in the file's order) on the host.

EHRSHOT's pool: visits whose features come in four groups (``cond_*`` conditions, ``med_*`` medications,
``lab_*`` lab values, ``proc_*`` procedures), each a noisy mix of its own subset of the latent health factors,
so that a feature set sees part of what drives an outcome; ``age`` (which follows the first factor) and
``sex``. Each outcome is planted on the factors as in ``ehrshot.py``; an outcome's windows (a stay of at
least 3, 7 or 14 days; a readmission within 7, 30 or 90 days; a diagnosis within 6 months, a year or two)
cut one score at nested shares, and a lab's result is both a 4-way severity and a binary "abnormal".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .ehrshot import CHEXPERT_FINDINGS, chexpert_masks
from .split import Kind, assign_splits, patient_ids, rng_for, sprinkle_missing

__all__ = ["EHRSHOT_FEATURES", "EHRSHOT_OUTCOMES", "Outcome", "build_ehrshot_pool"]

_POOL_VISITS = 5000
_N_LATENT = 12
_FEATURE_NOISE = 0.5
_LABEL_NOISE = 0.15
_GROUPS = {
    "cond": (32, range(0, 8)),
    "med": (24, range(4, 12)),
    "lab": (24, range(8, 16)),
    "proc": (16, range(2, 10)),
}
"""Feature group → (columns, the latent factors it mixes, modulo ``_N_LATENT``)."""
EHRSHOT_FEATURES = {
    "all of them (age and every feature group)": ("age", "cond_", "med_", "lab_", "proc_"),
    "conditions and procedures only": ("cond_", "proc_"),
    "labs and medications only": ("lab_", "med_"),
    "conditions only": ("cond_",),
}
"""Feature set → the column-name prefixes it keeps."""


@dataclass(frozen=True)
class Outcome:
    """A label column of the pool: its ``template`` (the category of its tasks), ``kind`` and question."""

    column: str
    template: str
    kind: Kind
    question: str


def _binary(
    template: str, question: str, windows: dict[tuple[str, str], float]
) -> list[tuple[Outcome, float]]:
    """A binary template's outcomes, one per window ((column suffix, text), share of positives)."""
    return [
        (Outcome(f"{template}_{key}", template, "binary", question.format(w=text)), share)
        for (key, text), share in windows.items()
    ]


_DIAGNOSES = {
    "hypertension": ("essential hypertension", 0.22),
    "hyperlipidemia": ("hyperlipidemia", 0.2),
    "pancan": ("pancreatic cancer", 0.1),
    "celiac": ("celiac disease", 0.1),
    "lupus": ("lupus", 0.1),
    "acutemi": ("acute myocardial infarction", 0.12),
}
_LAB_TESTS = {
    "thrombocytopenia": ("platelet count", (0.55, 0.2, 0.15, 0.1)),
    "hyperkalemia": ("potassium", (0.6, 0.18, 0.14, 0.08)),
    "hypoglycemia": ("glucose", (0.6, 0.17, 0.13, 0.1)),
    "hyponatremia": ("sodium", (0.55, 0.22, 0.14, 0.09)),
    "anemia": ("hemoglobin", (0.45, 0.22, 0.23, 0.1)),
}
_BINARY: list[list[tuple[Outcome, float]]] = [
    _binary(
        "guo_los",
        "Predict whether the visit to the hospital will last at least {w} (prediction time: 11:59pm on the day "
        "of admission).",
        {("3d", "3 days"): 0.45, ("7d", "7 days"): 0.28, ("14d", "14 days"): 0.12},
    ),
    _binary(
        "guo_readmission",
        "Predict whether the patient will be re-admitted to the hospital within {w} after discharge from the "
        "visit.",
        {("7d", "7 days"): 0.08, ("30d", "30 days"): 0.16, ("90d", "90 days"): 0.27},
    ),
    _binary(
        "guo_icu",
        "Predict whether the patient will be transferred to the ICU {w}.",
        {("48h", "within 48 hours of admission"): 0.07, ("visit", "during the visit"): 0.12},
    ),
    *(
        _binary(
            f"new_{key}",
            f"Predict whether the patient will get a first diagnosis of {name} within the next {{w}}.",
            {
                ("6m", "6 months"): 0.6 * share,
                ("1y", "year"): share,
                ("2y", "2 years"): min(0.45, 1.5 * share),
            },
        )
        for key, (name, share) in _DIAGNOSES.items()
    ),
]
EHRSHOT_OUTCOMES: list[Outcome] = [
    *(o for group in _BINARY for o, _ in group),
    *(
        o
        for key, (lab, _) in _LAB_TESTS.items()
        for o in (
            Outcome(
                f"lab_{key}_severity",
                f"lab_{key}",
                "multiclass",
                f"Predict whether the next {lab} lab result comes back normal, mild, moderate or severe ({key}): "
                "0 normal, 1 mild, 2 moderate, 3 severe.",
            ),
            Outcome(
                f"lab_{key}_abnormal",
                f"lab_{key}",
                "binary",
                f"Predict whether the next {lab} lab result comes back abnormal (mild, moderate or severe "
                f"{key}).",
            ),
        )
    ),
    Outcome(
        "chexpert",
        "chexpert",
        "multilabel",
        "Identify which of 14 findings the chest X-ray report will include, as a bit mask (finding i of this "
        f"list is 2**i): {', '.join(CHEXPERT_FINDINGS)}.",
    ),
]
"""Every outcome of the EHRSHOT pool, one label column each."""


def _score(rng: np.random.Generator, latent: np.ndarray) -> np.ndarray:
    direction = rng.standard_normal(latent.shape[1])
    return latent @ (direction / np.linalg.norm(direction)) + _LABEL_NOISE * rng.standard_normal(len(latent))


def _outcomes(rng: np.random.Generator, latent: np.ndarray) -> dict[str, np.ndarray]:
    """Every label column: binary windows cut one score per template at nested shares; a lab's severity cut
    at its shares (lowest scores severe) and its abnormal flag; CheXpert's finding masks."""
    out: dict[str, np.ndarray] = {}
    for group in _BINARY:
        score = _score(rng, latent)
        for outcome, share in group:
            out[outcome.column] = score > np.quantile(score, 1 - share)
    for key, (_, shares) in _LAB_TESTS.items():
        score = _score(rng, latent)
        severity = len(shares) - 1 - np.searchsorted(np.quantile(score, np.cumsum(shares)[:-1]), score)
        out[f"lab_{key}_severity"] = severity
        out[f"lab_{key}_abnormal"] = severity > 0
    out["chexpert"] = chexpert_masks(rng, latent)
    return out


def build_ehrshot_pool(folder: Path, seed: int) -> pd.DataFrame:
    """Write the pool's ``train.csv``, ``val.csv`` (with every label column) and ``test.csv`` (without) into
    ``folder``; the test rows' ``patient_id``, ``age``, ``sex`` and labels, in ``test.csv``'s order."""
    rng = rng_for("ehrshot-pool", seed)
    latent = rng.standard_normal((_POOL_VISITS, _N_LATENT))
    frame = pd.DataFrame({"patient_id": patient_ids(rng, _POOL_VISITS)})
    frame["age"] = np.clip(55 + 12 * latent[:, 0] + 10 * rng.standard_normal(_POOL_VISITS), 18, 90).round()
    frame["sex"] = rng.choice(["F", "M"], _POOL_VISITS)
    groups = []
    for prefix, (columns, factors) in _GROUPS.items():
        mask = np.isin(np.arange(_N_LATENT), [f % _N_LATENT for f in factors])
        mixing = rng.standard_normal((_N_LATENT, columns)) * mask[:, None] / np.sqrt(mask.sum())
        values = latent @ mixing + _FEATURE_NOISE * rng.standard_normal((_POOL_VISITS, columns))
        values = sprinkle_missing(rng, values, rng.uniform(0.0, 0.25, columns))
        groups.append(pd.DataFrame(values, columns=[f"{prefix}_{i}" for i in range(columns)]).round(4))
    labels = pd.DataFrame(_outcomes(rng, latent))
    frame = pd.concat([frame, *groups, labels], axis=1)
    splits = assign_splits(rng, _POOL_VISITS)
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val"):
        frame[splits == split].to_csv(folder / f"{split}.csv", index=False)
    test = frame[splits == "test"]
    test.drop(columns=list(labels.columns)).to_csv(folder / "test.csv", index=False)
    return test[["patient_id", "age", "sex", *labels.columns]].reset_index(drop=True)
