"""Patient notes for MedCalc-Bench calculators: draw a calculator's entities, then write them as a case report.

``draw_entities`` gives a ``Relevant Entities`` dict in the official form (``[value, unit]`` pairs, booleans,
option names, ``MM/DD/YYYY`` dates), each measurement in one of the units its input accepts. ``write_note``
states exactly those values the way case reports do — in varied phrasing and order, blood pressure as
``130/74 mm Hg``, height sometimes in feet and inches — among distractors that a regex for the first number
would take instead: an earlier value of the same measurement on another date, and labs and vitals the
calculator does not read. Criteria that are absent are sometimes denied and sometimes not mentioned (absent
means not present, MedCalc-Bench's convention).

``medcalc.sampling`` draws entities too, in any accepted unit, for checking formulas; notes need more than that:
the canonical unit most of the time and other units only where they read naturally (no 72000 g), doses with
their daily counts, a current date after the last period — so the draws here are the note's own.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from typing import Any

from medgym_nb.medcalc import Calculator, Input
from medgym_nb.medcalc.units import convert

__all__ = ["DISTRACTORS", "UNIT_SPELLINGS", "draw_entities", "write_note"]

UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "beats per minute": ("beats per minute", "bpm", "beats/min"),
    "breaths per minute": ("breaths per minute", "breaths/min"),
    "mm Hg": ("mm Hg", "mmHg"),
    "degrees celsius": ("°C", "degrees Celsius"),
    "degrees fahrenheit": ("°F", "degrees Fahrenheit"),
    "msec": ("msec", "ms"),
    "kg/m^2": ("kg/m^2", "kg/m²"),
    "10^3/µL": ("10^3/µL", "×10³/µL", "K/µL"),
    "10^9/L": ("10^9/L", "x 10^9/L"),
}
"""How notes spell a unit; each is one ``medcalc.units.convert`` reads as the official spelling too."""

DISTRACTORS: tuple[tuple[str, str, float, float, int], ...] = (
    ("hemoglobin", "g/dL", 7.0, 17.0, 1),
    ("platelet count", "×10^3/µL", 60, 450, 0),
    ("white blood cell count", "×10^3/µL", 3.0, 18.0, 1),
    ("potassium", "mmol/L", 3.0, 5.8, 1),
    ("aspartate aminotransferase", "IU/L", 12, 240, 0),
    ("alanine aminotransferase", "IU/L", 10, 260, 0),
    ("lactate dehydrogenase", "IU/L", 120, 900, 0),
    ("C-reactive protein", "mg/L", 1, 180, 0),
    ("magnesium", "mg/dL", 1.4, 2.6, 1),
    ("phosphate", "mg/dL", 2.0, 5.5, 1),
    ("uric acid", "mg/dL", 3.0, 10.0, 1),
    ("ferritin", "ng/mL", 20, 900, 0),
)
"""Labs a note may mention that no calculator here reads: (name, unit, low, high, decimals)."""

_VITAL_WORDS = (
    "heart",
    "pulse",
    "blood pressure",
    "respiratory",
    "temperature",
    "saturation",
    "o₂",
    "weight",
    "height",
    "body mass",
)
_PRESENT = (
    "Her history and examination are notable for {items}.",
    "Pertinent positives: {items}.",
    "The record documents {items}.",
    "Findings on review include {items}.",
)
_ABSENT = (
    "There is no {items}.",
    "Pertinent negatives: {items}.",
    "The team specifically excluded {items}.",
    "She denies or has no record of {items}.",
)
_OPENINGS = (
    "{A} {age}-year-old {who} presented to the emergency department with {complaint}.",
    "The patient is {a} {age}-year-old {who} referred to our clinic for {complaint}.",
    "We report the case of {a} {age}-year-old {who} admitted for {complaint}.",
)
_COMPLAINTS = (
    "shortness of breath",
    "chest discomfort",
    "fatigue and malaise",
    "abdominal pain",
    "evaluation before elective surgery",
    "a fall at home",
    "fever and cough",
    "leg swelling",
)
_MAX_PRIORS = 2
_STATED = ("{label} {value}", "{label} of {value}", "{label}: {value}", "{value} ({label})")
_WHO = {"Male": ("man", "male patient", "gentleman"), "Female": ("woman", "female patient", "lady")}


def _decimals(item: Input) -> int:
    """The input's own step where it has one (0.1 °C); else integers for wide ranges with integral bounds
    (ages, rates, scores), one or two decimals for narrow ones."""
    if item.step:
        return max(0, -math.floor(math.log10(item.step) + 1e-9))
    low, high = item.low or 0.0, item.high or 0.0
    counted = "per " in (item.unit or "")  # doses per day, drinks per week
    if float(low).is_integer() and float(high).is_integer() and (high - low >= 10 or counted):
        return 0
    return 1 if high - low >= 2 else 2


def _round(value: float, decimals: int) -> float | int:
    return round(value) if decimals == 0 else round(value, decimals)


def _significant(value: float) -> float | int:
    """Three significant digits: how a value converted to another unit is written."""
    if value == 0:
        return 0
    digits = 2 - math.floor(math.log10(abs(value)))
    rounded = round(value, max(digits, 0))
    return int(rounded) if digits <= 0 else rounded


def _measurement(item: Input, rng: random.Random) -> Any:
    """A value in the input's plausible range, in its canonical unit or (less often) another it accepts."""
    if item.low is None or item.high is None:
        raise ValueError(f"input {item.key!r} has no plausible range to draw from")
    canonical = _round(rng.uniform(item.low, item.high), _decimals(item))
    if item.unit is None:
        return canonical
    others = [u for u in item.units if u != item.unit and _convertible(canonical, item, u)]
    if item.key != "age" and others and rng.random() < 0.35:
        unit = rng.choice(others)
        if unit == "ft":
            inches = convert(float(canonical), item.unit, "in")
            feet, rest = divmod(round(inches), 12)
            return [feet, "ft", rest, "in"]
        return [_significant(convert(float(canonical), item.unit, unit, item.analyte)), unit]
    return [canonical, item.unit]


