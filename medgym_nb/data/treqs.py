"""A deterministic, synthetic TREQS (MIMICSQL) database (SQLite), planted with what given task files ask about.

TREQS's SQL quotes columns (``demographic.'age'``), compares every value as a string (``'age' < '89'``,
``'dod_year' <= '2115.0'``) and writes categorical values and titles in lower case, while MIMIC stores them
capitalised (answers read ``M``, ``HOME``, ``Ins nondrug elut cor st``). So every column is ``TEXT COLLATE
NOCASE``: values keep MIMIC's capitalisation and the official lower-case comparisons still match.

Official questions name patients, codes, drugs, lab items and thresholds that random data rarely holds.
``build_database(plant=queries)`` reads each query's conditions (:func:`parse_conditions`) and adds
ordinary admissions that satisfy all of them (and some that miss one demographic condition), so re-running
the query gives an informative answer. Values are synthetic: no patient data.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from medgym_nb.data import treqs_vocab as vocab

from .sqlite_file import write_tables

__all__ = ["DB_NAME", "SCHEMA", "Condition", "build_database", "parse_conditions", "repair_quotes"]

DB_NAME = "treqs.db"
_FMT = "%Y-%m-%d %H:%M:%S"
_LAST_DAY = datetime(2205, 12, 30)  # admissions are shifted into 2100-2205, like the official literals

SCHEMA: dict[str, list[str]] = {
    "demographic": [
        "subject_id",
        "hadm_id",
        "name",
        "marital_status",
        "age",
        "dob",
        "gender",
        "language",
        "religion",
        "admission_type",
        "days_stay",
        "insurance",
        "ethnicity",
        "expire_flag",
        "admission_location",
        "discharge_location",
        "diagnosis",
        "dod",
        "dob_year",
        "dod_year",
        "admittime",
        "dischtime",
        "admityear",
    ],
    "diagnoses": ["subject_id", "hadm_id", "icd9_code", "short_title", "long_title"],
    "procedures": ["subject_id", "hadm_id", "icd9_code", "short_title", "long_title"],
    "prescriptions": [
        "subject_id",
        "hadm_id",
        "icustay_id",
        "drug_type",
        "drug",
        "formulary_drug_cd",
        "route",
        "drug_dose",
    ],
    "lab": [
        "subject_id",
        "hadm_id",
        "itemid",
        "charttime",
        "flag",
        "value_unit",
        "label",
        "fluid",
        "category",
    ],
}

# the columns that name one concept (a code, a lab item, a drug); the rest of a row varies per event
_ENTITY: dict[str, tuple[str, ...]] = {
    "diagnoses": ("icd9_code", "short_title", "long_title"),
    "procedures": ("icd9_code", "short_title", "long_title"),
    "lab": ("itemid", "label", "fluid", "category", "value_unit"),
    "prescriptions": ("drug", "formulary_drug_cd", "drug_dose"),
}
_KEY = {
    "diagnoses": "icd9_code",
    "procedures": "icd9_code",
    "lab": "itemid",
    "prescriptions": "formulary_drug_cd",
}
_PERSON = ("name", "gender", "dob", "dod")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _words(text: str) -> str:
    return " ".join(_sentence(word) for word in text.split(" "))


_CASE: dict[str, Callable[[str], str]] = {
    "name": _words,
    "insurance": _words,
    "short_title": _sentence,
    "long_title": _sentence,
    "label": _words,
    "fluid": _words,
    "category": _words,
    "drug": _sentence,
    "flag": str.lower,
}
_AS_IS = {"subject_id", "hadm_id", "icustay_id", "itemid", "charttime", "age", "days_stay", "expire_flag"}


def _stored(column: str, value: str) -> str:
    """A literal as MIMIC would spell it (queries lower-case everything; NOCASE makes both match)."""
    if column in _AS_IS or column.endswith(("year", "time", "dob", "dod")):
        return value
    return _CASE.get(column, str.upper)(value)


# ---------------------------------------------------------------- reading the SQL


@dataclass(frozen=True)
class Condition:
    """One ``table.'column' op 'value'`` of a query's where clause; op ``notnull`` marks a column it selects
    or a table it joins (``hadm_id``): the answer needs a row there."""

    table: str
    column: str
    op: str
    value: str = ""

    def holds(self, value: str | None) -> bool:
        """Whether a stored value satisfies it, as SQLite compares TEXT under NOCASE."""
        if self.op == "notnull":
            return value is not None
        if value is None:
            return False
        a, b = value.lower(), self.value.lower()
        return {
            "=": a == b,
            "!=": a != b,
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
        }[self.op]

    def negated(self) -> Condition:
        flip = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
        return Condition(self.table, self.column, flip[self.op], self.value)


_INNER_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_COND = re.compile(r"(\w+)\.'(\w+)'\s*(<=|>=|!=|=|<|>)\s*'((?:[^']|'')*)'")
_SELECTED = re.compile(r"(\w+)\.'(\w+)'")
_TABLE = re.compile(r"(?:^|\bjoin )\s*(\w+)")


def repair_quotes(sql: str) -> str:
    """Double the apostrophes inside TREQS literals (``'alzheimer's disease'``), which SQLite cannot parse.

    TREQS quotes columns as ``table.'col'`` and values as ``'v'``: a quote between two word characters is
    never one of those, only an apostrophe of the value itself.
    """
    return _INNER_APOSTROPHE.sub("''", sql)


def parse_conditions(sql: str) -> list[Condition]:
    """The where clause's conditions, plus ``notnull`` for the selected columns and joined tables."""
    sql = repair_quotes(sql)
    head, _, where = sql.partition(" where ")
    conds = [Condition(t, c, op, v.replace("''", "'")) for t, c, op, v in _COND.findall(where)]
    select, _, tables = head.partition(" from ")
    conds += [Condition(t, c, "notnull") for t, c in _SELECTED.findall(select)]
    conds += [Condition(t, "hadm_id", "notnull") for t in _TABLE.findall(tables)]
    return conds


# ---------------------------------------------------------------- value domains

_DOMAINS: dict[str, list[tuple[str, float]]] = {
    "age": [(str(a), 1.0 + a / 15) for a in range(15, 90)] + [(str(a), 0.4) for a in range(300, 306)],
    "flag": [("abnormal", 0.3), ("delta", 0.03), ("", 0.67)],
    "admityear": [(str(y), 1.0) for y in range(2100, 2206)],
    "dob_year": [(str(y), 1.0) for y in range(1795, 2206)],
    "days_stay": [(str(d), (d + 1) * math.exp(-d / 4) + 0.02) for d in range(0, 121)],
    "expire_flag": [("0", 0.7), ("1", 0.3)],
    **vocab.CATEGORIES,
}


@functools.cache
def _fits(column: str, conds: tuple[Condition, ...]) -> tuple[list[str], list[float]]:
    domain = _DOMAINS[column]
    fits = [(v, w) for v, w in domain if all(c.holds(v) for c in conds)] or domain
    return [v for v, _ in fits], list(itertools.accumulate(w for _, w in fits))


def _pick(rng: random.Random, column: str, conds: Sequence[Condition] = ()) -> str:
    """A weighted draw of a ``column`` value among those that satisfy ``conds`` (any, if none does)."""
    values, cum = _fits(column, tuple(conds))
    return rng.choices(values, cum_weights=cum)[0]


def _t(dt: datetime) -> str:
    return dt.strftime(_FMT)


def _day(dt: datetime) -> str:
    return _t(dt.replace(hour=0, minute=0, second=0))


# ---------------------------------------------------------------- the builder


@dataclass
class _Person:
    subject_id: str
    name: str
    gender: str
    dob: datetime | None = None
    dod: datetime | None = None
    admissions: list[dict[str, str | None]] = field(default_factory=list)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows: dict[str, list[tuple[str | None, ...]]] = {name: [] for name in SCHEMA}
        self.entities: dict[str, list[dict[str, str]]] = {
            "diagnoses": [dict(zip(_ENTITY["diagnoses"], e, strict=True)) for e in vocab.DIAGNOSES],
            "procedures": [dict(zip(_ENTITY["procedures"], e, strict=True)) for e in vocab.PROCEDURES],
            "lab": [dict(zip(_ENTITY["lab"], e, strict=True)) for e in vocab.LABS],
            "prescriptions": [
                {"drug": d, "formulary_drug_cd": cd, "drug_dose": dose} for d, cd, _r, dose, _t in vocab.DRUGS
            ],
        }
        self.drug_info = {cd: (routes, kind) for _d, cd, routes, _dose, kind in vocab.DRUGS}
        self.people: dict[str, _Person] = {}
        self.names: dict[str, str] = {}
        self.hadm = 100000 + self.rng.randrange(1000)
        self.icustay = 200000 + self.rng.randrange(1000)
        self.used_ids: set[str] = set()

    # -- people and admissions

    def person(self, subject_id: str | None = None, name: str | None = None) -> _Person:
        rng = self.rng
        if subject_id is None:
            subject_id = str(rng.randrange(1, 100000))
            while subject_id in self.used_ids:
                subject_id = str(rng.randrange(1, 100000))
        self.used_ids.add(subject_id)
        if name is None:
            name = f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"
            while name.lower() in self.names:
                name = (
                    f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}{rng.choice('abcdefgh')}"
                )
        person = _Person(subject_id, name, _pick(rng, "gender"))
        self.people[subject_id] = person
        self.names[name.lower()] = subject_id
        return person

    def draw(self, person: _Person, conds: Sequence[Condition]) -> dict[str, str | None]:
        """An admission of ``person`` meeting the demographic ``conds`` (best effort if they cannot all hold).

        Derived fields stay consistent (age from dob, days_stay from the times, expire_flag from dod), so
        conditions are met by rejection: draw the free values inside their allowed domains, derive, check.
        """
        dem = [c for c in conds if c.table == "demographic" and c.column != "hadm_id"]  # hadm_id comes later
        anchor = next((c.value for c in conds if c.column == "charttime" and c.op == "="), None)
        record: dict[str, str | None] = {}
        for attempt in range(400):
            record = self.attempt(person, dem, anchor, dob_first=attempt % 2 == 1)
            alive = person.dod is None or str(record["dischtime"]) <= _t(person.dod + timedelta(days=1))
            shifted = "2100" <= str(record["admityear"]) <= str(_LAST_DAY.year)
            if alive and shifted and all(c.holds(record.get(c.column)) for c in dem):
                break
        return record

    def attempt(
        self, person: _Person, dem: list[Condition], anchor: str | None, *, dob_first: bool
    ) -> dict[str, str | None]:
        rng = self.rng
        on = {col: [c for c in dem if c.column == col] for col in SCHEMA["demographic"]}
        fixed = {c.column: _stored(c.column, c.value) for c in dem if c.op == "="}
        later = [Condition("demographic", "admission_type", "!=", "newborn")] if person.admissions else []
        kind = _pick(rng, "admission_type", on["admission_type"] + later)
        days = int(_pick(rng, "days_stay", on["days_stay"]))
        age = 0 if kind == "NEWBORN" else int(_pick(rng, "age", on["age"]))
        if anchor:
            event = datetime.strptime(anchor, _FMT)
            admit = event - timedelta(days=rng.randint(0, days), minutes=rng.randrange(1, 600))
        elif person.admissions:  # a later stay of a known patient
            last = datetime.strptime(str(person.admissions[-1]["dischtime"]), _FMT)
            room = (_LAST_DAY - last).days - days
            admit = last + timedelta(
                days=rng.randrange(1, max(2, min(1500, room))), minutes=rng.randrange(1440)
            )
        elif dob_first:
            dob_year = int(_pick(rng, "dob_year", on["dob_year"]))
            admit = datetime(dob_year + age, 1, 1) + timedelta(minutes=rng.randrange(365 * 1440))
        else:
            year = int(_pick(rng, "admityear", on["admityear"]))
            admit = datetime(year, 1, 1) + timedelta(minutes=rng.randrange(365 * 1440))
        if person.dob is None:
            dob = datetime(admit.year - age, rng.randint(1, 12), rng.randint(1, 28))
        else:
            dob = person.dob
        disch = admit + timedelta(days=days, minutes=rng.randrange(0, 1440 - admit.hour * 60 - admit.minute))
        died_here = fixed.get("discharge_location") == "DEAD/EXPIRED"
        dod = person.dod
        if dod is None and not person.admissions:
            dead = died_here or _pick(rng, "expire_flag", on["expire_flag"]) == "1"
            died_here = died_here or (dead and rng.random() < 0.4)
            dod = (disch if died_here else disch + timedelta(days=rng.randrange(1, 4000))) if dead else None
        location = "DEAD/EXPIRED" if died_here else _pick(rng, "discharge_location", on["discharge_location"])
        record: dict[str, str | None] = {
            "subject_id": person.subject_id,
            "name": person.name,
            "gender": person.gender if person.admissions else fixed.get("gender", person.gender),
            "age": str(admit.year - dob.year),
            "dob": _day(dob),
            "dob_year": str(dob.year),
            "dod": _day(dod) if dod else None,
            "dod_year": f"{dod.year}.0" if dod else None,
            "expire_flag": "1" if dod else "0",
            "admission_type": kind,
            "days_stay": str((disch.date() - admit.date()).days),
            "admittime": _t(admit),
            "dischtime": _t(disch),
            "admityear": str(admit.year),
            "discharge_location": location,
            "diagnosis": "NEWBORN" if kind == "NEWBORN" else rng.choice(vocab.ADMIT_DIAGNOSES),
        }
        if kind == "NEWBORN":
            record["admission_location"] = rng.choice(vocab.NEWBORN_LOCATIONS)
        for column in (
            "admission_location",
            "insurance",
            "ethnicity",
            "religion",
            "language",
            "marital_status",
        ):
            record.setdefault(column, _pick(rng, column, on[column]))
        if kind == "NEWBORN":
            record["marital_status"] = None
        record.update({k: v for k, v in fixed.items() if k not in _PERSON and k in record})
        return record

    def admit(self, person: _Person, conds: Sequence[Condition]) -> dict[str, str | None]:
        """Add an ordinary admission (demographic row and its events) meeting ``conds``."""
        record = self.draw(person, conds)
        self.hadm += self.rng.randrange(1, 40)
        record["hadm_id"] = str(self.hadm)
        if person.dob is None:
            person.dob = datetime.strptime(str(record["dob"]), _FMT)
            person.gender = str(record["gender"])
            person.dod = datetime.strptime(record["dod"], _FMT) if record["dod"] else None
        person.admissions.append(record)
        self.rows["demographic"].append(tuple(record.get(c) for c in SCHEMA["demographic"]))
        self.events(record, conds)
        return record

    # -- events

    def events(self, record: dict[str, str | None], conds: Sequence[Condition]) -> None:
        rng = self.rng
        counts = {"diagnoses": rng.randrange(2, 9), "procedures": rng.randrange(0, 4)}
        counts |= {"lab": rng.randrange(4, 16), "prescriptions": rng.randrange(2, 10)}
        for table, n in counts.items():
            for _ in range(n):
                self.event(table, record, ())
        self.wanted_events(record, conds)

    def wanted_events(self, record: dict[str, str | None], conds: Sequence[Condition]) -> None:
        """One event row per table the query reads, meeting that table's conditions."""
        for table in _ENTITY:
            wanted = [c for c in conds if c.table == table]
            if wanted:
                self.event(table, record, [c for c in wanted if c.column != "subject_id"])

    def event(self, table: str, record: dict[str, str | None], conds: Sequence[Condition]) -> None:
        rng = self.rng
        entity = self.entity(table, [c for c in conds if c.column in _ENTITY[table]])
        row: dict[str, str | None] = {
            "subject_id": record["subject_id"],
            "hadm_id": record["hadm_id"],
            **entity,
        }
        if table == "lab":
            admit = datetime.strptime(str(record["admittime"]), _FMT)
            span = max(int(record["days_stay"] or 0) * 1440, 60)
            row["charttime"] = _t(admit + timedelta(minutes=rng.randrange(span)))
            flag = _pick(rng, "flag", [c for c in conds if c.column == "flag"])
            row["flag"] = flag or None
        elif table == "prescriptions":
            routes, kind = self.drug_info.get(str(entity["formulary_drug_cd"]), (vocab.ROUTES, "MAIN"))
            row["route"] = rng.choice(routes)
            row["drug_type"] = kind
            self.icustay += rng.randrange(1, 5)
            row["icustay_id"] = str(self.icustay) if rng.random() < 0.6 else None
        for c in conds:
            if c.op == "=":
                row[c.column] = _stored(c.column, c.value)
            elif c.op == "notnull" and row.get(c.column) is None:
                row[c.column] = "abnormal" if c.column == "flag" else str(self.icustay)
        self.rows[table].append(tuple(row.get(c) for c in SCHEMA[table]))

    def entity(self, table: str, conds: Sequence[Condition]) -> dict[str, str]:
        """A known concept meeting ``conds``, or a new one built from them (then known to later draws)."""
        known = self.entities[table]
        if not conds:
            return self.rng.choice(known)
        fits = [e for e in known if all(c.holds(e[c.column]) for c in conds)]
        if fits:
            return self.rng.choice(fits)
        given = {c.column: _stored(c.column, c.value) for c in conds if c.op == "="}
        like = [e for e in known if any(e[k].lower() == v.lower() for k, v in given.items() if k != "fluid")]
        new = dict(like[0]) if like else _describe(table, given, self.rng.choice(known))
        new.update(given)
        if _KEY[table] not in given:
            new[_KEY[table]] = self.fresh_key(table, new)
        known.append(new)
        if table == "prescriptions":
            self.drug_info.setdefault(new["formulary_drug_cd"], (vocab.ROUTES, "MAIN"))
        return new

    def fresh_key(self, table: str, entity: dict[str, str]) -> str:
        taken = {e[_KEY[table]] for e in self.entities[table]}
        while True:
            if table == "lab":
                key = str(self.rng.randrange(51000, 51600))
            elif table == "prescriptions":
                letters = re.sub(r"[^A-Z]", "", entity["drug"].upper())[:4] or "DRUG"
                key = f"{letters}{self.rng.randrange(1, 500)}"
            else:
                key = str(self.rng.randrange(1000, 9999))
            if key not in taken:
                return key

    # -- planting

    def plant(self, sql: str) -> None:
        """Add admissions that answer ``sql``: its named patient, or several new ones (and near misses)."""
        conds = parse_conditions(sql)
        dem = [c for c in conds if c.table == "demographic" and c.op != "notnull"]
        sid = next((c.value for c in conds if c.column == "subject_id" and c.op == "="), None)
        name = next((c.value for c in conds if c.column == "name" and c.op == "="), None)
        if sid is not None or name is not None:
            self.plant_named(sid, name, conds)
            return
        for _ in range(3):
            self.admit(self.person(), conds)
        for c in self.rng.sample(dem, min(2, len(dem))):
            self.admit(self.person(), [d if d is not c else c.negated() for d in conds])

    def plant_named(self, sid: str | None, name: str | None, conds: Sequence[Condition]) -> None:
        if sid is None and name is not None:
            sid = self.names.get(name.lower())
        person = self.people.get(sid) if sid is not None else None
        if person is None:
            person = self.person(sid, _stored("name", name) if name else None)
        dem = [c for c in conds if c.table == "demographic" and c.column not in ("subject_id", "name")]
        fits = [a for a in person.admissions if all(c.holds(a.get(c.column)) for c in dem)]
        if fits:
            self.wanted_events(fits[0], conds)
        else:
            self.admit(person, conds)


