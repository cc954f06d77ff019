"""Official loaders never fail on one row: property tests that perturb real official rows of every source.

Each example takes rows of a source's official file (the ``../shared`` sample, or the whole train split), makes
them unusual the ways released files are (CRLF, blank and whitespace lines, a byte-order mark, keys shuffled,
dropped or added, empty answers, unicode, a repeated row and so a repeated id, a truncated line), writes them
as a task file and loads it with ``mg.load_task_set``. The load must not raise (unless no row at all is
usable), every row must end up as one task or one exclusion located at its ``file:line``, ids must be unique,
and no row may fall into the loader's safety net for family defects. Rows that are only re-formatted must
load exactly as the originals do.

The default set takes a few fixed rows per source, so the synthetic databases and notes the EHR sources build
are mostly reused from the cache, and leaves alone the keys whose change rebuilds data (``COSTLY``); ``-m slow``
draws rows from the whole files with many more examples and perturbs those keys too (a BioCoder program or
reference the family cannot splice is an exclusion like any other).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import medgym_nb as mg
from medgym_nb.errors import TaskFileError
from medgym_nb.tasks.official import UNREADABLE

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

FILES: dict[str, list[Path]] = {
    "mimic_iii": [
        Path("medagentgym/mimic_iii/train_tasks.sample.jsonl"),
        Path("medagentgym-train/mimic_iii/train_tasks.jsonl"),
    ],
    "eicu": [
        Path("medagentgym/eicu/train_tasks.sample.jsonl"),
        Path("medagentgym-train/eicu/train_tasks.jsonl"),
    ],
    "treqs": [
        Path("medagentgym/treqs/train_tasks.sample.jsonl"),
        Path("medagentgym-train/treqs/train_tasks.jsonl"),
    ],
    "medcalcbench": [Path("medagentgym/medcalcbench/test_tasks.sample.jsonl")],
    "npowerai": [
        Path("medagentgym/npowerai/train_tasks.sample.jsonl"),
        Path("medagentgym-train/npowerai/train_tasks.jsonl"),
    ],
    "ehrcon": [
        Path("medagentgym/ehrcon/train_tasks.sample.jsonl"),
        Path("medagentgym-train/ehrcon/train_tasks.jsonl"),
    ],
    "biodsbench": [
        Path("medagentgym/biodsbench/train_tasks.sample.jsonl"),
        Path("medagentgym-train/biodsbench/train_tasks.jsonl"),
    ],
    "biocoder": [Path("medagentgym/biocoder/test_tasks.sample.jsonl")],
    "medagentbench": [
        Path("medagentgym/medagentbench/train_tasks.sample.jsonl"),
        Path("medagentgym-train/medagentbench/train_tasks.jsonl"),
    ],
    "mimic_extract": [
        Path("medagentgym/mimic_extract/train_tasks.sample.jsonl"),
        Path("medagentgym-train/mimic_extract/train_tasks.jsonl"),
    ],
    "ehrshot": [Path("medagentgym/ehrshot/task.jsonl")],
}

ANSWER_KEY = {
    "mimic_iii": "answer",
    "eicu": "answer",
    "treqs": "answer",
    "medcalcbench": "Ground Truth Answer",
    "npowerai": "answer",
    "ehrcon": "Number of inconsistencies",
    "biodsbench": "reference_answer",
    "biocoder": "solution",
    "medagentbench": "sol",
    "mimic_extract": "performance",
    "ehrshot": "task_description",
}
"""The field each source's rows give their expected answer (or reference) in, for the "empty answer" case."""


_BIODSBENCH = {"queries", "dataframes", "reference_answer", "test_cases", "study_ids", "question_ids"}
COSTLY = {
    "mimic_iii": {"query", "question"},
    "eicu": {"query", "question"},
    "treqs": {"query", "question"},
    "biocoder": {"signature", "context", "solution"},
    "biodsbench": _BIODSBENCH,
}
"""Keys the default set leaves alone because changing them rebuilds data: the SQL planted in an EHR database
(and the question, without which the row and its SQL are left out), a BioCoder program or reference (each
runs in the sandbox), a BioDSBench task
(re-grounded in sandboxed kernels)."""

