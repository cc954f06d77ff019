"""Calling MedCalc-Bench's reference implementation (the ``medcalc-bench`` package) on our entity dicts.

The reference reads its own snake-case keys (our ``Input.code_key``), counts per volume (``[8000, 'µL']``) and
returns ``{'Explanation': ..., 'Answer': ...}``, sometimes printing. Every case our cross-check leaves out is
handled here by a predicate named after an entry of ``medgym_nb.medcalc.known_errors``, so each has a written
reason: a defect of the reference's unit conversion is worked around by giving it canonical units; a departure of its
scoring from the published definition leaves the case out.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import random
from collections.abc import Callable
from pathlib import Path

from medgym_nb.medcalc import Calculator
from medgym_nb.medcalc.entities import Entities
from medgym_nb.medcalc.sampling import sample_entities
from medgym_nb.medcalc.units import ANALYTES, convert, normalize_unit

# Calculator id -> (module, function) in the reference package.
REFERENCE = {
    2: ("creatinine_clearance", "generate_cockcroft_gault_explanation"),
    3: ("ckd_epi_2021_creatinine", "ckd_epi_2021_explanation"),
    4: ("cha2ds2_vasc_score", "generate_cha2ds2_vasc_explanation"),
    5: ("mean_arterial_pressure", "mean_arterial_pressure_explanation"),
    6: ("bmi_calculator", "bmi_calculator_explanation"),
    7: ("calcium_correction", "calculate_corrected_calcium_explanation"),
    8: ("wells_criteria_pe", "calculate_pe_wells_explanation"),
    9: ("mdrd_gfr", "mrdr_gfr_explanation"),
    10: ("ideal_body_weight", "ibw_explanation"),
    11: ("qt_calculator_bazett", "bazett_calculator_explanation"),
    13: ("estimated_due_date", "add_40_weeks_explanation"),
    15: ("child_pugh_score", "compute_child_pugh_score_explanation"),
    16: ("wells_criteria_dvt", "compute_wells_criteria_dvt_explanation"),
    17: ("cardiac_risk_index", "compute_cardiac_index_explanation"),
    18: ("heart_score", "compute_heart_score_explanation"),
    19: ("fibrosis_4", "compute_fib4_explanation"),
    20: ("centor_score", "compute_centor_score_explanation"),
    21: ("glasgow_coma_score", "compute_glasgow_coma_score_explanation"),
    22: ("maintenance_fluid_calc", "maintenance_fluid_explanation"),
    23: ("meldna", "compute_meldna_explanation"),
    24: ("steroid_conversion", "compute_steroid_conversion_explanation"),
    25: ("has_bled_score", "compute_has_bled_score_explanation"),
    26: ("sch", "compute_sodium_correction_hyperglycemia_explanation"),
    27: ("glasgow_bleeding_score", "glasgow_bleeding_score_explanation"),
    29: ("psi_score", "psi_score_explanation"),
    30: ("sOsm", "compute_serum_osmolality_explanation"),
    31: ("homa_ir", "compute_homa_ir_explanation"),
    32: ("cci", "compute_cci_explanation"),
    33: ("feverpain", "compute_fever_pain_explanation"),
    38: ("free_water_deficit", "free_water_deficit_explanation"),
    39: ("anion_gap", "compute_anion_gap_explanation"),
    40: ("compute_fena", "compute_fena_explanation"),
    44: ("ldl_calculated", "compute_ldl_explanation"),
    45: ("curb_65", "curb_65_explanation"),
    48: ("perc_rule", "compute_perc_rule_explanation"),
    49: ("mme", "mme_explanation"),
    56: ("qt_calculator_fredericia", "fredericia_calculator_explanation"),
    57: ("qt_calculator_framingham", "framingham_calculator_explanation"),
    58: ("qt_calculator_hodges", "hodges_calculator_explanation"),
    59: ("qt_calculator_rautaharju", "rautaharju_calculator_explanation"),
    60: ("bsa_calculator", "bsa_calculator_explaination"),
    62: ("adjusted_body_weight", "abw_explanation"),
    63: ("delta_gap", "compute_delta_gap_explanation"),
    65: ("albumin_corrected_anion", "compute_albumin_corrected_anion_explanation"),
    66: ("albumin_corrected_delta_gap", "compute_albumin_corrected_delta_gap_explanation"),
    67: ("albumin_delta_ratio", "compute_albumin_delta_ratio_explanation"),
    68: ("conception_date", "add_2_weeks_explanation"),
    69: ("gestational_age", "compute_gestational_age_explanation"),
}
# Calculators whose reference function is unusable (see known error broken-reference), by module: read statically.
BROKEN_MODULES = {
    28: "apache_ii",
    36: "caprini_score",
    43: "sofa",
    46: "framingham_risk_score",
    51: "sirs_criteria",
    61: "target_weight",
}
# Keys the reference looks up but never uses as an input: HEART's grouping of its risk factors (it reads each
# factor under its own key).
NOT_INPUTS = {18: {"risk_factors"}}
_INPUT_DICTS = {"input_parameters", "input_variables", "params", "variables", "input_data"}
# Calculators whose reference crashes without inputs we treat as optional: drawn with every input present.
ALL_INPUTS = {13, 25, 29}
COUNT_UNITS = {"10^9/L", "10^3/µL"}


def reference_answer(calculator: Calculator, entities: dict[str, object]) -> object:
    """The reference package's answer for our entities (keys mapped to its own, counts per µL)."""
    module, function = REFERENCE[calculator.id]
    formula = getattr(importlib.import_module(f"medcalc.{module}"), function)
    with contextlib.redirect_stdout(io.StringIO()):
        return formula(_reference_keys(calculator, entities))["Answer"]


