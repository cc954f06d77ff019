"""Synthetic EHRSHOT: pre-computed per-visit feature vectors and labels for the benchmark's 15 tasks.

EHRSHOT's features are credentialed (Stanford STARR), so each task here gets its own patients: a vector of
``N_FEATURES`` numbers per visit, mixed from a few latent health factors plus noise, with columns missing at
their own rates. The label is planted on the latent factors with noise, so a linear model recovers much of
it but not all; class balance follows each task's clinical rarity (rare diagnoses, a normal lab majority).

Per task folder (``<name>/``): ``train.csv`` and ``val.csv`` (``patient_id``, ``feature_0`` …, ``label``),
``test.csv`` without ``label``. Labels: ``True``/``False`` (binary), ``0``–``3`` (lab severity: normal,
mild, moderate, severe), and for ``chexpert`` the bit mask of the findings (finding ``i`` of
``CHEXPERT_FINDINGS`` is ``2**i``, so "Support Devices", the 14th, is 8192).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .split import HiddenLabels, Kind, assign_splits, patient_ids, rng_for, sprinkle_missing

__all__ = [
    "CHEXPERT_FINDINGS",
    "DESCRIPTIONS",
    "N_FEATURES",
    "TASKS",
    "build_task",
    "chexpert_masks",
    "task_kind",
]

N_PATIENTS = 2500
N_FEATURES = 96
_N_LATENT = 12
_FEATURE_NOISE = 0.5
_LABEL_NOISE = 0.15
"""Standard deviation of the noise added to the planted score (unit variance), before thresholding."""

_BINARY = {
    "guo_los": 0.28,
    "guo_readmission": 0.16,
    "guo_icu": 0.12,
    "new_hypertension": 0.22,
    "new_hyperlipidemia": 0.2,
    "new_pancan": 0.1,
    "new_celiac": 0.1,
    "new_lupus": 0.1,
    "new_acutemi": 0.12,
}
"""Share of positive visits per binary task."""
_LABS = {
    "lab_thrombocytopenia": (0.55, 0.2, 0.15, 0.1),
    "lab_hyperkalemia": (0.6, 0.18, 0.14, 0.08),
    "lab_hypoglycemia": (0.6, 0.17, 0.13, 0.1),
    "lab_hyponatremia": (0.55, 0.22, 0.14, 0.09),
    "lab_anemia": (0.45, 0.22, 0.23, 0.1),
}
"""Share of normal, mild, moderate and severe results per lab task."""
CHEXPERT_FINDINGS = (
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Lesion",
    "Lung Opacity",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
)
_CHEXPERT_PATTERNS = (
    (("No Finding",), 0.3),
    (("Support Devices",), 0.2),
    (("Pleural Effusion", "Support Devices"), 0.14),
    (("Lung Opacity",), 0.1),
    (("Cardiomegaly", "Pleural Effusion"), 0.1),
    (("Lung Opacity", "Atelectasis", "Support Devices"), 0.06),
    (("Cardiomegaly", "Edema", "Pleural Effusion"), 0.06),
    (("Pneumothorax", "Support Devices"), 0.04),
)
"""The finding combinations reports name, with their shares; a few reports flip one more finding."""
_CHEXPERT_FLIP = 0.03
_CHEXPERT_FLIPPED = [CHEXPERT_FINDINGS.index(f) for f in ("Support Devices", "Lung Opacity", "Fracture")]
TASKS = (*_BINARY, *_LABS, "chexpert")


def task_kind(name: str) -> Kind:
    return "binary" if name in _BINARY else "multiclass" if name in _LABS else "multilabel"


def _mask(findings: tuple[str, ...]) -> int:
    return sum(2 ** CHEXPERT_FINDINGS.index(f) for f in findings)


def _labels(rng: np.random.Generator, name: str, latent: np.ndarray) -> np.ndarray:
    """Labels planted on the latent factors: a noisy linear score cut at the task's class shares, or (for
    CheXpert) a finding pattern drawn from a softmax over linear scores."""
    if name == "chexpert":
        return chexpert_masks(rng, latent)
    direction = rng.standard_normal(latent.shape[1])
    score = latent @ (direction / np.linalg.norm(direction)) + _LABEL_NOISE * rng.standard_normal(len(latent))
    shares = (1 - _BINARY[name], _BINARY[name]) if name in _BINARY else _LABS[name]
    cuts = np.quantile(score, np.cumsum(shares)[:-1])
    classes = np.searchsorted(cuts, score)  # 0 for the lowest scores
    return classes if name in _BINARY else len(shares) - 1 - classes  # severity: lowest scores are severe


def chexpert_masks(rng: np.random.Generator, latent: np.ndarray) -> np.ndarray:
    """CheXpert's labels: a finding pattern per row drawn from a softmax over linear scores of the latent
    factors, a few with one more finding flipped; as bit masks."""
    n = len(latent)
    weights = rng.standard_normal((latent.shape[1], len(_CHEXPERT_PATTERNS)))
    logits = 1.6 * latent @ weights + np.log([share for _, share in _CHEXPERT_PATTERNS])
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    drawn = (probs.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    masks = np.array([_mask(f) for f, _ in _CHEXPERT_PATTERNS])[drawn]
    flip = rng.random(n) < _CHEXPERT_FLIP
    masks[flip] ^= 2 ** rng.choice(_CHEXPERT_FLIPPED, flip.sum())
    return masks


def build_task(folder: Path, name: str, seed: int) -> HiddenLabels:
    """Write task ``name``'s ``train.csv``, ``val.csv`` and ``test.csv`` into ``folder``; the test labels."""
    if name not in TASKS:
        raise ValueError(f"unknown EHRSHOT task {name!r}")
    rng = rng_for("ehrshot", name, seed)
    latent = rng.standard_normal((N_PATIENTS, _N_LATENT))
    mixing = rng.standard_normal((_N_LATENT, N_FEATURES)) / np.sqrt(_N_LATENT)
    values = latent @ mixing + _FEATURE_NOISE * rng.standard_normal((N_PATIENTS, N_FEATURES))
    values = sprinkle_missing(rng, values, rng.uniform(0.0, 0.25, N_FEATURES))
    labels = _labels(rng, name, latent)
    frame = pd.DataFrame(values, columns=[f"feature_{i}" for i in range(N_FEATURES)]).round(4)
    frame.insert(0, "patient_id", patient_ids(rng, N_PATIENTS))
    kind = task_kind(name)
    frame["label"] = labels.astype(bool) if kind == "binary" else labels
    splits = assign_splits(rng, N_PATIENTS)
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val"):
        frame[splits == split].to_csv(folder / f"{split}.csv", index=False)
    test = frame[splits == "test"]
    test.drop(columns="label").to_csv(folder / "test.csv", index=False)
    classes = [0, 1] if kind == "binary" else [0, 1, 2, 3] if kind == "multiclass" else []
    return HiddenLabels(
        kind=kind,
        classes=classes,
        patient_ids=test["patient_id"].tolist(),
        labels=labels[splits == "test"].astype(int).tolist(),
    )


