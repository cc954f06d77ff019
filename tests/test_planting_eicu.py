"""Question-aware synthesis for eICU: the SQL of task files decides what the synthetic eICU database holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from medgym_nb.data import eicu
from medgym_nb.data.ehrsql_plant import EICU_FACTS, Entity, analyse
from medgym_nb.families.ehrsql.family import executable_sql
from tests.marks import slow_except

from .official import official_rows, planted_share

SPLITS = {"sample": 0.95, "train": 0.95}
"""Floors of the informative share per official split."""


def _rows(shared_dir: Path, split: str) -> list[dict]:
    return official_rows(shared_dir, "eicu", split)


def test_analysis_reads_eicu_patients_vitals_cells_and_death():
    vitals = executable_sql(
        "select vitalperiodic.heartrate from vitalperiodic where vitalperiodic.patientunitstayid in ( select "
        "patient.patientunitstayid from patient where patient.uniquepid = '030-42006' and "
        "patient.unitdischargetime is null ) and vitalperiodic.heartrate > 98.0 and "
        "strftime('%y-%m-%d',vitalperiodic.observationtime) >= '2105-12-01'"
    )
    plan = analyse(vitals, EICU_FACTS)
    assert (plan.subject, plan.icu, plan.entities) == (
        "030-42006",
        "current",
        (Entity("vitalperiodic", "heartrate"),),
    )
    assert plan.values == {"vitalperiodic.heartrate": (98.0, None)}
    assert plan.window.candidates(eicu.NOW, "2100-01-01 00:00:00")[0].startswith("2105-12-01")
    cells = analyse(
        "select count(*) from intakeoutput join patient on intakeoutput.patientunitstayid = "
        "patient.patientunitstayid where intakeoutput.cellpath like '%output%' and intakeoutput.celllabel = "
        "'urine' and patient.hospitaldischargestatus = 'expired'",
        EICU_FACTS,
    )
    assert cells.entities == (Entity("intakeoutput", "urine"),) and cells.dead
    assert cells.attributes["intakeoutput.cellpath"] == ("%output%",)


def test_planting_is_deterministic_and_leaves_the_seeded_build_alone(tmp_path: Path, shared_dir: Path):
    queries = [executable_sql(row["query"]) for row in _rows(shared_dir, "sample")]
    a = eicu.build_database(tmp_path / "a.db", patients=60, plant=queries).read_bytes()
    b = eicu.build_database(tmp_path / "b.db", patients=60, plant=queries).read_bytes()
    plain = eicu.build_database(tmp_path / "c.db", patients=60).read_bytes()
    assert a == b
    assert plain == eicu.build_database(tmp_path / "d.db", patients=60, plant=()).read_bytes() != a


@pytest.mark.parametrize("split", slow_except(sorted(SPLITS), {"sample"}))  # the whole train split: test-all
def test_official_queries_execute_and_answer(tmp_path: Path, shared_dir: Path, split: str):
    """Every official query runs on a database planted with them; nearly all answers say something."""
    share, seconds = planted_share(
        eicu.build_database, _rows(shared_dir, split), tmp_path / "planted.db", f"eicu {split}"
    )
    assert share >= SPLITS[split]
    assert seconds < 10
