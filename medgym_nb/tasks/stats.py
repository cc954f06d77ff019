"""What a generated suite holds (``medgym tasks stats DIR``): counts per source, category and split, and how
answers are distributed, so a degenerate template (answers mostly empty, zero, or one value) shows.

Rows are read as plain JSON, not validated as tasks: stats of 72k rows should take a second, not a minute.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .store import TASKS_FILE

__all__ = ["DEGENERATE_SHARE", "CategoryStats", "SuiteStats", "suite_stats"]

DEGENERATE_SHARE = 0.5
"""A category is flagged when more than this share of its answers are empty, zero, or one repeated value."""


class CategoryStats(BaseModel):
    """One template (category) of a source: its tasks per split, and its answers' types."""

    source: str
    category: str
    tasks: int = 0
    splits: dict[str, int] = Field(default_factory=dict)
    empty: int = 0
    """answers that are None, empty text, or an empty list or mapping"""
    zero: int = 0
    """answers that are 0, False, or a list of zeros"""
    repeated: int = 0
    """answers equal to another answer of the category"""
    top_share: float = 0.0
    """the share of the category's most common answer"""

    @property
    def degenerate(self) -> bool:
        worst = max(self.empty, self.zero) / self.tasks if self.tasks else 0.0
        return self.tasks > 1 and (worst > DEGENERATE_SHARE or self.top_share > DEGENERATE_SHARE)


class SuiteStats(BaseModel):
    tasks: int = 0
    by_source: dict[str, int] = Field(default_factory=dict)
    by_split: dict[str, int] = Field(default_factory=dict)
    categories: list[CategoryStats] = Field(default_factory=list)


def _empty(answer: Any) -> bool:
    return answer is None or (isinstance(answer, str | list | dict) and not str(answer).strip("[]{} "))


def _zero(answer: Any) -> bool:
    if isinstance(answer, list):
        return bool(answer) and all(_zero(a) for a in answer)
    return isinstance(answer, int | float) and answer == 0


def suite_stats(root: Path) -> SuiteStats:
    """Counts of the suite in ``root`` (its ``tasks.jsonl``)."""
    stats = SuiteStats()
    cats: dict[tuple[str, str], CategoryStats] = {}
    answers: dict[tuple[str, str], Counter[str]] = {}
    with (root / TASKS_FILE).open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            source, category, split, answer = (
                row["source"],
                row["category"],
                row.get("split", ""),
                row["answer"],
            )
            stats.tasks += 1
            stats.by_source[source] = stats.by_source.get(source, 0) + 1
            stats.by_split[split] = stats.by_split.get(split, 0) + 1
            key = (source, category)
            cat = cats.setdefault(key, CategoryStats(source=source, category=category))
            cat.tasks += 1
            cat.splits[split] = cat.splits.get(split, 0) + 1
            cat.empty += _empty(answer)
            cat.zero += _zero(answer)
            answers.setdefault(key, Counter())[json.dumps(answer, sort_keys=True)] += 1
    for key, cat in cats.items():
        counts = answers[key]
        cat.repeated = sum(c for c in counts.values() if c > 1)
        cat.top_share = counts.most_common(1)[0][1] / cat.tasks
    stats.categories = sorted(cats.values(), key=lambda c: (c.source, c.category))
    return stats
