"""Generated suites (``medgym tasks generate``) at a small N: distinct tasks in MedAgentGym's mix, a
byte-identical rebuild from the manifest, a split by template with no template on two sides, stats, and the
oracle passing generated tasks of every family that generates at scale."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

import medgym_nb as mg
from medgym_nb.cli import app
from medgym_nb.errors import NoGeneratorError
from medgym_nb.family import TaskFamily
from medgym_nb.family.registry import family_for_source
from medgym_nb.tasks.generate import Manifest, generate_suite, identity, rebuild_suite
from medgym_nb.tasks.stats import suite_stats

SOURCES = "mimic_iii,npowerai,medcalcbench,ehrcon,ehr_seqsql"
N = 120


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate_suite(out, SOURCES, n=N, seed=3, split_by="template")
    return out


def _rows(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "tasks.jsonl").read_text(encoding="utf-8").splitlines()]


def test_suite_is_distinct_and_in_the_official_mix(suite):
    manifest = Manifest.model_validate_json((suite / "manifest.json").read_text())
    tasks = [t for s in SOURCES.split(",") for t in mg.load_tasks(s, path=suite)]
    assert len(tasks) == manifest.tasks == N
    assert len({t.id for t in tasks}) == N
    keys = {identity(t, family_for_source(t.source).follow_ups(t)) for t in tasks}
    assert len(keys) == N
    weights = {s: family_for_source(s).official_counts[s] for s in SOURCES.split(",")}
    for plan in manifest.sources:
        share = weights[plan.source] / sum(weights.values())
        assert abs(plan.made - share * N) <= 2, plan
    assert all(t.generated is not None and t.generated.seed == 3 for t in tasks)
    on_disk = [t for t in tasks if t.data_dir]
    assert on_disk and all(Path(t.data_dir, f).is_file() for t in on_disk for f in t.data_files)
    assert (
        len({t.data_dir for t in tasks if t.source == "ehrcon"}) == 1
    )  # one database shared, not one per task


def test_rebuild_from_the_manifest_is_byte_identical(suite, tmp_path):
    rebuilt = rebuild_suite(suite / "manifest.json", tmp_path / "again")
    assert (tmp_path / "again" / "tasks.jsonl").read_bytes() == (suite / "tasks.jsonl").read_bytes()
    assert rebuilt.sha256 == Manifest.model_validate_json((suite / "manifest.json").read_text()).sha256


def test_split_by_template_keeps_each_template_in_one_split(suite):
    splits: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _rows(suite):
        splits[row["source"], row["category"]].add(row["split"])
    assert all(len(s) == 1 for s in splits.values())
    by_source: dict[str, set[str]] = defaultdict(set)
    templates: dict[str, int] = defaultdict(int)
    for (source, _), s in splits.items():
        by_source[source] |= s
        templates[source] += 1
    assert all(by_source[source] == {"train", "valid", "test"} for source, k in templates.items() if k >= 3)


def test_stats_count_sources_categories_and_answer_types(suite):
    stats = suite_stats(suite)
    rows = _rows(suite)
    assert stats.tasks == len(rows) == N
    assert sum(stats.by_source.values()) == N and set(stats.by_source) == set(SOURCES.split(","))
    assert sum(c.tasks for c in stats.categories) == N
    npower = [c for c in stats.categories if c.source == "npowerai"]
    assert len(npower) >= 8 and all(c.empty == 0 for c in npower)
    result = CliRunner().invoke(app, ["tasks", "stats", str(suite), "--all"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "medcalcbench" in text and f"{N} task(s)" in text


def test_cli_generates_and_refuses_to_overwrite(tmp_path):
    args = ["tasks", "generate", "--source", "npowerai", "--n", "12", "--out", str(tmp_path / "s")]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert len(_rows(tmp_path / "s")) == 12
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "already" in again.output


def test_a_family_without_a_generator_says_so(tmp_path):
    class Bare(TaskFamily):
        name = "bare"

    with pytest.raises(NoGeneratorError, match="family 'bare' has no task generator"):
        Bare().generate("x", 1, 0, tmp_path)


class _FewTemplates(TaskFamily):
    """A family whose generator holds 5 distinct tasks (and repeats them), weighed below N-PowerAI."""

    name = "few_templates"
    sources = ("few",)
    official_counts: ClassVar[dict[str, int]] = {"few": 500}

    def generate(self, source: str, n: int, seed: int, root: Path):
        for k in range(n):
            question = f"what is {k % 5} + {seed}?"
            yield mg.Task(id=f"few.{k}", source="few", family=self.name, category="sum", question=question)


def test_a_capped_source_leaves_its_share_to_the_others(tmp_path):
    mg.register_family(_FewTemplates)
    try:
        manifest = generate_suite(tmp_path, "few,npowerai", n=40, seed=0)
    finally:
        mg.unregister_family(_FewTemplates.name)
    plans = {p.source: p for p in manifest.sources}
    assert plans["few"].made == 5 and plans["few"].duplicates == plans["few"].requested - 5
    assert plans["few"].requested > 5  # its share of 40, which it cannot fill
    assert plans["npowerai"].made == 35 and manifest.tasks == 40  # the rest, not only its own share


def test_oracle_passes_generated_tasks_of_every_family(suite, tmp_path):
    by_source: dict[str, list[mg.Task]] = defaultdict(list)
    for source in SOURCES.split(","):
        by_source[source] = mg.load_tasks(source, path=suite)[:2]
    tasks = [t for picked in by_source.values() for t in picked]
    config = mg.EnvConfig(sandbox="zygote")  # forked kernels: each family's tests run its own in bubblewrap
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, concurrency=2, config=config)
    failed = {r.task_id: r for r in results if not r.passed}
    assert not failed, failed
