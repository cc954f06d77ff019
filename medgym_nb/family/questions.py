"""What a suite's question template is: a function that draws its parameters from the database (so most
answers are informative) and returns the question and its reference SQL."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from typing import Any

from ..tasks.model import AnswerSpec

__all__ = ["QuestionBank", "Template", "pick", "sql_text"]

Template = Callable[[random.Random, sqlite3.Connection], tuple[str, str]]
QuestionBank = dict[str, tuple[Template, AnswerSpec]]
"""category → (template, how its answers compare)"""


def pick(rng: random.Random, con: sqlite3.Connection, sql: str) -> Any:
    """One value of the first column of ``sql``'s rows, drawn with ``rng`` (the query must order its rows)."""
    values = [row[0] for row in con.execute(sql)]
    return rng.choice(values)


def sql_text(value: str) -> str:
    """``value`` inside an SQL string literal (quotes doubled: names like "lactated ringer's" stay valid)."""
    return value.replace("'", "''")
