"""A run as data frames: ``episodes`` (one row per episode), ``turns`` (one per agent step), ``cells``.

Reading ten thousand notebooks through nbformat (schema validation, pydantic models of every task) takes
minutes, so the index reads the notebooks' JSON directly and keeps what it found in ``<run>/.medgym-index.json``
keyed by each notebook's mtime and size: re-opening a run reads only the notebooks that changed, and a run still
being written shows the episodes finished so far. ``medgym report`` and ``medgym view`` are built on this.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from ._atomic import write_text_atomic
from .layout import files_dir, graded_path, read_exclusions, trajectory_notebooks
from .tasks.model import Exclusion
from .trajectory import Termination

__all__ = [
    "EpisodeRecord",
    "RunIndex",
    "StepRecord",
    "cells",
    "classify",
    "episode_frame",
    "episodes",
    "excluded",
    "load_run",
    "turns",
]

INDEX_FILE = ".medgym-index.json"
_INDEX_VERSION = 1
LOOP_REPEATS = 3
_ERROR_LINE = re.compile(r"^(\w+(?:Error|Exception|Interrupt|Exit))\b", re.MULTILINE)


class StepRecord(BaseModel):
    """One agent step as the index keeps it: enough for the turns frame and for finding where two runs of a
    task part ways (``signature`` hashes the action and its parameters)."""

    turn: int
    action: str
    observation_type: str = ""
    status: str | None = None
    duration: float = 0.0
    tokens: int = 0
    signature: str = ""
    error_name: str | None = None


class EpisodeRecord(BaseModel):
    """One episode's row: what its notebook's ``medgym`` metadata says, flattened."""

    id: str
    """The episode's folder relative to the run root (``<source>/<task_id>[.r<k>]``), its key in the viewer."""
    notebook: str
    task_id: str
    source: str = ""
    family: str = ""
    category: str = ""
    split: str = ""
    agent: str = "unknown"
    model: str | None = None
    sandbox: str = "unknown"
    rollout: int | None = None
    termination: str = Termination.UNKNOWN.value
    passed: bool = False
    reward: float = 0.0
    turns: int = 0
    tokens: int = 0
    duration: float = 0.0
    started_at: str = ""
    failure: str | None = None
    grade_message: str = ""
    subscores: dict[str, float] = Field(default_factory=dict)
    error: str | None = None
    files: list[str] = Field(default_factory=list)
    """Kept output files, relative to the run root."""
    graded_notebooks: list[str] = Field(default_factory=list)
    steps: list[StepRecord] = Field(default_factory=list)

    @property
    def agent_model(self) -> str:
        return f"{self.agent}/{self.model}" if self.model else self.agent


class _Entry(BaseModel):
    stamp: list[int]
    record: EpisodeRecord | None = None
    problem: str | None = None


class _Cache(BaseModel):
    version: int = _INDEX_VERSION
    entries: dict[str, _Entry] = Field(default_factory=dict)


class RunIndex(BaseModel):
    """Every episode of a run directory (unreadable notebooks listed apart, with why)."""

    root: str
    episodes: list[EpisodeRecord]
    unreadable: dict[str, str] = Field(default_factory=dict)
    excluded: list[Exclusion] = Field(default_factory=list)


def classify(passed: bool, termination: str, steps: list[StepRecord], graded: bool) -> str | None:
    """One failure label per failed episode, most specific first; None when it passed."""
    if passed:
        return None
    if termination in {Termination.GRADER_ERROR, Termination.ERROR}:
        return "infrastructure"
    if termination in {Termination.KERNEL_DIED, Termination.AGENT_ERROR, Termination.EPISODE_TIMEOUT}:
        return str(termination)
    if termination == Termination.RUNNING:
        return "running"
    run = 1
    for a, b in itertools.pairwise(s.signature for s in steps):
        run = run + 1 if a == b else 1
        if run >= LOOP_REPEATS:
            return "stuck_in_loop"
    if any(s.observation_type == "timeout" for s in steps):
        return "timeout"
    errors = [s for s in steps if s.observation_type == "error" and s.status == "error"]
    if errors:
        return f"exception:{errors[-1].error_name or 'unknown'}"
    if graded:
        return "wrong_answer"
    if termination == Termination.MAX_TURNS:
        return "max_turns"
    return "no_answer"