DEFAULT_ROWS = {"biodsbench": 1, "biocoder": 1}
"""Rows the default set takes from the sample (3 elsewhere): BioDSBench re-grounds and BioCoder runs its
references in sandboxed kernels."""

DEFAULT_REPEATS = {"biodsbench": False}
"""Whether the default set may repeat a row (a repeated id renames a task, which rebuilds BioDSBench's)."""

UNICODE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)


def _rows(file: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]


@st.composite
def _perturbed_row(draw: st.DrawFn, row: dict[str, Any], source: str, *, broad: bool) -> dict[str, Any]:
    """``row`` with a few of: keys shuffled, a key dropped, the answer emptied, an unknown key added, unicode
    appended to a text field, the row's id or its split changed in form (whitespace)."""
    protected = set() if broad else COSTLY.get(source, set())
    row = dict(row)
    free = sorted(k for k in row if k not in protected)
    ops = draw(st.lists(st.sampled_from(["shuffle", "drop", "empty", "extra", "unicode", "pad"]), max_size=3))
    for op in ops:
        if op == "shuffle":
            keys = draw(st.permutations(list(row)))
            row = {k: row[k] for k in keys}
        elif op == "drop" and free:
            row.pop(draw(st.sampled_from(free)), None)
        elif op == "empty" and ANSWER_KEY[source] in row and ANSWER_KEY[source] not in protected:
            row[ANSWER_KEY[source]] = draw(st.sampled_from(["", [], None]))
        elif op == "extra":
            row[f"x_{draw(UNICODE)}"] = draw(st.one_of(UNICODE, st.integers(), st.none()))
        elif op in ("unicode", "pad"):
            texts = [k for k in free if k in row and isinstance(row[k], str)]
            if texts:
                key = draw(st.sampled_from(texts))
                row[key] = row[key] + draw(UNICODE) if op == "unicode" else f" {row[key]}\t"
    return row


