"""Clinical notes written from charted MIMIC-III data, with a known number of statements that disagree with it.

A note is about one hospital admission and one entity. It states the entity's value on some days of the
stay, in the note kind's own phrasing, with abbreviations, units the value may be converted into, and one date
style per note. A statement is *consistent* when the admission has a charted value of the entity on the stated
day that equals the stated value once converted to the charted unit (within ``TOLERANCE``); a unit that does
not measure the same quantity cannot be converted, so the statement is not consistent. Inconsistencies are
injected (a wrong value, a wrong unit, a wrong date, a value on a day nothing was charted) and every statement
is checked against the charted rows by that rule, so the count is ground truth by construction.

The admissions and their charted events are written into the database with the notes (``build_notes``); the
database's seeded patients are there too, so a note's admission must be found by its id.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from medgym_nb.data.mimic_iii import DB_NAME, ChartedAdmission, ChartedEvent, build_database

from .note_vocab import ALIASES, DATE_FORMATS, UNIT_TEXT, Profile, convert, profile, unit_group

__all__ = [
    "ERROR_KINDS",
    "MAX_INCONSISTENCIES",
    "NOTE_KINDS",
    "TOLERANCE",
    "Mention",
    "Note",
    "NoteRequest",
    "agrees",
    "build_notes",
    "value_query",
]

NOTE_KINDS = ("discharge", "nursing", "physician")
ERROR_KINDS = ("wrong_value", "wrong_unit", "wrong_date", "uncharted")
TOLERANCE = 0.01
"""relative difference within which a stated value (in the charted unit) equals a charted one"""
MAX_INCONSISTENCIES = 8
_FMT = "%Y-%m-%d %H:%M:%S"
_STAY_DAYS = 14
_EVENTS = 5
_ATTEMPTS = 200


@dataclass(frozen=True)
class NoteRequest:
    """A note to write: about ``entity`` in admission ``hadm_id``, with ``inconsistencies`` wrong statements;
    ``kind`` (one of ``NOTE_KINDS``) is drawn when None."""

    hadm_id: int
    entity: str
    inconsistencies: int
    kind: str | None = None


class Mention(BaseModel):
    """One statement of a note about its entity: what it says, and what it means in the charted unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: str
    """the stated day, ``YYYY-MM-DD``"""
    text: str
    value: float
    unit: str
    """the stated unit (the database's spelling of it)"""
    charted_value: float | None
    """the stated value in the charted unit; None when the stated unit does not convert to it"""
    error: str | None = None
    """the injected inconsistency (one of ``ERROR_KINDS``); None for a faithful statement"""


class Note(BaseModel):
    """A written note, the entity it is checked for, and its statements about that entity."""

    model_config = ConfigDict(extra="forbid")

    file: str
    kind: str
    hadm_id: int
    entity: str
    table: str
    label: str
    """the entity's name as the database writes it"""
    unit: str
    """the charted unit"""
    date_style: str
    """the ``strftime`` format the note writes dates in"""
    mentions: list[Mention]

    @property
    def inconsistencies(self) -> int:
        return sum(m.error is not None for m in self.mentions)


def agrees(stated: float | None, charted: float) -> bool:
    return stated is not None and math.isclose(stated, charted, rel_tol=TOLERANCE, abs_tol=1e-9)


_LABELLED = {
    "labevents": ("valuenum", "join d_labitems d on d.itemid = e.itemid", "d.label", "charttime"),
    "chartevents": ("valuenum", "join d_items d on d.itemid = e.itemid", "d.label", "charttime"),
    "inputevents_cv": ("amount", "join d_items d on d.itemid = e.itemid", "d.label", "charttime"),
    "prescriptions": ("cast(e.dose_val_rx as real)", "", "e.drug", "startdate"),
}


def value_query(table: str) -> str:
    """SQL for the values of one entity charted on one day of one admission; parameters: hadm_id, the
    entity's label (lower case), the day (``YYYY-MM-DD``)."""
    value, join, label, time = _LABELLED[table]
    column = value if value.startswith("cast") else f"e.{value}"
    return (
        f"select {column} from {table} e {join} where e.hadm_id = ? and lower({label}) = ? "
        f"and date(e.{time}) = ?"
    ).replace("  ", " ")


@dataclass
class _Stay:
    subject_id: int
    admit: datetime
    gender: str
    age: int
    events: dict[str, list[ChartedEvent]]

    def day(self, offset: int) -> str:
        return (self.admit + timedelta(days=offset)).strftime("%Y-%m-%d")

    def admission(self, hadm_id: int) -> ChartedAdmission:
        disch = self.admit + timedelta(days=_STAY_DAYS)
        events = tuple(e for series in self.events.values() for e in series)
        return ChartedAdmission(
            self.subject_id,
            hadm_id,
            self.gender,
            self.age,
            self.admit.strftime(_FMT),
            disch.strftime(_FMT),
            events,
        )