def _signature(action: str, params: Any) -> str:
    text = json.dumps([action, params], sort_keys=True, default=str)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def _step(info: dict[str, Any]) -> StepRecord:
    observation = str(info.get("observation", ""))
    found = _ERROR_LINE.findall(observation) if info.get("observation_type") == "error" else []
    usage = info.get("usage") or {}
    return StepRecord(
        turn=int(info.get("index", 0)),
        action=str(info.get("action", "")),
        observation_type=str(info.get("observation_type", "")),
        status=info.get("status"),
        duration=float(info.get("duration") or 0.0),
        tokens=int(usage.get("total_tokens", 0)),
        signature=_signature(str(info.get("action", "")), info.get("params", {})),
        error_name=found[-1] if found else None,
    )


def _graded(notebook: Path) -> list[Path]:
    main = graded_path(notebook)
    parts = sorted(notebook.parent.glob("grade.q*.ipynb")) if notebook.name == "episode.ipynb" else []
    return [p for p in [main, *parts] if p.is_file()]


def _record(root: Path, notebook: Path) -> EpisodeRecord:
    """The row of one notebook, from its JSON (``ValueError`` if it is not a medgym trajectory)."""
    with notebook.open("rb") as fh:
        nb = json.load(fh)
    meta = nb.get("metadata", {}).get("medgym")
    if not isinstance(meta, dict) or not isinstance(meta.get("task"), dict):
        raise ValueError("no medgym metadata: not a medgym trajectory")
    task = meta["task"]
    steps = [
        _step(cell["metadata"]["medgym"])
        for cell in nb.get("cells", [])
        if cell.get("metadata", {}).get("medgym", {}).get("role") == "action"
    ]
    grade = meta.get("grade") or {}
    termination = meta.get("termination", "unknown")
    if termination not in Termination._value2member_map_:
        termination = Termination.UNKNOWN.value
    passed = bool(meta.get("passed", False))
    kept = files_dir(notebook)
    folder = notebook.parent if notebook.name == "episode.ipynb" else notebook.with_suffix("")
    return EpisodeRecord(
        id=folder.relative_to(root).as_posix(),
        notebook=notebook.relative_to(root).as_posix(),
        task_id=str(meta.get("task_id") or task.get("id", "")),
        source=str(meta.get("source") or task.get("source", "")),
        family=str(meta.get("family") or task.get("family", "")),
        category=str(meta.get("category") or task.get("category", "")),
        split=str(meta.get("split") or task.get("split", "")),
        agent=str(meta.get("agent", "unknown")),
        model=meta.get("model"),
        sandbox=str(meta.get("sandbox", "unknown")),
        rollout=meta.get("rollout"),
        termination=termination,
        passed=passed,
        reward=float(meta.get("reward", 0.0)),
        turns=len(steps),
        tokens=int((meta.get("usage") or {}).get("total_tokens", 0)),
        duration=float(meta.get("duration", 0.0)),
        started_at=str(meta.get("started_at", "")),
        failure=classify(passed, termination, steps, bool(grade)),
        grade_message=str(grade.get("message", "")),
        subscores={k: float(v) for k, v in (grade.get("subscores") or {}).items()},
        error=meta.get("error"),
        files=[p.relative_to(root).as_posix() for p in sorted(kept.iterdir()) if p.is_file()]
        if kept.is_dir()
        else [],
        graded_notebooks=[p.relative_to(root).as_posix() for p in _graded(notebook)],
        steps=steps,
    )


def _stamp(notebook: Path) -> list[int]:
    """What says a notebook changed: its own mtime and size, and its grader notebook's mtime."""
    st = notebook.stat()
    try:
        graded = graded_path(notebook).stat().st_mtime_ns
    except OSError:
        graded = 0
    return [st.st_mtime_ns, st.st_size, graded]


_PARSED: dict[Path, tuple[tuple[int, int], _Cache]] = {}
"""Index files this process read or wrote, by (mtime, size): a server re-listing a run on every reload
parses its index once."""


def _read_cache(path: Path) -> _Cache:
    try:
        st = path.stat()
        seen = _PARSED.get(path)
        if seen is not None and seen[0] == (st.st_mtime_ns, st.st_size):
            return seen[1]
        cache = _Cache.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return _Cache()
    if cache.version != _INDEX_VERSION:
        return _Cache()
    _PARSED[path] = ((st.st_mtime_ns, st.st_size), cache)
    return cache


def _write_cache(path: Path, cache: _Cache) -> None:
    with contextlib.suppress(OSError):  # a read-only run is still indexed, just not cached
        write_text_atomic(path, cache.model_dump_json())
        st = path.stat()
        _PARSED[path] = ((st.st_mtime_ns, st.st_size), cache)


