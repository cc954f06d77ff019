"""The viewer as static files to share: the page, the index and every episode as scripts, the kept files
copied beside them; opens from ``file://`` or any static host, with no server."""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.progress import Progress

from .data import Runs, episode_script, index_script
from .server import STATIC, static_file

__all__ = ["write_bundle"]


def write_bundle(dirs: list[Path], out: Path) -> Path:
    """Write the viewer of ``dirs`` into ``out`` (``out/index.html`` is the page); returns that page."""
    runs = Runs(dirs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "static").mkdir(exist_ok=True)
    for name in STATIC:
        target = out / name if name == "index.html" else out / "static" / name
        target.write_bytes(static_file(name))
    (out / "data").mkdir(exist_ok=True)
    (out / "data" / "index.js").write_text(index_script(runs))
    total = sum(len(index.episodes) for index in runs.indices)
    with Progress(transient=True) as progress:
        task = progress.add_task("episode pages", total=total)
        for i, index in enumerate(runs.indices):
            for ep in index.episodes:
                page = out / "data" / "episodes" / str(i) / f"{ep.id}.js"
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_text(episode_script(runs, i, ep))
                for rel in ep.files:
                    target = out / "files" / str(i) / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(runs.dirs[i] / rel, target)
                progress.advance(task)
    return out / "index.html"
