"""What a run's notebooks say: success by source, category and agent, turns, a failure taxonomy, tokens."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from pydantic import BaseModel, Field

from ..layout import files_dir, trajectory_notebooks
from ..observations import ObservationKind
from ..trajectory import Episode, Termination, Turn, read_episode

__all__ = ["EpisodeRow", "RunSummary", "classify_failure", "summarise_run"]

LOOP_REPEATS = 3
_ERROR_LINE = re.compile(r"^(\w+(?:Error|Exception|Interrupt|Exit))\b", re.MULTILINE)


class EpisodeRow(BaseModel):
    task_id: str
    source: str
    category: str
    agent: str
    passed: bool
    reward: float
    turns: int
    termination: Termination
    failure: str | None = None
    tokens: int = 0
    grade_message: str = ""
    files: list[str] = Field(default_factory=list)
    """The episode's kept output files (``files/``), as paths relative to the run's root."""

    @property
    def group(self) -> str:
        """``source / category``: categories of different sources share names (``drug_route``)."""
        return f"{self.source} / {self.category}"


class RunSummary(BaseModel):
    """Everything the report shows, computed once from the notebooks (unreadable ones are counted apart)."""

    root: str
    rows: list[EpisodeRow]
    unreadable: list[str] = Field(default_factory=list)

    def success_by(self, key: str) -> dict[str, tuple[int, int]]:
        """{group: (passed, episodes)} for ``key`` in source, category, group (source / category), agent."""
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in self.rows:
            group = table[getattr(row, key)]
            group[0] += row.passed
            group[1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(table.items())}

    @property
    def success_rate(self) -> float:
        return sum(r.passed for r in self.rows) / len(self.rows) if self.rows else 0.0

    @property
    def failures(self) -> Counter[str]:
        return Counter(r.failure for r in self.rows if r.failure)

    @property
    def tokens(self) -> int:
        return sum(r.tokens for r in self.rows)


def _repeated(turns: list[Turn]) -> bool:
    """The same action with the same params at least LOOP_REPEATS times in a row."""
    keys = [(t.action, json.dumps(t.params, sort_keys=True, default=str)) for t in turns]
    run = 1
    for a, b in itertools.pairwise(keys):
        run = run + 1 if a == b else 1
        if run >= LOOP_REPEATS:
            return True
    return False


def classify_failure(ep: Episode) -> str | None:
    """One label per failed episode, most specific first; None when it passed."""
    if ep.passed:
        return None
    if ep.termination in {Termination.GRADER_ERROR, Termination.ERROR}:
        return "infrastructure"
    if ep.termination in {Termination.KERNEL_DIED, Termination.AGENT_ERROR, Termination.EPISODE_TIMEOUT}:
        return ep.termination.value
    if _repeated(ep.turns):
        return "stuck_in_loop"
    if any(t.observation_type is ObservationKind.TIMEOUT for t in ep.turns):
        return "timeout"
    errors = [t for t in ep.turns if t.observation_type is ObservationKind.ERROR and t.status == "error"]
    if errors:
        found = _ERROR_LINE.findall(errors[-1].observation)
        return f"exception:{found[-1] if found else 'unknown'}"
    if ep.grade is not None:
        return "wrong_answer"
    if ep.termination == Termination.MAX_TURNS:
        return "max_turns"
    return "no_answer"


def _kept_files(root: Path, notebook: Path) -> list[str]:
    kept = files_dir(notebook)
    if not kept.is_dir():
        return []
    return [str(p.relative_to(root)) for p in sorted(kept.iterdir()) if p.is_file()]


def summarise_run(root: str | Path) -> RunSummary:
    rows, unreadable = [], []
    for path in trajectory_notebooks(Path(root)):
        try:
            ep = read_episode(path)
        except Exception:  # a corrupted notebook is reported, the rest still counts
            unreadable.append(str(path))
            continue
        rows.append(
            EpisodeRow(
                task_id=ep.task.id,
                source=ep.task.source,
                category=ep.task.category,
                agent=f"{ep.agent}/{ep.model}" if ep.model else ep.agent,
                passed=ep.passed,
                reward=ep.reward,
                turns=len(ep.turns),
                termination=ep.termination,
                failure=classify_failure(ep),
                tokens=int(ep.usage.get("total_tokens", 0)),
                grade_message=ep.grade.message if ep.grade else "",
                files=_kept_files(Path(root), path),
            )
        )
    return RunSummary(root=str(root), rows=rows, unreadable=unreadable)
