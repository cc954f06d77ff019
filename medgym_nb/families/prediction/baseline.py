"""The plain logistic regression every prediction task is calibrated against, and the oracle's solution.

One implementation serves both: the generator runs it on the host to set each task's pass threshold, and
its source is pasted unchanged into the episode's kernel as the reference solution, so the oracle scores
exactly what the threshold was set from. Hence it imports nothing of medgym (numpy, pandas, scikit-learn
only) and has no ``from __future__`` line (it must run as the middle of a notebook cell).
"""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

ID = "patient_id"


def fit_predict(train_x: pd.DataFrame, train_y: pd.Series, test_x: pd.DataFrame) -> tuple[Any, Any, Any]:
    """Median imputation, standard scaling, logistic regression: (predictions, probabilities, classes).

    On one BLAS thread: the fit is small, and on a busy machine BLAS threads spinning for a core made a
    fit that takes a second take twenty.
    """
    model = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    with threadpool_limits(limits=1):
        model.fit(train_x, train_y)
        return model.predict(test_x), model.predict_proba(test_x), model.classes_


def hourly_summary(series: pd.DataFrame, static: pd.DataFrame) -> pd.DataFrame:
    """One row per patient from long hourly series: each variable's mean, min, max, first and last value and
    share of hours missing, with the static columns (categories one-hot)."""
    ordered = series.sort_values([ID, "hours_in"]).drop(columns="hours_in")
    grouped = ordered.groupby(ID)
    parts = [
        grouped.mean().add_suffix("_mean"),
        grouped.min().add_suffix("_min"),
        grouped.max().add_suffix("_max"),
        grouped.first().add_suffix("_first"),
        grouped.last().add_suffix("_last"),
        ordered.drop(columns=ID).isna().groupby(ordered[ID]).mean().add_suffix("_missing"),
    ]
    return pd.concat(parts, axis=1).join(pd.get_dummies(static.set_index(ID), dtype=float), how="left")


def write_predictions(path: str | Path, ids: Any, predictions: Any, probabilities: Any, classes: Any) -> None:
    """``patient_id, prediction`` plus the probability of the positive class (``probability``) for a binary
    task, or one ``probability_<class>`` column per class for a multiclass one with few classes."""
    frame = pd.DataFrame({ID: np.asarray(ids), "prediction": predictions})
    if len(classes) == 2:
        frame["probability"] = probabilities[:, 1]
    elif len(classes) <= 10:
        for k, label in enumerate(classes):
            frame[f"probability_{label}"] = probabilities[:, k]
    frame.to_csv(path, index=False)


def solve_ehrshot(folder: str | Path, out: str | Path) -> None:
    """Train on ``train.csv`` and ``val.csv`` of an EHRSHOT task folder; predict ``test.csv`` into ``out``."""
    train = pd.concat([pd.read_csv(Path(folder, "train.csv")), pd.read_csv(Path(folder, "val.csv"))])
    test = pd.read_csv(Path(folder, "test.csv"))
    features = [c for c in test.columns if c != ID]
    write_predictions(out, test[ID], *fit_predict(train[features], train["label"], test[features]))


def solve_mimic_extract(folder: str | Path, label: str, out: str | Path) -> None:
    """Summarise the hourly series of a MIMIC-Extract folder per patient, train on train and val for the
    ``label`` column, predict the test patients into ``out``."""

    def split(name: str) -> pd.DataFrame:
        series = pd.read_csv(Path(folder, f"vitals_labs_{name}.csv"))
        return hourly_summary(series, pd.read_csv(Path(folder, f"static_{name}.csv")))

    train = pd.concat([split("train"), split("val")])
    labels = pd.concat([pd.read_csv(Path(folder, f"labels_{s}.csv")) for s in ("train", "val")])
    train_y = labels.set_index(ID)[label].reindex(train.index)
    test = split("test").reindex(columns=train.columns)
    write_predictions(out, test.index, *fit_predict(train, train_y, test))
