"""Several scripted plays, each a one-episode run of its own (its own output folder, so a task may be played
more than once), sharing one warm grader kernel and two at a time: a grader kernel per run and one run after
another cost the fixtures that use this several seconds each."""

from __future__ import annotations

import asyncio
from pathlib import Path

import medgym_nb as mg
from medgym_nb._loop import run_sync
from medgym_nb.grading.notebook import SharedGrader
from medgym_nb.runner import run_episodes_async


def play_each(
    plays: list[tuple[mg.Task, mg.Agent]], root: Path, concurrency: int = 2
) -> list[mg.EpisodeResult]:
    """Play each ``(task, agent)`` into ``root/<k>``; their results, in order."""
    grader = SharedGrader()
    slots = asyncio.Semaphore(concurrency)

    async def play(k: int, task: mg.Task, agent: mg.Agent) -> mg.EpisodeResult:
        async with slots:
            [result] = await run_episodes_async([task], lambda _t: agent, root / str(k), grader=grader)
            return result

    async def play_all() -> list[mg.EpisodeResult]:
        return await asyncio.gather(*(play(k, task, agent) for k, (task, agent) in enumerate(plays)))

    try:
        return run_sync(play_all())
    finally:
        grader.close()
