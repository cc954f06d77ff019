"""The catalog: which sources exist, and ``load_tasks`` for built-in suites and official task files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..data.cache import cached_build, cached_path
from ..errors import MedgymError, TaskFileError, UnknownSourceError, UnknownTaskError
from ..family.registry import family_for_source, list_families
from .model import Task, TaskSet
from .official import read_task_files
from .store import TASKS_FILE, read_task_set, write_tasks

__all__ = [
    "get_task",
    "is_generated_suite",
    "is_suite_built",
    "list_sources",
    "load_task_set",
    "load_tasks",
    "official_task_files",
    "one_source_per_family",
    "resolve_sources",
    "select_task_set",
    "select_tasks",
    "spread_over_categories",
]


def list_sources() -> list[str]:
    """Sources with a built-in synthetic suite (over every installed family)."""
    return sorted({s for f in list_families() for s in f.suite_sources})


def one_source_per_family() -> list[str]:
    """The first built-in suite of every installed family: the shortest run that still covers them all."""
    return [f.suite_sources[0] for f in list_families() if f.suite_sources]


def _suite_key(source: str, seed: int) -> str:
    family = family_for_source(source)
    if source not in family.suite_sources:
        raise UnknownSourceError(
            f"source {source!r} (family {family.name}) has no built-in suite yet; load its official task "
            f"files with --path DATA_DIR. Built-in suites: {', '.join(list_sources())}"
        )
    return f"{source}-{family.name}-{family.version}-seed{seed}"


def is_suite_built(source: str, seed: int = 0) -> bool:
    """Whether ``source``'s built-in suite is already in the cache (loading it then costs no build)."""
    return cached_path(_suite_key(source, seed)).is_dir()


def _suite_root(source: str, seed: int) -> Path:
    family = family_for_source(source)

    def build(root: Path) -> None:
        write_tasks(root, family.build_suite(source, root, seed))

    return cached_build(_suite_key(source, seed), build)


def load_tasks(
    source: str,
    split: str | None = None,
    *,
    path: str | Path | None = None,
    seed: int = 0,
    database: str | Path | None = None,
) -> list[Task]:
    """Tasks of ``source``: the built-in synthetic suite, or the official files under ``path``.

    ``path`` may be a task file or a MedAgentGym ``data`` folder (``<path>/<source>/*_tasks.jsonl``). Official
    rows are prepared by their family: for the EHR sources they run on a synthetic database built to contain
    what they ask about, answers re-grounded on it, unless ``database`` names the real one. What the family
    left out, and why, is in ``load_task_set``.
    """
    return load_task_set(source, split, path=path, seed=seed, database=database).tasks


def load_task_set(
    source: str,
    split: str | None = None,
    *,
    path: str | Path | None = None,
    seed: int = 0,
    database: str | Path | None = None,
) -> TaskSet:
    """``load_tasks`` with the tasks its family excluded (rows that do not load, references that are
    unstable, data that cannot be synthesized), each with its reason."""
    if path is None:
        if database is not None:
            raise MedgymError("database= applies to official task files: pass path= as well")
        loaded = read_task_set(_suite_root(source, seed))
    elif is_generated_suite(path):
        suite = _generated_suite(str(Path(path).resolve()), (Path(path) / TASKS_FILE).stat().st_mtime_ns)
        loaded = TaskSet(tasks=[t for t in suite.tasks if t.source == source])
    else:
        files = official_task_files(path, source)
        read = read_task_files(files, source)
        rows = read.rows
        family = family_for_source(source)
        official = [t for t in rows.tasks if t.family == family.name and t.source == source]
        others = [t for t in rows.tasks if not (t.family == family.name and t.source == source)]
        db = Path(database) if database is not None else None
        prepared = family.prepare_official(source, official, files, seed=seed, database=db)
        excluded = rows.excluded + [read.located(e) for e in prepared.excluded]
        loaded = TaskSet(tasks=prepared.tasks + others, excluded=excluded)
    if split is None:
        return loaded
    return TaskSet(tasks=[t for t in loaded.tasks if t.split == split], excluded=loaded.excluded)


