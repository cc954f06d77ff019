"""The ``medgym`` metadata of a trajectory notebook's cells: one typed model, written and read here only.

Every cell the recorder makes says what it is (``role``): the task header, a set-up cell the family ran
before the first turn, an agent's message, an action
(its code cell, or a markdown cell for actions that run no code, with the whole recorded ``Turn``), a
follow-up question, an error, the result. Readers (the episode reader, replay, the report, the viewer) ask
``cell_meta`` instead of digging in dicts.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["CellMeta", "CellRole", "cell_meta", "metadata_of"]

KEY = "medgym"


class CellRole(StrEnum):
    TASK = "task"
    SETUP = "setup"
    """A cell the family ran before the agent's first turn (``TaskFamily.setup_cells``)."""
    AGENT_MESSAGE = "agent_message"
    ACTION = "action"
    QUESTION = "question"
    ERROR = "error"
    RESULT = "result"


class CellMeta(BaseModel):
    """``turn``: the turn an agent message or action belongs to; ``part``: a question's index;
    ``record``: the recorded turn itself (an action cell's), as ``trajectory.Turn`` fields."""

    model_config = ConfigDict(extra="ignore")

    role: CellRole
    turn: int | None = None
    part: int | None = None
    record: dict[str, Any] | None = None


def metadata_of(meta: CellMeta) -> dict[str, Any]:
    """The cell metadata to write: the model under ``medgym``. An action's turn is kept flat beside the role,
    as notebooks have always stored it (readable by older versions and by hand)."""
    fields: dict[str, Any] = {"role": meta.role.value}
    if meta.turn is not None:
        fields["turn"] = meta.turn
    if meta.part is not None:
        fields["part"] = meta.part
    if meta.record is not None:
        fields |= meta.record
    return {KEY: fields}


def cell_meta(cell: Any) -> CellMeta | None:
    """What a cell of a trajectory notebook is, or None for cells the recorder did not write."""
    fields = cell.get("metadata", {}).get(KEY)
    if not isinstance(fields, dict):
        return None
    try:
        role = CellRole(str(fields.get("role")))
    except ValueError:
        return None
    if role is CellRole.ACTION:
        record = {k: v for k, v in fields.items() if k != "role"}
        return CellMeta(role=role, turn=record.get("index"), record=record)
    try:
        return CellMeta.model_validate(fields)
    except ValidationError:
        return None