def build_notes(folder: Path, requests: Sequence[NoteRequest], *, seed: int) -> list[Note]:
    """Write the notes of ``requests`` (``note_<hadm_id>_<n>.txt``) and the database they are checked against
    (``mimic_iii.db``, seeded with ``seed``) into ``folder``; the notes in request order.

    Requests naming the same admission share it, and those naming the same entity in it share its charted
    values, so every note about them is checked against the same rows.
    """
    rng = random.Random(f"ehrcon-notes-{seed}")
    stays: dict[int, _Stay] = {}
    notes = []
    for n, request in enumerate(requests):
        if request.hadm_id not in stays:
            stays[request.hadm_id] = _new_stay(rng, 500_000 + len(stays))
        stay = stays[request.hadm_id]
        found = profile(request.entity)
        label = request.entity.strip().lower()
        if label not in stay.events:
            stay.events[label] = _series(rng, stay, found, label)
        note = _note(rng, request, stay, found, label, f"note_{request.hadm_id}_{n:04d}.txt")
        (folder / note.file).write_text(_render(rng, note, stay), encoding="utf-8")
        notes.append(note)
    build_database(folder / DB_NAME, seed=seed, charted=[s.admission(h) for h, s in stays.items()])
    return notes


def _new_stay(rng: random.Random, subject_id: int) -> _Stay:
    admit = datetime(2100, 1, 1) + timedelta(days=rng.randrange(5 * 365 - 30), minutes=rng.randrange(1440))
    return _Stay(subject_id, admit, rng.choice("mf"), rng.randint(25, 89), {})


def _series(rng: random.Random, stay: _Stay, found: Profile, label: str) -> list[ChartedEvent]:
    """The entity's charted values: one per day on distinct days, values apart by 5 % of the usual range."""
    gap = max(0.05 * (found.hi - found.lo), 10.0**-found.decimals)
    values: list[float] = []
    for _attempt in range(_ATTEMPTS):
        value = round(rng.uniform(found.lo, found.hi), found.decimals)
        if value > 0 and all(abs(value - v) > gap for v in values):
            values.append(value)
        if len(values) == _EVENTS:
            break
    else:
        raise ValueError(f"{_EVENTS} distinct values do not fit the range of {label!r} ({found})")
    days = sorted(rng.sample(range(1, _STAY_DAYS - 1), _EVENTS))
    events = []
    for day, value in zip(days, values, strict=True):
        when = stay.admit.replace(hour=0, minute=0) + timedelta(days=day, minutes=rng.randrange(1440))
        events.append(ChartedEvent(found.table, label, when.strftime(_FMT), value, found.unit))
    return events


def _consistent(mention: Mention, events: list[ChartedEvent]) -> bool:
    return any(e.time[:10] == mention.date and agrees(mention.charted_value, e.value) for e in events)


def _note(
    rng: random.Random, request: NoteRequest, stay: _Stay, found: Profile, label: str, file: str
) -> Note:
    events = stay.events[label]
    faithful = rng.randint(1, 3)
    errors = [rng.choice(ERROR_KINDS) for _ in range(request.inconsistencies)]
    kinds: list[str | None] = [*[None] * faithful, *errors]
    style = rng.choice(DATE_FORMATS)
    names = (request.entity, *ALIASES.get(label, ()))
    mentions: list[Mention] = []
    for kind in kinds:
        stated = {m.date for m in mentions}
        fresh = [e for e in events if e.time[:10] not in stated] or events
        mentions.append(_mention(rng, kind, stay, (fresh, events), found, (names, style)))
    return Note(
        file=file,
        kind=request.kind or rng.choice(NOTE_KINDS),
        hadm_id=request.hadm_id,
        entity=request.entity,
        table=found.table,
        label=label,
        unit=found.unit,
        date_style=style,
        mentions=sorted(mentions, key=lambda m: m.date),
    )


