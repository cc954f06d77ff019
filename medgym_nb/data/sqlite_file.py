"""Writing a generated database: every table created and filled in one transaction, the file replaced."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_tables"]


def write_tables(
    path: Path, columns: Mapping[str, Sequence[str]], rows: Mapping[str, Iterable[Sequence[Any]]]
) -> Path:
    """Write ``rows`` of each table to a fresh SQLite file at ``path``; ``columns`` are column definitions
    in order (``"name"`` or ``"name type collate ..."``)."""
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        for table, definitions in columns.items():
            con.execute(f"create table {table} ({', '.join(definitions)})")
            marks = ", ".join("?" * len(definitions))
            con.executemany(f"insert into {table} values ({marks})", rows[table])
        con.commit()
    finally:
        con.close()
    return path
