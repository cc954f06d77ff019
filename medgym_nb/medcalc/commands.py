"""``medgym medcalc …``: the MedCalc command group, found by the core CLI through the ``medgym_nb.commands``
entry-point group (the core names no family). The library computes; only this module prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import MedgymError
from .audit import Outcome, audit, read_rows

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="MedCalc-Bench calculators: audit official files.")

_OUTCOME_LABELS = {
    Outcome.WITHIN_LIMITS: "within limits",
    Outcome.LABEL_ERROR: "label error",
    Outcome.REFERENCE_DEFECT: "reference defect",
    Outcome.UNREAD: "unread",
    Outcome.UNEXPLAINED: "unexplained",
}


@app.command("audit")
def audit_command(
    file: Annotated[
        Path, typer.Argument(help="A MedCalc-Bench file: MedAgentGym JSONL or the release's CSV.")
    ],
    show: Annotated[
        int, typer.Option(help="List at most this many rows that are not within the limits.")
    ] = 20,
) -> None:
    """How many rows `compute` gets within the official limits, and why the others are not."""
    console, err = Console(), Console(stderr=True)
    try:
        report = audit(read_rows(file))
    except MedgymError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    total = len(report.rows)
    table = Table(title=f"MedCalc-Bench audit of {file.name}")
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    for outcome, count in report.counts.items():
        table.add_row(_OUTCOME_LABELS[outcome], str(count), f"{count / total:.1%}" if total else "-")
    table.add_row("all", str(total), f"explained {report.explained_share:.1%}", style="bold")
    console.print(table)
    others = [row for row in report.rows if row.outcome is not Outcome.WITHIN_LIMITS][:show]
    if others:
        detail = Table(title="rows not within the limits")
        for column in ("row", "calculator", "outcome", "computed", "label", "reason"):
            detail.add_column(column, overflow="fold")
        for row in others:
            detail.add_row(
                str(row.row),
                row.calculator,
                _OUTCOME_LABELS[row.outcome],
                row.computed or "-",
                row.label,
                row.reason,
            )
        console.print(detail)