def _reference_keys(calculator: Calculator, entities: dict[str, object]) -> dict[str, object]:
    """Our entities under the reference's own keys, counts per µL."""
    given: dict[str, object] = {}
    for item in calculator.inputs:
        if item.key not in entities:
            continue
        value = entities[item.key]
        if isinstance(value, list) and item.unit in COUNT_UNITS:
            value = [convert(float(value[0]), str(value[1]), "µL"), "µL"]
        given[item.code_key or item.key] = list(value) if isinstance(value, list) else value
    return given


class _Recording(dict):  # type: ignore[type-arg]
    """An entity dict that remembers every key the reference looks up, present or not."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.looked_up: set[object] = set()

    def __getitem__(self, key: object) -> object:
        self.looked_up.add(key)
        return super().__getitem__(key)

    def get(self, key: object, default: object = None) -> object:
        self.looked_up.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.looked_up.add(key)
        return super().__contains__(key)


def _static_keys(module: str) -> set[str]:
    """Keys a reference module's source names: subscripts, ``.get`` and ``in`` on its input dict, and the first
    element of ``(key, description)`` tuples it loops over."""
    import medcalc

    source = (Path(medcalc.__file__).parent / f"{module}.py").read_text()
    keys: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in _INPUT_DICTS
        ):
            target: ast.expr | None = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in _INPUT_DICTS
            and node.args
        ):
            target = node.args[0]
        elif isinstance(node, ast.Tuple) and node.elts:
            target = node.elts[0] if isinstance(node.elts[0], ast.Constant) and len(node.elts) == 2 else None
        else:
            target = None
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            keys.add(target.value)
    return keys


def keys_the_reference_reads(calculator: Calculator, draws: int = 40) -> set[str]:
    """Every entity key the reference implementation of ``calculator`` reads: looked up while it runs on seeded
    entities with every input present (usable references), plus the keys its source names."""
    if calculator.id in BROKEN_MODULES:
        return _static_keys(BROKEN_MODULES[calculator.id]) - NOT_INPUTS.get(calculator.id, set())
    module, function = REFERENCE[calculator.id]
    formula = getattr(importlib.import_module(f"medcalc.{module}"), function)
    rng = random.Random(calculator.id)
    looked_up: set[object] = set()
    for _ in range(draws):
        given = _Recording(_reference_keys(calculator, sample_entities(calculator, rng, optional_share=1.0)))
        with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
            formula(given)
        looked_up |= given.looked_up
    keys = {key for key in looked_up if isinstance(key, str)} | _static_keys(module)
    return keys - NOT_INPUTS.get(calculator.id, set())


def paired_doses(entities: dict[str, object]) -> dict[str, object]:
    """MME entities with each drug's dose and doses per day together (the reference needs both or neither)."""
    drugs = {key.removesuffix(" Dose Per Day") for key in entities if key.endswith(" Dose Per Day")}
    drugs &= {key.removesuffix(" Dose") for key in entities if key.endswith(" Dose")}
    return {k: v for k, v in entities.items() if k.removesuffix(" Per Day").removesuffix(" Dose") in drugs}


def _rounds_molar_amount(calculator: Calculator, entities: dict[str, object]) -> bool:
    """Whether the reference's own unit conversion of some lab value differs from the exact one by > 0.1 %."""
    from medcalc.utils.unit_converter_new import conversion_explanation

    for item in calculator.inputs:
        value = entities.get(item.key)
        if item.analyte is None or item.unit is None or not isinstance(value, list) or len(value) != 2:
            continue
        amount, unit = float(value[0]), str(value[1])
        if normalize_unit(unit) == normalize_unit(item.unit) or item.analyte == "insulin":
            continue
        analyte = ANALYTES[item.analyte]
        exact = convert(amount, unit, item.unit, item.analyte)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                _, theirs = conversion_explanation(
                    amount, item.analyte, analyte.molar_mass, analyte.valence, unit, item.unit
                )
        except (TypeError, KeyError, ZeroDivisionError):
            return True
        if abs(float(theirs) - exact) > 1e-3 * abs(exact):
            return True
    return False


