"""``request_info`` over a task's SQLite database: column names, column values and fuzzy term search.

Runs on the host against the database opened read-only; agents get text, never a handle. Families whose
tasks query SQLite answer ``request_info`` with this.
"""

from __future__ import annotations

import difflib
import sqlite3
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..tasks.model import Task
from .base import InfoRequestError

__all__ = ["INFO_HELP", "SqliteInfoParams", "sqlite_request_info"]

INFO_HELP = (
    "inspect the task's SQLite database, answered on the host: info_type column_names lists the columns of every "
    "table (or of one table), column_values the distinct values of a table's column, term finds stored values "
    "resembling keyterm; nothing is graded"
)


class SqliteInfoParams(BaseModel):
    """What ``request_info`` takes over a SQLite database (the aliases ``type``, ``table_name``,
    ``column_name`` and ``term`` are accepted too)."""

    model_config = ConfigDict(extra="allow")

    info_type: Literal["column_names", "column_values", "term"] = Field(description="what to look up")
    table: str | None = Field(default=None, description="the table (column_values needs it; optional else)")
    column: str | None = Field(default=None, description="the column whose values to list (column_values)")
    keyterm: str | None = Field(default=None, description="the text to search the stored values for (term)")


MAX_VALUES = 50
MAX_MATCHES = 10
_SCAN_LIMIT = 5_000


def _database(task: Task) -> Path:
    if task.data_dir:
        for name in task.data_files:
            path = Path(task.data_dir) / name
            if path.suffix in {".db", ".sqlite", ".sqlite3"} and path.is_file():
                return path
    raise InfoRequestError("this task has no database to inspect; use execute to look at its files")


def _tables(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("select name from sqlite_master where type = 'table' order by name")]


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"pragma table_info({_quote(table)})")]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_request_info(task: Task, params: dict[str, Any]) -> str:
    """Answer one request; ``info_type`` is ``column_names``, ``column_values`` or ``term``."""
    kind = params.get("info_type") or params.get("type")
    con = sqlite3.connect(f"file:{_database(task)}?mode=ro", uri=True)
    try:
        tables = _tables(con)
        table = params.get("table") or params.get("table_name")
        if table is not None and table not in tables:
            near = difflib.get_close_matches(str(table), tables, n=3)
            raise InfoRequestError(
                f"no table {table!r}" + (f"; did you mean {', '.join(near)}?" if near else "")
            )
        if kind == "column_names":
            names = [table] if table else tables
            return "\n".join(f"{t}: {', '.join(_columns(con, t))}" for t in names)
        if kind == "column_values":
            column = params.get("column") or params.get("column_name")
            if not table or not column:
                raise InfoRequestError("column_values needs 'table' and 'column'")
            if column not in _columns(con, table):
                raise InfoRequestError(f"table {table} has no column {column!r}")
            rows = con.execute(
                f"select distinct {_quote(column)} from {_quote(table)} limit {MAX_VALUES + 1}"
            ).fetchall()
            values = [r[0] for r in rows]
            more = " (first 50 shown)" if len(values) > MAX_VALUES else ""
            return f"{table}.{column}{more}: {values[:MAX_VALUES]!r}"
        if kind == "term":
            term = str(params.get("keyterm") or params.get("term") or "").strip().lower()
            if not term:
                raise InfoRequestError("term search needs 'keyterm'")
            return _term_search(con, [table] if table else tables, term)
        raise InfoRequestError(
            f"unknown info_type {kind!r}; use column_names (table optional), column_values (table, column) "
            "or term (keyterm, table optional)"
        )
    finally:
        con.close()


def _term_search(con: sqlite3.Connection, tables: list[str], term: str) -> str:
    scored: list[tuple[float, str]] = []
    for table in tables:
        for column in _columns(con, table):
            rows = con.execute(
                f"select distinct {_quote(column)} from {_quote(table)} where typeof({_quote(column)}) = 'text' "
                f"limit {_SCAN_LIMIT}"
            ).fetchall()
            for (value,) in rows:
                text = value.lower()
                ratio = 1.0 if term in text else difflib.SequenceMatcher(None, term, text).ratio()
                if ratio >= 0.6:
                    scored.append((ratio, f"{table}.{column}: {value!r}"))
    if not scored:
        return f"no values resembling {term!r}"
    best = sorted(scored, key=lambda s: (-s[0], s[1]))[:MAX_MATCHES]
    return "\n".join(line for _, line in best)