def _convertible(value: float, item: Input, unit: str) -> bool:
    """Whether ``unit`` converts and gives a natural-looking number (no 72000 g body weights)."""
    try:
        converted = convert(float(value), item.unit or "", unit, item.analyte)
    except (ValueError, ZeroDivisionError):
        return False
    return 0.01 <= abs(converted) < 10_000


def draw_entities(calc: Calculator, rng: random.Random) -> dict[str, Any]:
    """One patient's entities for ``calc``: every required input, each optional one with probability ~0.8.

    Doses come in pairs (``X Dose`` and ``X Dose Per Day``): one to three drugs are taken, each with both.
    A ``Current Date`` falls 2–40 weeks after the other date, as a pregnancy's would.
    """
    doses = [i.key.removesuffix(" Per Day") for i in calc.inputs if i.key.endswith(" Dose Per Day")]
    taken = set(rng.sample(doses, k=rng.randint(1, min(3, len(doses))))) if doses else set()
    entities: dict[str, Any] = {}
    for item in calc.inputs:
        drug = item.key.removesuffix(" Per Day")
        if drug in doses:
            if drug in taken:
                entities[item.key] = _measurement(item, rng)
            continue
        if not item.required and item.kind != "bool" and rng.random() < 0.2:
            continue
        if item.kind == "number":
            entities[item.key] = _measurement(item, rng)
        elif item.kind == "bool":
            entities[item.key] = rng.random() < 0.35
        elif item.kind == "choice" and item.unit:  # a named drug and its dose: [name, dose, unit]
            entities[item.key] = [rng.choice(item.choices), *_measurement(item, rng)]
        elif item.kind == "choice":
            entities[item.key] = rng.choice(item.choices)
        elif item.kind == "date" and item.key != "Current Date":
            day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))
            entities[item.key] = day.strftime("%m/%d/%Y")
        elif item.kind == "duration":  # whole days or weeks
            value = _round(rng.uniform(item.low or 0, item.high or 1), 0)
            entities[item.key] = [value, item.unit] if item.unit else value
    if any(i.key == "Current Date" for i in calc.inputs):
        other = next(v for k, v in entities.items() if isinstance(v, str) and k != "Current Date")
        start = dt.datetime.strptime(other, "%m/%d/%Y").date()
        entities["Current Date"] = (start + dt.timedelta(days=rng.randint(14, 280))).strftime("%m/%d/%Y")
    return entities


def _show(value: Any, rng: random.Random | None = None) -> str:
    """A stated value as the note writes it: ``48 kg``, ``5 ft 7 in``, ``64 bpm``, ``1.4``; with ``rng`` a unit
    is spelled one of the ways notes spell it (the entity keeps the official spelling)."""
    if not isinstance(value, list):
        return str(value)
    if rng is not None and len(value) == 2 and isinstance(value[1], str):
        return f"{value[0]} {rng.choice(UNIT_SPELLINGS.get(value[1], (value[1],)))}"
    return " ".join(str(v) for v in value)


def _written_date(text: str, rng: random.Random) -> str:
    day = dt.datetime.strptime(text, "%m/%d/%Y").date()
    return day.strftime(rng.choice(("%m/%d/%Y", "%B %d, %Y", "%d %B %Y")))


def _earlier(item: Input, value: Any, rng: random.Random) -> Any:
    """The same measurement on an earlier date: another plausible value, in the unit the note uses now."""
    if not isinstance(value, list) or len(value) != 2 or item.unit is None:
        return None
    prior = _round(rng.uniform(item.low or 0, item.high or 0), _decimals(item))
    if value[1] != item.unit:
        prior = _significant(convert(float(prior), item.unit, value[1], item.analyte))
    return None if prior == value[0] else [prior, value[1]]


def _article(word: str) -> str:
    """ "an" before a vowel sound (an 86-year-old, an 11-year-old, an INR), else "a"."""
    spoken = word.lower()
    vowel = spoken[:1] in "aeiou8" or re.match(r"1[18](\D|$|\d\d\d)", spoken) is not None
    return "an" if vowel or re.match(r"[fhlmnrsx][A-Z]", word) else "a"


