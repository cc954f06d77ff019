"""How informative a set of tasks' answers are: a task whose expected answer is empty, ``None`` or ``0``
rewards an agent that prints nothing in particular, so re-grounded official tasks are checked for it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from .model import Task

__all__ = ["AnswerShare", "informative", "informative_shares"]


def informative(answer: Any) -> bool:
    """False for an empty answer, and for one whose every value is None, 0 or empty text."""
    values = answer if isinstance(answer, list | tuple) else [answer]
    return any(v not in (None, 0, 0.0, "", "0", "0.0", "None") for v in values)


class AnswerShare(BaseModel):
    source: str
    category: str
    tasks: int
    informative: int

    @property
    def share(self) -> float:
        return self.informative / self.tasks if self.tasks else 0.0


def informative_shares(tasks: list[Task]) -> list[AnswerShare]:
    """Per (source, category) and per source (category ``"all"``), sorted weakest first within a source."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for task in tasks:
        for key in ((task.source, task.category), (task.source, "all")):
            counts[key][0] += 1
            counts[key][1] += informative(task.answer)
    shares = [AnswerShare(source=s, category=c, tasks=n, informative=k) for (s, c), (n, k) in counts.items()]
    return sorted(shares, key=lambda a: (a.source, a.category == "all", a.share, a.category))
