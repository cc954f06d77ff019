"""BioDSBench's built-in suite: generated analyses of a synthetic cBioPortal study, checked by asserts.

One study (patients, samples, mutations, copy number) is synthesized per seed with ``cbioportal.py``
from the table descriptions below. Each template is an analysis BioDSBench asks for (Kaplan-Meier curves,
log-rank tests, Cox models, mutation frequencies, group comparisons, merges across tables, plots whose data
is asserted), written as a question, reference code, and asserts whose constants are placeholders: the
constants come from running the reference on the study in a sandboxed kernel (``biodsbench_ground``), the
same re-grounding official tasks get.
"""

from __future__ import annotations

from pathlib import Path

from medgym_nb.errors import MedgymError
from medgym_nb.grading.asserts import parse_tests
from medgym_nb.tasks.model import Task

from .cbioportal import TableSpec, synthesize_study
from .ground import GroundItem, ground_study
from .payload import SETUP, SOURCE, BiodsbenchPayload, task_context

__all__ = ["ENDPOINTS", "READ", "build_suite", "study_specs", "tables_text"]

STUDY = "medgym_synthetic"
_GENES = ("TP53", "KRAS", "PIK3CA", "APC", "EGFR", "BRAF", "ARID1A", "PTEN", "SMAD4", "CDKN2A")


def study_specs(
    patients: int, genes: tuple[str, ...] = _GENES, codes: tuple[str, ...] = ("COAD", "READ", "STAD")
) -> list[TableSpec]:
    """The tables of a synthetic study of ``patients`` patients whose mutations and copy number are over
    ``genes`` and whose samples are of the cancer types ``codes``."""
    months = ["0.5", "3.2", "7.9", "12.4", "18.0", "24.6", "33.1", "41.7", "55.0", "80.3"]
    return [
        TableSpec(
            name="data_clinical_patient",
            file="data_clinical_patient.csv",
            rows=patients,
            n_columns=11,
            columns=[
                *("PATIENT_ID", "AGE", "SEX", "TREATMENT_ARM", "RESPONSE", "STAGE", "ECOG"),
                *("OS_MONTHS", "OS_STATUS", "PFS_MONTHS", "PFS_STATUS"),
            ],
            head=[],
            vocab={
                "PATIENT_ID": ["P-0001"],
                "AGE": ["34.1", "45.0", "51.2", "58.8", "61.5", "63.0", "67.4", "70.2", "74.9", "82.3"],
                "SEX": ["Male", "Female"],
                "TREATMENT_ARM": ["A", "B", "C"],
                "RESPONSE": ["No", "Yes"],
                "STAGE": ["III", "IV", "II", "I"],
                "ECOG": ["0", "1", "2"],
                "OS_MONTHS": months,
                "OS_STATUS": ["1:DECEASED", "0:LIVING"],
                "PFS_MONTHS": months,
                "PFS_STATUS": ["1:Progressed", "0:Not Progressed"],
            },
        ),
        TableSpec(
            name="data_clinical_sample",
            file="data_clinical_sample.csv",
            rows=patients + patients // 5,
            n_columns=5,
            columns=["PATIENT_ID", "SAMPLE_ID", "SAMPLE_TYPE", "ONCOTREE_CODE", "TMB_NONSYNONYMOUS"],
            head=[  # one shown row: how sample ids extend patient ids
                {
                    "PATIENT_ID": "P-0001",
                    "SAMPLE_ID": "P-0001-T01",
                    "SAMPLE_TYPE": "Primary",
                    "ONCOTREE_CODE": codes[0],
                    "TMB_NONSYNONYMOUS": "4.4",
                }
            ],
            vocab={
                "SAMPLE_TYPE": ["Primary", "Metastasis"],
                "ONCOTREE_CODE": list(codes),
                "TMB_NONSYNONYMOUS": [
                    "0.9",
                    "2.6",
                    "3.5",
                    "4.4",
                    "5.2",
                    "6.9",
                    "8.7",
                    "11.3",
                    "15.8",
                    "31.0",
                ],
            },
        ),
        TableSpec(
            name="data_mutations",
            file="data_mutations.csv",
            rows=patients * 4,
            n_columns=6,
            columns=[
                *("Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode"),
                *("Reference_Allele", "Tumor_Seq_Allele2", "HGVSp_Short"),
            ],
            head=[],
            vocab={
                "Hugo_Symbol": list(genes),
                "Variant_Classification": [
                    *("Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del"),
                    *("Silent", "Splice_Site", "In_Frame_Del"),
                ],
                "Reference_Allele": ["C", "G", "A", "T"],
                "Tumor_Seq_Allele2": ["T", "A", "G", "C"],
                "HGVSp_Short": ["p.R175H", "p.G12D", "p.H1047R", "p.R1450*", "p.L858R", "p.V600E"],
            },
        ),
        TableSpec(
            name="data_cna",
            file="data_cna.csv",
            rows=len(genes),
            n_columns=patients + patients // 5 + 1,
            columns=["Hugo_Symbol"],
            head=[],
            vocab={"Hugo_Symbol": list(genes), "values": ["0", "-1", "1", "2", "-2"]},
        ),
    ]


