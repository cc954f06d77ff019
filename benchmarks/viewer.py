"""The viewer at scale: index time and, in headless Chromium, open and filter times of a large run.

Run: .venv/bin/python benchmarks/viewer.py [--n 10000] [--templates DIR ...]
Plays the oracle and a failing scripted agent on a few tasks (or takes the episodes of the given run
directories), copies them into N episode folders, then reports: the first (cold) index of the run, a warm
re-index, and in the browser the time from navigation to a rendered index and from a keystroke or a select
to a re-rendered table (``performance.now()`` in the page). The issue's bar: open < 2 s, filter < 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.runs import load_run
from medgym_nb.viewer import ViewerServer
from tests.browser import browser_status, chromium_page, viewer_timings
from tests.synthetic_runs import synthesize_run


class Wrong(ScriptedAgent):
    name = "wrong"

    def plan(self, task):
        return [
            {"action": "execute", "params": {"code": "{}['missing']"}},
            {"action": "submit", "params": {"answer": ["nope"]}},
        ]


def real_templates(root: Path) -> list[Path]:
    tasks = mg.load_tasks("mimic_iii", split="test")[:4]
    mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), root / "oracle")
    mg.run_episodes(tasks, lambda _t: Wrong(), root / "wrong")
    return sorted(root.rglob("episode.ipynb"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--templates", type=Path, nargs="*", help="run directories whose episodes to copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.templates:
            templates = sorted(p for d in args.templates for p in d.rglob("episode.ipynb"))
        else:
            templates = real_templates(root / "real")
        t0 = time.perf_counter()
        big = synthesize_run(templates, root / "big", args.n)
        print(f"{args.n} episodes from {len(templates)} real ones in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        load_run(big)
        print(f"index, cold (every notebook read): {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        load_run(big)
        print(f"index, warm (mtimes checked):      {time.perf_counter() - t0:.2f} s")
        ok, reason = browser_status()
        if not ok:
            print(f"browser figures skipped: {reason}")
            return
        server = ViewerServer([big], port=0).start()
        try:
            with chromium_page() as page:
                opens, filters = viewer_timings(
                    page,
                    server.url,
                    opens=5,
                    searches=("keyerror", "drug", "mimic_iii.syn.age", "zzz", ""),
                    select=("passed", "0"),
                )
        finally:
            server.stop()
        print(
            f"open (navigation to rendered index): median {statistics.median(opens):.0f} ms, max {max(opens):.0f} ms"
        )
        print(
            f"filter/sort (input to rendered table): median {statistics.median(filters):.1f} ms, "
            f"max {max(filters):.1f} ms"
        )


if __name__ == "__main__":
    main()
