"""BioDSBench tasks at training scale: parametrised analyses over several synthetic cohorts, re-grounded.

A cohort is a synthetic cBioPortal study (``suite.study_specs``: patients, samples, mutations, copy number)
of its own cancer types, gene panel and size. A template is an analysis BioDSBench asks for, parametrised by
gene, clinical attribute, endpoint and statistic: counts, frequencies per group, survival medians, group
comparisons, top-k genes, copy-number shares. As in the built-in suite, the asserts' constants are
placeholders that grounding (``ground.py``) takes from the reference run on the cohort in a sandboxed kernel;
an instance that does not ground is skipped. The cohorts are grounded concurrently, one kernel each.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from medgym_nb._loop import run_sync
from medgym_nb.grading.asserts import parse_tests
from medgym_nb.tasks.model import Task

from .cbioportal import synthesize_study
from .ground import GroundItem, ground_study_async
from .payload import SETUP, SOURCE, BiodsbenchPayload, task_context
from .suite import ENDPOINTS, READ, study_specs, tables_text

__all__ = ["COHORTS", "analyses", "generate"]

Analysis = tuple[str, str, str]
"""question, reference code, test cases (with placeholder constants)."""


@dataclass(frozen=True)
class Cohort:
    """A synthetic study: its name, size, cancer types and gene panel."""

    name: str
    patients: int
    codes: tuple[str, ...]
    genes: tuple[str, ...]


COHORTS = (
    Cohort(
        "gen_colorectal",
        150,
        ("COAD", "READ", "STAD"),
        ("TP53", "KRAS", "PIK3CA", "APC", "EGFR", "BRAF", "ARID1A", "PTEN", "SMAD4", "CDKN2A"),
    ),
    Cohort(
        "gen_lung",
        180,
        ("LUAD", "LUSC", "SCLC"),
        ("TP53", "KRAS", "EGFR", "STK11", "KEAP1", "ALK", "MET", "RB1", "NF1", "SMARCA4"),
    ),
    Cohort(
        "gen_breast",
        160,
        ("IDC", "ILC", "MDLC"),
        ("PIK3CA", "TP53", "CDH1", "GATA3", "MAP3K1", "ERBB2", "ESR1", "AKT1", "PTEN", "BRCA2"),
    ),
)
_GROUPS = ("SEX", "TREATMENT_ARM", "RESPONSE", "STAGE", "ECOG")
_TWO_GROUPS = ("SEX", "RESPONSE")
_MERGED = (
    "merged = mutations.merge(samples[['SAMPLE_ID', 'PATIENT_ID']], left_on='Tumor_Sample_Barcode', "
    "right_on='SAMPLE_ID')\n"
)
_MUTATED = "a patient is mutated in a gene when any of their samples has a mutation in it"


def _gene_patients(gene: str) -> Analysis:
    return (
        f"How many patients have a {gene} mutation ({_MUTATED}; samples map to patients through the sample "
        "table)? Save the number as `n_mutated` and the sorted list of their patient ids as `mutated_ids`.",
        READ
        + _MERGED
        + f"mutated_ids = sorted(merged.loc[merged['Hugo_Symbol'] == '{gene}', 'PATIENT_ID'].unique())\n"
        "n_mutated = len(mutated_ids)",
        "assert n_mutated == 0\nassert mutated_ids == []",
    )


def _gene_by_group(gene: str, column: str) -> Analysis:
    return (
        f"For each value of `{column}` (patient table), what fraction of its patients have a {gene} mutation "
        f"({_MUTATED})? Save a dict `fractions` mapping each value (as a string) to its fraction, rounded to 4 decimals.",
        READ + _MERGED + f"mutated = set(merged.loc[merged['Hugo_Symbol'] == '{gene}', 'PATIENT_ID'])\n"
        f"flag = clinical['PATIENT_ID'].isin(mutated)\n"
        f"fractions = {{str(k): round(float(v), 4) for k, v in flag.groupby(clinical['{column}']).mean().items()}}",
        "assert fractions == {}",
    )


def _km_medians(endpoint: str, column: str) -> Analysis:
    name, event = ENDPOINTS[endpoint]
    return (
        f"Fit a Kaplan-Meier estimator of {name} (months in `{endpoint}_MONTHS`, event when `{endpoint}_STATUS` "
        f"is '{event}') for each value of `{column}`. Save a dict `medians` mapping each value (as a string) to its median "
        "survival time (`median_survival_time_`, inf when not reached).",
        "from lifelines import KaplanMeierFitter\n" + READ + "medians = {}\n"
        f"for value, group in clinical.groupby('{column}'):\n"
        "    kmf = KaplanMeierFitter().fit(\n"
        f"        group['{endpoint}_MONTHS'], event_observed=group['{endpoint}_STATUS'] == '{event}')\n"
        "    medians[str(value)] = float(kmf.median_survival_time_)",
        "assert medians == {}",
    )


def _logrank_gene(endpoint: str, gene: str) -> Analysis:
    name, event = ENDPOINTS[endpoint]
    return (
        f"Compare {name} (months in `{endpoint}_MONTHS`, event when `{endpoint}_STATUS` is '{event}') between "
        f"patients with and without a {gene} mutation ({_MUTATED}) with a log-rank test. Save its p-value as "
        "`pvalue` and the group sizes as a dict `group_sizes` with keys 'mutated' and 'wildtype'.",
        "from lifelines.statistics import logrank_test\n"
        + READ
        + _MERGED
        + f"flag = clinical['PATIENT_ID'].isin(merged.loc[merged['Hugo_Symbol'] == '{gene}', 'PATIENT_ID'])\n"
        "a, b = clinical[flag], clinical[~flag]\n"
        f"result = logrank_test(a['{endpoint}_MONTHS'], b['{endpoint}_MONTHS'], "
        f"event_observed_A=a['{endpoint}_STATUS'] == '{event}', event_observed_B=b['{endpoint}_STATUS'] == '{event}')\n"
        "pvalue = result.p_value\ngroup_sizes = {'mutated': len(a), 'wildtype': len(b)}",
        "assert abs(pvalue - 0) < 1e-8\nassert group_sizes == {}",
    )


def _crosstab(first: str, second: str) -> Analysis:
    return (
        f"Cross-tabulate the patients by `{first}` (rows) and `{second}` (columns). Save the table of counts as a "
        "DataFrame `table` (`pd.crosstab`) and the most common pair as a tuple of two strings `top_pair` (the first in the "
        "table's row-major order on a tie).",
        READ + f"table = pd.crosstab(clinical['{first}'], clinical['{second}'])\n"
        "top_pair = tuple(str(x) for x in table.stack().idxmax())",
        "assert table.values.sum() == 0\nassert table.values.max() == 0\nassert top_pair == ()",
    )


def _tmb(column: str, stat: str) -> Analysis:
    return (
        f"Compute the {stat} tumour mutational burden (`TMB_NONSYNONYMOUS`, sample table, over samples) per "
        f"value of the patients' `{column}`. Save a dict `tmb` mapping each value (as a string) to it, rounded to 3 decimals.",
        READ + f"data = samples.merge(clinical[['PATIENT_ID', '{column}']], on='PATIENT_ID')\n"
        f"tmb = {{str(k): round(float(v), 3) for k, v in data.groupby('{column}')['TMB_NONSYNONYMOUS'].{stat}().items()}}",
        "assert tmb == {}",
    )


def _classes(gene: str) -> Analysis:
    return (
        f"Count the {gene} mutations (mutation table) by `Variant_Classification`. Save a dict `classes` mapping "
        "each class present to its count.",
        READ + f"classes = {{k: int(v) for k, v in mutations.loc[mutations['Hugo_Symbol'] == '{gene}', "
        "'Variant_Classification'].value_counts().items()}",
        "assert classes == {}",
    )


def _top_genes(k: int, code: str) -> Analysis:
    return (
        f"Among the samples of cancer type `{code}` (`ONCOTREE_CODE`, sample table), find the {k} genes mutated "
        f"in the most samples (ties by gene name). Save them as a list `top_genes` and their sample counts as a "
        "list `top_counts`, most mutated first.",
        READ + f"chosen = samples.loc[samples['ONCOTREE_CODE'] == '{code}', 'SAMPLE_ID']\n"
        "hits = mutations[mutations['Tumor_Sample_Barcode'].isin(chosen)]\n"
        "counts = hits.groupby('Hugo_Symbol')['Tumor_Sample_Barcode'].nunique()\n"
        "ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))"
        f"[:{k}]\n"
        "top_genes = [g for g, _n in ranked]\ntop_counts = [int(n) for _g, n in ranked]",
        "assert top_genes == []\nassert top_counts == []",
    )


_CNA = {
    "amplified (value 2)": "== 2",
    "deeply deleted (value -2)": "== -2",
    "gained (value 1 or more)": ">= 1",
    "lost (value -1 or less)": "<= -1",
}


def _cna(gene: str, state: str) -> Analysis:
    return (
        f"In the copy-number table (rows of genes by `Hugo_Symbol`, one column per sample), in what share of the "
        f"samples is {gene} {state} (in any of its rows; none when it has no row)? Save it as `share`, rounded "
        "to 4 decimals, and the number of such samples as `n_samples`.",
        "cna = pd.read_csv('data/data_cna.csv')\n"
        f"rows = cna.loc[cna['Hugo_Symbol'] == '{gene}'].drop(columns=['Hugo_Symbol'])\n"
        f"n_samples = int((rows {_CNA[state]}).any(axis=0).sum())\n"
        "share = round(n_samples / (cna.shape[1] - 1), 4)",
        "assert n_samples == 0\nassert abs(share - 0) < 1e-8",
    )


def _age(column: str, stat: str) -> Analysis:
    return (
        f"Compute the {stat} `AGE` of the patients per value of `{column}`. Save a dict `ages` mapping each value "
        "(as a string) to it, rounded to 2 decimals.",
        READ
        + f"ages = {{str(k): round(float(v), 2) for k, v in clinical.groupby('{column}')['AGE'].{stat}().items()}}",
        "assert ages == {}",
    )


def analyses(cohort: Cohort) -> list[tuple[str, Analysis]]:
    """Every (template, analysis) of ``cohort``."""
    genes, endpoints = cohort.genes, tuple(ENDPOINTS)
    return [
        *(("gene_patients", _gene_patients(g)) for g in genes),
        *(("gene_by_group", _gene_by_group(g, c)) for g in genes for c in _GROUPS),
        *(("km_medians", _km_medians(e, c)) for e in endpoints for c in _GROUPS),
        *(("logrank_gene", _logrank_gene(e, g)) for e in endpoints for g in genes),
        *(("crosstab", _crosstab(a, b)) for a in _GROUPS for b in _GROUPS if a != b),
        *(("tmb_by_group", _tmb(c, s)) for c in _GROUPS for s in ("median", "mean", "max")),
        *(("variant_classes", _classes(g)) for g in genes),
        *(("top_genes", _top_genes(k, code)) for k in range(1, 6) for code in cohort.codes),
        *(("cna_share", _cna(g, s)) for g in genes for s in _CNA),
        *(("age_by_group", _age(c, s)) for c in _GROUPS for s in ("mean", "median", "min", "max")),
    ]


def _plan(seed: int) -> list[tuple[Cohort, int, str, Analysis]]:
    """Every instance, templates in turn (round robin over cohorts and templates), each template's instances
    in an order drawn from ``seed``."""
    queues: dict[str, list[tuple[Cohort, int, str, Analysis]]] = {}
    for cohort in COHORTS:
        for number, (template, analysis) in enumerate(analyses(cohort)):
            queues.setdefault(template, []).append((cohort, number, template, analysis))
    for template, queue in queues.items():
        random.Random(f"{seed}-{template}").shuffle(queue)
    longest = max(len(q) for q in queues.values())
    return [q[i] for i in range(longest) for q in queues.values() if i < len(q)]


def generate(root: Path, n: int, seed: int) -> Iterator[Task]:
    """The first ``n`` instances of the plan that ground, their cohorts' tables under ``root/data``."""
    chosen = _plan(seed)[:n]
    by_cohort: dict[str, list[tuple[Cohort, int, str, Analysis]]] = {}
    for item in chosen:
        by_cohort.setdefault(item[0].name, []).append(item)
    made: dict[tuple[str, int], Task] = {}

    async def ground_all() -> None:
        await asyncio.gather(*(_ground(root, items, seed, made.__setitem__) for items in by_cohort.values()))

    run_sync(ground_all())
    for cohort, number, _template, _analysis in chosen:
        task = made.get((cohort.name, number))
        if task is not None:
            yield task


