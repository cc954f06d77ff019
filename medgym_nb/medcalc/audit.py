"""Auditing a MedCalc-Bench file: for every row, does ``compute`` land within the official limits, and if not, why.

A row is ``within_limits``; or a ``label_error`` / ``reference_defect`` that :mod:`.known_errors` documents for
that ``Row Number`` with the published formula's arithmetic; or ``unread`` (its entities name an input no
calculator name matches, or give a value we cannot read — the reason names the calculator, the entity and what
is accepted); or ``unexplained``, a disagreement nobody has documented yet, which is what an audit is for
finding. One bad row never stops the batch. The library returns the report; ``medgym medcalc audit`` prints it.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

from ..errors import TaskFileError
from .api import compute, get_calculator
from .errors import MedcalcInputError
from .known_errors import KNOWN_ERRORS, KnownError

__all__ = ["AuditReport", "Outcome", "RowAudit", "audit", "read_rows"]

_REQUIRED = ("Calculator ID", "Relevant Entities", "Ground Truth Answer", "Lower Limit", "Upper Limit")


class Outcome(StrEnum):
    """What became of one official row."""

    WITHIN_LIMITS = "within_limits"
    LABEL_ERROR = "label_error"
    REFERENCE_DEFECT = "reference_defect"
    UNREAD = "unread"
    UNEXPLAINED = "unexplained"


class RowAudit(BaseModel, frozen=True):
    """One row's outcome; ``reason`` says why (the known error's summary, or the input error's message)."""

    row: int | None
    calculator: str
    outcome: Outcome
    computed: str | None
    label: str
    reason: str = ""
    known_error: str | None = None


class AuditReport(BaseModel, frozen=True):
    """Every row's outcome and the counts per outcome."""

    rows: tuple[RowAudit, ...]

    @property
    def counts(self) -> dict[Outcome, int]:
        """Rows per outcome, every outcome present (zero if none)."""
        tally = Counter(row.outcome for row in self.rows)
        return {outcome: tally[outcome] for outcome in Outcome}

    @property
    def explained_share(self) -> float:
        """Rows within the limits or explained by a documented error, as a share of all rows."""
        counts = self.counts
        good = counts[Outcome.WITHIN_LIMITS] + counts[Outcome.LABEL_ERROR] + counts[Outcome.REFERENCE_DEFECT]
        return good / len(self.rows) if self.rows else 1.0


def read_rows(path: Path) -> list[dict[str, object]]:
    """The rows of an official MedCalc-Bench file: JSONL (MedAgentGym) or CSV (the MedCalc-Bench release)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TaskFileError(f"{path}: cannot read the MedCalc-Bench file ({exc.strerror})") from None
    if path.suffix.lower() == ".csv":
        rows: list[dict[str, object]] = [dict(row) for row in csv.DictReader(text.splitlines())]
        first_line = 2
    else:
        rows, first_line = [], 1
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise TaskFileError(f"{path}:{number}: not a JSON object ({exc.msg})") from None
    for offset, row in enumerate(rows):
        missing = [field for field in _REQUIRED if field not in row]
        if missing:
            raise TaskFileError(
                f"{path}:{first_line + offset}: no {', '.join(missing)} (a MedCalc-Bench row has them)"
            )
    return rows


def _documented(row_number: int | None) -> KnownError | None:
    return next((entry for entry in KNOWN_ERRORS if row_number in entry.rows), None)


def _within(answer: object, row: Mapping[str, object]) -> bool:
    if isinstance(answer, tuple | str):
        return str(answer) == str(row["Ground Truth Answer"]).strip()
    return float(str(row["Lower Limit"])) <= float(answer) <= float(str(row["Upper Limit"]))  # type: ignore[arg-type]


def _audit_row(row: Mapping[str, object]) -> RowAudit:
    number = int(str(row["Row Number"])) if row.get("Row Number") not in (None, "") else None
    label = str(row["Ground Truth Answer"])
    name = str(row.get("Calculator Name") or row["Calculator ID"])
    try:
        name = get_calculator(str(row["Calculator ID"])).name
        answer = compute(str(row["Calculator ID"]), row["Relevant Entities"])  # type: ignore[arg-type]
        within = _within(answer, row)
    except (MedcalcInputError, ValueError) as exc:
        return RowAudit(
            row=number, calculator=name, outcome=Outcome.UNREAD, computed=None, label=label, reason=str(exc)
        )
    if within:
        return RowAudit(
            row=number, calculator=name, outcome=Outcome.WITHIN_LIMITS, computed=str(answer), label=label
        )
    entry = _documented(number)
    if entry is None:
        reason = f"computed {answer}, limits [{row['Lower Limit']}, {row['Upper Limit']}]"
        return RowAudit(
            row=number,
            calculator=name,
            outcome=Outcome.UNEXPLAINED,
            computed=str(answer),
            label=label,
            reason=reason,
        )
    outcome = Outcome.LABEL_ERROR if entry.kind == "label" else Outcome.REFERENCE_DEFECT
    return RowAudit(
        row=number,
        calculator=name,
        outcome=outcome,
        computed=str(answer),
        label=label,
        reason=entry.summary,
        known_error=entry.id,
    )


def audit(rows: Iterable[Mapping[str, object]]) -> AuditReport:
    """Every row's outcome; a row that cannot be read is ``unread`` with the reason, never an exception."""
    return AuditReport(rows=tuple(_audit_row(row) for row in rows))