READ = (
    "clinical = pd.read_csv('data/data_clinical_patient.csv')\n"
    "samples = pd.read_csv('data/data_clinical_sample.csv')\n"
    "mutations = pd.read_csv('data/data_mutations.csv')\n"
)
ENDPOINTS = {"OS": ("overall survival", "1:DECEASED"), "PFS": ("progression-free survival", "1:Progressed")}


def _km(endpoint: str) -> tuple[str, str, str]:
    name, event = ENDPOINTS[endpoint]
    figure = f"km_{endpoint.lower()}.png"
    return (
        f"Fit the Kaplan-Meier estimator of {name} for all patients (months in `{endpoint}_MONTHS`, "
        f"event when `{endpoint}_STATUS` is '{event}'; drop patients missing either). Save the fitted "
        f"`lifelines.KaplanMeierFitter` as `kmf` and the plot of its survival function as `{figure}`.",
        "from lifelines import KaplanMeierFitter\n" + READ + f"data = clinical[['{endpoint}_MONTHS', "
        f"'{endpoint}_STATUS']].dropna()\n"
        f"kmf = KaplanMeierFitter()\n"
        f"kmf.fit(data['{endpoint}_MONTHS'], event_observed=(data['{endpoint}_STATUS'] == '{event}'))\n"
        f"ax = kmf.plot_survival_function()\nplt.savefig('{figure}')\nplt.close()",
        "import os\nassert kmf.event_observed.sum() == 0\nassert abs(kmf.durations.sum() - 0) < 1e-8\n"
        f"assert kmf.median_survival_time_ == 0\nassert os.path.isfile('{figure}')",
    )


def _logrank(endpoint: str, column: str) -> tuple[str, str, str]:
    name, event = ENDPOINTS[endpoint]
    return (
        f"Compare {name} (months in `{endpoint}_MONTHS`, event when `{endpoint}_STATUS` is '{event}'; drop "
        f"patients missing either) between the two groups of `{column}` with a log-rank test. Save its "
        "p-value as `pvalue` and the number of patients in each group as a dict `group_sizes`.",
        "from lifelines.statistics import logrank_test\n" + READ + f"data = clinical[['{endpoint}_MONTHS', "
        f"'{endpoint}_STATUS', '{column}']].dropna()\n"
        f"a, b = sorted(data['{column}'].unique())\n"
        f"ga, gb = data[data['{column}'] == a], data[data['{column}'] == b]\n"
        f"result = logrank_test(ga['{endpoint}_MONTHS'], gb['{endpoint}_MONTHS'], "
        f"event_observed_A=ga['{endpoint}_STATUS'] == '{event}', "
        f"event_observed_B=gb['{endpoint}_STATUS'] == '{event}')\n"
        "pvalue = result.p_value\n"
        "group_sizes = {a: len(ga), b: len(gb)}",
        "assert abs(pvalue - 0) < 1e-8\nassert group_sizes == {}",
    )


