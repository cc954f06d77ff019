"""Scoring a predictions file against hidden test labels: accuracy (the official harness's metric), plus
AUROC and AUPRC when the file carries probabilities.

The file is read strictly: every test patient exactly once, and every prediction a value of the task's
label type. Anything else is a ``PredictionFileError`` whose message says what is wrong, graded 0 — never a
crash and never a partial score from a file that does not answer the task.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medgym_nb.grading.comparators import Grade

from .errors import PredictionFileError
from .split import HiddenLabels

__all__ = ["grade_predictions", "majority_accuracy", "read_predictions"]

MAX_MULTILABEL_BITS = 14
_TRUE = {"true", "1", "1.0", "yes"}
_FALSE = {"false", "0", "0.0", "no"}
_SHOWN = 3


def _examples(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values[:_SHOWN]) + (" …" if len(values) > _SHOWN else "")


def _label(value: str, hidden: HiddenLabels) -> int | None:
    """A prediction cell as the task's label, or None when it is not one."""
    text = value.strip().lower()
    if hidden.kind == "binary":
        return 1 if text in _TRUE else 0 if text in _FALSE else None
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    label = int(number)
    if hidden.kind == "multiclass":
        return label if label in hidden.classes else None
    return label if 0 <= label < 2**MAX_MULTILABEL_BITS else None


def _read_table(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as exc:
        raise PredictionFileError(f"not a readable CSV file ({type(exc).__name__}: {exc})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("patient_id", "prediction") if c not in frame.columns]
    if missing:
        raise PredictionFileError(
            f"no column {' or '.join(missing)} (columns are {list(frame.columns)[:8]}); "
            "expected columns patient_id, prediction"
        )
    return frame


def _ids(frame: pd.DataFrame, hidden: HiddenLabels) -> np.ndarray:
    """Row order of each test patient in the file; every test patient exactly once, no others."""
    numbers = pd.to_numeric(frame["patient_id"].str.strip(), errors="coerce")
    bad = frame["patient_id"][numbers.isna() | (numbers != numbers.round())].tolist()
    if bad:
        raise PredictionFileError(f"{len(bad)} patient_id value(s) are not integers: {_examples(bad)}")
    ids = numbers.astype("int64")
    duplicated = ids[ids.duplicated()].unique().tolist()
    if duplicated:
        raise PredictionFileError(f"patient(s) predicted more than once: {_examples(duplicated)}")
    position = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    absent = [p for p in hidden.patient_ids if p not in position.index]
    if absent:
        raise PredictionFileError(
            f"{len(absent)} of {len(hidden.patient_ids)} test patients have no prediction "
            f"(e.g. {_examples(absent)})"
        )
    extra = sorted(set(position.index) - set(hidden.patient_ids))
    if extra:
        raise PredictionFileError(f"{len(extra)} patient_id(s) are not test patients: {_examples(extra)}")
    return position.loc[hidden.patient_ids].to_numpy()


def _probability_columns(hidden: HiddenLabels) -> list[str]:
    if hidden.kind == "binary":
        return ["probability"]
    if hidden.kind == "multiclass":
        return [f"probability_{c}" for c in hidden.classes]
    return []


def read_predictions(path: Path, hidden: HiddenLabels) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(predicted labels in the order of ``hidden.patient_ids``, probabilities or None, a note on them)."""
    frame = _read_table(path)
    rows = _ids(frame, hidden)
    cells = frame["prediction"].to_numpy()[rows]
    labels = [_label(str(v), hidden) for v in cells]
    bad = [str(v) for v, label in zip(cells, labels, strict=True) if label is None]
    if bad:
        wanted = {
            "binary": "True/False (or 1/0)",
            "multiclass": f"one of {hidden.classes}",
            "multilabel": f"an integer bit mask below {2**MAX_MULTILABEL_BITS}",
        }[hidden.kind]
        raise PredictionFileError(
            f"{len(bad)} prediction(s) are not {wanted} (empty cells are missing predictions): {_examples(bad)}"
        )
    columns = _probability_columns(hidden)
    if not columns or not all(c in frame.columns for c in columns):
        return np.array(labels), None, ""
    probs = frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy()[rows]
    if not np.isfinite(probs).all() or (probs < 0).any() or (probs > 1).any():
        return np.array(labels), None, "probabilities ignored: not all are numbers in [0, 1]"
    return np.array(labels), probs, ""


def majority_accuracy(hidden: HiddenLabels) -> float:
    """The accuracy of predicting the most common test label for everyone."""
    return float(np.unique(hidden.labels, return_counts=True)[1].max() / len(hidden.labels))


def _ranking_scores(truth: np.ndarray, probs: np.ndarray, hidden: HiddenLabels) -> dict[str, float]:
    """AUROC and AUPRC (one-vs-rest, macro over classes for a multiclass task); none if undefined.

    scikit-learn is imported here, not with the module: it takes a second, and the family's module (which
    every process listing the families imports) imports this one."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    try:
        if hidden.kind == "binary":
            return {
                "auroc": float(roc_auc_score(truth, probs[:, 0])),
                "auprc": float(average_precision_score(truth, probs[:, 0])),
            }
        onehot = (truth[:, None] == np.array(hidden.classes)[None, :]).astype(int)
        present = onehot.sum(axis=0) > 0
        return {
            "auroc": float(roc_auc_score(onehot[:, present], probs[:, present], average="macro")),
            "auprc": float(average_precision_score(onehot[:, present], probs[:, present], average="macro")),
        }
    except ValueError:
        return {}


def grade_predictions(path: str | None, name: str, hidden: HiddenLabels, threshold: float) -> Grade:
    """Score 1 file: reward = accuracy, passed when it reaches ``threshold``; a file that is missing or
    cannot be read scores 0 with a message saying why."""
    if path is None:
        return Grade(
            score=0.0,
            passed=False,
            message=f"no predictions file: write {name} in the working directory (columns patient_id, prediction)",
        )
    try:
        predicted, probs, note = read_predictions(Path(path), hidden)
    except PredictionFileError as exc:
        return Grade(score=0.0, passed=False, message=f"{name} cannot be scored: {exc}")
    truth = np.array(hidden.labels)
    accuracy = float((predicted == truth).mean())
    subscores = {"accuracy": accuracy}
    if probs is not None:
        subscores |= _ranking_scores(truth, probs, hidden)
    passed = accuracy >= threshold
    shown = ", ".join(f"{k} {v:.3f}" for k, v in subscores.items())
    verdict = "passed" if passed else "failed"
    message = (
        f"{shown} on {len(truth)} test patients; {verdict}: the pass threshold is accuracy {threshold:.3f}"
    )
    return Grade(
        score=accuracy, passed=passed, message=message + (f"; {note}" if note else ""), subscores=subscores
    )
