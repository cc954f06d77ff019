"""Large runs made cheaply from real ones: episode folders copied with new task ids, for scale tests and the
viewer benchmark (ten thousand kernels would take hours; the viewer reads notebooks, not kernels)."""

from __future__ import annotations

import copy
import json
import os
import random
from pathlib import Path


def synthesize_run(templates: list[Path], out: Path, n: int, seed: int = 0) -> Path:
    """``n`` episode folders under ``out``, each a real episode (``templates``: their ``episode.ipynb``)
    renamed ``<task_id>.v<i>``, with durations varied; grader notebooks and kept files are hard links."""
    rng = random.Random(seed)
    loaded = [(path, json.loads(path.read_text())) for path in templates]
    for i in range(n):
        path, nb = loaded[i % len(loaded)]
        meta = nb["metadata"]["medgym"]
        task_id = f"{meta['task_id']}.v{i}"
        folder = out / meta["source"] / task_id
        folder.mkdir(parents=True)
        copy_nb = dict(nb, metadata=dict(nb["metadata"], medgym=copy.copy(meta)))
        copy_meta = copy_nb["metadata"]["medgym"]
        copy_meta["task_id"] = task_id
        copy_meta["task"] = dict(meta["task"], id=task_id)
        copy_meta["duration"] = round(meta["duration"] * rng.uniform(0.5, 3.0), 3)
        (folder / "episode.ipynb").write_text(json.dumps(copy_nb))
        graded = path.with_name("grade.ipynb")
        if graded.is_file():
            os.link(graded, folder / "grade.ipynb")
        kept = path.with_name("files")
        if kept.is_dir():
            (folder / "files").mkdir()
            for f in kept.iterdir():
                os.link(f, folder / "files" / f.name)
    return out