def _describe(table: str, given: dict[str, str], template: dict[str, str]) -> dict[str, str]:
    """Fill a new concept's unnamed descriptive fields from what the query names."""
    new = dict(template)
    if table in ("diagnoses", "procedures"):
        short, long = given.get("short_title"), given.get("long_title")
        new["long_title"] = (
            long or (short and _sentence(short)) or f"Other specified condition {given['icd9_code']}"
        )
        new["short_title"] = short or new["long_title"][:24]
    elif table == "prescriptions" and "drug" not in given and "formulary_drug_cd" in given:
        new["drug"] = _sentence(re.sub(r"[^a-z]", "", given["formulary_drug_cd"].lower())) or "Drug"
    return new


def build_database(path: Path, *, seed: int = 0, patients: int = 1500, plant: Sequence[str] = ()) -> Path:
    """Write the database to ``path`` (replacing it); the same (seed, plant) gives the same content.

    ``plant`` holds SQL queries of task files: what they name is added as ordinary rows among the
    ``patients`` random ones, so re-running them gives informative answers.
    """
    builder = _Builder(seed)
    named = [
        c.value for sql in plant for c in parse_conditions(sql) if c.column == "subject_id" and c.op == "="
    ]
    builder.used_ids.update(named)
    for sql in plant:
        for c in parse_conditions(sql):
            if c.op == "=" and c.table != "demographic" and c.column in _ENTITY.get(c.table, ()):
                builder.entity(c.table, [c])
    for _ in range(patients):
        person = builder.person()
        for _ in range(builder.rng.choice([1, 1, 1, 1, 2, 2, 3])):
            builder.admit(person, ())
    for sql in plant:
        builder.plant(sql)
    columns = {table: [f"{c} text collate nocase" for c in names] for table, names in SCHEMA.items()}
    return write_tables(path, columns, builder.rows)
