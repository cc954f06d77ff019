"""A planted survival difference, for asserts that test one (``assert pvalue < 0.0001``).

Re-grounding replaces an assert's data-dependent constants, but a threshold (``p < 1e-4``, ``hr > 1``) is
the finding the question is about: the real study has it, and uniform synthetic data does not. For a task
with such an assert, its study's tables are made again with its groups' survival far apart: each patient's
score adds up the groups the task's code compares (the rank of the patient's value of a named category, the
z-score of a named numeric column, a mutation in a named gene), and every survival time (``*_MONTHS`` with
its ``*_STATUS``) becomes a typical time scaled by ``exp(-score)``, with the event observed.
"""

from __future__ import annotations

import math
import random
import re

import pandas as pd

__all__ = ["plant_survival_signal"]

_DURATION = re.compile(r"^(?P<endpoint>.+?)_(MONTHS|DAYS|YEARS)$", re.I)
_PATIENT = "PATIENT_ID"
_SAMPLE = "SAMPLE_ID"
_GROUP_STEP = math.log(4.0)
_GENE_STEP = math.log(5.0)


def _patient_ids(table: pd.DataFrame, samples: dict[str, str]) -> pd.Series | None:
    if _PATIENT in table.columns:
        return table[_PATIENT].astype(str)
    for column in (_SAMPLE, "Tumor_Sample_Barcode"):
        if column in table.columns:
            return table[column].astype(str).map(samples)
    return None


def _scores(
    tables: dict[str, pd.DataFrame], columns: tuple[str, ...], genes: tuple[str, ...]
) -> dict[str, float]:
    samples: dict[str, str] = {}
    for table in tables.values():
        if {_PATIENT, _SAMPLE} <= set(table.columns):
            samples.update(zip(table[_SAMPLE].astype(str), table[_PATIENT].astype(str), strict=True))
    score: dict[str, float] = {}
    for column in columns:
        for table in tables.values():
            patients = _patient_ids(table, samples)
            if column not in table.columns or patients is None:
                continue
            values = pd.Series(table[column].to_numpy(), index=patients.to_numpy())
            values = values[~values.index.duplicated()].dropna()
            if pd.api.types.is_numeric_dtype(values) and values.nunique() > 2:
                spread = float(values.std()) or 1.0
                part = ((values - values.mean()) / spread * 1.5).to_dict()
            else:
                rank = {v: n for n, v in enumerate(values.value_counts().index)}
                part = {p: rank[v] * _GROUP_STEP for p, v in values.items()}
            for patient, add in part.items():
                score[str(patient)] = score.get(str(patient), 0.0) + float(add)
            break
    mutations = tables.get("data_mutations")
    if genes and mutations is not None and "Hugo_Symbol" in mutations.columns:
        hit = mutations[mutations["Hugo_Symbol"].isin(genes)]
        patients = _patient_ids(hit, samples)
        for patient in set(patients.dropna()) if patients is not None else set():
            score[patient] = score.get(patient, 0.0) + _GENE_STEP
    return score


def _event(status: pd.Series) -> object | None:
    """The status value that means the event happened (``1:DECEASED``, ``1``)."""
    for value in status.dropna().unique():
        if str(value).strip().startswith("1"):
            return value
    return None


def plant_survival_signal(
    tables: dict[str, pd.DataFrame], columns: tuple[str, ...], genes: tuple[str, ...]
) -> None:
    """Rewrite every survival time and status in ``tables`` (in place) so the named groups differ strongly."""
    score = _scores(tables, columns, genes)
    rng = random.Random(f"signal-{sorted(score.items())}")
    for table in tables.values():
        if _PATIENT not in table.columns:
            continue
        for duration in [c for c in table.columns if _DURATION.match(c)]:
            times = pd.to_numeric(table[duration], errors="coerce")
            if times.isna().all():
                continue
            typical = float(times.median()) or 12.0
            scaled = [
                None
                if pd.isna(t)
                else round(typical * math.exp(-score.get(str(p), 0.0)) * rng.uniform(0.8, 1.2), 2)
                for p, t in zip(table[_PATIENT], times, strict=True)
            ]
            table[duration] = scaled
            endpoint = _DURATION.match(duration)["endpoint"]  # type: ignore[index]
            status = next((c for c in table.columns if c.upper() == f"{endpoint.upper()}_STATUS"), None)
            if status is not None and (event := _event(table[status])) is not None:
                table[status] = [event if pd.notna(s) else s for s in table[status]]
