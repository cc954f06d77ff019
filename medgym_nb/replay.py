"""Replay: re-run a trajectory's actions in a fresh (sandboxed) kernel and compare the outputs cell by cell.

Volatile parts of outputs are normalised before comparing: memory addresses, object ids in reprs, printed
durations, per-episode work and runtime directory names, cell numbers in tracebacks. Dates are not: in these
tasks they are data.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import nbformat
from pydantic import BaseModel

from ._loop import run_sync
from .agents.replay import ReplayAgent
from .cellmeta import cell_meta
from .config import EnvConfig
from .env import AsyncEnv
from .kernel.outputs import strip_ansi
from .runner import play_episode
from .trajectory import read_episode

__all__ = ["CellComparison", "ReplayReport", "normalise", "replay_notebook"]

_VOLATILE = [
    (re.compile(r"0x[0-9a-fA-F]{6,}"), "0x…"),
    (re.compile(r"medgym-(episode|kernel)-[A-Za-z0-9_]+"), "medgym-…"),
    (re.compile(r"\b\d+(\.\d+)?\s?(ms|µs|us|ns|s|sec|seconds)\b"), "<duration>"),
    (re.compile(r"Cell In\[\d+\]"), "Cell In[…]"),
    (re.compile(r"\bid=\d+"), "id=…"),
]


def normalise(text: str) -> str:
    text = strip_ansi(text)
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text


def _cell_text(cell: Any) -> str:
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(f"[{out['name']}] {out['text']}")
        elif kind in {"execute_result", "display_data"}:
            data = out.get("data", {})
            parts.append(
                data.get("text/plain", "") + "".join(f"[{m}]" for m in sorted(data) if m != "text/plain")
            )
        elif kind == "error":
            parts.append(f"[error] {out['ename']}: {out['evalue']}")
    return normalise("\n".join(parts))


class CellComparison(BaseModel):
    index: int
    action: str
    same: bool
    diff: str = ""


class ReplayReport(BaseModel):
    original: str
    replayed: str
    cells: list[CellComparison]
    original_passed: bool
    replayed_passed: bool

    @property
    def reproduced(self) -> bool:
        return all(c.same for c in self.cells) and self.original_passed == self.replayed_passed


def _code_cells(path: Path) -> list[Any]:
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


async def replay_notebook_async(
    path: str | Path, out_dir: str | Path, config: EnvConfig | None = None
) -> ReplayReport:
    """Replay one trajectory notebook into ``out_dir`` and compare it with the original.

    The episode's recorded configuration (limits, timeouts) applies, overridden by ``config``'s explicitly
    set fields; the recorded seed is used again.
    """
    path = Path(path)
    episode = read_episode(path)
    recorded = episode.config.model_dump() if episode.config else {}
    overrides = config.model_dump(exclude_unset=True) if config else {}
    env = AsyncEnv(EnvConfig.build(**{**recorded, **overrides}), out_dir=out_dir)
    try:
        await play_episode(env, ReplayAgent(episode), episode.task, episode.rollout, episode.seed)
    finally:
        await env.close()
    assert env.notebook_path is not None
    replayed = read_episode(env.notebook_path)
    recorded_cells, replayed_cells = _code_cells(path), _code_cells(env.notebook_path)
    cells = []
    for i, (a, b) in enumerate(zip(recorded_cells, replayed_cells, strict=False)):
        left, right = _cell_text(a), _cell_text(b)
        diff = (
            ""
            if left == right
            else "\n".join(
                difflib.unified_diff(
                    left.splitlines(), right.splitlines(), "recorded", "replayed", lineterm=""
                )
            )
        )
        meta = cell_meta(a)
        action = str((meta.record or {}).get("action", "?")) if meta is not None else "?"
        cells.append(
            CellComparison(index=i, action=action, same=left == right and a.source == b.source, diff=diff)
        )
    missing = len(recorded_cells) - len(replayed_cells)
    if missing:
        cells.append(
            CellComparison(index=len(cells), action="?", same=False, diff=f"{missing:+d} code cells")
        )
    return ReplayReport(
        original=str(path),
        replayed=str(env.notebook_path),
        cells=cells,
        original_passed=episode.passed,
        replayed_passed=replayed.passed,
    )


def replay_notebook(path: str | Path, out_dir: str | Path, config: EnvConfig | None = None) -> ReplayReport:
    """Sync façade of ``replay_notebook_async``."""
    return run_sync(replay_notebook_async(path, out_dir, config))
