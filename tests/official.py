"""The official MedAgentGym rows in ``../shared`` (a sample per source, and the whole train splits)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from medgym_nb.families.ehrsql.family import executable_sql, run_sql
from medgym_nb.tasks.check import informative

SPLIT_FILES = {
    "sample": ("medagentgym", "train_tasks.sample.jsonl"),
    "train": ("medagentgym-train", "train_tasks.jsonl"),
}


def official_rows(shared_dir: Path, source: str, split: str) -> list[dict]:
    """The rows of ``source``'s official ``split`` file; the test skips (saying why) where it is absent."""
    folder, name = SPLIT_FILES[split]
    path = shared_dir.parent / folder / source / name
    if not path.is_file():
        pytest.skip(f"the official {source} {split} file is not in ../shared ({path})")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def planted_share(
    build: Callable[..., Path], rows: list[dict], path: Path, label: str
) -> tuple[float, float]:
    """Build a database planted with the rows' SQL, run every row's query on it, print the informative share
    and the weakest templates; returns (share, build seconds)."""
    started = time.perf_counter()
    db = build(path, plant=[executable_sql(row["query"]) for row in rows])
    seconds = time.perf_counter() - started
    by_tag: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        by_tag[row.get("tag", "")].append(informative(run_sql(db, row["query"])))
    hits = [ok for oks in by_tag.values() for ok in oks]
    share = sum(hits) / len(hits)
    print(
        f"\n{label}: {len(rows)} queries, build {seconds:.2f} s, {db.stat().st_size / 2**20:.1f} MiB; "
        f"informative {share:.1%}"
    )
    for tag, oks in sorted(by_tag.items(), key=lambda item: sum(item[1]) / len(item[1]))[:5]:
        print(f"  {sum(oks)}/{len(oks)}  {tag[:110]}")
    return share, seconds
