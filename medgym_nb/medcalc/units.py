"""Unit conversion for the units MedCalc-Bench notes and entity files use.

Lab concentrations convert between mass, molar and equivalent forms per analyte (molar mass and valence below),
over any volume (L, dL, mL, µL, mm³); counts are "per volume" with an optional multiplier (``µL`` alone means
"per µL", as in the official files); plus weight, length (including ``[5, 'ft', 7, 'in']``), temperature,
age/duration, pressure and drug mass. ``pint`` would cover the physical units but not the molar-mass and valence
conversions per analyte or the files' spellings ("degrees fahreinheit"), which are most of the work here; the
tables are short enough to read.

Every function raises ``ValueError`` with a short reason for a unit it cannot convert; :mod:`.entities` turns
that into a :class:`~medgym_nb.medcalc.errors.MedcalcInputError` naming the calculator and the key.
"""

from __future__ import annotations

import re

__all__ = ["ANALYTES", "Analyte", "convert", "normalize_unit"]


class Analyte:
    """Molar mass (g/mol) and valence (Eq/mol) of a measured substance, for mass ↔ molar ↔ mEq conversion."""

    def __init__(self, molar_mass: float, valence: int | None = None) -> None:
        self.molar_mass = molar_mass
        self.valence = valence


# Molar masses from standard atomic weights / common clinical conversion factors.
ANALYTES: dict[str, Analyte] = {
    "sodium": Analyte(22.99, 1),
    "potassium": Analyte(39.098, 1),
    "chloride": Analyte(35.45, 1),
    "bicarbonate": Analyte(61.02, 1),
    "calcium": Analyte(40.08, 2),
    "magnesium": Analyte(24.305, 2),
    "creatinine": Analyte(113.12),
    # BUN is reported as urea nitrogen: 2 N per urea, 28.02 g/mol (1 mmol/L urea = 2.8 mg/dL BUN).
    "bun": Analyte(28.02),
    "glucose": Analyte(180.16),
    "albumin": Analyte(66500.0),
    "bilirubin": Analyte(584.66),
    "cholesterol": Analyte(386.65),
    # Triglycerides as triolein, the laboratory convention (1 mmol/L = 88.57 mg/dL).
    "triglycerides": Analyte(885.7),
    # Hemoglobin in mmol/L is reported per monomer (1 g/dL = 0.6206 mmol/L).
    "hemoglobin": Analyte(16114.5),
    # Insulin: 1 µIU/mL = 6 pmol/L (the factor MDCalc uses), molar mass 5808 g/mol.
    "insulin": Analyte(5808.0),
}

_MASS_G = {"kg": 1e3, "g": 1.0, "mg": 1e-3, "µg": 1e-6, "ng": 1e-9, "pg": 1e-12}
_MOL = {"mol": 1.0, "mmol": 1e-3, "µmol": 1e-6, "nmol": 1e-9, "pmol": 1e-12}
_EQ = {"eq": 1.0, "meq": 1e-3}
_VOLUME_L = {
    "l": 1.0,
    "dl": 0.1,
    "100ml": 0.1,
    "ml": 1e-3,
    "cc": 1e-3,
    "cm^3": 1e-3,
    "µl": 1e-6,
    "mm^3": 1e-6,
    "m^3": 1e3,
}
_COUNT_MULTIPLIER = {"": 1.0, "count": 1.0, "cells": 1.0, "10^3": 1e3, "k": 1e3, "10^6": 1e6, "10^9": 1e9}
_WEIGHT_KG = {"kg": 1.0, "g": 1e-3, "lbs": 0.453592, "oz": 0.0283495}
_LENGTH_CM = {"cm": 1.0, "m": 100.0, "mm": 0.1, "in": 2.54, "ft": 30.48}
_AGE_YEARS = {"years": 1.0, "months": 1 / 12, "weeks": 7 / 365.25, "days": 1 / 365.25}
_PRESSURE_MMHG = {"mm Hg": 1.0, "kPa": 7.50062}
_INSULIN_UIU_PER_ML = {"µIU/mL": 1.0, "mIU/L": 1.0, "pmol/L": 1 / 6}

_SUPERSCRIPTS = str.maketrans({"²": "^2", "³": "^3", "⁶": "^6", "⁹": "^9"})
_SPELLINGS = {
    "lb": "lbs",
    "pounds": "lbs",
    "pound": "lbs",
    "kgs": "kg",
    "kilograms": "kg",
    "grams": "g",
    "inches": "in",
    "inch": "in",
    "feet": "ft",
    "foot": "ft",
    "meters": "m",
    "centimeters": "cm",
    "year": "years",
    "yrs": "years",
    "month": "months",
    "week": "weeks",
    "day": "days",
    "mmhg": "mm Hg",
    "mm hg": "mm Hg",
    "kpa": "kPa",
    "ms": "msec",
    "milliseconds": "msec",
    "bpm": "beats per minute",
    "beats/min": "beats per minute",
    "breaths/min": "breaths per minute",
    "beats per min": "beats per minute",
    "breaths per min": "breaths per minute",
    "iu/l": "U/L",
    "units/l": "U/L",
    "kg/m2": "kg/m^2",
    "ml/24h": "mL/day",
    "ml/24 hours": "mL/day",
}


