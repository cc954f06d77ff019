"""Generated suites at training scale (``medgym tasks generate``): tasks from every family's generator, in
MedAgentGym's own mix of sources, distinct, written as one task JSONL with a manifest to rebuild it from.

A suite directory holds ``tasks.jsonl`` (one ``Task`` per line: id, source, category, split, question, answer
and everything an episode needs, so ``load_tasks(source, path=DIR)`` and ``medgym run --path DIR`` run it),
``excluded.jsonl``, ``manifest.json`` and ``data/<source>/``: the databases and files the tasks share.

Shares follow each source's ``official_counts``. A source whose templates hold fewer distinct tasks than its
share yields what it has, and the rest goes to the sources still to come (smallest shares are drawn first),
so the total holds without padding a small family with near-duplicates. The manifest records what each source
was asked for, so a rebuild calls each generator with the same arguments and gets the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .._atomic import write_text_atomic
from ..errors import MedgymError, TaskFileError
from ..family.registry import family_for_source, list_families
from .catalog import MANIFEST_FILE
from .model import Generated, Task

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "Manifest",
    "SourcePlan",
    "SplitBy",
    "generate_suite",
    "generator_sources",
    "identity",
    "rebuild_suite",
    "split_by_template",
]

FORMAT_VERSION = "1"
"""Version of the generated-suite format (rows, ids, splitting); part of each task's ``generated`` stamp."""
SPLIT_SHARES = {"train": 0.8, "valid": 0.1, "test": 0.1}
"""Target shares of the tasks per split when a suite is split by template."""

SplitBy = Literal["family", "template"]
Progress = Callable[[str, int], None]
"""Called with a source and the number of tasks it added since the last call."""


class SourcePlan(BaseModel):
    """One source of a suite: its generator, what it was asked for (``requested``) and what it gave."""

    source: str
    generator: str
    seed: int
    requested: int
    made: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    """how long the source took to generate (not part of what a rebuild must reproduce)"""


class Manifest(BaseModel):
    """How a suite was made; ``rebuild_suite`` reproduces ``tasks.jsonl`` (``sha256``) from it."""

    format: str = FORMAT_VERSION
    n: int
    seed: int
    split_by: SplitBy
    sources: list[SourcePlan] = Field(default_factory=list)
    tasks: int = 0
    sha256: str = ""


def identity(task: Task, follow_ups: Iterable[str] = ()) -> str:
    """What makes a task distinct: its source, question (with any follow-up questions), context and data."""
    key = [task.source, task.question, *follow_ups, task.context, task.data_dir or "", *task.data_files]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


def _weights(sources: list[str]) -> dict[str, int]:
    weights = {s: family_for_source(s).official_counts.get(s, 0) for s in sources}
    missing = [s for s, w in weights.items() if w <= 0]
    if missing:
        raise MedgymError(f"no official task count for {', '.join(missing)}; its family sets official_counts")
    return weights


def generator_sources() -> list[str]:
    """Sources whose families weigh them in a generated mix (``official_counts``), smallest share first."""
    counts = {s: c for f in list_families() for s, c in f.official_counts.items()}
    return sorted(counts, key=lambda s: (counts[s], s))


def _sources(sources: str) -> list[str]:
    names = generator_sources() if sources == "all" else [s.strip() for s in sources.split(",") if s.strip()]
    weights = _weights(names)
    return sorted(names, key=lambda s: (weights[s], s))


def _generated(plan: SourcePlan, out: Path, progress: Progress | None, seen: set[str]) -> Iterator[Task]:
    """The tasks of one plan, distinct from ``seen``, their data under ``out/data/<source>``."""
    family = family_for_source(plan.source)
    if plan.generator != f"{family.name}:{family.version}":
        raise MedgymError(
            f"{plan.source}: the manifest names generator {plan.generator}, installed is "
            f"{family.name}:{family.version}; the suite cannot be rebuilt byte-identical with it"
        )
    start = time.monotonic()
    folder = Path("data", plan.source)
    stamp = Generated(generator=plan.generator, seed=plan.seed, version=FORMAT_VERSION)
    for task in family.generate(plan.source, plan.requested, plan.seed, out / folder):
        key = identity(task, family.follow_ups(task))
        if key in seen:
            plan.duplicates += 1
            continue
        seen.add(key)
        plan.made += 1
        if progress is not None:
            progress(plan.source, 1)
        data_dir = None if task.data_dir is None else _relative(task.data_dir, folder)
        yield task.model_copy(update={"data_dir": data_dir, "generated": stamp})
    plan.seconds = round(time.monotonic() - start, 1)


def _relative(data_dir: str, folder: Path) -> str:
    """A generator's data dir relative to the suite (absolute ones, shared caches, stay as they are)."""
    return data_dir if Path(data_dir).is_absolute() else str(folder / data_dir)


