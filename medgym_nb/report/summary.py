"""What a run's notebooks say, for the report: built on ``medgym_nb.runs`` (its episodes frame and index)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from pydantic import BaseModel, Field

from ..runs import episode_frame, load_run
from ..tasks.model import Exclusion

__all__ = ["EpisodeRow", "RunSummary", "summarise_run"]


class EpisodeRow(BaseModel):
    task_id: str
    source: str
    family: str = ""
    category: str
    agent: str
    sandbox: str = "unknown"
    passed: bool
    reward: float
    turns: int
    duration: float = 0.0
    termination: str
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
    """Everything the report shows, computed once from the run's index (unreadable notebooks apart)."""

    root: str
    rows: list[EpisodeRow]
    unreadable: list[str] = Field(default_factory=list)
    excluded: list[Exclusion] = Field(default_factory=list)
    """Tasks the run's families left out of its sources (``excluded.jsonl`` in the run folder)."""

    def success_by(self, key: str) -> dict[str, tuple[int, int]]:
        """{group: (passed, episodes)} for ``key`` in source, category, group (source / category), agent."""
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in self.rows:
            group = table[getattr(row, key)]
            group[0] += row.passed
            group[1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(table.items())}

    def categories_of(self, source: str) -> dict[str, tuple[int, int]]:
        """{category: (passed, episodes)} within one source."""
        by = self.success_by("group")
        prefix = f"{source} / "
        return {k.removeprefix(prefix): v for k, v in by.items() if k.startswith(prefix)}

    @property
    def success_rate(self) -> float:
        return sum(r.passed for r in self.rows) / len(self.rows) if self.rows else 0.0

    @property
    def failures(self) -> Counter[str]:
        return Counter(r.failure for r in self.rows if r.failure)

    @property
    def tokens(self) -> int:
        return sum(r.tokens for r in self.rows)

    @property
    def sandboxes(self) -> Counter[str]:
        return Counter(r.sandbox for r in self.rows)


def summarise_run(root: str | Path) -> RunSummary:
    """The report's numbers for one run, from its episodes frame (``mg.runs``)."""
    index = load_run(root)
    frame = episode_frame(index)
    rows = [
        EpisodeRow(
            task_id=r["task_id"],
            source=r["source"],
            family=r["family"],
            category=r["category"],
            agent=f"{r['agent']}/{r['model']}" if r["model"] else r["agent"],
            sandbox=r["sandbox"],
            passed=r["passed"],
            reward=r["reward"],
            turns=r["turns"],
            duration=r["duration"],
            termination=r["termination"],
            failure=r["failure"],
            tokens=r["tokens"],
            grade_message=r["grade_message"],
            files=r["files"],
        )
        for r in frame.to_dict("records")
    ]
    return RunSummary(
        root=str(root),
        rows=rows,
        unreadable=[str(Path(index.root, k)) for k in index.unreadable],
        excluded=index.excluded,
    )