_FEATURES_NOTE = (
    "The features are pre-computed from the patient's record: each row is one prediction time, encoded as a "
    "vector."
)
_BINARY_QUESTIONS = {
    "guo_los": "Predict whether the visit to the hospital will last at least 7 days (prediction time: 11:59pm "
    "on the day of admission).",
    "guo_readmission": "Predict whether the patient will be re-admitted to the hospital within 30 days after "
    "discharge from the visit.",
    "guo_icu": "Predict whether the patient will be transferred to the ICU during the visit.",
    "new_hypertension": "Predict whether the patient will get a first diagnosis of essential hypertension "
    "within the next year.",
    "new_hyperlipidemia": "Predict whether the patient will get a first diagnosis of hyperlipidemia within the "
    "next year.",
    "new_pancan": "Predict whether the patient will get a first diagnosis of pancreatic cancer within the next "
    "year.",
    "new_celiac": "Predict whether the patient will get a first diagnosis of celiac disease within the next "
    "year.",
    "new_lupus": "Predict whether the patient will get a first diagnosis of lupus within the next year.",
    "new_acutemi": "Predict whether the patient will get a first diagnosis of acute myocardial infarction "
    "within the next year.",
}
_LAB_NAMES = {
    "lab_thrombocytopenia": "platelet count",
    "lab_hyperkalemia": "potassium",
    "lab_hypoglycemia": "glucose",
    "lab_hyponatremia": "sodium",
    "lab_anemia": "hemoglobin",
}
DESCRIPTIONS = {
    **{
        name: f"{question}\n{_FEATURES_NOTE} The label is a binary value: predict True/False."
        for name, question in _BINARY_QUESTIONS.items()
    },
    **{
        name: f"Predict whether the next {lab} lab result comes back normal, mild, moderate or severe "
        f"({name.removeprefix('lab_')}).\n{_FEATURES_NOTE} The label is a 4-way multiclass value: predict 0/1/2/3 "
        "(0 normal … 3 severe)."
        for name, lab in _LAB_NAMES.items()
    },
    "chexpert": "Identify which of 14 findings the chest X-ray report will include: "
    + ", ".join(CHEXPERT_FINDINGS)
    + f".\n{_FEATURES_NOTE} The label is a 14-way multilabel value, given as a bit mask (finding i of the "
    "list above is 2**i, so 'Support Devices' alone is 8192).",
}
"""The built-in suite's task texts (official rows keep their own)."""