def _cox(endpoint: str) -> tuple[str, str, str]:
    name, event = ENDPOINTS[endpoint]
    return (
        f"Fit a univariate Cox proportional-hazards model of {name} (months in `{endpoint}_MONTHS`, event "
        f"when `{endpoint}_STATUS` is '{event}') on `AGE`, dropping patients missing any of the three. Save "
        "the hazard ratio per year of age as `hr` and its p-value as `pvalue`.",
        "from lifelines import CoxPHFitter\n" + READ + f"data = clinical[['{endpoint}_MONTHS', "
        f"'{endpoint}_STATUS', 'AGE']].dropna()\n"
        f"data['{endpoint}_STATUS'] = (data['{endpoint}_STATUS'] == '{event}').astype(int)\n"
        f"cph = CoxPHFitter().fit(data, duration_col='{endpoint}_MONTHS', event_col='{endpoint}_STATUS')\n"
        "hr = cph.summary.loc['AGE', 'exp(coef)']\npvalue = cph.summary.loc['AGE', 'p']",
        "assert abs(hr - 0) < 1e-6\nassert abs(pvalue - 0) < 1e-6",
    )


def _frequency(top: int) -> tuple[str, str, str]:
    return (
        f"Find the {top} genes mutated in the most patients (a patient is mutated in a gene when any of their "
        "samples has a mutation in it; samples map to patients through the sample table). Save them as a "
        "DataFrame `gene_freq` with columns `Hugo_Symbol`, `Patients` (the number of mutated patients) and "
        "`Frequency` (that number over all patients in the patient table), sorted by `Patients` descending, "
        "then by `Hugo_Symbol`, with a fresh index.",
        READ
        + "merged = mutations.merge(samples[['SAMPLE_ID', 'PATIENT_ID']], left_on='Tumor_Sample_Barcode', "
        "right_on='SAMPLE_ID')\n"
        "counts = merged.groupby('Hugo_Symbol')['PATIENT_ID'].nunique().rename('Patients').reset_index()\n"
        "counts['Frequency'] = counts['Patients'] / clinical['PATIENT_ID'].nunique()\n"
        "gene_freq = counts.sort_values(['Patients', 'Hugo_Symbol'], ascending=[False, True])"
        f".head({top}).reset_index(drop=True)",
        "assert gene_freq.columns.tolist() == ['Hugo_Symbol', 'Patients', 'Frequency']\n"
        "assert gene_freq['Hugo_Symbol'].tolist() == []\nassert gene_freq['Patients'].tolist() == []\n"
        "assert abs(gene_freq['Frequency'].sum() - 0) < 1e-8",
    )


def _comparison(column: str) -> tuple[str, str, str]:
    return (
        f"Compare the tumour mutational burden (`TMB_NONSYNONYMOUS`, sample table) between the groups of the "
        f"patients' `{column}` with a two-sided Mann-Whitney U test over samples. Save the p-value as "
        "`pvalue` and each group's median TMB as a dict `medians`.",
        "from scipy.stats import mannwhitneyu\n" + READ + f"data = samples.merge(clinical[['PATIENT_ID', "
        f"'{column}']], on='PATIENT_ID').dropna(subset=['TMB_NONSYNONYMOUS', '{column}'])\n"
        f"a, b = sorted(data['{column}'].unique())\n"
        f"xa = data.loc[data['{column}'] == a, 'TMB_NONSYNONYMOUS']\n"
        f"xb = data.loc[data['{column}'] == b, 'TMB_NONSYNONYMOUS']\n"
        "pvalue = mannwhitneyu(xa, xb, alternative='two-sided').pvalue\n"
        "medians = {a: xa.median(), b: xb.median()}",
        "assert abs(pvalue - 0) < 1e-8\nassert medians == {}",
    )


