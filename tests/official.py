"""The official MedAgentGym rows in ``../shared`` (a sample per source, and the whole train splits)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
