"""The synthetic TREQS database: schema, conventions, determinism, and the official SQL made informative."""

from __future__ import annotations

import random
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from medgym_nb.data import treqs
from medgym_nb.families.ehrsql.family import run_sql
from medgym_nb.tasks.check import informative
from tests.marks import slow_except

from .official import SPLIT_FILES, official_rows

SPLITS = sorted(SPLIT_FILES)


def _queries(shared_dir: Path, split: str) -> list[str]:
    return [row["query"] for row in official_rows(shared_dir, "treqs", split)]


def _build(path: Path, **kwargs: Any) -> tuple[Path, float]:
    start = time.perf_counter()
    treqs.build_database(path, **kwargs)
    return path, time.perf_counter() - start


def _shape(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'(?=\s*(?:and\b|$))", "?", treqs.repair_quotes(sql))


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, seconds = _build(tmp_path_factory.mktemp("treqs") / treqs.DB_NAME)
    print(f"\nTREQS default build without planting: {seconds:.2f} s, {path.stat().st_size / 1e6:.1f} MB")
    return path


@pytest.fixture(scope="module", params=slow_except(SPLITS, {"sample"}))  # the train split: test-all
def planted(request: pytest.FixtureRequest, shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    queries = _queries(shared_dir, request.param)
    path, seconds = _build(tmp_path_factory.mktemp("treqs") / treqs.DB_NAME, plant=queries)
    size = path.stat().st_size / 1e6
    print(
        f"\nTREQS build planted with {request.param} ({len(queries)} queries): {seconds:.2f} s, {size:.1f} MB"
    )
    return request.param, queries, path


def test_schema_has_every_column_the_official_sql_uses(shared_dir: Path, plain_db: Path) -> None:
    readme = (shared_dir / "README.md").read_text()
    line = re.search(r"\*\*treqs\*\* \(MIMICSQL\):(.*?)\n\n", readme, re.S)
    assert line, "the README's TREQS schema line moved"
    for table, columns in re.findall(r"(\w+)\(([^)]*)\)", line.group(1)):
        assert set(re.split(r",\s*", columns)) <= set(treqs.SCHEMA[table]), table
    con = sqlite3.connect(plain_db)
    try:
        for table, columns in treqs.SCHEMA.items():
            assert [row[1] for row in con.execute(f"pragma table_info({table})")] == columns
            assert con.execute(f"select count(*) from {table}").fetchone()[0] > 0
    finally:
        con.close()


def test_build_is_deterministic_for_seed_and_plant(tmp_path: Path) -> None:
    plant = [
        "select count ( distinct demographic.'subject_id' ) from demographic where demographic.'age' < '30'"
    ]

    def dump(name: str, seed: int) -> list[str]:
        path = treqs.build_database(tmp_path / name, seed=seed, patients=60, plant=plant)
        con = sqlite3.connect(path)
        try:
            return list(con.iterdump())
        finally:
            con.close()

    assert dump("a.db", 3) == dump("b.db", 3)
    assert dump("c.db", 4) != dump("a.db", 3)


def test_values_follow_treqs_conventions(plain_db: Path) -> None:
    # stored as MIMIC spells them, matched by TREQS's lower-case literals
    assert {g for (g,) in _rows(plain_db, "select distinct gender from demographic")} == {"M", "F"}
    count = "select count(*) from demographic where demographic.'insurance' = 'private'"
    assert _rows(plain_db, count)[0][0] > 0
    assert _rows(plain_db, "select typeof(age), typeof(subject_id) from demographic limit 1") == [
        ("text", "text")
    ]
    years = [int(y) for (y,) in _rows(plain_db, "select admityear from demographic")]
    assert min(years) >= 2100 and max(years) <= 2205
    for dod, dod_year, flag, location in _rows(
        plain_db, "select dod, dod_year, expire_flag, discharge_location from demographic"
    ):
        assert (dod is not None) == (flag == "1") == (dod_year is not None)
        assert dod_year is None or dod_year == f"{dod[:4]}.0"
        assert location != "DEAD/EXPIRED" or flag == "1"
    for age, dob_year, admityear, kind in _rows(
        plain_db, "select age, dob_year, admityear, admission_type from demographic"
    ):
        assert int(age) == int(admityear) - int(dob_year)
        assert kind != "NEWBORN" or age == "0"
    flags = {f for (f,) in _rows(plain_db, "select distinct flag from lab")}
    assert flags == {"abnormal", "delta", None}
    kinds = {k for (k,) in _rows(plain_db, "select distinct drug_type from prescriptions")}
    assert kinds == {"MAIN", "BASE", "ADDITIVE"}


def test_repair_quotes_and_conditions() -> None:
    sql = (
        "select count ( distinct demographic.'subject_id' ) from demographic inner join diagnoses on "
        "demographic.hadm_id = diagnoses.hadm_id where diagnoses.'short_title' = 'parkinson's disease' "
        "and demographic.'days_stay' > '7'"
    )
    assert "'parkinson''s disease'" in treqs.repair_quotes(sql)
    conds = treqs.parse_conditions(sql)
    assert treqs.Condition("diagnoses", "short_title", "=", "parkinson's disease") in conds
    assert treqs.Condition("demographic", "days_stay", ">", "7") in conds
    assert treqs.Condition("diagnoses", "hadm_id", "notnull") in conds


def test_planting_unseen_literals_gives_hits_and_near_misses(tmp_path: Path) -> None:
    sql = (
        "select count ( distinct demographic.'subject_id' ) from demographic inner join lab on "
        "demographic.hadm_id = lab.hadm_id where demographic.'religion' = 'zoroastrian' "
        "and lab.'label' = 'made-up marker, serum'"
    )
    db = treqs.build_database(tmp_path / treqs.DB_NAME, patients=50, plant=[sql])
    assert run_sql(db, sql)[0] >= 3
    misses = sql.replace("demographic.'religion' = 'zoroastrian'", "demographic.'religion' != 'zoroastrian'")
    assert run_sql(db, misses)[0] >= 1
    assert _rows(db, "select distinct label from lab where label = 'made-up marker, serum'") == [
        ("Made-up Marker, Serum",)
    ]


def test_every_official_query_runs_without_planting(shared_dir: Path, plain_db: Path) -> None:
    for split in SPLITS:
        for sql in _queries(shared_dir, split):
            run_sql(plain_db, treqs.repair_quotes(sql))


def _informative_share(db: Path, queries: list[str], label: str) -> float:
    weak: Counter[str] = Counter()
    for sql in queries:
        if not informative(run_sql(db, treqs.repair_quotes(sql))):
            weak[_shape(sql)] += 1
    share = 1 - sum(weak.values()) / len(queries)
    print(f"\nTREQS {label}: {share:.1%} of {len(queries)} official queries informative")
    for shape, n in weak.most_common(5):
        print(f"  {n} uninformative: {shape}")
    return share


def test_official_queries_are_informative_on_a_planted_database(planted) -> None:
    split, queries, db = planted
    assert _informative_share(db, queries, split) >= 0.9


def _perturbed(sql: str, rng: random.Random) -> str:
    """The same template with other literals: numbers moved, names and titles the vocabularies lack."""

    def other(match: re.Match[str]) -> str:
        column, op, value = match.groups()
        if value.replace(".", "").isdigit():
            moved = max(0, int(float(value)) + rng.randint(-9, 9))
            value = f"{moved}.0" if "." in value else str(moved)
        elif column in (
            "short_title",
            "long_title",
            "label",
            "drug",
            "name",
            "diagnosis",
            "formulary_drug_cd",
        ):
            value += rng.choice([" nec", "b", " other"])
        return f"{column}' {op} '{value}'"

    return re.sub(r"(\w+)' (=|<=|>=|<|>) '((?:[^']|'(?=\w))*)'", other, sql)


def test_planting_generalises_to_literals_never_seen(shared_dir: Path, tmp_path: Path) -> None:
    rng = random.Random(5)
    queries = [_perturbed(sql, rng) for sql in _queries(shared_dir, "train")]
    db = treqs.build_database(tmp_path / treqs.DB_NAME, seed=1, plant=queries)
    assert _informative_share(db, queries, "train, literals perturbed") >= 0.9