async def _ground(
    root: Path,
    items: list[tuple[Cohort, int, str, Analysis]],
    seed: int,
    keep: Callable[[tuple[str, int], Task], None],
) -> None:
    cohort = items[0][0]
    specs = study_specs(cohort.patients, cohort.genes, cohort.codes)
    folder = root / "data" / cohort.name
    names = synthesize_study(specs, folder, study=cohort.name, seed=seed)
    # each analysis reads its tables itself: none needs another's variables, so none gets a prelude
    grounding = [
        GroundItem([SETUP], reference, parse_tests(tests), earlier=[])
        for *_x, (_q, reference, tests) in items
    ]
    outcomes = await ground_study_async(grounding, {n: str((folder / n).resolve()) for n in names})
    context = task_context(tables_text(specs), loaded=False)
    for (_c, number, template, (question, reference, tests)), outcome in zip(items, outcomes, strict=True):
        if outcome.steps is None:
            continue
        keep(
            (cohort.name, number),
            Task(
                id=f"{SOURCE}.gen.{cohort.name}.{number:03d}",
                source=SOURCE,
                family="biodsbench",
                category=template,
                split="train",
                question=question,
                context=context,
                data_dir=f"data/{cohort.name}",
                data_files=names,
                solution=[SETUP, reference],
                payload=BiodsbenchPayload(
                    study=cohort.name,
                    question_id=str(number),
                    tests=outcome.steps,
                    official_tests=tests,
                    reference=reference,
                ),
            ),
        )
