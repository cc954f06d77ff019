"""Drug conversions: corticosteroid equivalents and daily morphine milligram equivalents (MME)."""

from __future__ import annotations

from ..common import lab
from ..entities import Entities, normalize_key
from ..errors import MedcalcInputError
from ..registry import register
from ..spec import Calculator, Input
from ..units import convert

__all__: list[str] = []

# Equivalent doses in mg (Liu D et al. Allergy Asthma Clin Immunol 2013;9:30; MDCalc "Steroid Conversion").
STEROID_EQUIVALENT_MG = {
    "Betamethasone IV": 0.75,
    "Cortisone PO": 25.0,
    "Dexamethasone IV": 0.75,
    "Dexamethasone PO": 0.75,
    "Hydrocortisone IV": 20.0,
    "Hydrocortisone PO": 20.0,
    "MethylPrednisoLONE IV": 4.0,
    "MethylPrednisoLONE PO": 4.0,
    "PrednisoLONE PO": 5.0,
    "PredniSONE PO": 5.0,
    "Triamcinolone IV": 4.0,
}
INPUT_STEROID = Input(
    key="input steroid",
    label="current steroid, dose and unit, as [name, dose, unit]",
    kind="choice",
    unit="mg",
    units=("mg", "g", "µg"),
    low=1,
    high=100,
    choices=tuple(STEROID_EQUIVALENT_MG),
)
TARGET_STEROID = Input(
    key="target steroid", label="steroid to convert to", kind="choice", choices=tuple(STEROID_EQUIVALENT_MG)
)


def _steroid(ents: Entities, key: str, name: object) -> str:
    for option in STEROID_EQUIVALENT_MG:
        if isinstance(name, str) and normalize_key(option) == normalize_key(name):
            return option
    raise MedcalcInputError(
        f"{ents.calculator.name}: entity {key!r} names an unknown steroid {name!r}; "
        f"one of {list(STEROID_EQUIVALENT_MG)}"
    )


@register(
    Calculator(
        id=24,
        name="Steroid Conversion Calculator",
        inputs=(INPUT_STEROID, TARGET_STEROID),
        answer="number",
        tolerance="relative_5pct",
        question="Based on the patient's dose of the input steroid, what is the equivalent dose of the target "
        "steroid in mg?",
    )
)
def steroid_conversion(ents: Entities) -> float:
    """Equipotent dose: dose × (target equivalent mg / source equivalent mg)."""
    given = ents.raw(INPUT_STEROID.key)
    if not (isinstance(given, list | tuple) and len(given) == 3 and isinstance(given[1], int | float)):
        raise MedcalcInputError(
            f"{ents.calculator.name}: entity 'input steroid' must be [name, dose, unit], got {given!r}"
        )
    source = _steroid(ents, INPUT_STEROID.key, given[0])
    target = _steroid(ents, TARGET_STEROID.key, ents.raw(TARGET_STEROID.key))
    try:
        dose_mg = convert(float(given[1]), str(given[2]), "mg")
    except ValueError:
        raise MedcalcInputError(
            f"{ents.calculator.name}: entity 'input steroid' has an unknown unit {given[2]!r}; one of mg, g, µg"
        ) from None
    return dose_mg * STEROID_EQUIVALENT_MG[target] / STEROID_EQUIVALENT_MG[source]


# MME conversion factors per mg (fentanyl per µg), CDC Clinical Practice Guideline 2022 (Dowell D et al.
# MMWR Recomm Rep 2022;71(3)), as MDCalc's "Morphine Milligram Equivalents" calculator uses them.
MME_FACTOR = {
    "Codeine": 0.15,
    "FentaNYL buccal": 0.13,
    "FentANYL patch": 2.4,
    "HYDROcodone": 1.0,
    "HYDROmorphone": 5.0,
    "Methadone": 4.7,
    "Morphine": 1.0,
    "OxyCODONE": 1.5,
    "OxyMORphone": 3.0,
    "Tapentadol": 0.4,
    "TraMADol": 0.2,
    "Buprenorphine": 10.0,
}
MICROGRAM_DRUGS = {"FentaNYL buccal", "FentANYL patch"}


def _dose_inputs(drug: str) -> tuple[Input, Input]:
    unit = "µg" if drug in MICROGRAM_DRUGS else "mg"
    dose = lab(
        f"{drug} Dose",
        f"{drug} dose",
        f"{drug} Dose",
        unit,
        (unit,),
        1,
        100,
        required=False,
        default=0.0,
    )
    per_day = lab(
        f"{drug} Dose Per Day",
        f"{drug} doses per day",
        f"{drug} Dose Per Day",
        "per day",
        ("per day",),
        1,
        4,
        required=False,
        default=0.0,
        step=1,
    )
    return dose, per_day


MME_INPUTS = tuple(item for drug in MME_FACTOR for item in _dose_inputs(drug))


@register(
    Calculator(
        id=49,
        name="Morphine Milligram Equivalents (MME) Calculator",
        inputs=MME_INPUTS,
        answer="number",
        tolerance="relative_5pct",
        question="Based on the number of doses per day and the quantity of different doses, what is the patient's "
        "daily Morphine Miligram Equivalents (MME)?",
    )
)
def morphine_milligram_equivalents(ents: Entities) -> float:
    """Σ dose × doses per day × conversion factor over the opioids given (CDC 2022 factors)."""
    return sum(
        ents.number(f"{drug} Dose") * ents.number(f"{drug} Dose Per Day") * factor
        for drug, factor in MME_FACTOR.items()
    )