def normalize_unit(unit: str) -> str:
    """One spelling per unit: micro signs unified, the files' typos for temperature absorbed, common synonyms."""
    text = unit.strip().replace("μ", "µ").replace("mcg", "µg").translate(_SUPERSCRIPTS)
    text = re.sub(r"\s*/\s*", "/", text)
    lowered = text.lower()
    if "fahr" in lowered or lowered in {"°f", "f", "degf", "deg f"}:
        return "°F"
    if "cels" in lowered or lowered in {"°c", "c", "degc", "deg c"}:
        return "°C"
    return _SPELLINGS.get(lowered, text)


def _split(unit: str) -> tuple[str, str] | None:
    if "/" not in unit:
        return None
    top, _, bottom = unit.partition("/")
    return top.strip().lower(), bottom.strip().lower().replace(" ", "")


def _to_grams(amount: float, top: str, analyte: Analyte | None, unit: str) -> float:
    if top in _MASS_G:
        return amount * _MASS_G[top]
    if analyte is None:
        raise ValueError(f"{unit!r} needs an analyte to convert from moles or equivalents")
    if top in _MOL:
        return amount * _MOL[top] * analyte.molar_mass
    if top in _EQ and analyte.valence:
        return amount * _EQ[top] / analyte.valence * analyte.molar_mass
    raise ValueError(f"unknown amount {top!r} in {unit!r}")


def _from_grams(grams: float, top: str, analyte: Analyte | None, unit: str) -> float:
    if top in _MASS_G:
        return grams / _MASS_G[top]
    if analyte is None:
        raise ValueError(f"{unit!r} needs an analyte to convert to moles or equivalents")
    if top in _MOL:
        return grams / analyte.molar_mass / _MOL[top]
    if top in _EQ and analyte.valence:
        return grams / analyte.molar_mass * analyte.valence / _EQ[top]
    raise ValueError(f"unknown amount {top!r} in {unit!r}")


def _concentration(value: float, src: str, dst: str, analyte: Analyte | None) -> float:
    a, b = _split(src), _split(dst)
    if a is None or b is None or a[1] not in _VOLUME_L or b[1] not in _VOLUME_L:
        raise ValueError(f"cannot convert {src!r} to {dst!r}")
    if a[0] in _MOL and b[0] in _MOL:  # molar to molar needs no molar mass
        per_litre = value * _MOL[a[0]] / _VOLUME_L[a[1]]
        return per_litre / _MOL[b[0]] * _VOLUME_L[b[1]]
    grams_per_litre = _to_grams(value, a[0], analyte, src) / _VOLUME_L[a[1]]
    return _from_grams(grams_per_litre * _VOLUME_L[b[1]], b[0], analyte, dst)


def _count_parts(unit: str) -> tuple[float, float] | None:
    """``(multiplier, litres)`` of a count unit: ``µL`` (per µL), ``10^3/µL``, ``K/mm^3``, ``x10^9/L``."""
    text = unit.lower().replace(" ", "").replace("×", "x")
    top, slash, bottom = text.rpartition("/")
    if not slash:
        top, bottom = "", text
    top = top.removeprefix("x").removeprefix("count").removeprefix("cells") or ""
    if top not in _COUNT_MULTIPLIER or bottom not in _VOLUME_L:
        return None
    return _COUNT_MULTIPLIER[top], _VOLUME_L[bottom]


def _table(value: float, src: str, dst: str, table: dict[str, float]) -> float | None:
    if src in table and dst in table:
        return value * table[src] / table[dst]
    return None


def convert(value: float, unit: str, to: str, analyte: str | None = None) -> float:
    """``value`` in ``unit`` expressed in ``to``; ``analyte`` (a key of :data:`ANALYTES`) for lab concentrations."""
    src, dst = normalize_unit(unit), normalize_unit(to)
    if src == dst:
        return value
    if {src, dst} == {"°C", "°F"}:
        return (value - 32) * 5 / 9 if src == "°F" else value * 9 / 5 + 32
    if analyte == "insulin" and dst in _INSULIN_UIU_PER_ML:
        if src not in _INSULIN_UIU_PER_ML:  # a mass or molar concentration: via pmol/L
            value, src = _concentration(value, src, "pmol/L", ANALYTES["insulin"]), "pmol/L"
        return value * _INSULIN_UIU_PER_ML[src] / _INSULIN_UIU_PER_ML[dst]
    for table in (_WEIGHT_KG, _LENGTH_CM, _AGE_YEARS, _PRESSURE_MMHG, _MASS_G):
        result = _table(value, src, dst, table)
        if result is not None:
            return result
    count_src, count_dst = _count_parts(src), _count_parts(dst)
    if count_src is not None and count_dst is not None:
        return value * count_src[0] / count_src[1] * count_dst[1] / count_dst[0]
    return _concentration(value, src, dst, ANALYTES.get(analyte) if analyte else None)
