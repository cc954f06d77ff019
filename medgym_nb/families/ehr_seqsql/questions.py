"""Sequence templates of the EHR-SeqSQL suite: chains of questions over the synthetic MIMIC-III database in which
each question after the first refers to the previous answer ("of those patients, how many ...").

A template draws an anchor row from the database (so every question of the chain has an answer there) and
returns its steps. Each step has the question, a self-contained SQL query that defines its ground truth (later
queries nest the earlier ones), and the reference cell an agent would write: pandas code that builds on the
data frames and lists the earlier cells left in the kernel and prints the answer as a list of values.
"""

from __future__ import annotations

import math
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from medgym_nb.family.questions import pick_row, sql_text
from medgym_nb.tasks.model import AnswerSpec

__all__ = ["SEQUENCES", "SequenceTemplate", "Step"]

_EXACT = AnswerSpec()
_AVERAGE = AnswerSpec(rel_tol=1e-4)


@dataclass(frozen=True)
class Step:
    """One question of a sequence: its text, the SQL that defines its answer, and its reference cell."""

    question: str
    sql: str
    code: str
    spec: AnswerSpec = _EXACT


SequenceTemplate = Callable[[random.Random, sqlite3.Connection], list[Step]]


def _below(rng: random.Random, value: float) -> float:
    """A threshold strictly below ``value`` (a positive measurement), so its patient passes ``> threshold``."""
    return math.floor(value * rng.choice([0.5, 0.7, 0.8, 0.9, 0.95]) * 10) / 10


def _read(name: str, sql: str) -> str:
    return f"{name} = pd.read_sql_query({sql!r}, con)"


