"""What a suite's question template is: a function that draws its parameters from the database (so most
answers are informative) and returns the question and its reference SQL."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..tasks.model import AnswerSpec

__all__ = ["QuestionBank", "Template", "pick", "pick_row", "sql_text"]

Template = Callable[[random.Random, sqlite3.Connection], tuple[str, str]]
QuestionBank = dict[str, tuple[Template, AnswerSpec]]
"""category → (template, how its answers compare)"""


def pick(rng: random.Random, con: sqlite3.Connection, sql: str) -> Any:
    """One value of the first column of ``sql``'s rows, drawn with ``rng`` (the query must order its rows)."""
    return pick_row(rng, con, sql)[0]


def pick_row(rng: random.Random, con: sqlite3.Connection, sql: str) -> tuple[Any, ...]:
    """One row of ``sql``, drawn with ``rng`` (the query must order its rows)."""
    return rng.choice(_rows(con, sql))


@lru_cache(maxsize=1024)
def _rows(con: sqlite3.Connection, sql: str) -> tuple[tuple[Any, ...], ...]:
    """The rows of ``sql``, queried once per connection: templates draw from the same lists
    thousands of times over a database that no longer changes (a generated suite), and a ``select distinct``
    over a large table costs up to a tenth of a second. Connections hash by identity; the cache holds them,
    so an id is never reused while its entry lives."""
    return tuple(con.execute(sql).fetchall())


def sql_text(value: str) -> str:
    """``value`` inside an SQL string literal (quotes doubled: names like "lactated ringer's" stay valid)."""
    return value.replace("'", "''")