MANIFEST_FILE = "manifest.json"
"""What marks a generated suite's directory (``medgym tasks generate``; see ``tasks/generate.py``)."""


def is_generated_suite(path: str | Path) -> bool:
    return (Path(path) / MANIFEST_FILE).is_file() and (Path(path) / TASKS_FILE).is_file()


@lru_cache(maxsize=2)
def _generated_suite(root: str, mtime_ns: int) -> TaskSet:
    """A generated suite read once for all its sources (``select_task_set`` asks per source); the cache key
    holds the file's modification time, so a regenerated suite is read again."""
    return read_task_set(Path(root))


def official_task_files(path: str | Path, source: str) -> list[Path]:
    """The official task files of ``source`` under ``path`` (the file itself, ``<path>/<source>/`` or
    ``<path>``, matched with the family's ``task_files`` patterns); ``TaskFileError`` if there are none."""
    path = Path(path)
    patterns = family_for_source(source).task_files
    if path.is_file():
        return [path]
    for folder in (path / source, path):
        files = [f for pattern in patterns for f in sorted(folder.glob(pattern))]
        if files:
            return files
    raise TaskFileError(
        f"no task files for {source!r} under {path} (expected {path}/{source}/{' or '.join(patterns)})"
    )


def _suite_sources(path: str | Path) -> list[str]:
    suite = _generated_suite(str(Path(path).resolve()), (Path(path) / TASKS_FILE).stat().st_mtime_ns)
    return sorted({t.source for t in suite.tasks})


def get_task(task_id: str, *, source: str | None = None, path: str | Path | None = None) -> Task:
    """Find one task by id; without ``source``, built-in suites are searched (their ids start with it)."""
    prefix = task_id.split(".", 1)[0]
    sources = [source] if source else [prefix] if prefix in list_sources() else list_sources()
    for src in sources:
        for task in load_tasks(src, path=path):
            if task.id == task_id:
                return task
    raise UnknownTaskError(f"no task with id {task_id!r}; list them with `medgym tasks list`")


def spread_over_categories(tasks: list[Task], limit: int) -> list[Task]:
    """The first ``limit`` tasks taken round-robin over categories, so a small sample covers them all."""
    by_category: dict[str, list[Task]] = {}
    for task in tasks:
        by_category.setdefault(task.category, []).append(task)
    queues = list(by_category.values())
    picked: list[Task] = []
    while len(picked) < limit and queues:
        picked += [q.pop(0) for q in queues][: limit - len(picked)]
        queues = [q for q in queues if q]
    return picked


def select_tasks(
    sources: str,
    split: str | None = None,
    *,
    path: str | Path | None = None,
    database: str | Path | None = None,
    limit: int = 0,
) -> list[Task]:
    """Tasks of several sources for one run: ``sources`` as ``resolve_sources`` reads it; ``limit`` caps each source, spread over its categories (0: no cap)."""
    return select_task_set(sources, split, path=path, database=database, limit=limit).tasks


def resolve_sources(sources: str, path: str | Path | None = None) -> list[str]:
    """The source names of ``sources``: a name, a comma-separated list, ``all`` (every built-in suite, or
    every source of a generated suite at ``path``) or ``families`` (one built-in suite per family)."""
    if sources == "all":
        return _suite_sources(path) if path is not None and is_generated_suite(path) else list_sources()
    if sources == "families":
        return one_source_per_family()
    return [s.strip() for s in sources.split(",") if s.strip()]


def select_task_set(
    sources: str,
    split: str | None = None,
    *,
    path: str | Path | None = None,
    database: str | Path | None = None,
    limit: int = 0,
) -> TaskSet:
    """``select_tasks`` with what each source's family excluded."""
    picked = TaskSet()
    for name in resolve_sources(sources, path):
        loaded = load_task_set(name, split, path=path, database=database)
        tasks = spread_over_categories(loaded.tasks, limit) if limit else loaded.tasks
        picked += TaskSet(tasks=tasks, excluded=loaded.excluded)
    return picked
