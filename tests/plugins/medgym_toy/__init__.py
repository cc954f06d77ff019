"""A task family written only for the tests, plugged in through the ``medgym_nb.families`` entry point.

Three kinds of task over a small CSV: ``state`` tasks leave a value in a named variable (graded by a probe in
the episode's own kernel), ``file`` tasks write ``predictions.csv`` (graded from the kept file), ``code``
tasks submit a function's source, which the grader runs against a hidden check in a sandboxed kernel, and a
``sequence`` task asks a follow-up question about its first answer. Its tasks permit only ``execute`` and
``submit``; its grader notebook lives beside this module.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from medgym_nb import KernelNeeds, Task, TaskFamily


class ToyPayload(BaseModel):
    kind: Literal["state", "file", "code", "sequence"]
    variable: str = ""
    check: str = ""
    """code: the hidden program run after the submitted source; its stdout must equal the answer"""


class ToyStatsFamily(TaskFamily):
    name = "toy_stats"
    sources = ("toy_stats",)
    suite_sources = ("toy_stats",)
    payload_model = ToyPayload
    actions = ("execute", "submit")
    kernel = KernelNeeds(packages=("pandas",))

    def build_suite(self, source: str, root: Path, seed: int) -> list[Task]:
        rng = random.Random(seed)
        (root / "data").mkdir()
        rows = [(i, round(rng.uniform(0, 10), 3)) for i in range(40)]
        with (root / "data" / "values.csv").open("w", newline="") as fh:
            csv.writer(fh).writerows([("id", "x"), *rows])
        threshold = 5.0
        top = max(x for _, x in rows)
        common = {"source": source, "family": self.name, "data_dir": "data", "data_files": ["values.csv"]}
        read = "import pandas as pd\ndf = pd.read_csv('data/values.csv')"
        return [
            Task(
                id="toy_stats.mean",
                category="state",
                question="Store the mean of column x of data/values.csv in a variable `mean_x`, then submit 'done'.",
                answer=sum(x for _, x in rows) / len(rows),
                payload=ToyPayload(kind="state", variable="mean_x"),
                solution=[read, "mean_x = df['x'].mean()"],
                **common,
            ),
            Task(
                id="toy_stats.labels",
                category="file",
                question=f"Write predictions.csv (id,prediction) with prediction 1 where x > {threshold}, else 0.",
                answer=[int(x > threshold) for _, x in rows],
                payload=ToyPayload(kind="file"),
                solution=[
                    read,
                    f"df.assign(prediction=(df['x'] > {threshold}).astype(int))[['id', 'prediction']]"
                    ".to_csv('predictions.csv', index=False)",
                ],
                **common,
            ),
            Task(
                id="toy_stats.double",
                category="code",
                question="Submit the source of a function `double(x)` that returns twice its argument.",
                answer="42\n",
                payload=ToyPayload(kind="code", check="print(double(21))"),
                solution=["def double(x):\n    return 2 * x"],
                **common,
            ),
            Task(
                id="toy_stats.sequence",
                category="sequence",
                question="What is the largest x in data/values.csv? Submit it.",
                answer=[top, sum(x > top / 2 for _, x in rows)],
                payload=ToyPayload(kind="sequence"),
                solution=[read, "top = df['x'].max()", "n = int((df['x'] > top / 2).sum())"],
                **common,
            ),
        ]

    def outputs(self, task: Task) -> tuple[str, ...]:
        return ("predictions.csv",)

    def state_probe(self, task: Task) -> str | None:
        name = task.payload.variable if isinstance(task.payload, ToyPayload) else ""
        if not name:
            return None
        return f"__medgym_state__ = {{'value': float({name}) if '{name}' in globals() else None}}"

    def follow_ups(self, task: Task) -> list[str]:
        if task.category != "sequence":
            return []
        return ["How many rows have an x greater than half of that largest value? Submit the count."]

    def oracle_plan(self, task: Task) -> list[dict[str, Any]]:
        if (
            task.category == "sequence"
        ):  # the follow-up reuses `top`, kept in the kernel since the first answer
            read, first, second = task.solution
            return [
                {"action": "execute", "params": {"code": read}},
                {"action": "execute", "params": {"code": first}},
                {"action": "submit", "params": {"answer": task.answer[0]}},
                {"action": "execute", "params": {"code": f"{second}\nprint(n)"}},
                {"action": "submit", "params": {"answer": task.answer[1]}},
            ]
        if task.category == "code":
            return [{"action": "submit", "params": {"answer": task.solution[0]}}]
        steps = [{"action": "execute", "params": {"code": code}} for code in task.solution]
        return [*steps, {"action": "submit", "params": {"answer": "done"}}]
