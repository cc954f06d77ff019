"""A deterministic, synthetic eICU database in EHRSQL's eICU layout (SQLite).

One ``patient`` row per ICU unit stay (``patientunitstayid``), grouped into hospital stays
(``patienthealthsystemstayid``) of a person (``uniquepid`` like ``'030-42006'``); a stay still going on has a
NULL ``unitdischargetime`` / ``hospitaldischargetime``. Every clinical table hangs off ``patientunitstayid``;
``cost`` charges each diagnosis, lab, medication and treatment (``eventtype``/``eventid``) at a fixed price per
name, so "what does X cost" has one answer. Names, value formats (lower case, ``age`` as TEXT with ``'> 89'``,
``YYYY-MM-DD HH:MM:SS`` times shifted into 2100-2105, flowsheet ``cellpath``s containing ``intake``/``output``)
follow the official EHRSQL eICU SQL, so its queries run unchanged. Values are synthetic: no patient data.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .ehrsql_plant import EICU_FACTS, analyse
from .eicu_plant import Planter
from .eicu_vocab import (
    ADMIT_SOURCES,
    ALLERGIES,
    CELL_PATH,
    CULTURE_SITES,
    DIAGNOSES,
    DRUGS,
    ETHNICITIES,
    INTAKES,
    LAB_PANELS,
    LABS,
    ORGANISMS,
    OUTPUTS,
    PRICES,
    TREATMENTS,
    dosage_for,
    routes_for,
)
from .sqlite_file import write_tables

__all__ = ["DB_NAME", "NOW", "SCHEMA", "build_database", "routes_for"]

DB_NAME = "eicu.db"
NOW = "2105-12-31 23:59:00"  # EHRSQL's fixed "current_time", as for MIMIC-III
_FMT = "%Y-%m-%d %H:%M:%S"
_NOW = datetime.strptime(NOW, _FMT)
_START = datetime(2100, 1, 1)

# column types as in EHRSQL's eICU tables: ``age`` is TEXT, so ``age >= 60`` compares as text there too
_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "patient": [
        ("uniquepid", "text"),
        ("patienthealthsystemstayid", "integer"),
        ("patientunitstayid", "integer"),
        ("gender", "text"),
        ("age", "text"),
        ("ethnicity", "text"),
        ("hospitalid", "integer"),
        ("wardid", "integer"),
        ("admissionheight", "real"),
        ("hospitaladmitsource", "text"),
        ("hospitaldischargestatus", "text"),
        ("admissionweight", "real"),
        ("dischargeweight", "real"),
        ("unitadmittime", "text"),
        ("hospitaladmittime", "text"),
        ("hospitaldischargetime", "text"),
        ("unitdischargetime", "text"),
    ],
    "diagnosis": [
        ("diagnosisid", "integer"),
        ("patientunitstayid", "integer"),
        ("diagnosisname", "text"),
        ("diagnosistime", "text"),
    ],
    "treatment": [
        ("treatmentid", "integer"),
        ("patientunitstayid", "integer"),
        ("treatmentname", "text"),
        ("treatmenttime", "text"),
    ],
    "lab": [
        ("labid", "integer"),
        ("patientunitstayid", "integer"),
        ("labname", "text"),
        ("labresult", "real"),
        ("labresulttime", "text"),
    ],
    "medication": [
        ("medicationid", "integer"),
        ("patientunitstayid", "integer"),
        ("drugname", "text"),
        ("dosage", "text"),
        ("routeadmin", "text"),
        ("drugstarttime", "text"),
        ("drugstoptime", "text"),
    ],
    "cost": [
        ("costid", "integer"),
        ("uniquepid", "text"),
        ("patienthealthsystemstayid", "integer"),
        ("eventtype", "text"),
        ("eventid", "integer"),
        ("chargetime", "text"),
        ("cost", "real"),
    ],
    "allergy": [
        ("allergyid", "integer"),
        ("patientunitstayid", "integer"),
        ("drugname", "text"),
        ("allergyname", "text"),
        ("allergytime", "text"),
    ],
    "intakeoutput": [
        ("intakeoutputid", "integer"),
        ("patientunitstayid", "integer"),
        ("cellpath", "text"),
        ("celllabel", "text"),
        ("cellvaluenumeric", "real"),
        ("intakeoutputtime", "text"),
    ],
    "microlab": [
        ("microlabid", "integer"),
        ("patientunitstayid", "integer"),
        ("culturesite", "text"),
        ("organism", "text"),
        ("culturetakentime", "text"),
    ],
    "vitalperiodic": [
        ("vitalperiodicid", "integer"),
        ("patientunitstayid", "integer"),
        ("temperature", "real"),
        ("sao2", "real"),
        ("heartrate", "real"),
        ("respiration", "real"),
        ("systemicsystolic", "real"),
        ("systemicdiastolic", "real"),
        ("systemicmean", "real"),
        ("observationtime", "text"),
    ],
}
SCHEMA: dict[str, list[str]] = {table: [name for name, _ in cols] for table, cols in _COLUMNS.items()}

# chance per ICU day that a lab panel is drawn (the ``abg``/``vent`` panels only for ventilated stays)
_PANEL_DAILY = {"bmp": 0.9, "cbc": 0.85, "diff": 0.4, "coag": 0.35, "lft": 0.25, "abg": 0.9, "vent": 0.7}
_VENT_PANELS = ("abg", "vent")
_SINGLE_LABS = [name for name in LABS if not any(name in panel for panel in LAB_PANELS.values())]


def _t(dt: datetime) -> str:
    return dt.strftime(_FMT)


class _Vocab:
    """A name list sampled common-first: weight 1/sqrt(rank + 4) keeps rare names present but rarer."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        total, self.cum = 0.0, []
        for rank in range(len(self.names)):
            total += 1 / math.sqrt(rank + 4)
            self.cum.append(total)

    def pick(self, rng: random.Random, k: int = 1) -> list[str]:
        return rng.choices(self.names, cum_weights=self.cum, k=k)

    def sample(self, rng: random.Random, k: int) -> list[str]:
        """Up to ``k`` distinct names (fewer if draws repeat)."""
        return list(dict.fromkeys(self.pick(rng, k)))


