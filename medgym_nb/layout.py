"""Where an episode's artefacts live: one folder per episode, named by one function.

``<out>/<source>/<task_id>[.r<k>]/`` holds ``episode.ipynb`` (the trajectory), ``grade.ipynb`` (the executed
grader notebook) and ``files/`` (the outputs the task declares, e.g. ``predictions.csv``). Runs written
before this layout (``<out>/<source>/<task_id>.ipynb`` with ``<task_id>.grade.ipynb`` beside it) are still
found and read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from ._atomic import write_text_atomic
from .errors import TrajectoryError
from .tasks.model import Exclusion

__all__ = [
    "EXCLUDED_FILE",
    "EpisodePaths",
    "episode_paths",
    "graded_path",
    "read_exclusions",
    "trajectory_notebooks",
    "write_exclusions",
]

EXCLUDED_FILE = "excluded.jsonl"
"""In a run directory: the tasks the run's families left out of the sources it drew from, and why."""

EPISODE_NOTEBOOK = "episode.ipynb"
GRADED_NOTEBOOK = "grade.ipynb"
FILES_DIR = "files"
_LEGACY_GRADED_SUFFIX = ".grade.ipynb"


class EpisodePaths(NamedTuple):
    folder: Path
    notebook: Path
    graded: Path
    files: Path


def _paths(folder: Path) -> EpisodePaths:
    return EpisodePaths(folder, folder / EPISODE_NOTEBOOK, folder / GRADED_NOTEBOOK, folder / FILES_DIR)


def episode_paths(out_dir: Path, source: str, task_id: str, rollout: int | None = None) -> EpisodePaths:
    """The paths of one episode of ``task_id`` (rollout ``k`` of several gets ``.r<k>``)."""
    suffix = "" if rollout is None else f".r{rollout}"
    return _paths(Path(out_dir) / source / f"{task_id}{suffix}")


def legacy_notebook(out_dir: Path, source: str, task_id: str, rollout: int | None = None) -> Path:
    """Where a run written before the folder layout kept this episode's notebook."""
    suffix = "" if rollout is None else f".r{rollout}"
    return Path(out_dir) / source / f"{task_id}{suffix}.ipynb"


def graded_path(notebook: Path, part: int | None = None) -> Path:
    """The executed grader notebook that belongs beside ``notebook`` (either layout); for question ``part``
    of a multi-part task, ``grade.q<part+1>.ipynb``."""
    if part is not None:
        return notebook.with_name(f"grade.q{part + 1}.ipynb")
    if notebook.name == EPISODE_NOTEBOOK:
        return notebook.with_name(GRADED_NOTEBOOK)
    return notebook.with_name(notebook.name.removesuffix(".ipynb") + _LEGACY_GRADED_SUFFIX)


def files_dir(notebook: Path) -> Path:
    """The kept output files of the episode recorded in ``notebook``."""
    return notebook.with_name(FILES_DIR) if notebook.name == EPISODE_NOTEBOOK else notebook.parent / FILES_DIR


def trajectory_notebooks(root: Path) -> list[Path]:
    """Every trajectory notebook under ``root``: ``episode.ipynb`` files, and notebooks of the old flat
    layout; graded notebooks, checkpoints and whatever an agent left in ``files/`` are not trajectories.

    One walk that does not descend into episode folders: a run of ten thousand episodes is listed in a
    fraction of a second (the viewer lists it on every reload)."""
    if not root.is_dir():
        raise TrajectoryError(f"not a directory: {root}")
    found = []
    for folder, dirs, names in os.walk(root):
        if EPISODE_NOTEBOOK in names:
            found.append(Path(folder, EPISODE_NOTEBOOK))
            dirs.clear()  # its files/ and graders are not trajectories
            continue
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        found += [
            Path(folder, name)
            for name in names
            if name.endswith(".ipynb")
            and name != GRADED_NOTEBOOK
            and not name.startswith(".")  # a grader's partial output, an editor's temp file
            and not name.endswith(_LEGACY_GRADED_SUFFIX)
        ]
    return sorted(found)


def write_exclusions(out_dir: Path, excluded: Iterable[Exclusion]) -> None:
    """Record with a run what its families left out (replacing an earlier record)."""
    text = "".join(e.model_dump_json() + "\n" for e in excluded)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_text_atomic(Path(out_dir) / EXCLUDED_FILE, text)


def read_exclusions(out_dir: Path) -> list[Exclusion]:
    """What a run's families left out ([] for runs that recorded nothing)."""
    path = Path(out_dir) / EXCLUDED_FILE
    if not path.is_file():
        return []
    return [
        Exclusion.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line
    ]
