"""Built-in suites built ahead of a run in parallel worker processes (``medgym_nb/tasks/build.py``), and the
``families`` source spec the demo runs (one built-in suite per family, so a short run still covers them all)."""

from __future__ import annotations

from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.family import family_for_source
from medgym_nb.tasks.build import build_suites, unbuilt_suites
from medgym_nb.tasks.catalog import resolve_sources


def test_the_families_spec_names_one_suite_of_every_family():
    families = [family_for_source(source).name for source in resolve_sources("families")]
    assert sorted(families) == sorted(f.name for f in mg.list_families() if f.suite_sources)
    assert len(set(families)) == len(families)


def test_suites_build_in_parallel_once_then_load_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MEDGYM_HOME", str(tmp_path))  # the spawned workers inherit it
    sources = ["medcalcbench", "npowerai"]
    assert unbuilt_suites(sources) == sources
    reported: list[tuple[str, bool]] = []
    build_suites(sources, workers=2, progress=lambda source, ok: reported.append((source, ok)))
    assert sorted(reported) == [(source, True) for source in sorted(sources)]
    assert unbuilt_suites(sources) == []
    build_suites(sources, progress=lambda source, ok: reported.append((source, ok)))  # nothing left to build
    assert len(reported) == 2
    assert mg.load_tasks("npowerai")
