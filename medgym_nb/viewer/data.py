"""What the viewer's page reads: the runs' index as columns of JSON, the comparison of two runs, and one
episode's HTML, each wrapped as a script (``window.MEDGYM_…``) so the same files work from ``file://``, where a
browser will not ``fetch`` JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..runs import EpisodeRecord, RunIndex, load_run
from .render import render_episode

__all__ = ["COLUMNS", "Runs", "compare", "episode_script", "index_script"]

COLUMNS = [
    "run",
    "id",
    "source",
    "family",
    "category",
    "task_id",
    "agent",
    "sandbox",
    "termination",
    "failure",
    "passed",
    "reward",
    "turns",
    "tokens",
    "duration",
]
"""The index table's columns, in the order of each row of ``rows``."""


class Flip(BaseModel):
    """One task both runs played: whether it passed in each, and the first turn where their actions differ."""

    key: str
    a: str
    b: str
    passed_a: bool
    passed_b: bool
    diverged_at: int | None


def _row(run: int, ep: EpisodeRecord) -> list[Any]:
    return [
        run,
        ep.id,
        ep.source,
        ep.family,
        ep.category,
        ep.task_id,
        ep.agent_model,
        ep.sandbox,
        ep.termination,
        ep.failure or "",
        int(ep.passed),
        round(ep.reward, 4),
        ep.turns,
        ep.tokens,
        round(ep.duration, 3),
    ]


def _key(ep: EpisodeRecord) -> str:
    return f"{ep.source}/{ep.task_id}" + ("" if ep.rollout is None else f"#r{ep.rollout}")


def _divergence(a: EpisodeRecord, b: EpisodeRecord) -> int | None:
    """The first turn (1-based) where the two episodes' actions differ; None when they are the same."""
    for i, (x, y) in enumerate(zip(a.steps, b.steps, strict=False)):
        if x.signature != y.signature:
            return i + 1
    return None if len(a.steps) == len(b.steps) else min(len(a.steps), len(b.steps)) + 1


def compare(a: RunIndex, b: RunIndex) -> list[Flip]:
    """Every task the two runs share, in ``a``'s order."""
    other = {_key(ep): ep for ep in b.episodes}
    return [
        Flip(
            key=_key(ep),
            a=ep.id,
            b=other[_key(ep)].id,
            passed_a=ep.passed,
            passed_b=other[_key(ep)].passed,
            diverged_at=_divergence(ep, other[_key(ep)]),
        )
        for ep in a.episodes
        if _key(ep) in other
    ]


class Runs:
    """The run directories being viewed, re-indexed on demand (cheap: only changed notebooks are read), so
    a run still being written shows its new episodes on reload."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = [Path(d).resolve() for d in dirs]
        self.indices = [load_run(d) for d in self.dirs]

    def refresh(self) -> None:
        self.indices = [load_run(d) for d in self.dirs]

    def episode(self, run: int, episode_id: str) -> EpisodeRecord | None:
        if not 0 <= run < len(self.indices):
            return None
        return next((ep for ep in self.indices[run].episodes if ep.id == episode_id), None)

    def payload(self) -> dict[str, Any]:
        runs = [
            {
                "root": index.root,
                "name": Path(index.root).name,
                "episodes": len(index.episodes),
                "unreadable": sorted(index.unreadable),
                "excluded": [e.model_dump(mode="json") for e in index.excluded],
            }
            for index in self.indices
        ]
        flips = compare(self.indices[0], self.indices[1]) if len(self.indices) > 1 else None
        return {
            "generated": time.time(),
            "runs": runs,
            "columns": COLUMNS,
            "rows": [_row(i, ep) for i, index in enumerate(self.indices) for ep in index.episodes],
            "compare": None if flips is None else [f.model_dump() for f in flips],
        }


def index_script(runs: Runs) -> str:
    return "window.MEDGYM_DATA = " + json.dumps(runs.payload(), separators=(",", ":")) + ";\n"


def episode_script(runs: Runs, run: int, ep: EpisodeRecord) -> str:
    body = render_episode(runs.dirs[run], run, ep)
    return f"window.MEDGYM_EPISODE({json.dumps(f'{run}/{ep.id}')}, {json.dumps(body)});\n"
