"""Question-aware planting for the synthetic eICU database: rows that official EHRSQL eICU queries ask about.

`ehrsql_plant.analyse` reads each query (with `EICU_FACTS`); this module writes what the resulting `QueryPlan`
asks for as ordinary eICU rows: a person (``uniquepid``), a hospital stay holding two unit stays, and the named
drugs, labs, diagnoses, treatments, allergies, flowsheet cells, cultures and vital signs in those stays, charged
in ``cost`` as the seeded rows are. How visits are placed in time, how events spread over a day and how values
cross thresholds is shared with the MIMIC-III planter (`anchor`, `event_times`, `series`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .ehrsql_plant import Entity, QueryPlan, anchor, event_times, series
from .eicu_vocab import (
    ADMIT_SOURCES,
    ALLERGIES,
    CELL_PATH,
    CULTURE_SITES,
    DIAGNOSES,
    DRUGS,
    ETHNICITIES,
    INTAKES,
    LABS,
    ORGANISMS,
    OUTPUTS,
    PRICES,
    TREATMENTS,
    dosage_for,
    routes_for,
)

if TYPE_CHECKING:
    from .eicu import _Builder

__all__ = ["Planter"]

_FMT = "%Y-%m-%d %H:%M:%S"
_START = "2095-01-01 00:00:00"  # windows may reach before 2100; anchors prefer 2100+
_IO = {label: ("intake", group, lo, hi) for label, group, lo, hi in INTAKES} | {
    label: ("output", group, lo, hi) for label, group, lo, hi in OUTPUTS
}
# usual ranges of the vital-sign columns of ``vitalperiodic``, in its column order
_VITALS = {
    "temperature": (36.0, 38.5),
    "sao2": (90.0, 100.0),
    "heartrate": (60.0, 120.0),
    "respiration": (12.0, 28.0),
    "systemicsystolic": (95.0, 160.0),
    "systemicdiastolic": (45.0, 90.0),
    "systemicmean": (60.0, 110.0),
}
_DEFAULTS: dict[str, list[str]] = {
    "medication": DRUGS[:40],
    "lab": list(LABS),
    "diagnosis": DIAGNOSES[:40],
    "treatment": TREATMENTS[:40],
    "allergy": [name for name, _ in ALLERGIES],
    "vitalperiodic": list(_VITALS),
}
_CHARGED = ("diagnosis", "lab", "medication", "treatment")
_VALUE_COLUMNS = {"lab": "lab.labresult", "intakeoutput": "intakeoutput.cellvaluenumeric"}


def _t(dt: datetime) -> str:
    return dt.strftime(_FMT)


def _dt(text: str) -> datetime:
    return datetime.strptime(text, _FMT)


@dataclass(frozen=True)
class _Person:
    gender: str
    born: datetime
    height: float
    weight: float
    hospital: int


@dataclass(frozen=True)
class _Visit:
    """A planted hospital stay: its id, admission day and unit stays (id, admission time)."""

    hsid: int
    admit: str
    units: tuple[tuple[int, str], ...]


class Planter:
    """Adds, as ordinary rows, what planted queries ask about (see `eicu.build_database`).

    It draws from its own random stream after the seeded rows exist, so those stay as they are. Each query gets
    a hospital stay of its patient (or of three new patients when it names none) on a day inside its time
    window — early for "first", late for "last" and "current" — with two unit stays, so "first/last ICU stay"
    and "the second weight of the stay" have answers; its events go, two or three per named entity and in the
    order named, into the first unit stay (the last one for questions about the last or current ICU stay).
    """

    ANONYMOUS = 3

    def __init__(self, builder: _Builder, rng: random.Random, now: str) -> None:
        self.b = builder
        self.rng = rng
        self.now = now
        self.people: dict[str, _Person] = {}
        self.visits: dict[tuple[object, ...], _Visit] = {}
        self.anonymous = 10000

    def plant(self, plan: QueryPlan) -> None:
        for pid in [plan.subject] if plan.subject else self.strangers():
            self.person(pid, plan)
            kind = "current" if "current" in (plan.visit, plan.icu) else plan.visit or plan.icu
            if plan.elsewhere:
                self.visit(pid, plan, "current")
                kind = "elsewhere"
            visit = self.visit(pid, plan, kind)
            last = plan.icu in ("last", "current") or kind == "current"
            unitid, start = visit.units[-1] if last else visit.units[0]
            self.events(pid, visit.hsid, unitid, start, plan)

    def strangers(self) -> list[str]:
        """New people for a query that names none, with ids no seeded or named patient has."""
        pids: list[str] = []
        while len(pids) < self.ANONYMOUS:
            self.anonymous += 1
            pid = f"099-{self.anonymous}"
            if pid not in self.b.pids:
                self.b.pids.add(pid)
                pids.append(pid)
        return pids

    def person(self, pid: str, plan: QueryPlan) -> None:
        if pid in self.people:
            return
        rng = self.rng
        lo, hi = plan.age or (20, 89)
        age = rng.randint(min(lo, 95), min(hi, lo + 30, 95))
        gender = plan.attributes.get("patient.gender", (rng.choice(["female", "male"]),))[0]
        days = plan.window.candidates(self.now, _START)
        born = _dt(days[len(days) // 2]) - timedelta(days=age * 365.25 + rng.randrange(1, 300))
        self.people[pid] = _Person(
            gender,
            born,
            round(rng.gauss(170, 9), 1),
            round(rng.gauss(80, 15), 1),
            rng.choice(list(self.b.wards)),
        )

    def visit(self, pid: str, plan: QueryPlan, kind: str | None) -> _Visit:
        """A hospital stay of ``pid`` inside the window, reusing one the patient already has there with the
        same ward, hospital, admission source and discharge status."""
        open_unit = plan.icu == "current"
        days = plan.window.candidates(self.now, _START)
        stay_facts = sorted((k, v) for k, v in plan.attributes.items() if k.startswith("patient."))
        key = (pid, kind, open_unit, *stay_facts, plan.dead)
        known = self.visits.get(key)
        if known and known.admit in days and not plan.moments:
            return known
        rng = self.rng
        if plan.moments:
            admit = _t(_dt(plan.moments[0]) - timedelta(hours=1))
            starts = list(plan.moments)
        else:
            admit = anchor(rng, None if kind == "elsewhere" else kind, days)
            starts = [_t(_dt(admit) + timedelta(minutes=1)), _t(_dt(admit) + timedelta(hours=7))]
        discharge = None
        if kind != "current":
            discharge = min(_dt(starts[-1]) + timedelta(days=rng.randint(1, 3)), _dt(self.now))
        self.b.hsid += rng.randint(1, 400)
        stay = (admit, discharge)
        units = tuple(
            (self.unit(pid, plan, kind, stay, start, open_unit and start == starts[-1]), start)
            for start in starts
        )
        self.visits[key] = _Visit(self.b.hsid, admit, units)
        return self.visits[key]

    def unit(
        self,
        pid: str,
        plan: QueryPlan,
        kind: str | None,
        stay: tuple[str, datetime | None],
        start: str,
        ongoing: bool,
    ) -> int:
        """One ``patient`` row: a unit stay of six hours (or still going on) in the hospital stay ``stay``
        (admission, discharge or None), in the ward, hospital and admission source the query names."""
        rng, person = self.rng, self.people[pid]
        admit, discharge = stay
        hospital = person.hospital
        if kind == "elsewhere":
            hospital = rng.choice([h for h in self.b.wards if h != hospital])
        attributes = plan.attributes
        ward = int(attributes.get("patient.wardid", (rng.choice(self.b.wards[hospital]),))[0])
        status = None
        if discharge is not None:
            status = (
                "expired" if plan.dead else attributes.get("patient.hospitaldischargestatus", ("alive",))[0]
            )
        years = int((_dt(admit) - person.born).days / 365.25)
        self.b.unitid += rng.randint(1, 3000)
        self.b.rows["patient"].append(
            (
                pid,
                self.b.hsid,
                self.b.unitid,
                person.gender,
                "> 89" if years >= 90 else str(years),
                rng.choice(ETHNICITIES),
                int(attributes.get("patient.hospitalid", (hospital,))[0]),
                ward,
                person.height,
                attributes.get("patient.hospitaladmitsource", (rng.choice(ADMIT_SOURCES[:6]),))[0],
                status,
                round(person.weight + rng.uniform(-4, 4), 1),
                None,
                start,
                admit,
                _t(discharge) if discharge else None,
                None if ongoing else _t(_dt(start) + timedelta(hours=6)),
            )
        )
        return self.b.unitid

    def entities(self, plan: QueryPlan) -> list[Entity]:
        """The named entities, plus two defaults for each event table the query reads without naming any."""
        named = list(plan.entities)
        tables = set(plan.tables)
        if "cost" in tables and not tables & set(_CHARGED):
            tables.add("diagnosis")
        for table in sorted(tables):
            if any(e.table == table for e in named):
                continue
            if table == "intakeoutput":
                named += [Entity(table, label) for label in self.rng.sample(self.flowsheet(plan), 2)]
            elif table in _DEFAULTS:
                named += [Entity(table, name) for name in self.rng.sample(_DEFAULTS[table], 2)]
        return named

    def flowsheet(self, plan: QueryPlan) -> list[str]:
        """Flowsheet labels of the kinds (intake, output) the query's ``cellpath`` patterns name."""
        kinds = {"output" if kind == "output" else "intake" for kind in self.cell_kinds(plan)}
        return [label for label, (kind, *_rest) in _IO.items() if kind in kinds]

    @staticmethod
    def cell_kinds(plan: QueryPlan) -> set[str]:
        """The words the query's ``cellpath like '%word%'`` patterns look for (``intake`` without any)."""
        patterns = plan.attributes.get("intakeoutput.cellpath", ())
        return {p.strip("%") for p in patterns if p.strip("%").isalpha()} or {"intake"}

    def events(self, pid: str, hsid: int, unitid: int, start: str, plan: QueryPlan) -> None:
        rng = self.rng
        entities = self.entities(plan)
        counts = [rng.randint(2, 3) for _ in entities]
        times = event_times(rng, plan, start, sum(counts), self.now, span=360)
        if "microlab" in plan.tables:
            self.culture(unitid, times[-1] if times else start, plan)
        for entity, count in zip(entities, counts, strict=True):
            when = sorted([*plan.moments, *times[:count]])
            del times[:count]
            column = (
                f"vitalperiodic.{entity.name}"
                if entity.table == "vitalperiodic"
                else _VALUE_COLUMNS.get(entity.table)
            )
            usual = _VITALS.get(entity.name) or LABS.get(entity.name, (1.0, 150.0))[:2]
            if entity.table == "intakeoutput" and entity.name in _IO:
                usual = _IO[entity.name][2:]
            for t, value in zip(when, series(rng, plan, column, usual, len(when)), strict=True):
                self.event(entity, (pid, hsid, unitid), t, value, plan)

    def culture(self, unitid: int, when: str, plan: QueryPlan) -> None:
        for _ in range(2):
            site = plan.attributes.get("microlab.culturesite", (self.rng.choice(CULTURE_SITES),))[0]
            organism = plan.attributes.get("microlab.organism", (self.rng.choice(ORGANISMS[:-2]),))[0]
            self.b.add("microlab", unitid, site, organism, when)

    def event(
        self, entity: Entity, ids: tuple[str, int, int], when: str, value: float, plan: QueryPlan
    ) -> None:
        pid, hsid, unitid = ids
        rng, table, name = self.rng, entity.table, entity.name
        if table in ("diagnosis", "treatment"):
            row = self.b.add(table, unitid, name, when)
        elif table == "lab":
            row = self.b.add(table, unitid, name, value, when)
        elif table == "medication":
            route = plan.attributes.get("medication.routeadmin", (rng.choice(routes_for(name)),))[0]
            stop = _t(_dt(when) + timedelta(days=rng.randint(1, 4)))
            row = self.b.add(table, unitid, name, dosage_for(rng, name), route, when, stop)
        elif table == "allergy":
            drug = next((d for a, d in ALLERGIES if name in (a, d)), name)
            allergy = next((a for a, d in ALLERGIES if name in (a, d)), name)
            self.b.add(table, unitid, drug, allergy, when)
            return
        elif table == "intakeoutput":
            kinds = self.cell_kinds(plan)
            kind, group = _IO.get(name, ("intake", "other"))[:2]
            kind = kind if kind in kinds or len(kinds) > 1 else next(iter(kinds))
            self.b.add(table, unitid, CELL_PATH.format(kind=kind, group=group, label=name), name, value, when)
            return
        elif table == "vitalperiodic":
            vitals = [value if vital == name else round(rng.uniform(*_VITALS[vital])) for vital in _VITALS]
            self.b.add(table, unitid, *vitals, when)
            return
        else:
            return
        price = self.b.prices.setdefault((table, name), round(rng.uniform(*PRICES[table]), 2))
        self.b.add("cost", pid, hsid, table, row, when, price)