@st.composite
def _task_file(draw: st.DrawFn, source: str, *, broad: bool) -> tuple[list[str], bool]:
    """The lines of a perturbed task file (without line ends), and whether only their form changed."""
    files = [SHARED / f for f in FILES[source] if (SHARED / f).is_file()]
    file = draw(st.sampled_from(files)) if broad else files[0]
    rows = _rows(file)
    if broad:
        picked = draw(st.lists(st.sampled_from(rows), min_size=1, max_size=6))
    else:
        picked = rows[: DEFAULT_ROWS.get(source, 3)]
    form_only = True
    out: list[dict[str, Any]] = []
    for row in picked:
        changed = draw(_perturbed_row(row, source, broad=broad))
        form_only &= changed == row
        out.append(changed)
    if (broad or DEFAULT_REPEATS.get(source, True)) and draw(st.booleans()):  # a repeated row and id
        out.append(out[draw(st.integers(0, len(out) - 1))])
        form_only = False
    lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in out]
    if draw(st.booleans()):  # a truncated line (a download cut short)
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, lines[at - 1][: len(lines[at - 1]) // 2] if at else "{")
        form_only = False
    for _ in range(draw(st.integers(0, 2))):  # blank or white-space lines anywhere
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", " ", "\t", "  \t "])))
    if draw(st.booleans()):
        lines = [line + draw(st.sampled_from([" ", "\t", ""])) for line in lines]
    if draw(st.booleans()):
        lines[0] = "\ufeff" + lines[0]
    return lines, form_only


def _check(source: str, lines: list[str], crlf: bool, trailing: int, form_only: bool) -> None:
    end = "\r\n" if crlf else "\n"
    with tempfile.TemporaryDirectory() as tmp:
        name = FILES[source][0].name.replace(".sample", "")
        path = Path(tmp) / name
        path.write_text(end.join(lines) + end * (1 + trailing), encoding="utf-8", newline="")
        rows = {f"{path}:{n}" for n, line in enumerate(lines, 1) if line.strip("\ufeff \t")}
        try:
            loaded = mg.load_task_set(source, path=path)
        except TaskFileError as exc:
            assert str(exc).startswith("no row of"), exc
            return
        wheres = [e.where for e in loaded.excluded]
        assert not [e for e in loaded.excluded if UNREADABLE in e.reason], loaded.excluded
        assert len(set(wheres)) == len(wheres), wheres
        assert set(wheres) <= rows, (wheres, rows)
        assert all(re.fullmatch(r".+:\d+", w) for w in wheres)
        assert len(loaded.tasks) + len(loaded.excluded) == len(rows), (len(loaded.tasks), loaded.excluded)
        ids = [t.id for t in loaded.tasks]
        assert len(set(ids)) == len(ids), ids
        if form_only:
            original = Path(tmp) / "original" / name
            original.parent.mkdir()
            picked = [json.loads(line.strip("\ufeff \t")) for line in lines if line.strip("\ufeff \t")]
            original.write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
            again = mg.load_task_set(source, path=original)
            assert len(loaded.tasks) == len(again.tasks)
            assert sorted(map(repr, (t.answer for t in loaded.tasks))) == sorted(
                map(repr, (t.answer for t in again.tasks))
            )


def _fuzz(source: str, data: st.DataObject, *, broad: bool) -> None:
    if not any((SHARED / f).is_file() for f in FILES[source]):
        pytest.skip(f"no official {source} file in {SHARED}")
    lines, form_only = data.draw(_task_file(source, broad=broad))
    _check(source, lines, data.draw(st.booleans()), data.draw(st.integers(0, 2)), form_only)


QUICK = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
THOROUGH = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("source", sorted(FILES))
@QUICK
@given(data=st.data())
def test_official_rows_perturbed_load_or_are_excluded(source: str, data: st.DataObject) -> None:
    _fuzz(source, data, broad=False)


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(FILES))
@THOROUGH
@given(data=st.data())
def test_official_rows_drawn_from_whole_files_perturbed(source: str, data: st.DataObject) -> None:
    _fuzz(source, data, broad=True)


def test_a_repeated_id_keeps_both_rows_the_later_renamed(tmp_path):
    sample = SHARED / FILES["mimic_iii"][0]
    if not sample.is_file():
        pytest.skip(f"no official mimic_iii sample in {SHARED}")
    first = sample.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "train_tasks.jsonl"
    path.write_text(f"{first}\n{first}\n{first}\n", encoding="utf-8")
    loaded = mg.load_task_set("mimic_iii", path=path)
    task_id = json.loads(first)["id"]
    assert [t.id for t in loaded.tasks] == [task_id, f"{task_id}#2", f"{task_id}#3"]
    assert not loaded.excluded


def test_tasks_check_lists_every_exclusion_with_its_row_and_the_count_per_source(tmp_path, monkeypatch):
    from rich.console import Console
    from typer.testing import CliRunner

    from medgym_nb import cli
    from medgym_nb.cli import app

    # rich sizes tables to the terminal it finds (80 columns off a terminal, e.g. in an xdist worker), which
    # would wrap the long temporary paths this test looks for
    monkeypatch.setattr(cli, "console", Console(width=400))

    sample = SHARED / FILES["npowerai"][0]
    if not sample.is_file():
        pytest.skip(f"no official npowerai sample in {SHARED}")
    good = sample.read_text(encoding="utf-8").splitlines()[:2]
    path = tmp_path / "train_tasks.jsonl"
    path.write_text("\r\n".join([*good, '{"task_type": "nope"}', "{cut", "", ""]), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["tasks", "check", "-s", "npowerai", "--path", str(path)], terminal_width=400
    )
    assert result.exit_code == 0, result.output
    assert "excluded by their family (npowerai 2)" in result.output
    assert re.search(r"npowerai\s*│\s*2\s*│\s*2", result.output), result.output
    for line in (3, 4):
        assert f"train_tasks.jsonl:{line}" in result.output
