"""A prediction task's typed payload, its pass rule, the scoring text an agent reads, and calibration: the
baseline's accuracy on the task's data, from which the pass threshold is set.

Shared by the built-in suite (``family.py``) and the generated tasks (``generate.py``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .grade import grade_predictions, majority_accuracy
from .split import HiddenLabels

__all__ = ["MARGIN", "PredictionPayload", "calibrated", "pass_threshold", "scoring_text"]

MARGIN = 0.02
_MIN_GAIN = 0.01
_LABEL_HELP = {
    "binary": "True or False",
    "multiclass": "the class, an integer 0–3",
    "multilabel": "the findings' bit mask, an integer (finding i of the list is 2**i)",
}


class PredictionPayload(BaseModel):
    """The task's name (its data folder's, for EHRSHOT), the hidden test labels and the pass rule's figures:
    ``baseline`` the logistic regression's accuracy, ``majority`` the majority-class file's.

    A generated task also names what it asks of a shared data folder: the ``label`` column, the cohort
    ``where`` (a pandas query), the ``features`` (EHRSHOT: column prefixes; MIMIC-Extract: variables) and
    the ``hours`` window [start, end) of MIMIC-Extract's series."""

    model_config = ConfigDict(extra="forbid")

    task_name: str
    folder: str = ""
    hidden: HiddenLabels | None = None
    threshold: float = 1.0
    baseline: float = 0.0
    majority: float = 0.0
    label: str = ""
    where: str = ""
    features: list[str] = Field(default_factory=list)
    hours: tuple[int, int] | None = None

    @property
    def output(self) -> str:
        return f"predictions-{self.task_name}.csv"


def pass_threshold(baseline: float, majority: float) -> float:
    """The accuracy a task passes at: the baseline's less ``MARGIN``, but never within half the baseline's gain
    of the majority class, so a majority-class file always fails and the baseline always passes."""
    if baseline - majority < _MIN_GAIN:
        raise ValueError(f"the baseline ({baseline:.3f}) barely beats the majority class ({majority:.3f})")
    return round(baseline - min(MARGIN, (baseline - majority) / 2), 4)


def calibrated(payload: PredictionPayload, predict: Callable[[Path], None]) -> PredictionPayload:
    """``payload`` with the baseline's accuracy (``predict`` writes the baseline's file to the path given)
    and the pass threshold from it; ``ValueError`` when the baseline barely beats the majority class."""
    assert payload.hidden is not None
    with tempfile.TemporaryDirectory(prefix="medgym-baseline-") as tmp:
        out = Path(tmp, payload.output)
        predict(out)
        baseline = grade_predictions(str(out), payload.output, payload.hidden, 1.0).score
    majority = majority_accuracy(payload.hidden)
    return payload.model_copy(
        update={
            "baseline": round(baseline, 4),
            "majority": round(majority, 4),
            "threshold": pass_threshold(baseline, majority),
        }
    )


def scoring_text(payload: PredictionPayload, who: str = "every test patient") -> str:
    """What to write, how it is scored and when it passes."""
    assert payload.hidden is not None
    probability = (
        "a column `probability` (of the positive class)"
        if payload.hidden.kind == "binary"
        else "columns `probability_0` … `probability_3`"
    )
    return (
        f"Write your predictions for {who} to `{payload.output}` in the working directory, "
        f"with columns `patient_id, prediction` (prediction: {_LABEL_HELP[payload.hidden.kind]})"
        + (
            f"; you may add {probability}, which is scored with AUROC and AUPRC too"
            if payload.hidden.kind != "multilabel"
            else ""
        )
        + f". The score is the accuracy on the hidden test labels; the task passes at accuracy ≥ {payload.threshold:.3f}. "
        "Then run `validate_code` (e.g. print the file's head) or `submit` to have the file graded: the file is "
        "graded once, and that ends the episode. "
        "numpy, pandas and scikit-learn are installed."
    )
