"""What the prediction generators share: hidden test labels, patient ids, splits, and planted noise.

A generator writes only what the agent may see (features; labels of train and val) into a task's data
folder and returns the test labels as ``HiddenLabels``, which go into the task's payload on the host.
"""

from __future__ import annotations

import zlib
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

__all__ = ["SPLITS", "HiddenLabels", "Kind", "assign_splits", "patient_ids", "rng_for", "sprinkle_missing"]

Kind = Literal["binary", "multiclass", "multilabel"]
SPLITS = ("train", "val", "test")
_SHARES = (0.6, 0.2, 0.2)


class HiddenLabels(BaseModel):
    """The test patients in file order and their labels (ints: 0/1, a class, or a multilabel bit mask)."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    classes: list[int]
    patient_ids: list[int]
    labels: list[int]


def rng_for(*parts: object) -> np.random.Generator:
    """A generator seeded from ``parts`` (stable across processes, unlike ``hash``)."""
    return np.random.default_rng(zlib.crc32("/".join(map(str, parts)).encode()))


def patient_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct, unordered patient ids of MIMIC/STARR-like size."""
    return rng.choice(np.arange(100_000, 1_000_000), size=n, replace=False)


def assign_splits(rng: np.random.Generator, n: int) -> np.ndarray:
    """A split name per row: 60 % train, 20 % val, 20 % test, shuffled."""
    counts = [round(share * n) for share in _SHARES[:-1]]
    names = np.repeat(np.array(SPLITS), [*counts, n - sum(counts)])
    return rng.permutation(names)


def sprinkle_missing(rng: np.random.Generator, values: np.ndarray, share: float | np.ndarray) -> np.ndarray:
    """A float copy of ``values`` with each cell missing (NaN) with probability ``share`` (per column)."""
    out = values.astype(float)
    out[rng.random(out.shape) < share] = np.nan
    return out
