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


def ehrshot_frames(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An EHRSHOT folder's labelled rows (``train.csv`` and ``val.csv``) and its ``test.csv``."""
    train = pd.concat([pd.read_csv(Path(folder, "train.csv")), pd.read_csv(Path(folder, "val.csv"))])
    return train, pd.read_csv(Path(folder, "test.csv"))


def predict_ehrshot(
    train: pd.DataFrame,
    test: pd.DataFrame,
    out: str | Path,
    label: str = "label",
    where: str = "",
    features: tuple[str, ...] = (),
) -> None:
    """Fit on the ``train`` rows of the cohort ``where`` (a pandas query; empty: every row) for ``label``, with
    the columns whose names start with one of ``features`` (none given: every column of ``test`` but the
    id), and predict the cohort's ``test`` rows into ``out``."""
    if where:
        train, test = train.query(where), test.query(where)
    columns = [c for c in test.columns if c != ID and (not features or c.startswith(tuple(features)))]
    write_predictions(out, test[ID], *fit_predict(train[columns], train[label], test[columns]))


def solve_ehrshot(
    folder: str | Path,
    out: str | Path,
    label: str = "label",
    where: str = "",
    features: tuple[str, ...] = (),
) -> None:
    """Train on ``train.csv`` and ``val.csv`` of an EHRSHOT folder; predict ``test.csv`` into ``out``
    (``predict_ehrshot`` says what ``label``, ``where`` and ``features`` choose)."""
    predict_ehrshot(*ehrshot_frames(folder), out, label, where, features)


def mimic_extract_tables(
    folder: str | Path, hours: tuple[int, int] | None = None, variables: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A MIMIC-Extract folder as (train and val summaries per patient, their labels, the test summaries, the
    static rows of every patient): the series cut to ``hours_in`` in [``hours[0]``, ``hours[1]``) and to the
    ``variables`` named (none: all)."""

    def split(name: str) -> pd.DataFrame:
        series = pd.read_csv(Path(folder, f"vitals_labs_{name}.csv"))
        if hours is not None:
            series = series[(series["hours_in"] >= hours[0]) & (series["hours_in"] < hours[1])]
        if variables:
            series = series[[ID, "hours_in", *variables]]
        return hourly_summary(series, pd.read_csv(Path(folder, f"static_{name}.csv")))

    train = pd.concat([split("train"), split("val")])
    labels = pd.concat([pd.read_csv(Path(folder, f"labels_{s}.csv")) for s in ("train", "val")])
    static = pd.concat([pd.read_csv(Path(folder, f"static_{s}.csv")) for s in ("train", "val", "test")])
    return train, labels, split("test").reindex(columns=train.columns), static


def predict_mimic_extract(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame],
    label: str,
    out: str | Path,
    where: str = "",
) -> None:
    """Fit on the summaries of the train and val patients of the cohort ``where`` (a pandas query on the
    static columns; empty: every patient) for the ``label`` column, predict the cohort's test patients."""
    train, labels, test, static = tables
    if where:
        cohort = set(static.query(where)[ID])
        train, test = train[train.index.isin(cohort)], test[test.index.isin(cohort)]
    train_y = labels.set_index(ID)[label].reindex(train.index)
    write_predictions(out, test.index, *fit_predict(train, train_y, test))


def solve_mimic_extract(
    folder: str | Path,
    label: str,
    out: str | Path,
    where: str = "",
    hours: tuple[int, int] | None = None,
    variables: tuple[str, ...] = (),
) -> None:
    """Summarise the hourly series of a MIMIC-Extract folder per patient, train on train and val for the
    ``label`` column, predict the test patients into ``out`` (``where``, ``hours`` and ``variables`` as in
    ``predict_mimic_extract`` and ``mimic_extract_tables``)."""
    predict_mimic_extract(mimic_extract_tables(folder, hours, variables), label, out, where)