def _unit_of(entities: dict[str, object], key: str) -> str:
    value = entities.get(key)
    return normalize_unit(str(value[1])) if isinstance(value, list) and len(value) == 2 else ""


def _child_pugh_boundary(ents: Entities) -> bool:
    return ents.number("Bilirubin") in (2.0, 3.0) or ents.number("Albumin") == 2.8


def _heart_atherosclerosis(ents: Entities) -> bool:
    others = (
        "Hypertension history",
        "hypercholesterolemia",
        "Diabetes mellitus criteria for CCI rule",
        "obesity",
    )
    others += ("smoking", "parent or sibling with Cardiovascular disease before age 65")
    return ents.flag("atherosclerotic disease") and sum(ents.flag(k) for k in others) < 3


def _meld_dialysis(ents: Entities) -> bool:
    dialysis = ents.flag("Dialysis at least twice in the past week") or ents.flag(
        "Continuous veno-venous hemodialysis for ≥24 hours in the past week"
    )
    return dialysis and ents.number("creatinine") < 1


def _ckd_epi_low_male_creatinine(ents: Entities) -> bool:
    return ents.choice("sex") == "Male" and ents.number("creatinine") <= 0.9


def _gbs_boundary(ents: Entities) -> bool:
    return ents.number("Hemoglobin") in (10.0, 12.0, 13.0) or ents.number("Blood Urea Nitrogen (BUN)") == 70.0


Predicate = Callable[[Calculator, dict[str, object]], bool]

# Defects of the reference's unit conversion only: such a case is compared with the reference given the same
# values in the canonical units (our conversions are tested on their own). (known error id, calculators, predicate)
UNIT_DEFECTS: tuple[tuple[str, frozenset[int], Predicate], ...] = (
    ("mol-amount-rounding", frozenset(REFERENCE), _rounds_molar_amount),
    ("bilirubin-molar-mass", frozenset({15, 23}), lambda c, e: _unit_of(e, "Bilirubin") == "µmol/L"),
    ("homa-insulin-units", frozenset({31}), lambda c, e: _unit_of(e, "Insulin") != "µIU/mL"),
    ("psi-sodium-valence", frozenset({29}), lambda c, e: _unit_of(e, "Sodium") == "mEq/L"),
)
# Departures of the reference's scoring from the published definition: such a case is left out.
EXCLUSIONS: tuple[tuple[str, frozenset[int], Predicate], ...] = (
    ("ckd-epi-male-kappa", frozenset({3}), lambda c, e: _ckd_epi_low_male_creatinine(Entities(c, e))),
    ("child-pugh-bilirubin-boundaries", frozenset({15}), lambda c, e: _child_pugh_boundary(Entities(c, e))),
    ("heart-atherosclerosis", frozenset({18}), lambda c, e: _heart_atherosclerosis(Entities(c, e))),
    ("meld-dialysis-low-creatinine", frozenset({23}), lambda c, e: _meld_dialysis(Entities(c, e))),
    ("mme-fentanyl-patch", frozenset({49}), lambda c, e: "FentANYL patch Dose" in e),
    ("due-date-short-cycle", frozenset({13}), lambda c, e: Entities(c, e).days("cycle length") < 28),
    ("gbs-boundaries", frozenset({27}), lambda c, e: _gbs_boundary(Entities(c, e))),
)


def _first(
    rules: tuple[tuple[str, frozenset[int], Predicate], ...], calc: Calculator, ents: dict[str, object]
) -> str | None:
    for error_id, applies_to, predicate in rules:
        if calc.id in applies_to and predicate(calc, ents):
            return error_id
    return None


def exclusion(calculator: Calculator, entities: dict[str, object]) -> str | None:
    """The known scoring error that makes the reference's answer for these entities unusable, if any."""
    return _first(EXCLUSIONS, calculator, entities)


def unit_defect(calculator: Calculator, entities: dict[str, object]) -> str | None:
    """The known unit-conversion error of the reference that these entities would trigger, if any."""
    return _first(UNIT_DEFECTS, calculator, entities)


def in_canonical_units(calculator: Calculator, entities: dict[str, object]) -> dict[str, object]:
    """The same entities with lab values in their canonical unit; monovalent ions in mmol/L (= mEq/L)."""
    ents = Entities(calculator, entities)
    result = dict(entities)
    for item in calculator.inputs:
        value = entities.get(item.key)
        if item.analyte and item.unit and isinstance(value, list) and len(value) == 2:
            if {normalize_unit(str(value[1])), item.unit} <= {"mEq/L", "mmol/L"}:
                result[item.key] = [ents.number(item.key), "mmol/L"]
            else:
                result[item.key] = [ents.number(item.key), item.unit]
    return result


__all__ = [
    "ALL_INPUTS",
    "BROKEN_MODULES",
    "EXCLUSIONS",
    "REFERENCE",
    "UNIT_DEFECTS",
    "exclusion",
    "in_canonical_units",
    "keys_the_reference_reads",
    "paired_doses",
    "reference_answer",
    "unit_defect",
]
