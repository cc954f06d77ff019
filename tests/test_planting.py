"""Question-aware synthesis: the SQL of task files decides what the synthetic MIMIC-III database holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from medgym_nb.data.ehrsql_plant import MIMIC_III_FACTS, Entity, analyse
from medgym_nb.data.mimic_iii import NOW, build_database

from .official import official_rows, planted_share

SPLITS = {"sample": 0.95, "train": 0.95}
"""Floors of the informative share per official split."""


def _rows(shared_dir: Path, split: str) -> list[dict]:
    return official_rows(shared_dir, "mimic_iii", split)


def test_analysis_reads_patient_entities_visit_and_window():
    sql = (
        "select labevents.valuenum from labevents where labevents.hadm_id in ( select admissions.hadm_id from "
        "admissions where admissions.subject_id = 1234 and admissions.dischtime is null ) and labevents.itemid "
        "in ( select d_labitems.itemid from d_labitems where d_labitems.label = 'po2' ) and labevents.valuenum "
        "> 100 and datetime(labevents.charttime,'start of month') = datetime(current_time,'start of month',"
        "'-1 month') order by labevents.charttime asc limit 1"
    )
    plan = analyse(sql, MIMIC_III_FACTS)
    assert (plan.subject, plan.visit, plan.entities) == ("1234", "current", (Entity("labevents", "po2"),))
    assert plan.values == {"labevents.valuenum": (100.0, None)}
    days = plan.window.candidates(NOW, "2100-01-01 00:00:00")
    assert days[0].startswith("2105-11-01") and days[-1].startswith("2105-11-30")


def test_routed_labels_and_time_literals():
    sql = (
        "select count(*) from outputevents where outputevents.itemid in ( select d_items.itemid from d_items "
        "where d_items.label = 'foley' and d_items.linksto = 'outputevents' ) and strftime('%y-%m',"
        "outputevents.charttime) >= '2103-05'"
    )
    plan = analyse(sql, MIMIC_III_FACTS)
    assert plan.entities == (Entity("outputevents", "foley"),)
    assert plan.subject is None and plan.window.predicates == ("strftime('%Y-%m',:t) >= '2103-05'",)


def test_planting_is_deterministic_and_leaves_the_seeded_build_alone(tmp_path: Path, shared_dir: Path):
    queries = [row["query"] for row in _rows(shared_dir, "sample")]
    a = build_database(tmp_path / "a.db", plant=queries).read_bytes()
    b = build_database(tmp_path / "b.db", plant=queries).read_bytes()
    plain = build_database(tmp_path / "c.db").read_bytes()
    assert a == b
    assert plain == build_database(tmp_path / "d.db", plant=()).read_bytes() != a


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_official_queries_execute_and_answer(tmp_path: Path, shared_dir: Path, split: str):
    """Every official query runs on a database planted with them; most answers say something."""
    share, seconds = planted_share(build_database, _rows(shared_dir, split), tmp_path / "planted.db", split)
    assert share >= SPLITS[split]
    assert seconds < 10