def _merge(gene: str) -> tuple[str, str, str]:
    return (
        f"How many patients of each treatment arm (`TREATMENT_ARM`) have a {gene} mutation in any of their "
        "samples? Save a dict `counts` mapping every arm to its number of patients (0 when none).",
        READ
        + "merged = mutations.merge(samples[['SAMPLE_ID', 'PATIENT_ID']], left_on='Tumor_Sample_Barcode', "
        "right_on='SAMPLE_ID')\n"
        f"mutated = merged.loc[merged['Hugo_Symbol'] == '{gene}', 'PATIENT_ID'].unique()\n"
        "arms = clinical.assign(mutated=clinical['PATIENT_ID'].isin(mutated))\n"
        "counts = {arm: int(n) for arm, n in arms.groupby('TREATMENT_ARM')['mutated'].sum().items()}",
        "assert counts == {}",
    )


def _plot(column: str) -> tuple[str, str, str]:
    figure = f"{column.lower()}_counts.png"
    return (
        f"Make a bar plot of the number of patients per `{column}` value, bars in ascending order of the "
        f"value (missing values left out). Keep the plot's matplotlib Axes as `ax` and save the figure as "
        f"`{figure}`.",
        READ + f"counts = clinical['{column}'].dropna().value_counts().sort_index()\n"
        f"ax = counts.plot(kind='bar')\nax.set_ylabel('Patients')\nplt.savefig('{figure}')",
        "import os\nassert [p.get_height() for p in ax.patches] == []\n"
        "assert [t.get_text() for t in ax.get_xticklabels()] == []\n"
        f"assert os.path.isfile('{figure}')",
    )


def _templates() -> list[tuple[str, tuple[str, str, str]]]:
    return [
        *(("km_curve", _km(e)) for e in ENDPOINTS),
        *(("logrank", _logrank(e, c)) for e in ENDPOINTS for c in ("SEX", "RESPONSE")),
        *(("cox_model", _cox(e)) for e in ENDPOINTS),
        *(("mutation_frequency", _frequency(k)) for k in (3, 5)),
        *(("group_comparison", _comparison(c)) for c in ("SEX", "RESPONSE")),
        *(("merge_tables", _merge(g)) for g in ("TP53", "KRAS", "BRAF")),
        *(("plot_data", _plot(c)) for c in ("SEX", "STAGE", "ECOG")),
    ]


def tables_text(specs: list[TableSpec]) -> str:
    """What the agent is told of a synthetic study's tables."""
    tables = "\n".join(
        f"`data/{s.file}`: columns {', '.join(s.columns)}" for s in specs if s.name != "data_cna"
    )
    return (
        tables
        + "\n`data/data_cna.csv`: copy number, one row per gene (`Hugo_Symbol`), one column per sample id"
    )


def build_suite(root: Path, seed: int) -> list[Task]:
    """Synthesize the study under ``root/data/<study>`` and ground every template on it (every third is test)."""
    folder = root / "data" / STUDY
    specs = study_specs(patients=120)
    names = synthesize_study(specs, folder, study=STUDY, seed=seed)
    tables = tables_text(specs)
    templates = _templates()
    items = [GroundItem([SETUP], reference, parse_tests(tests)) for _c, (_q, reference, tests) in templates]
    outcomes = ground_study(items, {name: str((folder / name).resolve()) for name in names})
    tasks = []
    for n, ((category, (question, reference, tests)), outcome) in enumerate(
        zip(templates, outcomes, strict=True)
    ):
        if outcome.steps is None:
            raise MedgymError(f"built-in BioDSBench task {category} did not ground: {outcome.reason}")
        tasks.append(
            Task(
                id=f"{SOURCE}.syn.{n:03d}",
                source=SOURCE,
                family="biodsbench",
                category=category,
                split="test" if n % 3 == 0 else "train",
                question=question,
                context=task_context(tables, loaded=False),
                data_dir=f"data/{STUDY}",
                data_files=names,
                solution=[SETUP, reference],
                payload=BiodsbenchPayload(
                    study=STUDY,
                    question_id=str(n),
                    tests=outcome.steps,
                    official_tests=tests,
                    reference=reference,
                ),
            )
        )
    return tasks
