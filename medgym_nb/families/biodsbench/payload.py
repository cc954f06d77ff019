"""What a BioDSBench task carries (its payload) and what its agent is told, shared by the family, its
suite and its grounding."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from medgym_nb.grading.asserts import TestStep

from .cbioportal import parse_dataframes

__all__ = ["CONTEXT", "SETUP", "SOURCE", "BiodsbenchPayload", "local_paths", "official_setup", "task_context"]

SOURCE = "biodsbench"
SETUP = "import os\nimport pandas as pd\nimport matplotlib.pyplot as plt\nINPUT_DIR = 'data'"
"""The oracle's first cell: official reference code uses ``os``, ``pd`` and ``INPUT_DIR`` without defining them."""
_WORKDIR = re.compile(r"/workdir(?=[/\"'`\s)]|$)")

CONTEXT = (
    "The study's tables are in the read-only folder `data/`, each as CSV (`data/<table>.csv`) and as "
    "tab-separated text (`data/<table>.txt`). Leave your results in the variables the question names: after "
    "your last turn, hidden test cases check those variables in this session (what you print does not "
    "count). End with `validate_code` running your final code, or with `submit`. Figures you save in the "
    "work directory (png, jpg, svg) are kept with the episode."
)


class BiodsbenchPayload(BaseModel):
    """A task's study and hidden test steps; ``prelude`` is the code of the study's earlier questions that the
    reference needs (shown to the agent), ``official_tests`` the test cases as released."""

    model_config = ConfigDict(extra="forbid")

    study: str
    question_id: str = ""
    tests: list[TestStep] = Field(default_factory=list)
    official_tests: str = ""
    dataframes: str = ""
    reference: str = ""
    prelude: list[str] = Field(default_factory=list)


def official_setup(dataframes: str) -> str:
    """The oracle's first cell for an official task: ``SETUP``, then each described table read into the
    variable its description names (BioDSBench's references use them without reading them)."""
    reads = [f"{spec.name} = pd.read_csv('data/{spec.file}')" for spec in parse_dataframes(dataframes)]
    return "\n".join([SETUP, *dict.fromkeys(reads)])


def local_paths(text: str) -> str:
    """Official paths (``/workdir/x.csv``, ``INPUT_DIR = "/workdir"``) as the episode's ``data/`` ones."""
    return _WORKDIR.sub("data", text)


NAMED_TABLES = (
    "Each table is described as a DataFrame with a name: load it into a variable of that name (e.g. "
    "`data_mutations = pd.read_csv('data/data_mutations.csv')`)."
)


def task_context(tables: str, prelude: list[str], *, named: bool = True) -> str:
    """What the agent is told besides the question: the rules, the tables, and any prelude code."""
    parts = [CONTEXT + (" " + NAMED_TABLES if named else ""), "The tables:\n" + tables.strip()]
    if prelude:
        code = "\n\n".join(prelude)
        parts.append(
            "This question continues an analysis of the same study; its earlier steps ran the code below, "
            "which has not been run in your session (run what you need of it):\n```python\n" + code + "\n```"
        )
    return "\n\n".join(parts)