def _mention(
    rng: random.Random,
    error: str | None,
    stay: _Stay,
    series: tuple[list[ChartedEvent], list[ChartedEvent]],
    found: Profile,
    wording: tuple[tuple[str, ...], str],
) -> Mention:
    """A statement with the given injected ``error`` (None: faithful) about one of the ``fresh`` events (those
    on days the note has not stated yet), checked against all ``events``."""
    fresh, events = series
    for _attempt in range(_ATTEMPTS):
        event = rng.choice(fresh)
        day, value, unit = event.time[:10], event.value, found.unit
        if error is None and unit_group(unit) != unit and rng.random() < 0.4:
            unit = rng.choice([u for u in UNIT_TEXT if unit_group(u) == unit_group(found.unit)])
            value = round(convert(value, found.unit, unit) or 0.0, found.decimals + 1)
        elif error == "wrong_value":
            value = round(value * rng.choice((0.6, 0.7, 0.75, 1.3, 1.4, 1.6)), found.decimals)
        elif error == "wrong_unit":
            unit = rng.choice([u for u in UNIT_TEXT if unit_group(u) != unit_group(found.unit)])
        elif error == "wrong_date":
            day = stay.day(rng.randrange(_STAY_DAYS))
        elif error == "uncharted":
            charted_days = {e.time[:10] for e in events}
            day = rng.choice([d for d in map(stay.day, range(_STAY_DAYS)) if d not in charted_days])
            value = round(rng.uniform(found.lo, found.hi), found.decimals)
        decimals = found.decimals + (unit != found.unit and error is None)
        mention = Mention(
            date=day,
            text=_sentence(rng, found.table, wording, (value, decimals, unit), day),
            value=value,
            unit=unit,
            charted_value=convert(value, unit, found.unit),
            error=error,
        )
        if _consistent(mention, events) == (error is None):
            return mention
    raise ValueError(f"no {error or 'faithful'} statement fits the charted values {events}")


_SAY = {
    "labevents": (
        "{name} {q} on {date}.",
        "On {date}, {name} was {q}.",
        "{date}: {name} {q}",
        "Labs on {date} notable for {name} {q}.",
        "{name} of {q} ({date}).",
    ),
    "chartevents": (
        "{name} {q} on {date}.",
        "On {date} {name} {q}.",
        "{date} - {name}: {q}",
        "{name} recorded at {q} on {date}.",
    ),
    "inputevents_cv": (
        "Received {q} of {name} on {date}.",
        "{date}: {name} {q} given.",
        "{name} {q} infused on {date}.",
    ),
    "prescriptions": (
        "{name} {q} given on {date}.",
        "Started {name} {q} on {date}.",
        "{date}: {name} {q}.",
    ),
}


def _sentence(
    rng: random.Random,
    table: str,
    wording: tuple[tuple[str, ...], str],
    quantity: tuple[float, int, str],
    day: str,
) -> str:
    """One statement: the entity by one of its ``names``, the value and a spelling of its unit, the day in the
    note's date ``style``."""
    names, style = wording
    value, decimals, unit = quantity
    spelled = rng.choice(UNIT_TEXT.get(unit, (unit,)))
    amount = f"{value:.{decimals}f} {spelled}".strip()
    stated = datetime.strptime(day, "%Y-%m-%d").strftime(style)
    return rng.choice(_SAY[table]).format(name=rng.choice(names), q=amount, date=stated)


_COMPLAINTS = (
    "shortness of breath",
    "chest pain",
    "fever and hypotension",
    "altered mental status",
    "abdominal pain",
    "a fall at home",
)
_FILLER = (
    "Patient resting comfortably, no acute distress.",
    "Family updated at bedside.",
    "Tolerating diet, ambulating with assistance.",
    "Skin intact, no new issues overnight.",
    "Pain controlled on current regimen.",
    "Lines and drains unchanged.",
    "Continue current management, reassess in AM.",
)


def _render(rng: random.Random, note: Note, stay: _Stay) -> str:
    """The note's text: a header and sections by note kind, its statements among ordinary sentences."""

    def date(day: str) -> str:
        return datetime.strptime(day, "%Y-%m-%d").strftime(note.date_style)

    admit, disch = stay.day(0), stay.day(_STAY_DAYS)
    sex = {"m": "male", "f": "female"}[stay.gender]
    complaint = rng.choice(_COMPLAINTS)
    lines = [m.text for m in note.mentions]
    body = "\n".join([*lines[:1], *rng.sample(_FILLER, 2), *lines[1:]])
    if note.kind == "discharge":
        return (
            f"DISCHARGE SUMMARY\nAdmission Date: {date(admit)}    Discharge Date: {date(disch)}\n"
            f"Sex: {stay.gender.upper()}    Age: {stay.age}\n\nHISTORY OF PRESENT ILLNESS:\n"
            f"{stay.age} y/o {sex} admitted with {complaint}.\n\nHOSPITAL COURSE:\n{body}\n\n"
            "DISCHARGE CONDITION: stable.\n"
        )
    if note.kind == "nursing":
        return (
            f"NURSING PROGRESS NOTE ({date(admit)} - {date(disch)})\n{stay.age}{stay.gender.upper()} "
            f"admitted for {complaint}.\n\nD/A:\n{body}\n\nP: monitor, notify MD of changes.\n"
        )
    return (
        f"PHYSICIAN PROGRESS NOTE\nAdmitted {date(admit)}.\nS: {stay.age} yo {sex}, {complaint}.\n\n"
        f"O:\n{body}\n\nA/P: continue current plan; reassess daily.\n"
    )