def _is_vital(item: Input) -> bool:
    text = item.label.lower()
    return any(word in text for word in _VITAL_WORDS)


def write_note(calc: Calculator, entities: dict[str, Any], rng: random.Random) -> str:
    """A case-report note stating ``entities`` (as ``draw_entities`` gives them) among distractors."""
    items = {item.key: item for item in calc.inputs}
    pregnancy = any(i.kind == "date" for i in calc.inputs)  # the obstetric calculators
    sex = entities.get("sex") if isinstance(entities.get("sex"), str) else rng.choice(("Male", "Female"))
    sex = "Female" if pregnancy else sex
    age = entities.get("age")
    age_text = (
        _show(age[0]) if isinstance(age, list) else str(rng.randint(*((18, 42) if pregnancy else (25, 85))))
    )
    opening = rng.choice(_OPENINGS).format(
        a=_article(age_text),
        A=_article(age_text).capitalize(),
        age=age_text,
        who=rng.choice(_WHO[str(sex)]),
        complaint=rng.choice(_COMPLAINTS),
    )
    history: list[str] = []
    vitals: list[str] = []
    labs: list[str] = []
    present: list[str] = []
    absent: list[str] = []
    other: list[str] = []
    stated = {k: v for k, v in entities.items() if k not in ("age", "sex")}
    sys_bp, dia_bp = stated.get("Systolic Blood Pressure"), stated.get("Diastolic Blood Pressure")
    if isinstance(sys_bp, list) and isinstance(dia_bp, list) and sys_bp[1:] == dia_bp[1:] == ["mm Hg"]:
        del stated["Systolic Blood Pressure"], stated["Diastolic Blood Pressure"]
        vitals.append(f"blood pressure {sys_bp[0]}/{dia_bp[0]} {rng.choice(UNIT_SPELLINGS['mm Hg'])}")
    for key, value in stated.items():
        item = items[key]
        if key.endswith(" Dose Per Day"):
            continue
        if key.endswith(" Dose") and f"{key} Per Day" in stated:
            times = stated[f"{key} Per Day"][0]
            other.append(
                f"The patient takes {_show(value)} of {key.removesuffix(' Dose')} "
                f"{'once' if times == 1 else f'{times} times'} a day"
            )
        elif item.kind == "choice" and isinstance(value, list):
            other.append(f"The patient currently takes {_show(value[1:])} of {value[0]}")
        elif item.kind == "bool":
            if value:
                present.append(_lowered(item.label))
            elif item.required or rng.random() < 0.6:
                absent.append(_lowered(item.label))
        elif item.kind == "date":
            other.append(f"{_capital(item.label)}: {_written_date(str(value), rng)}")
        elif item.kind in ("choice", "duration"):
            other.append(f"{_capital(item.label)}: {_show(value)}")
        else:
            phrase = rng.choice(_STATED).format(label=item.label, value=_show(value, rng))
            (vitals if _is_vital(item) else labs).append(phrase)
            prior = _earlier(item, value, rng) if item.key != "height" and rng.random() < 0.4 else None
            if prior is not None and len(history) < _MAX_PRIORS:
                when = rng.choice(("months", "weeks", "years"))
                history.append(
                    f"{_article(item.label).capitalize()} {item.label} of {_show(prior, rng)} was recorded "
                    f"{rng.randint(2, 11)} {when} earlier."
                )
    labs += _distractors(calc, rng)
    rng.shuffle(vitals)
    rng.shuffle(labs)
    parts = [opening, *history]
    if vitals:
        parts.append(f"On examination at presentation: {', '.join(vitals)}.")
    if labs:
        parts.append(f"Admission laboratory results: {'; '.join(labs)}.")
    if present:
        parts.append(rng.choice(_PRESENT).format(items=", ".join(present)))
    if absent:
        parts.append(rng.choice(_ABSENT).format(items=", ".join(absent)))
    parts += [f"{line}." for line in other]
    if str(sex) == "Male":
        parts = [_masculine(p) for p in parts]
    return " ".join(parts)


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def _lowered(label: str) -> str:
    """A label inside a sentence: its first letter lower case unless it starts an abbreviation (TIA, PE)."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


_HIS = {"She": "He", "Her": "His", "she": "he", "her": "his"}


def _masculine(text: str) -> str:
    return re.sub(r"\b(She|Her|she|her)\b", lambda m: _HIS[m[1]], text)


def _distractors(calc: Calculator, rng: random.Random) -> list[str]:
    """Two to four labs the calculator does not read, written like the ones it does."""
    read = " ".join(f"{i.key} {i.label}".lower() for i in calc.inputs)
    pool = [d for d in DISTRACTORS if d[0].split()[0] not in read]
    found = []
    for name, unit, low, high, decimals in rng.sample(pool, k=min(len(pool), rng.randint(2, 4))):
        found.append(f"{name} {_round(rng.uniform(low, high), decimals)} {unit}")
    return found
