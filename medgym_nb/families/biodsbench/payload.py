"""What a BioDSBench task carries (its payload) and what its agent is told, shared by the family, its
suite and its grounding."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medgym_nb.errors import TaskFileError
from medgym_nb.grading.asserts import TestStep

from .cbioportal import parse_dataframes

__all__ = [
    "CONTEXT",
    "SETUP",
    "SOURCE",
    "BiodsbenchPayload",
    "histories",
    "local_paths",
    "official_setup",
    "task_context",
]

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
    """A task's study and hidden test steps. ``setup`` is what the episode's kernel runs before the agent's
    first turn (the imports and table reads the official code presumes, then ``history``: the study's
    earlier code as the row gives it in ``code_histories``, then ``prelude``: earlier references of the
    study that re-grounding found the reference needs); ``chat`` the study's earlier conversation
    (``chat_histories``); ``official_tests`` the test cases as released."""

    model_config = ConfigDict(extra="forbid")

    study: str
    question_id: str = ""
    tests: list[TestStep] = Field(default_factory=list)
    official_tests: str = ""
    dataframes: str = ""
    reference: str = ""
    setup: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    chat: list[str] = Field(default_factory=list)
    prelude: list[str] = Field(default_factory=list)


def official_setup(dataframes: str) -> str:
    """The oracle's first cell for an official task: ``SETUP``, then each described table read into the
    variable its description names (BioDSBench's references use them without reading them)."""
    reads = [f"{spec.name} = pd.read_csv('data/{spec.file}')" for spec in parse_dataframes(dataframes)]
    return "\n".join([SETUP, *dict.fromkeys(reads)])


def histories(value: Any, name: str) -> list[str]:
    """A row's ``code_histories`` or ``chat_histories``: a list of texts (or of ``{"role", "content"}``
    messages), given as a list or as its Python or JSON text; absent or empty means none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            try:
                value = json.loads(value)
            except ValueError:
                raise TaskFileError(f"{name} is not a list (nor the text of one)") from None
    if not isinstance(value, list):
        raise TaskFileError(f"{name} is not a list but {type(value).__name__}")
    out = []
    for item in value:
        if isinstance(item, dict):
            text = str(item.get("content", item.get("code", item.get("text", ""))))
            item = f"{item['role']}: {text}" if "role" in item else text
        out.append(local_paths(item if isinstance(item, str) else str(item)))
    return [text for text in out if text.strip()]


def local_paths(text: str) -> str:
    """Official paths (``/workdir/x.csv``, ``INPUT_DIR = "/workdir"``) as the episode's ``data/`` ones."""
    return _WORKDIR.sub("data", text)


_LOADED = (
    "The notebook's first cells already ran in your session: they import `os`, `pandas as pd` and "
    "`matplotlib.pyplot as plt`, set `INPUT_DIR = 'data'` and read each table into the variable its "
    "description names (e.g. `data_mutations`)."
)


def task_context(
    tables: str, earlier: Sequence[str] = (), chat: Sequence[str] = (), *, loaded: bool = True
) -> str:
    """What the agent is told besides the question: the rules, the tables, and the study's earlier steps
    (``earlier``: code the set-up cells already ran; ``chat``: the earlier conversation); ``loaded``: the
    set-up cells read the tables."""
    parts = [CONTEXT + (" " + _LOADED if loaded else ""), "The tables:\n" + tables.strip()]
    if chat:
        parts.append("This question continues a conversation about the same study:\n" + "\n\n".join(chat))
    if earlier:
        code = "\n\n".join(earlier)
        parts.append(
            "This question continues an analysis of the same study: its earlier steps, below, already ran in "
            "your session (the notebook's first cells), so their variables and files are there to use:\n"
            "```python\n" + code + "\n```"
        )
    return "\n\n".join(parts)