def excluded(root: str | Path) -> list[Exclusion]:
    """The tasks the run's families left out of the sources it drew from, each with why (the run's
    ``excluded.jsonl``, written by ``medgym run``; absent means none recorded)."""
    return read_exclusions(Path(root))


def load_run(root: str | Path, *, cache: bool = True) -> RunIndex:
    """Index a run directory, reading only notebooks new or changed since the cached index (``cache=False``
    reads them all and writes no index file)."""
    root = Path(root).resolve()
    cache_path = root / INDEX_FILE
    old = _read_cache(cache_path) if cache else _Cache()
    new = _Cache()
    changed = False
    for notebook in trajectory_notebooks(root):
        key = notebook.relative_to(root).as_posix()
        try:
            stamp = _stamp(notebook)
        except OSError:  # removed while we looked
            continue
        entry = old.entries.get(key)
        if entry is None or entry.stamp != stamp:
            changed = True
            try:
                entry = _Entry(stamp=stamp, record=_record(root, notebook))
            except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
                # half-written or not ours: listed apart, read again once it changes
                entry = _Entry(stamp=stamp, problem=f"{type(exc).__name__}: {exc}"[:300])
        new.entries[key] = entry
    if cache and (changed or len(new.entries) != len(old.entries)):
        _write_cache(cache_path, new)
    return RunIndex(
        root=str(root),
        episodes=[e.record for e in new.entries.values() if e.record is not None],
        unreadable={k: e.problem or "" for k, e in new.entries.items() if e.record is None},
        excluded=excluded(root),
    )


_EPISODE_COLUMNS = [
    "run",
    "episode",
    "task_id",
    "source",
    "family",
    "category",
    "split",
    "agent",
    "model",
    "sandbox",
    "rollout",
    "termination",
    "passed",
    "reward",
    "turns",
    "tokens",
    "duration",
    "started_at",
    "failure",
    "grade_message",
    "subscores",
    "error",
    "files",
]


def _indices(dirs: Iterable[str | Path]) -> list[RunIndex]:
    return [load_run(d) for d in dirs]


def episode_frame(*indices: RunIndex) -> pd.DataFrame:
    """The episodes frame of runs already indexed."""
    rows = [
        {"run": index.root, "episode": ep.id, **ep.model_dump(exclude={"id", "notebook", "steps"})}
        for index in indices
        for ep in index.episodes
    ]
    return pd.DataFrame(rows, columns=_EPISODE_COLUMNS)


def episodes(*dirs: str | Path) -> pd.DataFrame:
    """One row per episode of the given runs (column ``run`` says which), in run-folder order."""
    return episode_frame(*_indices(dirs))


def turns(*dirs: str | Path) -> pd.DataFrame:
    """One row per agent step: the action, what came back, its duration and tokens, and the episode's
    outcome (so ``groupby`` answers "which actions come before failures")."""
    rows = [
        {
            "run": index.root,
            "episode": ep.id,
            "task_id": ep.task_id,
            "source": ep.source,
            "passed": ep.passed,
            **step.model_dump(exclude={"signature"}),
        }
        for index in _indices(dirs)
        for ep in index.episodes
        for step in ep.steps
    ]
    columns = ["run", "episode", "task_id", "source", "passed", *StepRecord.model_fields]
    return pd.DataFrame(rows, columns=[c for c in columns if c != "signature"])


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def cells(*dirs: str | Path) -> pd.DataFrame:
    """One row per notebook cell (read from the notebooks, not the index: sources and outputs are large)."""
    rows = []
    for index in _indices(dirs):
        root = Path(index.root)
        for ep in index.episodes:
            try:
                with (root / ep.notebook).open("rb") as fh:
                    nb = json.load(fh)
            except (OSError, ValueError):
                continue
            for i, cell in enumerate(nb.get("cells", [])):
                info = cell.get("metadata", {}).get("medgym", {})
                outputs = cell.get("outputs", [])
                rows.append(
                    {
                        "run": index.root,
                        "episode": ep.id,
                        "task_id": ep.task_id,
                        "cell": i,
                        "cell_type": cell.get("cell_type", ""),
                        "role": info.get("role"),
                        "turn": info.get("turn", info.get("index")),
                        "source": _text(cell.get("source")),
                        "outputs": len(outputs),
                        "output_types": [o.get("output_type", "") for o in outputs],
                        "error": next(
                            (o.get("ename") for o in outputs if o.get("output_type") == "error"), None
                        ),
                        "has_image": any("image/png" in o.get("data", {}) for o in outputs),
                    }
                )
    return pd.DataFrame(rows)
