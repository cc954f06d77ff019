"""Read what an EHRSQL query asks about, so a synthetic database can be built to answer it.

EHRSQL's question templates are the same for every database it covers (MIMIC-III, eICU); only table and column
names differ. So the parsing here is general — literals, numeric thresholds, visit selectors and time windows
are found by their SQL shape — and what is schema-specific (which column names a drug, which table an item
label routes to, which columns hold event times) sits in one small `DatabaseFacts` table per database.

The result, a `QueryPlan`, says *what must exist* (patients, entities, attributes, a time window); the
database module decides how to write it as ordinary rows. Nothing here reads answers or particular rows.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from random import Random

__all__ = [
    "EICU_FACTS",
    "MIMIC_III_FACTS",
    "DatabaseFacts",
    "Entity",
    "QueryPlan",
    "TimeWindow",
    "analyse",
    "anchor",
    "event_times",
    "series",
]

_FMT = "%Y-%m-%d %H:%M:%S"
_STRING = r"'(?:[^']|'')*'"
_NUMBER = r"-?\d+(?:\.\d+)?"
_CALL = r"(?:datetime|strftime)\([^()]*\)"
_COMPARE = r"(?:>=|<=|!=|=|>|<)"


@dataclass(frozen=True)
class DatabaseFacts:
    """The schema-specific part of the analysis for one EHRSQL database."""

    entity_columns: Mapping[str, str]
    """``table.column`` holding an entity name → the event table whose rows carry that entity."""
    routed_label: tuple[str, str] | None
    """(label column, column naming the event table) for dictionaries shared by several event tables."""
    attribute_columns: frozenset[str]
    """``table.column`` whose literal value a planted row must carry (gender, route, careunit, ...)."""
    value_columns: Mapping[str, str]
    """``table.column`` of a measured value → its event table; thresholds on it are crossed."""
    age_column: str
    subject_column: str
    time_columns: frozenset[str]
    """Column names (any table or alias) whose time windows the planted events must fall in."""
    event_tables: frozenset[str]
    visit: tuple[str, str]
    """(discharge column, admission-time column) of a hospital visit."""
    icu: tuple[str, str]
    """(out-time column, in-time column) of an ICU stay."""
    death: str
    """The SQL condition that marks a patient who died."""
    column_entities: Mapping[str, str] = field(default_factory=dict)
    """``table.column`` that is itself an entity (eICU's vitals are columns of one table) → that table."""
    hospital_column: str | None = None
    """Column naming the hospital; ``hospital <> (...)`` asks for a stay in another hospital."""


MIMIC_III_FACTS = DatabaseFacts(
    entity_columns={
        "prescriptions.drug": "prescriptions",
        "d_labitems.label": "labevents",
        "d_icd_diagnoses.short_title": "diagnoses_icd",
        "d_icd_procedures.short_title": "procedures_icd",
    },
    routed_label=("d_items.label", "d_items.linksto"),
    attribute_columns=frozenset(
        {
            "patients.gender",
            "admissions.admission_type",
            "admissions.admission_location",
            "admissions.insurance",
            "admissions.marital_status",
            "prescriptions.route",
            "transfers.careunit",
            "transfers.wardid",
            "microbiologyevents.spec_type_desc",
            "microbiologyevents.org_name",
        }
    ),
    value_columns={
        "chartevents.valuenum": "chartevents",
        "labevents.valuenum": "labevents",
        "inputevents_cv.amount": "inputevents_cv",
        "outputevents.value": "outputevents",
    },
    age_column="admissions.age",
    subject_column="subject_id",
    time_columns=frozenset({"charttime", "startdate", "chargetime", "intime", "admittime"}),
    event_tables=frozenset(
        {
            "diagnoses_icd",
            "procedures_icd",
            "labevents",
            "prescriptions",
            "cost",
            "chartevents",
            "inputevents_cv",
            "outputevents",
            "microbiologyevents",
            "icustays",
            "transfers",
        }
    ),
    visit=("admissions.dischtime", "admissions.admittime"),
    icu=("icustays.outtime", "icustays.intime"),
    death="patients.dod is not null",
)

_EICU_EVENTS = {
    "medication": "drugstarttime",
    "lab": "labresulttime",
    "diagnosis": "diagnosistime",
    "treatment": "treatmenttime",
    "allergy": "allergytime",
    "intakeoutput": "intakeoutputtime",
    "microlab": "culturetakentime",
    "vitalperiodic": "observationtime",
    "cost": "chargetime",
}
_EICU_VITALS = ("heartrate", "sao2", "respiration", "systemicsystolic", "systemicdiastolic", "systemicmean")

EICU_FACTS = DatabaseFacts(
    entity_columns={
        "medication.drugname": "medication",
        "lab.labname": "lab",
        "diagnosis.diagnosisname": "diagnosis",
        "treatment.treatmentname": "treatment",
        "allergy.allergyname": "allergy",
        "allergy.drugname": "allergy",
        "intakeoutput.celllabel": "intakeoutput",
    },
    routed_label=None,
    attribute_columns=frozenset(
        {
            "patient.gender",
            "patient.hospitaladmitsource",
            "patient.hospitaldischargestatus",
            "patient.wardid",
            "patient.hospitalid",
            "medication.routeadmin",
            "microlab.culturesite",
            "microlab.organism",
            "intakeoutput.cellpath",
        }
    ),
    value_columns={
        "lab.labresult": "lab",
        "intakeoutput.cellvaluenumeric": "intakeoutput",
        **{f"vitalperiodic.{vital}": "vitalperiodic" for vital in (*_EICU_VITALS, "temperature")},
    },
    age_column="patient.age",
    subject_column="uniquepid",
    time_columns=frozenset(
        {*_EICU_EVENTS.values(), "unitadmittime", "hospitaladmittime", "hospitaldischargetime"}
    ),
    event_tables=frozenset(_EICU_EVENTS),
    visit=("patient.hospitaldischargetime", "patient.hospitaladmittime"),
    icu=("patient.unitdischargetime", "patient.unitadmittime"),
    death="patient.hospitaldischargestatus = 'expired'",
    column_entities={f"vitalperiodic.{vital}": "vitalperiodic" for vital in (*_EICU_VITALS, "temperature")},
    hospital_column="patient.hospitalid",
)


@dataclass(frozen=True)
class Entity:
    """A named thing of an event table (a drug, a lab, an item, a diagnosis title), in order of mention."""

    table: str
    name: str


@dataclass(frozen=True)
class TimeWindow:
    """The query's time filters on single event-time columns, as SQL predicates over the parameter ``:t``."""

    predicates: tuple[str, ...] = ()

    def candidates(self, now: str, start: str) -> tuple[str, ...]:
        """Mornings (08:00) of the days from ``start`` to ``now`` inside the window, oldest first.

        Predicates that no day satisfies together (a filter SQLite cannot evaluate, such as ``%y``) are dropped
        from the end until some day does, so the other filters still shape where events go.
        """
        return _candidates(self.predicates, now, start)

    def admits(self, times: Sequence[str], now: str) -> list[bool]:
        """Whether each time satisfies every predicate (SQLite evaluates them, exactly as the query will)."""
        return _admits(self.predicates, tuple(times), now)


@dataclass(frozen=True)
class QueryPlan:
    """What one query needs to find in the database for its answer to be informative."""

    subject: str | None
    entities: tuple[Entity, ...]
    tables: frozenset[str]
    attributes: Mapping[str, tuple[str, ...]]
    values: Mapping[str, tuple[float | None, float | None]]
    age: tuple[int, int] | None
    visit: str | None
    """``current``, ``first``, ``last`` (of the patient's hospital visits) or None."""
    icu: str | None
    window: TimeWindow = field(default_factory=TimeWindow)
    moments: tuple[str, ...] = ()
    """Exact event times the query compares with (``charttime = '2104-12-01 06:30:00'``)."""
    trend: int = 0
    """+1 / -1 when the query compares a later value with an earlier one and wants it higher / lower."""
    dead: bool = False
    elsewhere: bool = False
    """The events must lie in a stay at another hospital than the patient's current one."""


def _unquote(literal: str) -> str:
    return literal[1:-1].replace("''", "'") if literal.startswith("'") else literal


def _literal_map(sql: str) -> list[tuple[int, str, str]]:
    """(position, ``table.column``, value) for every ``col = literal`` and ``col in (literals)``."""
    found = [
        (m.start(), m.group(1), _unquote(m.group(2)))
        for m in re.finditer(rf"(\w+\.\w+) = ({_STRING}|{_NUMBER})(?!\s*[-+*/])", sql)
    ]
    for m in re.finditer(rf"(\w+\.\w+) in \(\s*({_STRING}(?:\s*,\s*{_STRING})*)\s*\)", sql):
        found += [(m.start(), m.group(1), _unquote(v)) for v in re.findall(_STRING, m.group(2))]
    return sorted(found)


def _entities(sql: str, facts: DatabaseFacts) -> list[Entity]:
    literals = _literal_map(sql)
    entities = [
        Entity(facts.entity_columns[col], value) for _, col, value in literals if col in facts.entity_columns
    ]
    if facts.routed_label:
        label, route = facts.routed_label
        pattern = rf"{re.escape(label)} = ({_STRING}) and {re.escape(route)} = ({_STRING})"
        entities += [Entity(_unquote(m.group(2)), _unquote(m.group(1))) for m in re.finditer(pattern, sql)]
    order = {value: pos for pos, _, value in reversed(literals)}
    for column, table in facts.column_entities.items():
        name = column.split(".")[1]
        found = re.search(rf"\b{re.escape(column)}\b", sql)
        if found:
            entities.append(Entity(table, name))
            order.setdefault(name, found.start())
    return sorted(dict.fromkeys(entities), key=lambda e: order.get(e.name, 0))


def _values(sql: str, columns: Iterable[str]) -> dict[str, tuple[float | None, float | None]]:
    """Per value column, the (lower, upper) bounds its comparisons with numbers ask for."""
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for column in columns:
        lo: float | None = None
        hi: float | None = None
        table, name = column.split(".")  # derived tables (t1.valuenum) compare the same column
        for op, number in re.findall(rf"\b(?:{table}|t\d+)\.{name} ({_COMPARE}) ({_NUMBER})", sql):
            value = float(number)
            if op in (">", ">="):
                lo = value
            elif op in ("<", "<="):
                hi = value
            else:
                lo = hi = value
        if lo is not None or hi is not None:
            bounds[column] = (lo, hi)
    return bounds


def _age(sql: str, column: str) -> tuple[int, int] | None:
    lo, hi = 0, 200
    col = re.escape(column)
    for a, b in re.findall(rf"{col} between (\d+) and (\d+)", sql):
        lo, hi = max(lo, int(a)), min(hi, int(b))
    for op, number in re.findall(rf"{col} ({_COMPARE}) (\d+)", sql):
        n = int(number)
        lo = {">=": max(lo, n), ">": max(lo, n + 1), "=": n}.get(op, lo)
        hi = {"<=": min(hi, n), "<": min(hi, n - 1), "=": n}.get(op, hi)
    return None if (lo, hi) == (0, 200) else (lo, hi)


def _selector(sql: str, closing: str, opening: str) -> str | None:
    if re.search(rf"{re.escape(closing)} is null", sql):
        return "current"
    order = re.search(rf"order by {re.escape(opening)} (asc|desc) limit 1", sql)
    return None if order is None else {"asc": "first", "desc": "last"}[order.group(1)]


def _window(sql: str, facts: DatabaseFacts) -> TimeWindow:
    """Comparisons of a function of one event-time column with a constant or a function of ``current_time``."""
    predicates = []
    for m in re.finditer(rf"({_CALL}) ({_COMPARE}) ({_CALL}|{_STRING})", sql):
        left, right = m.group(1), m.group(3)
        columns = re.findall(r"\b\w+\.(\w+)\b", left)
        if len(columns) != 1 or columns[0] not in facts.time_columns or re.search(r"\w+\.\w+", right):
            continue
        left = re.sub(r"\b\w+\.\w+\b", ":t", left).replace("%y", "%Y")  # as `executable_sql` runs it
        predicates.append(f"{left} {m.group(2)} {right}")
    return TimeWindow(tuple(predicates))


def _moments(sql: str, facts: DatabaseFacts) -> tuple[str, ...]:
    found = re.findall(r"\b\w+\.(\w+) = '(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)'", sql)
    return tuple(sorted({t for column, t in found if column in facts.time_columns}))


def _rank(operand: str) -> int:
    """Where in a time-ordered series the operand's value sits (0 first, 1 second, -1 last, -2 before last)."""
    orders = re.findall(r"order by \w+\.\w+ (asc|desc) limit 1( offset 1)?", operand)
    if not orders:
        return 0
    direction, offset = orders[-1]
    return (1 if offset else 0) if direction == "asc" else (-2 if offset else -1)


def _trend(sql: str) -> int:
    """For ``select ( a ) < ( b )`` with a and b picked by time order (or exact times): does the series rise?"""
    m = re.fullmatch(r"select \( (select .*) \) ([<>]) \( (select .*) \)", sql)
    if m is None:
        return 0
    a, op, b = m.groups()
    times = [re.findall(r"= '(\d{4}-[^']*)'", operand) for operand in (a, b)]
    later = times[0] > times[1] if all(times) else (_rank(a) % 100) > (_rank(b) % 100)
    return 1 if later == (op == ">") else -1


def analyse(sql: str, facts: DatabaseFacts) -> QueryPlan:
    """Read from one query the patients, entities, attributes, thresholds, visits and time window it names."""
    sql = " ".join(sql.lower().split())
    literals = _literal_map(sql)
    subject = next((v for _, col, v in literals if col.endswith("." + facts.subject_column)), None)
    attributes: dict[str, tuple[str, ...]] = {}
    likes = [(col, _unquote(value)) for col, value in re.findall(rf"(\w+\.\w+) like ({_STRING})", sql)]
    for col, value in [(col, value) for _, col, value in literals] + likes:
        if col in facts.attribute_columns:
            attributes[col] = (*attributes.get(col, ()), value)
    entities = _entities(sql, facts)
    used = set(re.findall(r"\b(?:from|join) (\w+)", sql)) | {e.table for e in entities}
    return QueryPlan(
        subject=subject,
        entities=tuple(entities),
        tables=frozenset(used & facts.event_tables),
        attributes=attributes,
        values=_values(sql, facts.value_columns),
        age=_age(sql, facts.age_column),
        visit=_selector(sql, *facts.visit),
        icu=_selector(sql, *facts.icu),
        window=_window(sql, facts),
        moments=_moments(sql, facts),
        trend=_trend(sql),
        dead=facts.death in sql,
        elsewhere=bool(facts.hospital_column) and f"{facts.hospital_column} <> (" in sql,
    )


def anchor(rng: Random, kind: str | None, days: tuple[str, ...]) -> str:
    """A day of the window for a planted visit: early for a first visit, late for a last or current one,
    preferring the years the data lives in (2100+) and leaving later days free after a non-current one."""
    days = tuple(d for d in days if d >= "2100") or days
    if len(days) > 3:  # a current visit began before today ("days since admitted" is not 0)
        days = days[:-1] if kind == "current" else days[:-3]
    span = max(1, len(days) // 20)
    pool = days[:span] if kind == "first" else days[-span:] if kind in ("last", "current") else days
    return rng.choice(pool)


def event_times(rng: Random, plan: QueryPlan, start: str, n: int, now: str, span: int = 840) -> list[str]:
    """``n`` distinct minutes after ``start`` in time order, within ``span`` minutes so they fall on its day
    ("same day", "within N days" hold); a time outside the query's window becomes ``start`` itself."""
    first = datetime.strptime(start, _FMT)
    minutes = sorted(rng.sample(range(2, span), n))
    times = [(first + timedelta(minutes=m)).strftime(_FMT) for m in minutes]
    return [t if ok else start for t, ok in zip(times, plan.window.admits(times, now), strict=True)]


def series(
    rng: Random, plan: QueryPlan, column: str | None, usual: tuple[float, float], n: int
) -> list[float]:
    """Values of ``n`` events of ``column`` in time order: rising or falling as the query compares them, the
    value it asks for (``valuenum = 0.6``) among neighbours, thresholds crossed, else in the ``usual`` range."""
    if column is None:
        return [0.0] * n
    lo, hi = plan.values.get(column, (None, None))
    if lo is not None and lo == hi:
        values = [round(lo * (0.8 + 0.2 * k), 2) for k in range(n)]
    else:
        values = [_value(rng, usual, lo, hi) for _ in range(n)]
    return sorted(values, reverse=plan.trend < 0) if plan.trend else values


def _value(rng: Random, usual: tuple[float, float], lo: float | None, hi: float | None) -> float:
    if lo is not None and hi is not None:
        return round(rng.uniform(lo, hi), 2)
    if lo is not None:
        return round(lo + rng.uniform(0.01, 1 + abs(lo) * 0.3), 2)
    if hi is not None:
        return round(hi - rng.uniform(0.01, 1 + abs(hi) * 0.3), 2)
    return round(rng.uniform(*usual), 2)


@lru_cache(maxsize=1)
def _connection() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", check_same_thread=False)


def _pinned(predicate: str, now: str) -> str:
    return re.sub(r"\bcurrent_time\b", f"'{now}'", predicate)


@lru_cache(maxsize=4096)
def _candidates(predicates: tuple[str, ...], now: str, start: str) -> tuple[str, ...]:
    first = datetime.strptime(start, _FMT).replace(hour=8)
    con = _connection()
    for keep in range(len(predicates), -1, -1):
        where = " and ".join(f"({_pinned(p, now).replace(':t', 'd.t')})" for p in predicates[:keep]) or "1"
        days = (
            "with recursive d(t) as (select :first union all "
            "select datetime(t, '+1 day') from d where t < datetime(:now, '-1 day')) "
            f"select t from d where {where}"
        )
        hits = tuple(row[0] for row in con.execute(days, {"first": first.strftime(_FMT), "now": now}))
        if hits:
            return hits
    raise AssertionError("unreachable: no predicates admit every day")


def _admits(predicates: tuple[str, ...], times: tuple[str, ...], now: str) -> list[bool]:
    if not predicates:
        return [True] * len(times)
    where = " and ".join(f"({_pinned(p, now)})" for p in predicates)
    con = _connection()
    return [bool(con.execute(f"select {where}", {"t": t}).fetchone()[0]) for t in times]