def split_by_template(tasks: list[Task], seed: int) -> list[Task]:
    """Tasks with ``split`` set by template (``category``) per source: every task of a template lands in one
    split, so no template's near-duplicates are on both sides of a held-out evaluation.

    A source with three templates or more gets a test and a valid template first (the one whose size is
    nearest the split's share, ``SPLIT_SHARES``); the others, in a seeded order, go to the split furthest
    below its share of the source's tasks. A source with fewer templates keeps them all in ``train``."""
    by_source: dict[str, dict[str, int]] = {}
    for task in tasks:
        counts = by_source.setdefault(task.source, {})
        counts[task.category] = counts.get(task.category, 0) + 1
    assigned: dict[tuple[str, str], str] = {}
    for source, counts in by_source.items():
        total = sum(counts.values())
        order = sorted(counts, key=lambda c: hashlib.sha256(f"{seed}-{source}-{c}".encode()).hexdigest())
        if len(order) < len(SPLIT_SHARES):
            assigned.update({(source, c): "train" for c in order})
            continue
        filled = dict.fromkeys(SPLIT_SHARES, 0)
        for split in ("test", "valid"):
            target = SPLIT_SHARES[split] * total
            category = min(order, key=lambda c: abs(counts[c] - target))
            order.remove(category)
            filled[split] += counts[category]
            assigned[source, category] = split
        for category in order:
            split = max(SPLIT_SHARES, key=lambda s: SPLIT_SHARES[s] * total - filled[s])
            filled[split] += counts[category]
            assigned[source, category] = split
    return [t.model_copy(update={"split": assigned[t.source, t.category]}) for t in tasks]


def generate_suite(
    out: Path,
    sources: str = "all",
    *,
    n: int,
    seed: int = 0,
    split_by: SplitBy = "family",
    progress: Progress | None = None,
) -> Manifest:
    """Generate about ``n`` distinct tasks of ``sources`` (``all``, a name or a comma-separated list) into
    ``out``, which must not hold a suite already; ``split_by="template"`` re-splits them by template (else
    each family's own split stands)."""
    manifest = Manifest(n=n, seed=seed, split_by=split_by)
    _prepare(out)
    tasks: list[Task] = []
    seen: set[str] = set()
    names = _sources(sources)
    weights = _weights(names)
    remaining, weight_left = n, sum(weights.values())
    for source in names:  # smallest share first: what one cannot make goes to those still to come
        family = family_for_source(source)
        quota = round(remaining * weights[source] / weight_left)
        plan = SourcePlan(
            source=source, generator=f"{family.name}:{family.version}", seed=seed, requested=quota
        )
        tasks += _generated(plan, out, progress, seen)
        manifest.sources.append(plan)
        remaining -= plan.made
        weight_left -= weights[source]
    return _write(out, tasks, manifest)


def rebuild_suite(manifest_file: Path, out: Path, progress: Progress | None = None) -> Manifest:
    """Rebuild a suite from its manifest into ``out``; ``TaskFileError`` if the tasks differ by a byte."""
    manifest = Manifest.model_validate_json(manifest_file.read_text(encoding="utf-8"))
    if manifest.format != FORMAT_VERSION:
        raise TaskFileError(
            f"{manifest_file}: suite format {manifest.format}, this medgym writes {FORMAT_VERSION}"
        )
    _prepare(out)
    tasks: list[Task] = []
    seen: set[str] = set()
    rebuilt = manifest.model_copy(update={"sources": [], "tasks": 0, "sha256": ""})
    for recorded in manifest.sources:
        plan = recorded.model_copy(update={"made": 0, "duplicates": 0})
        tasks += _generated(plan, out, progress, seen)
        rebuilt.sources.append(plan)
    written = _write(out, tasks, rebuilt)
    if written.sha256 != manifest.sha256:
        raise TaskFileError(
            f"rebuilt tasks differ from {manifest_file} (sha256 {written.sha256[:12]} ≠ {manifest.sha256[:12]}): "
            "a generator changed without a version bump"
        )
    return written


def _prepare(out: Path) -> None:
    if (out / MANIFEST_FILE).exists():
        raise MedgymError(f"{out} holds a generated suite already; choose another --out or delete it")
    if (out / "data").exists():
        shutil.rmtree(out / "data")  # the data of an unfinished run, which wrote no manifest
    out.mkdir(parents=True, exist_ok=True)


def _write(out: Path, tasks: list[Task], manifest: Manifest) -> Manifest:
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        raise MedgymError("a generator gave two tasks the same id; fix its ids (they must be unique)")
    if manifest.split_by == "template":
        tasks = split_by_template(tasks, manifest.seed)
    text = "".join(task.model_dump_json() + "\n" for task in tasks)
    write_text_atomic(out / "tasks.jsonl", text)
    write_text_atomic(out / "excluded.jsonl", "")
    manifest.tasks = len(tasks)
    manifest.sha256 = hashlib.sha256(text.encode()).hexdigest()
    write_text_atomic(out / MANIFEST_FILE, manifest.model_dump_json(indent=2) + "\n")
    return manifest