def _admission_cohort(rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """admitted from X in year N → how many are female → their average age → who had lab Y above Z."""
    loc, year, label, value = pick_row(
        rng,
        con,
        "select distinct a.admission_location, strftime('%Y', a.admittime), d.label, l.valuenum "
        "from admissions a join patients p on p.subject_id = a.subject_id join labevents l on l.hadm_id = "
        "a.hadm_id join d_labitems d on d.itemid = l.itemid where p.gender = 'f' order by 1, 2, 3, 4",
    )
    z = _below(rng, float(str(value)))
    cohort = (
        "select admissions.subject_id from admissions where admissions.admission_location = "
        f"'{sql_text(str(loc))}' and strftime('%Y', admissions.admittime) = '{year}'"
    )
    women = f"select patients.subject_id from patients where patients.gender = 'f' and patients.subject_id in ( {cohort} )"
    their_admissions = (
        f"select admissions.hadm_id from admissions where admissions.admission_location = '{sql_text(str(loc))}' "
        f"and strftime('%Y', admissions.admittime) = '{year}' and admissions.subject_id in ( {women} )"
    )
    return [
        Step(
            f"which patients were admitted to the hospital from {loc} in {year}? list their ids.",
            f"select distinct subject_id from ( {cohort} )",
            f"{_read('adm', 'select * from admissions')}\n"
            f"cohort_adm = adm[(adm['admission_location'] == {loc!r}) & (adm['admittime'].str[:4] == '{year}')]\n"
            "cohort = sorted(int(s) for s in cohort_adm['subject_id'].unique())\nprint(cohort)",
        ),
        Step(
            "how many of those patients are female?",
            f"select count(*) from ( {women} )",
            f"{_read('pts', 'select * from patients')}\n"
            "women = pts[pts['subject_id'].isin(cohort) & (pts['gender'] == 'f')]\nprint([len(women)])",
        ),
        Step(
            "what was the average age of those women on those admissions?",
            f"select avg(admissions.age) from admissions where admissions.hadm_id in ( {their_admissions} )",
            "women_adm = cohort_adm[cohort_adm['subject_id'].isin(women['subject_id'])]\n"
            "print([float(women_adm['age'].mean())])",
            _AVERAGE,
        ),
        Step(
            f"which of those women had a {label} value above {z} during those admissions? list their ids.",
            "select distinct labevents.subject_id from labevents where labevents.hadm_id in "
            f"( {their_admissions} ) and labevents.itemid in ( select d_labitems.itemid from d_labitems where "
            f"d_labitems.label = '{sql_text(str(label))}' ) and labevents.valuenum > {z}",
            _read(
                "lab",
                "select labevents.* from labevents join d_labitems on d_labitems.itemid = labevents.itemid "
                f"where d_labitems.label = '{sql_text(str(label))}'",
            )
            + f"\nhigh = lab[lab['hadm_id'].isin(women_adm['hadm_id']) & (lab['valuenum'] > {z})]\n"
            "print(sorted(int(s) for s in high['subject_id'].unique()))",
        ),
    ]


def _drug_icu(rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """a drug in year N → its patients → how many had an ICU stay → the most common careunit → stays there."""
    drug, year = pick_row(
        rng,
        con,
        "select distinct r.drug, strftime('%Y', r.startdate) from prescriptions r join icustays i on "
        "i.subject_id = r.subject_id order by 1, 2",
    )
    takers = (
        f"select prescriptions.subject_id from prescriptions where prescriptions.drug = '{sql_text(str(drug))}' "
        f"and strftime('%Y', prescriptions.startdate) = '{year}'"
    )
    units = (
        "select t.first_careunit from ( select icustays.first_careunit, dense_rank() over ( order by count(*) "
        f"desc ) as c from icustays where icustays.subject_id in ( {takers} ) group by icustays.first_careunit ) "
        "as t where t.c = 1"
    )
    return [
        Step(
            f"which patients were prescribed {drug} in {year}? list their ids.",
            f"select distinct subject_id from ( {takers} )",
            f"{_read('rx', 'select * from prescriptions')}\n"
            f"given = rx[(rx['drug'] == {drug!r}) & (rx['startdate'].str[:4] == '{year}')]\n"
            "takers = sorted(int(s) for s in given['subject_id'].unique())\nprint(takers)",
        ),
        Step(
            "how many of them have ever stayed in an icu?",
            f"select count(distinct icustays.subject_id) from icustays where icustays.subject_id in ( {takers} )",
            f"{_read('icu', 'select * from icustays')}\n"
            "their_stays = icu[icu['subject_id'].isin(takers)]\nprint([int(their_stays['subject_id'].nunique())])",
        ),
        Step(
            "which first care unit was the most common among their icu stays?",
            units,
            "unit_counts = their_stays['first_careunit'].value_counts()\n"
            "top_units = sorted(unit_counts[unit_counts == unit_counts.max()].index)\nprint(top_units)",
        ),
        Step(
            "how many of their icu stays began in that care unit?",
            "select count(*) from icustays where icustays.subject_id in "
            f"( {takers} ) and icustays.first_careunit in ( {units} )",
            "print([int(their_stays['first_careunit'].isin(top_units).sum())])",
        ),
    ]


def _diagnosis_years(rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """a diagnosis in year N → its patients → their total cost → the cost in year M → which was higher."""
    rows = con.execute(
        "select distinct d.short_title, strftime('%Y', x.charttime) from diagnoses_icd x join d_icd_diagnoses d "
        "on d.icd9_code = x.icd9_code order by 1, 2"
    ).fetchall()
    years: dict[str, list[str]] = {}
    for title, year in rows:
        years.setdefault(title, []).append(year)
    title = rng.choice(sorted(t for t, ys in years.items() if len(ys) > 1))
    first, second = rng.sample(years[title], 2)
    code = f"select d_icd_diagnoses.icd9_code from d_icd_diagnoses where d_icd_diagnoses.short_title = '{sql_text(title)}'"

    def cases(year: str) -> str:
        return (
            f"select diagnoses_icd.row_id from diagnoses_icd where diagnoses_icd.icd9_code = ( {code} ) "
            f"and strftime('%Y', diagnoses_icd.charttime) = '{year}'"
        )

    def total(year: str) -> str:
        return (
            "select sum(cost.cost) from cost where cost.event_type = 'diagnoses_icd' and cost.event_id in "
            f"( {cases(year)} )"
        )

    read_cost = _read("dx_cost", "select * from cost where event_type = 'diagnoses_icd'")
    return [
        Step(
            f"how many patients were diagnosed with {title} in {first}?",
            "select count(distinct diagnoses_icd.subject_id) from diagnoses_icd where diagnoses_icd.row_id in "
            f"( {cases(first)} )",
            _read(
                "dx",
                "select diagnoses_icd.* from diagnoses_icd join d_icd_diagnoses on d_icd_diagnoses.icd9_code = "
                f"diagnoses_icd.icd9_code where d_icd_diagnoses.short_title = '{sql_text(title)}'",
            )
            + f"\nfirst_cases = dx[dx['charttime'].str[:4] == '{first}']\n"
            "print([int(first_cases['subject_id'].nunique())])",
        ),
        Step(
            "what was the total cost of those diagnoses?",
            total(first),
            f"{read_cost}\nfirst_cost = float(dx_cost[dx_cost['event_id'].isin(first_cases['row_id'])]['cost'].sum())\n"
            "print([first_cost])",
            _AVERAGE,
        ),
        Step(
            f"and what was the total cost of diagnosing it in {second}?",
            total(second),
            f"second_cases = dx[dx['charttime'].str[:4] == '{second}']\n"
            "second_cost = float(dx_cost[dx_cost['event_id'].isin(second_cases['row_id'])]['cost'].sum())\n"
            "print([second_cost])",
            _AVERAGE,
        ),
        Step(
            f"was the total in {first} higher than in {second}?",
            f"select ( {total(first)} ) > ( {total(second)} )",
            "print([first_cost > second_cost])",
        ),
    ]


def _lab_gender(rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """lab Y above Z → how many of them are men (women) → their highest value → their admissions."""
    label, gender, value = pick_row(
        rng,
        con,
        "select distinct d.label, p.gender, l.valuenum from labevents l join d_labitems d on d.itemid = l.itemid "
        "join patients p on p.subject_id = l.subject_id order by 1, 2, 3",
    )
    z = _below(rng, float(str(value)))
    word = {"m": "male", "f": "female"}[str(gender)]
    item = f"select d_labitems.itemid from d_labitems where d_labitems.label = '{sql_text(str(label))}'"
    high = f"select labevents.subject_id from labevents where labevents.itemid in ( {item} ) and labevents.valuenum > {z}"
    group = f"select patients.subject_id from patients where patients.gender = '{gender}' and patients.subject_id in ( {high} )"
    return [
        Step(
            f"which patients had a {label} value above {z}? list their ids.",
            f"select distinct subject_id from ( {high} )",
            _read(
                "lab",
                "select labevents.* from labevents join d_labitems on d_labitems.itemid = labevents.itemid "
                f"where d_labitems.label = '{sql_text(str(label))}'",
            )
            + f"\nhigh = lab[lab['valuenum'] > {z}]\nhigh_ids = sorted(int(s) for s in high['subject_id'].unique())\n"
            "print(high_ids)",
        ),
        Step(
            f"how many of them are {word}?",
            f"select count(*) from ( {group} )",
            f"{_read('pts', 'select * from patients')}\n"
            f"group = pts[pts['subject_id'].isin(high_ids) & (pts['gender'] == '{gender}')]\nprint([len(group)])",
        ),
        Step(
            f"what was the highest {label} value among those {word} patients?",
            f"select max(labevents.valuenum) from labevents where labevents.itemid in ( {item} ) and "
            f"labevents.subject_id in ( {group} )",
            "print([float(lab[lab['subject_id'].isin(group['subject_id'])]['valuenum'].max())])",
        ),
        Step(
            "how many hospital admissions do those patients have in total?",
            f"select count(*) from admissions where admissions.subject_id in ( {group} )",
            f"{_read('adm', 'select * from admissions')}\nprint([int(adm['subject_id'].isin(group['subject_id']).sum())])",
        ),
    ]


def _careunit_inputs(rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """a careunit in year N → its patients → how many of them got input X there → the total amount given."""
    unit, year, label = pick_row(
        rng,
        con,
        "select distinct i.first_careunit, strftime('%Y', i.intime), d.label from inputevents_cv e join "
        "icustays i on i.icustay_id = e.icustay_id join d_items d on d.itemid = e.itemid order by 1, 2, 3",
    )
    stays = (
        f"select icustays.icustay_id from icustays where icustays.first_careunit = '{unit}' and "
        f"strftime('%Y', icustays.intime) = '{year}'"
    )
    given = (
        f"inputevents_cv.icustay_id in ( {stays} ) and inputevents_cv.itemid in ( select d_items.itemid from "
        f"d_items where d_items.label = '{sql_text(str(label))}' and d_items.linksto = 'inputevents_cv' )"
    )
    return [
        Step(
            f"which patients began an icu stay in the {unit} in {year}? list their ids.",
            f"select distinct icustays.subject_id from icustays where icustays.icustay_id in ( {stays} )",
            f"{_read('icu', 'select * from icustays')}\n"
            f"unit_stays = icu[(icu['first_careunit'] == '{unit}') & (icu['intime'].str[:4] == '{year}')]\n"
            "print(sorted(int(s) for s in unit_stays['subject_id'].unique()))",
        ),
        Step(
            f"how many of them received {label} during those stays?",
            f"select count(distinct inputevents_cv.subject_id) from inputevents_cv where {given}",
            _read(
                "inputs",
                "select inputevents_cv.* from inputevents_cv join d_items on d_items.itemid = "
                f"inputevents_cv.itemid where d_items.label = '{sql_text(str(label))}' and d_items.linksto = "
                "'inputevents_cv'",
            )
            + "\nreceived = inputs[inputs['icustay_id'].isin(unit_stays['icustay_id'])]\n"
            "print([int(received['subject_id'].nunique())])",
        ),
        Step(
            f"what was the total amount of {label} they were given in those stays?",
            f"select sum(inputevents_cv.amount) from inputevents_cv where {given}",
            "print([float(received['amount'].sum())])",
            _AVERAGE,
        ),
    ]


def _culture_organisms(rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """a specimen in year N → its patients → the organisms found → how many of the patients have died."""
    specimen, year = pick_row(
        rng,
        con,
        "select distinct spec_type_desc, strftime('%Y', charttime) from microbiologyevents where org_name is not "
        "null order by 1, 2",
    )
    tests = (
        f"microbiologyevents.spec_type_desc = '{sql_text(str(specimen))}' and "
        f"strftime('%Y', microbiologyevents.charttime) = '{year}'"
    )
    tested = f"select microbiologyevents.subject_id from microbiologyevents where {tests}"
    return [
        Step(
            f"which patients had a {specimen} test in {year}? list their ids.",
            f"select distinct subject_id from ( {tested} )",
            f"{_read('micro', 'select * from microbiologyevents')}\n"
            f"cultures = micro[(micro['spec_type_desc'] == {specimen!r}) & (micro['charttime'].str[:4] == '{year}')]\n"
            "tested = sorted(int(s) for s in cultures['subject_id'].unique())\nprint(tested)",
        ),
        Step(
            "which organisms were found in those tests?",
            "select distinct microbiologyevents.org_name from microbiologyevents where "
            f"{tests} and microbiologyevents.org_name is not null",
            "print(sorted(cultures['org_name'].dropna().unique()))",
        ),
        Step(
            "how many of those patients have died?",
            f"select count(*) from patients where patients.dod is not null and patients.subject_id in ( {tested} )",
            f"{_read('pts', 'select * from patients')}\n"
            "print([int((pts['subject_id'].isin(tested) & pts['dod'].notna()).sum())])",
        ),
    ]


def _insurance_discharge(rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """admissions under insurance X in year N → discharged to Y → their average age → who got drug D → how
    many prescriptions of it."""
    insurance, year, place, drug = pick_row(
        rng,
        con,
        "select distinct a.insurance, strftime('%Y', a.admittime), a.discharge_location, r.drug from admissions "
        "a join prescriptions r on r.hadm_id = a.hadm_id where a.discharge_location is not null order by 1, 2, 3, 4",
    )
    covered = f"admissions.insurance = '{insurance}' and strftime('%Y', admissions.admittime) = '{year}'"
    left = f"select admissions.hadm_id from admissions where {covered} and admissions.discharge_location = '{sql_text(str(place))}'"
    doses = f"prescriptions.hadm_id in ( {left} ) and prescriptions.drug = '{sql_text(str(drug))}'"
    return [
        Step(
            f"how many hospital admissions in {year} were covered by {insurance}?",
            f"select count(*) from admissions where {covered}",
            f"{_read('adm', 'select * from admissions')}\n"
            f"covered = adm[(adm['insurance'] == '{insurance}') & (adm['admittime'].str[:4] == '{year}')]\n"
            "print([len(covered)])",
        ),
        Step(
            f"how many of those admissions ended with a discharge to {place}?",
            f"select count(*) from ( {left} )",
            f"left = covered[covered['discharge_location'] == {place!r}]\nprint([len(left)])",
        ),
        Step(
            "what was the average age of the patients on those admissions?",
            f"select avg(admissions.age) from admissions where admissions.hadm_id in ( {left} )",
            "print([float(left['age'].mean())])",
            _AVERAGE,
        ),
        Step(
            f"which of those patients were prescribed {drug} during those admissions? list their ids.",
            f"select distinct prescriptions.subject_id from prescriptions where {doses}",
            f"{_read('rx', 'select * from prescriptions')}\n"
            f"doses = rx[rx['hadm_id'].isin(left['hadm_id']) & (rx['drug'] == {drug!r})]\n"
            "print(sorted(int(s) for s in doses['subject_id'].unique()))",
        ),
        Step(
            f"how many {drug} prescriptions did they get on those admissions?",
            f"select count(*) from prescriptions where {doses}",
            "print([len(doses)])",
        ),
    ]


def _procedure_diagnosis(rng: random.Random, con: sqlite3.Connection) -> list[Step]:
    """a procedure → its patients → how many were also diagnosed with X → the cost of their procedures."""
    procedure, diagnosis = pick_row(
        rng,
        con,
        "select distinct dp.short_title, dd.short_title from procedures_icd p join d_icd_procedures dp on "
        "dp.icd9_code = p.icd9_code join diagnoses_icd x on x.subject_id = p.subject_id join d_icd_diagnoses dd "
        "on dd.icd9_code = x.icd9_code order by 1, 2",
    )
    done = (
        "select procedures_icd.subject_id from procedures_icd where procedures_icd.icd9_code = ( select "
        f"d_icd_procedures.icd9_code from d_icd_procedures where d_icd_procedures.short_title = '{sql_text(str(procedure))}' )"
    )
    both = (
        "select diagnoses_icd.subject_id from diagnoses_icd where diagnoses_icd.icd9_code = ( select "
        f"d_icd_diagnoses.icd9_code from d_icd_diagnoses where d_icd_diagnoses.short_title = '{sql_text(str(diagnosis))}' ) "
        f"and diagnoses_icd.subject_id in ( {done} )"
    )
    return [
        Step(
            f"which patients have undergone the procedure {procedure}? list their ids.",
            f"select distinct subject_id from ( {done} )",
            _read(
                "px",
                "select procedures_icd.* from procedures_icd join d_icd_procedures on d_icd_procedures.icd9_code = "
                f"procedures_icd.icd9_code where d_icd_procedures.short_title = '{sql_text(str(procedure))}'",
            )
            + "\noperated = sorted(int(s) for s in px['subject_id'].unique())\nprint(operated)",
        ),
        Step(
            f"how many of them were ever diagnosed with {diagnosis}?",
            f"select count(distinct subject_id) from ( {both} )",
            _read(
                "dx",
                "select diagnoses_icd.* from diagnoses_icd join d_icd_diagnoses on d_icd_diagnoses.icd9_code = "
                f"diagnoses_icd.icd9_code where d_icd_diagnoses.short_title = '{sql_text(str(diagnosis))}'",
            )
            + "\nalso = sorted(int(s) for s in dx[dx['subject_id'].isin(operated)]['subject_id'].unique())\n"
            "print([len(also)])",
        ),
        Step(
            f"what was the total cost of the {procedure} procedures of those diagnosed patients?",
            "select sum(cost.cost) from cost where cost.event_type = 'procedures_icd' and cost.event_id in ( select "
            f"procedures_icd.row_id from procedures_icd where procedures_icd.subject_id in ( {both} ) and "
            f"procedures_icd.icd9_code = ( select d_icd_procedures.icd9_code from d_icd_procedures where "
            f"d_icd_procedures.short_title = '{sql_text(str(procedure))}' ) )",
            _read("px_cost", "select * from cost where event_type = 'procedures_icd'") + "\n"
            "print([float(px_cost[px_cost['event_id'].isin(px[px['subject_id'].isin(also)]['row_id'])]['cost'].sum())])",
            _AVERAGE,
        ),
    ]


SEQUENCES: dict[str, SequenceTemplate] = {
    "admission_cohort": _admission_cohort,
    "drug_icu": _drug_icu,
    "diagnosis_years": _diagnosis_years,
    "lab_gender": _lab_gender,
    "careunit_inputs": _careunit_inputs,
    "culture_organisms": _culture_organisms,
    "insurance_discharge": _insurance_discharge,
    "procedure_diagnosis": _procedure_diagnosis,
}
"""category → template; an instance asks the first 2 to all of its template's questions."""