_DIAGNOSES, _TREATMENTS, _DRUGS = _Vocab(DIAGNOSES), _Vocab(TREATMENTS), _Vocab(DRUGS)
_SITES, _ORGANISMS, _SOURCES = _Vocab(CULTURE_SITES), _Vocab(ORGANISMS), _Vocab(ADMIT_SOURCES)
_INTAKE_LABELS = _Vocab([label for label, *_ in INTAKES])
_OUTPUT_LABELS = _Vocab([label for label, *_ in OUTPUTS])
_IO = {label: ("intake", group, lo, hi) for label, group, lo, hi in INTAKES} | {
    label: ("output", group, lo, hi) for label, group, lo, hi in OUTPUTS
}


@dataclass
class _Person:
    uniquepid: str
    gender: str
    born: datetime
    ethnicity: str
    height: float | None
    weight: float
    hospital: int


@dataclass
class _HospitalStay:
    hsid: int
    admit: datetime
    discharge: datetime
    age: str  # eICU's text age, "> 89" above 89
    source: str
    hospital: int
    status: str | None  # "alive" / "expired"; None while still in hospital


@dataclass
class _UnitStay:
    """What the event generators need to know about one ICU stay."""

    person: _Person
    hospital: _HospitalStay
    unitid: int
    start: datetime
    end: datetime  # discharge, or NOW for a stay still going on
    ventilated: bool = False
    problems: list[str] = field(default_factory=list)

    def moment(self, rng: random.Random, early: bool = False) -> datetime:
        """A minute inside the stay; ``early`` ones cluster in its first hours (admission work-up)."""
        span = max(int((self.end - self.start).total_seconds() // 60), 1)
        minute = int(span * rng.random() ** 3) if early else rng.randrange(span)
        return self.start + timedelta(minutes=minute)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in SCHEMA}
        self.pids: set[str] = set()
        self.hsid = 100000 + self.rng.randrange(30000)
        self.unitid = 141000 + self.rng.randrange(5000)
        hospitals = self.rng.sample(range(60, 460), 48)
        self.wards = {h: self.rng.sample(range(80, 1110), self.rng.randint(2, 8)) for h in hospitals}
        price_rng = random.Random(f"eicu-prices-{seed}")
        vocab = {"diagnosis": DIAGNOSES, "lab": list(LABS), "medication": DRUGS, "treatment": TREATMENTS}
        self.prices = {
            (kind, name): round(price_rng.uniform(*PRICES[kind]), 2)
            for kind, names in vocab.items()
            for name in names
        }

    def add(self, table: str, *values: object) -> int:
        """Append a row with the next id of its table (the first column) and return that id."""
        row_id = len(self.rows[table]) + 1
        self.rows[table].append((row_id, *values))
        return row_id

    def charge(self, stay: _UnitStay, kind: str, event_id: int, name: str, when: datetime) -> None:
        self.add(
            "cost",
            stay.person.uniquepid,
            stay.hospital.hsid,
            kind,
            event_id,
            _t(when),
            self.prices[kind, name],
        )

    # ---- people and stays ----

    def person(self) -> None:
        rng = self.rng
        while (pid := f"{rng.randint(2, 35):03d}-{rng.randint(1, 199999)}") in self.pids:
            pass
        self.pids.add(pid)
        gender = rng.choice(["female", "male"])
        first = _START + timedelta(
            minutes=rng.randrange(int((_NOW - _START).total_seconds() // 60) - 30 * 1440)
        )
        age = min(max(rng.gauss(63, 16), 18.1), 99)
        born = first - timedelta(days=age * 365.25)
        height = round(rng.gauss(163 if gender == "female" else 177, 8), 1) if rng.random() < 0.9 else None
        weight = min(max(rng.gauss(72 if gender == "female" else 86, 20), 38), 220)
        person = _Person(
            pid, gender, born, rng.choice(ETHNICITIES), height, weight, rng.choice(list(self.wards))
        )
        admit: datetime | None = first
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            if admit is None or admit >= _NOW:
                break
            admit = self.hospital_stay(person, admit)
        if admit is not None and rng.random() < 0.12:
            self.hospital_stay(
                person, max(admit, _NOW - timedelta(minutes=rng.randrange(60, 20 * 1440))), True
            )

    def hospital_stay(self, person: _Person, admit: datetime, current: bool = False) -> datetime | None:
        """Write one hospital stay (one to three unit stays); return when the next may start, None if the
        person died or is still in hospital."""
        rng = self.rng
        self.hsid += rng.randint(1, 400)
        hospital = person.hospital if rng.random() < 0.8 else rng.choice(list(self.wards))
        source = _SOURCES.pick(rng)[0]
        age_years = int((admit - person.born).days / 365.25)
        unit_in = admit + timedelta(minutes=rng.randrange(10, 36 * 60 if source == "floor" else 8 * 60))
        units: list[tuple[datetime, datetime]] = []
        for _ in range(rng.choice([1, 1, 1, 1, 1, 2, 2, 3])):
            hours = min(max(rng.lognormvariate(math.log(40), 0.8), 4), 30 * 24)
            units.append((unit_in, unit_in + timedelta(minutes=int(hours * 60))))
            unit_in = units[-1][1] + timedelta(minutes=rng.randrange(60, 5 * 1440))
        discharge = units[-1][1] + timedelta(minutes=rng.randrange(30, 10 * 1440))
        ongoing = current or discharge >= _NOW
        units = [(start, end) for start, end in units if start < _NOW]
        expired = not ongoing and rng.random() < 0.1
        stay = _HospitalStay(
            self.hsid,
            admit,
            discharge,
            "> 89" if age_years >= 90 else str(age_years),
            source,
            hospital,
            None if ongoing else ("expired" if expired else "alive"),
        )
        for k, (start, end) in enumerate(units):
            open_unit = ongoing and k == len(units) - 1 and (end >= _NOW or rng.random() < 0.7)
            self.unit_stay(person, stay, start, None if open_unit else min(end, _NOW))
        return None if ongoing or expired else discharge + timedelta(days=rng.randrange(20, 700))

    def unit_stay(self, person: _Person, hstay: _HospitalStay, start: datetime, end: datetime | None) -> None:
        rng = self.rng
        self.unitid += rng.randint(1, 3000)
        status = hstay.status
        weight = round(person.weight + rng.gauss(0, 3), 1) if rng.random() < 0.92 else None
        self.rows["patient"].append(
            (
                person.uniquepid,
                hstay.hsid,
                self.unitid,
                person.gender,
                hstay.age,
                person.ethnicity,
                hstay.hospital,
                rng.choice(self.wards[hstay.hospital]),
                person.height,
                hstay.source,
                status,
                weight,
                round(weight + rng.gauss(-1, 2), 1) if weight and status and rng.random() < 0.6 else None,
                _t(start),
                _t(hstay.admit),
                _t(hstay.discharge) if status else None,
                _t(end) if end else None,
            )
        )
        stay = _UnitStay(person, hstay, self.unitid, start, end or _NOW)
        self.diagnoses(stay)
        self.treatments(stay)
        self.medications(stay)
        self.labs(stay)
        self.vitals(stay)
        self.intake_output(stay)
        self.microbiology(stay)
        self.allergies(stay)

    # ---- clinical events of one unit stay ----

    def diagnoses(self, stay: _UnitStay) -> None:
        stay.problems = _DIAGNOSES.sample(self.rng, self.rng.randint(2, 9))
        for name in stay.problems:
            when = stay.moment(self.rng, early=True)
            self.charge(stay, "diagnosis", self.add("diagnosis", stay.unitid, name, _t(when)), name, when)

    def treatments(self, stay: _UnitStay) -> None:
        names = _TREATMENTS.sample(self.rng, self.rng.randint(1, 10))
        stay.ventilated = any(name.startswith("mechanical ventilation") for name in names)
        for name in names:
            for _ in range(self.rng.choice([1, 1, 1, 2])):
                when = stay.moment(self.rng)
                self.charge(stay, "treatment", self.add("treatment", stay.unitid, name, _t(when)), name, when)

    def medications(self, stay: _UnitStay) -> None:
        rng = self.rng
        for name in _DRUGS.pick(rng, rng.randint(3, 18)):
            start = stay.moment(rng)
            stop = start + timedelta(minutes=rng.randrange(30, 5 * 1440))
            row = self.add(
                "medication",
                stay.unitid,
                name,
                dosage_for(rng, name),
                rng.choice(routes_for(name)),
                _t(start),
                _t(stop) if stop <= _NOW else None,
            )
            self.charge(stay, "medication", row, name, start)

    def lab(self, stay: _UnitStay, name: str, when: datetime) -> None:
        low, high, decimals = LABS[name]
        value = round(self.rng.uniform(low, high), decimals)
        self.charge(stay, "lab", self.add("lab", stay.unitid, name, value, _t(when)), name, when)

    def labs(self, stay: _UnitStay) -> None:
        """Morning panels every ICU day, blood gases for ventilated stays, bedside glucose for diabetics and
        a few one-off tests."""
        rng = self.rng
        days = max(1, math.ceil((stay.end - stay.start).total_seconds() / 86400))
        for day in range(days):
            for panel, chance in _PANEL_DAILY.items():
                if (panel in _VENT_PANELS and not stay.ventilated) or rng.random() >= chance:
                    continue
                when = stay.start + timedelta(days=day, minutes=rng.randrange(30, 6 * 60))
                if when < stay.end:
                    for name in LAB_PANELS[panel]:
                        self.lab(stay, name, when)
        diabetic = any("diabet" in p or "glyc" in p for p in stay.problems)
        for _ in range(rng.randint(2, 4) * days if diabetic else rng.choice([0, 0, 1, 3])):
            self.lab(stay, "bedside glucose", stay.moment(rng))
        for name in _SINGLE_LABS:
            if name != "bedside glucose" and rng.random() < 0.15:
                for _ in range(rng.randint(1, 2)):
                    self.lab(stay, name, stay.moment(rng))

    def vitals(self, stay: _UnitStay) -> None:
        """Monitor rows every 5 to 60 minutes (at most ~200 a stay), each vital a bounded random walk around
        the stay's baseline; arterial pressures only with an arterial line, temperature only when probed."""
        rng = self.rng
        minutes = int((stay.end - stay.start).total_seconds() // 60)
        step = max(rng.choice([5, 5, 10, 15, 30, 60]), minutes // 200 + 1)
        arterial, temp_rate = rng.random() < 0.5, rng.choice([0.0, 0.2, 1.0])
        hr, rr, spo2, sbp, temp = (
            rng.gauss(88, 14),
            rng.gauss(19, 4),
            rng.gauss(96, 2),
            rng.gauss(122, 18),
            rng.gauss(37, 0.5),
        )
        for minute in range(rng.randrange(1, 6), minutes, step):
            hr = _walk(rng, hr, 3, 40, 170)
            rr = _walk(rng, rr, 1.5, 6, 40)
            spo2 = _walk(rng, spo2, 1, 80, 100)
            sbp = _walk(rng, sbp, 4, 70, 210)
            temp = _walk(rng, temp, 0.1, 34.5, 40.5)
            dbp = sbp * rng.uniform(0.48, 0.62)
            self.add(
                "vitalperiodic",
                stay.unitid,
                round(temp, 1) if rng.random() < temp_rate else None,
                round(spo2) if rng.random() < 0.95 else None,
                round(hr),
                round(rr) if rng.random() < 0.9 else None,
                round(sbp) if arterial else None,
                round(dbp) if arterial else None,
                round((sbp + 2 * dbp) / 3) if arterial else None,
                _t(stay.start + timedelta(minutes=minute)),
            )

    def intake_output(self, stay: _UnitStay) -> None:
        rng = self.rng
        labels = _INTAKE_LABELS.sample(rng, rng.randint(1, 6)) + _OUTPUT_LABELS.sample(rng, rng.randint(0, 3))
        if rng.random() < 0.85:
            labels.append("urine")
        for label in dict.fromkeys(labels):
            kind, group, low, high = _IO[label]
            path = CELL_PATH.format(kind=kind, group=group, label=label)
            every = rng.choice([60, 120, 240, 480])
            minutes = int((stay.end - stay.start).total_seconds() // 60)
            for minute in list(range(rng.randrange(5, every), minutes, every))[:40]:
                value = round(rng.uniform(low, high), 1 if high <= 60 else 0)
                when = stay.start + timedelta(minutes=minute)
                self.add("intakeoutput", stay.unitid, path, label, value, _t(when))

    def microbiology(self, stay: _UnitStay) -> None:
        rng = self.rng
        if rng.random() < 0.35:
            for site in _SITES.pick(rng, rng.randint(1, 3)):
                when = _t(stay.moment(rng, early=True))
                self.add("microlab", stay.unitid, site, _ORGANISMS.pick(rng)[0], when)

    def allergies(self, stay: _UnitStay) -> None:
        rng = self.rng
        if rng.random() < 0.25:
            for allergy, drug in rng.sample(ALLERGIES, rng.randint(1, 3)):
                when = stay.start + timedelta(minutes=rng.randrange(0, 240))
                self.add("allergy", stay.unitid, drug, allergy, _t(min(when, stay.end)))


def _walk(rng: random.Random, value: float, sd: float, low: float, high: float) -> float:
    return min(max(value + rng.gauss(0, sd), low), high)


def build_database(path: Path, *, seed: int = 0, patients: int = 400, plant: Sequence[str] = ()) -> Path:
    """Write the database to ``path`` (replacing it); the same seed, size and ``plant`` give the same rows.

    ``plant`` are EHRSQL eICU queries (of task files the user loads) whose answers should be informative: the
    patients, entities, attributes, thresholds, visits and time windows they name are added as ordinary rows
    among the seeded ones (see `eicu_plant.Planter`). Without ``plant`` the database is exactly the seeded one.
    """
    plans = [analyse(sql, EICU_FACTS) for sql in plant]
    builder = _Builder(seed)
    builder.pids.update(p.subject for p in plans if p.subject)  # seeded people never take a named id
    for _ in range(patients):
        builder.person()
    planter = Planter(builder, random.Random(f"eicu-plant-{seed}"), NOW)
    for plan in plans:
        planter.plant(plan)
    columns = {table: [f"{name} {kind}" for name, kind in cols] for table, cols in _COLUMNS.items()}
    return write_tables(path, columns, builder.rows)
