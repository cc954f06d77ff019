"""The BioDSBench family: analyses of synthetic cBioPortal studies, graded by asserts in the episode's kernel.

Real sandboxed kernels and papermill throughout. The built-in suite's oracle passes every assert; a wrong
variable fails its assert; printing "PASSED" or the expected values, redefining ``AssertionError``/``print``,
replacing builtins or handing over an always-equal object earns nothing. Official rows (sample and train)
are re-grounded on tables synthesized from their descriptions; the shares are printed.
"""

from __future__ import annotations

import builtins
import filecmp
import json
from pathlib import Path

import pandas as pd
import pytest

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.errors import TaskFileError
from medgym_nb.families.biodsbench.cbioportal import MAX_ROWS, Variant, parse_dataframes, synthesize_study
from medgym_nb.families.biodsbench.cbioportal_mentions import mentions
from medgym_nb.families.biodsbench.family import BiodsbenchPayload
from medgym_nb.families.biodsbench.generated import COHORTS, analyses
from medgym_nb.family import OfficialRow
from medgym_nb.grading.assert_runner import run_steps
from medgym_nb.grading.asserts import parse_tests, reground
from medgym_nb.grading.batch import grade_directory
from medgym_nb.report import render_html, summarise_run
from medgym_nb.tasks.generate import generate_suite
from tests.official import SPLIT_FILES, official_rows
from tests.plays import play_each

SOURCE = "biodsbench"


@pytest.fixture(scope="module")
def suite() -> list[mg.Task]:
    return mg.load_tasks(SOURCE)


def _payload(task: mg.Task) -> BiodsbenchPayload:
    assert isinstance(task.payload, BiodsbenchPayload)
    return task.payload


def _asserts(task: mg.Task) -> list[str]:
    return [s.source for s in _payload(task).tests if s.kind == "assert"]


def _one(suite: list[mg.Task], category: str) -> mg.Task:
    return next(t for t in suite if t.category == category)


# ---- synthesis ----


def test_synthetic_studies_are_deterministic_and_follow_their_descriptions(shared_dir, tmp_path):
    rows = official_rows(shared_dir, SOURCE, "sample")
    by_study: dict[str, list] = {}
    for row in rows:  # the three studies of modest size (the others take longer, not differently)
        if row["study_ids"] in ("30867592", "28472509", "32437664"):
            by_study.setdefault(row["study_ids"], []).extend(parse_dataframes(row["dataframes"]))
    for study, specs in by_study.items():
        a = synthesize_study(specs, tmp_path / "a" / study, study=study, seed=0)
        b = synthesize_study(specs, tmp_path / "b" / study, study=study, seed=0)
        c = synthesize_study(specs, tmp_path / "c" / study, study=study, seed=1)
        assert a == b == c
        assert all(
            filecmp.cmp(tmp_path / "a" / study / f, tmp_path / "b" / study / f, shallow=False) for f in a
        )
        assert not all(
            filecmp.cmp(tmp_path / "a" / study / f, tmp_path / "c" / study / f, shallow=False) for f in a
        )
        tables = {Path(f).stem: pd.read_csv(tmp_path / "a" / study / f) for f in a if f.endswith(".csv")}
        tsv = {
            Path(f).stem: pd.read_csv(tmp_path / "a" / study / f, sep="\t") for f in a if f.endswith(".txt")
        }
        assert all(tables[k].equals(tsv[k]) for k in tables)
        patients = set(tables["data_clinical_patient"]["PATIENT_ID"])
        samples = tables["data_clinical_sample"]
        for spec in {s.name: s for s in specs}.values():
            table = tables[spec.name]
            if spec.wide:  # gene × sample: every column after the genes is a sample of the cohort
                assert set(table.columns[1:]) <= set(samples["SAMPLE_ID"])
                continue
            assert list(table.columns) == spec.columns
            assert len(table) == (spec.rows if "clinical" in spec.name else min(spec.rows, MAX_ROWS))
            for column in spec.columns:
                listed = [v for v in spec.vocab.get(column, []) if v != "nan"]
                if listed and all(v.lstrip("-").replace(".", "", 1).isdigit() for v in listed):
                    assert pd.api.types.is_numeric_dtype(table[column]), (study, spec.name, column)
        assert len(patients) == len(tables["data_clinical_patient"])  # one row per patient
        assert set(samples["PATIENT_ID"]) <= patients and samples["SAMPLE_ID"].is_unique
        assert set(tables["data_mutations"]["Tumor_Sample_Barcode"]) <= set(samples["SAMPLE_ID"])
    # the shown rows' vocabularies are kept: the first study's mutation classes come from its description
    first = by_study["30867592"]
    shown = set(next(s for s in first if s.name == "data_mutations").vocab["Variant_Classification"])
    written = set(
        pd.read_csv(tmp_path / "a" / "30867592" / "data_mutations.csv")["Variant_Classification"].dropna()
    )
    assert written <= shown and len(written) >= 2


def test_what_the_study_code_names_is_collected():
    found = mentions(
        [
            "m = data_mutations[data_mutations['Hugo_Symbol'] == 'TTN']\n"
            "yes = df[df['RESPONSE'].isin(['Yes', 'Partial'])]\n"
            "df['NEW'] = df['TMB_NONSYNONYMOUS'] * 2\nprint(df[['NEW', 'AGE']])\ngenes = ['KRAS', 'TP53']",
            "this is not python (",
        ]
    )
    assert found.values == {"Hugo_Symbol": ["TTN"], "RESPONSE": ["Yes", "Partial"]}
    assert set(found.columns) == {
        "Hugo_Symbol",
        "RESPONSE",
        "TMB_NONSYNONYMOUS",
        "AGE",
    }  # NEW is made, not read
    assert set(found.genes) == {"TTN", "KRAS", "TP53"}
    assert found.numeric == ["TMB_NONSYNONYMOUS"]


def test_values_behind_names_functions_and_mutation_classes_are_collected():
    """Lists bound to names, functions given to ``apply``, MAF classes named anywhere, numeric use, the
    table a missing column is read from (the study's earlier code and asserts count too)."""
    found = mentions(
        [
            "inactivating = ['Nonsense_Mutation', 'Frame_Shift_Del']\n"
            "m = data_mutations[data_mutations['Variant_Classification'].isin(inactivating)]\n"
            "def risk(score):\n    return 'Low' if score <= 1 else 'High'\n"
            "p = data_clinical_patient\np['Risk Group'] = p['IPI'].apply(risk)\n"
            "p['ARM'].apply(lambda a: 1 if a == 'Chemo' else 0)\n"
            "ids = data_mutations['Entrez_Gene_Id']",
            "fig = plot(values=['Missense_Mutation', 'In_Frame_Del'])",
            "assert low['Risk Group'].tolist() == ['Low']",
        ]
    )
    assert found.values["Variant_Classification"] == [
        "Nonsense_Mutation",
        "Frame_Shift_Del",
        "Missense_Mutation",
        "In_Frame_Del",
    ]
    assert found.values["ARM"] == ["Chemo"] and "IPI" in found.numeric
    assert "Risk Group" not in found.columns and "Risk Group" in found.read  # the code makes it
    assert found.tables["Entrez_Gene_Id"] == ["data_mutations"]


def test_tables_carry_gene_ids_numbers_and_the_described_width(tmp_path):
    mutations = pd.DataFrame(
        {
            "Hugo_Symbol": ["TP53", "KRAS", "EGFR", "TP53", "KRAS"],
            "Tumor_Sample_Barcode": ["S-1", "S-2", "S-1", "S-3", "S-2"],
            "Variant_Classification": ["Missense_Mutation"] * 5,
        }
    )
    patients = pd.DataFrame({"PATIENT_ID": ["P-1", "P-2", "P-3", "P-4", "P-5"], "IPI": [1, 2, 1, 3, 2]})
    ipi = "['1', '2', 'Unknown', '3', '4', '0', '5', '1.5', '2.5', '3.5']"
    text = "\n".join(
        [
            "A Dataframe stored in `/workdir/data_mutations.csv`. Dataframe schema: A Pandas Dataframe whose "
            "name is `data_mutations`. Shape is (40, 5).",
            "This is the result of reading `data_mutations`'s first five rows:",
            mutations.to_string(),
            "Column `Hugo_Symbol``: top-10 frequent values: ['TP53', 'KRAS', 'EGFR']",
            "Column `Tumor_Sample_Barcode``: top-10 frequent values: ['S-1', 'S-2', 'S-3']",
            "Column `Variant_Classification``: top-10 frequent values: ['Missense_Mutation']",
            "A Dataframe stored in `/workdir/data_clinical_patient.csv`. Dataframe schema: A Pandas Dataframe "
            "whose name is `data_clinical_patient`. Shape is (30, 2).",
            "This is the result of reading `data_clinical_patient`'s first five rows:",
            patients.to_string(),
            "Column `PATIENT_ID``: top-10 frequent values: ['P-1', 'P-2']",
            f"Column `IPI``: top-10 frequent values: {ipi}",
        ]
    )
    specs = parse_dataframes(text)
    found = mentions(
        [
            "x = data_mutations['Entrez_Gene_Id']\n"
            "y = data_mutations[data_mutations['Variant_Classification'] == 'Nonsense_Mutation']\n"
            "z = data_clinical_patient[data_clinical_patient['IPI'] <= 1]"
        ]
    )
    synthesize_study(specs, tmp_path, study="s", seed=0, mentioned=found)
    mutations = pd.read_csv(tmp_path / "data_mutations.csv")
    patients = pd.read_csv(tmp_path / "data_clinical_patient.csv")
    assert "Nonsense_Mutation" in set(mutations["Variant_Classification"])
    assert mutations.groupby("Hugo_Symbol")["Entrez_Gene_Id"].nunique().max() == 1  # one id per gene
    assert pd.api.types.is_integer_dtype(mutations["Entrez_Gene_Id"])
    assert pd.api.types.is_numeric_dtype(patients["IPI"])  # "Unknown" dropped: the code compares numbers
    assert mutations.shape[1] == 5  # the described width: unnamed columns beyond the code's are padded


def test_a_planted_signal_separates_the_groups_a_task_compares(shared_dir, tmp_path):
    """Tables made for a threshold assert (``pvalue < 0.0001``): the compared groups' survival differs."""
    from lifelines.statistics import logrank_test

    rows = [r for r in official_rows(shared_dir, SOURCE, "sample") if r["study_ids"] == "32437664"]
    specs = [spec for row in rows for spec in parse_dataframes(row["dataframes"])]
    tables = {}
    for name, variant in (("plain", None), ("planted", Variant(signal=("SEX",)))):
        synthesize_study(specs, tmp_path / name, study="32437664", seed=0, variant=variant)
        patients = pd.read_csv(tmp_path / name / "data_clinical_patient.csv").dropna(
            subset=["OS_MONTHS", "OS_STATUS", "SEX"]
        )
        a, b = (patients[patients["SEX"] == v] for v in sorted(patients["SEX"].unique())[:2])
        event = lambda t: t["OS_STATUS"].astype(str).str.startswith("1")  # noqa: E731
        tables[name] = logrank_test(a["OS_MONTHS"], b["OS_MONTHS"], event(a), event(b)).p_value
    assert tables["planted"] < 1e-4 < tables["plain"], tables


# ---- asserts ----


def test_asserts_are_regrounded_keeping_their_form():
    steps = parse_tests(
        "import os\n"
        "assert kmf.event_observed.sum() == 1\n"
        "assert abs(kmf.durations.sum()-232.94) < 1e-8\n"
        "assert abs(coef + 0.5) < 1e-8, 'coef'\n"
        "assert set(psite['Count'].tolist()) == set([10, 13, 14])\n"
        "assert isinstance(kmf, object)\n"
        "assert min(ps) < 0.1\n"
    )
    assert [s.kind for s in steps] == ["setup"] + ["assert"] * 6
    assert [len(s.holes) for s in steps] == [0, 1, 1, 1, 1, 0, 0]
    evaluated = {
        "results": [
            {"step": 1, "kind": "assert", "values": ["7"]},
            {"step": 2, "kind": "assert", "values": ["100.5"]},
            {"step": 3, "kind": "assert", "values": ["0.25"]},
            {"step": 4, "kind": "assert", "values": ["{3, 1}"]},
            {"step": 5, "kind": "assert", "values": []},
            {"step": 6, "kind": "assert", "values": []},
        ]
    }
    assert [s.source for s in reground(steps, evaluated)[1:]] == [
        "assert kmf.event_observed.sum() == 7",
        "assert abs(kmf.durations.sum() - 100.5) < 1e-08",
        "assert abs(coef + -0.25) < 1e-08, 'coef'",
        "assert set(psite['Count'].tolist()) == set([1, 3])",
        "assert isinstance(kmf, object)",
        "assert min(ps) < 0.1",
    ]
    with pytest.raises(TaskFileError, match="no assert"):
        parse_tests("x = 1")
    with pytest.raises(TaskFileError, match="not valid Python"):
        parse_tests("assert (")


def test_the_runner_refuses_replaced_builtins_even_c_methods(monkeypatch):
    """A C method of another object (``{}.get``) posing as ``__import__`` is caught like a Python function."""
    steps = [["assert", "assert abs(-1) == 1", []]]
    assert run_steps(steps, "assert", {"__builtins__": builtins})["results"][0]["passed"]
    for name, fake in (("__import__", {"json": json}.get), ("abs", lambda x: 1), ("len", {}.__len__)):
        with monkeypatch.context() as patch:
            patch.setattr(builtins, name, fake)
            with pytest.raises(RuntimeError) as raised:
                run_steps(steps, "assert", {"__builtins__": builtins})
        assert str(raised.value) == f"builtins were replaced in the session: {name}"


def test_malformed_official_rows_get_clear_errors(shared_dir):
    row = official_rows(shared_dir, SOURCE, "sample")[0]
    family = mg.get_family(SOURCE)
    origin = OfficialRow(source=SOURCE, where="rows.jsonl:3", folder=Path("."), split="train", line=3)
    task = family.read_official_row(row, origin)
    assert (
        task.question.startswith("Make the curves") and "data/data_clinical_patient.csv" in task.solution[-1]
    )
    assert "/workdir" not in task.context + task.solution[-1] + json.dumps(_asserts(task))
    with pytest.raises(TaskFileError, match=r"rows.jsonl:3: .*test_cases"):
        family.read_official_row({**row, "test_cases": None}, origin)
    with pytest.raises(TaskFileError, match=r"rows.jsonl:3: test cases are not valid Python"):
        family.read_official_row({**row, "test_cases": "assert ((("}, origin)
    with pytest.raises(TaskFileError, match=r"rows.jsonl:3: the dataframes description names no table"):
        family.read_official_row({**row, "dataframes": "no tables here"}, origin)
    with pytest.raises(TaskFileError, match=r"rows.jsonl:3: code_histories is not a list"):
        family.read_official_row({**row, "code_histories": "{'a': 1}"}, origin)


def test_a_study_s_earlier_steps_become_the_episode_s_set_up_cells(shared_dir):
    """``code_histories`` (a list, or its text; absent in older rows) runs before the agent's first turn,
    after the table reads; ``chat_histories`` is shown in the context."""
    row = next(r for r in official_rows(shared_dir, SOURCE, "sample") if r["code_histories"] != "[]")
    family = mg.get_family(SOURCE)
    origin = OfficialRow(source=SOURCE, where="rows.jsonl:1", folder=Path("."), split="test", line=1)
    task = family.read_official_row(row, origin)
    cells = family.setup_cells(task)
    assert cells[0].startswith("import os") and "data_clinical_patient = pd.read_csv(" in cells[0]
    assert len(cells) == 2 and cells[1].lstrip().startswith("# prefix") and "/workdir" not in cells[1]
    assert "already ran in your session" in task.context and cells[1].strip()[:40] in task.context
    assert task.solution == [_payload(task).reference]  # the oracle runs only the reference after them
    bare = {k: v for k, v in row.items() if k not in ("code_histories", "chat_histories")}
    assert len(family.setup_cells(family.read_official_row(bare, origin))) == 1
    chat = [
        {"role": "user", "content": "Plot the ECOG distribution."},
        {"role": "assistant", "content": "Done."},
    ]
    chatty = family.read_official_row({**bare, "code_histories": ["x = 1"], "chat_histories": chat}, origin)
    assert family.setup_cells(chatty)[1:] == ["x = 1"]
    assert "user: Plot the ECOG distribution.\n\nassistant: Done." in chatty.context


# ---- episodes ----


class _Cells(ScriptedAgent):
    """Runs the task's reference (or not), then its own cells, then ends with ``validate_code``."""

    name = "cells"

    def __init__(self, cells: list[str], *, reference: bool) -> None:
        super().__init__()
        self.cells, self.reference = cells, reference

    def plan(self, task: mg.Task) -> list[dict]:
        code = list(task.solution) if self.reference else []
        *setup, final = [*code, *self.cells]
        steps = [{"action": "execute", "params": {"code": c}} for c in setup]
        return [*steps, {"action": "validate_code", "params": {"code": final}}]


_SAME = (
    "class Same:\n    def __eq__(self, other):\n        return True\n    def __sub__(self, other):\n"
    "        return self\n    def __abs__(self):\n        return 0\npvalue = Same()\ngroup_sizes = Same()"
)


@pytest.fixture(scope="module")
def episodes(suite, tmp_path_factory) -> dict[str, mg.EpisodeResult]:
    """One run: the oracle on three categories, and agents that should not pass on a log-rank task (asserts
    ``abs(pvalue - c) < 1e-08`` and ``group_sizes == {...}``)."""
    logrank = _one(suite, "logrank")
    shown = "\n".join(_asserts(logrank))
    plays: dict[str, tuple[mg.Task, mg.Agent]] = {
        "oracle km_curve": (_one(suite, "km_curve"), mg.OracleAgent()),
        "oracle plot_data": (_one(suite, "plot_data"), mg.OracleAgent()),
        "oracle logrank": (logrank, mg.OracleAgent()),
        "wrong value": (logrank, _Cells(["pvalue = pvalue + 0.01"], reference=True)),
        "prints PASSED, redefines AssertionError and print": (
            logrank,
            _Cells(
                [
                    f"print('PASSED')\nprint({shown!r})\nprint('2/2 asserts passed')\n"
                    "class AssertionError(Exception):\n    pass\nprint = lambda *a, **k: None\n"
                    "pvalue = 'x'\ngroup_sizes = {}"
                ],
                reference=False,
            ),
        ),
        "replaces builtins": (
            logrank,
            _Cells(
                [
                    "import builtins\nbuiltins.abs = lambda x: 0\n"
                    "builtins.AssertionError = type('E', (Exception,), {})"
                ],
                reference=True,
            ),
        ),
        "always-equal object": (logrank, _Cells([_SAME], reference=False)),
    }
    root = tmp_path_factory.mktemp("biodsbench-runs")
    results = play_each(list(plays.values()), root)
    return dict(zip(plays, results, strict=True))


def test_suite_oracle_passes_every_assert_in_sandboxed_kernels(suite, episodes):
    """The built-in suite's categories, papermill-graded from the asserts run in the episode's kernel."""
    assert len(suite) == 18 and len({t.category for t in suite}) == 7
    assert all(_asserts(t) and all(" == 0\n" not in a + "\n" for a in _asserts(t)) for t in suite)
    oracle = {k: r for k, r in episodes.items() if k.startswith("oracle")}
    assert [(r.passed, r.reward) for r in oracle.values()] == [(True, 1.0)] * 3
    km = oracle["oracle km_curve"]
    n = len(_asserts(_one(suite, "km_curve")))
    assert mg.read_episode(km.notebook).grade.message == f"{n}/{n} asserts passed"
    graded = Path(km.notebook).with_name("grade.ipynb").read_text()
    assert (
        "kmf.event_observed.sum() ==" in graded and "median_survival_time_" in graded
    )  # each assert recorded
    kept = Path(km.notebook).with_name("files") / "km_os.png"
    assert kept.read_bytes()[:4] == b"\x89PNG"
    html = render_html(summarise_run(Path(km.notebook).parents[2]))
    assert "kept files" in html and "km_os.png" in html and "data:image/png;base64," in html


def test_wrong_values_spoofed_output_and_tampering_do_not_pass(episodes):
    rewards = {k: r.reward for k, r in episodes.items() if not k.startswith("oracle")}
    assert rewards == {"wrong value": 0.5, **{k: 0.0 for k in list(rewards)[1:]}}, rewards
    message = {k: mg.read_episode(r.notebook).grade.message for k, r in episodes.items()}
    assert "abs(pvalue" in message["wrong value"] and "group_sizes" not in message["wrong value"]
    assert "builtins were replaced in the session: AssertionError, abs" in message["replaces builtins"]
    assert "pvalue is an instance of a class defined in the session" in message["always-equal object"]


def test_offline_regrade_replays_episodes_in_fresh_kernels(episodes):
    """``medgym grade --replay-state``: the asserts run again on the state a replay of the agent's cells makes."""
    scores = {}
    for name in ("oracle logrank", "wrong value"):
        folder = Path(episodes[name].notebook).parents[2]
        (record,) = grade_directory(folder, force=True, replay_state=True, workers=1)
        scores[name] = (record.status, record.score)
    assert scores == {"oracle logrank": ("graded", 1.0), "wrong value": ("graded", 0.5)}


# ---- official rows ----


def _reground_and_play(shared_dir: Path, split: str, tmp_path: Path) -> list[mg.EpisodeResult]:
    rows = official_rows(shared_dir, SOURCE, split)
    folder, name = SPLIT_FILES[split]
    path = shared_dir.parent / folder / SOURCE / name
    loaded = mg.load_task_set(SOURCE, path=path)
    tasks = loaded.tasks
    share = len(tasks) / len(rows)
    print(f"biodsbench {split}: {len(tasks)}/{len(rows)} tasks re-ground ({share:.0%})")
    for exclusion in loaded.excluded:
        print(f"  not re-grounded {exclusion.task_id}: {exclusion.reason[:160]}")
    assert len(tasks) + len(loaded.excluded) == len(rows) and share >= 0.9
    config = mg.EnvConfig(sandbox="zygote")  # one template with the family's libraries, a fork per task
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path, config=config, concurrency=2)
    failed = [(r.task_id, mg.read_episode(r.notebook).grade.message) for r in results if not r.passed]
    print(
        f"biodsbench {split}: the oracle passes every assert of {len(results) - len(failed)}/{len(results)}"
    )
    assert not failed
    return results


@pytest.mark.timeout(900)
def test_official_sample_regrounds_and_the_oracle_passes_after_the_set_up_cells(shared_dir, tmp_path):
    """Every sample task re-grounds, its earlier steps included (one needs ``amp_data`` from its
    ``code_histories``); the oracle passes every assert after the recorded set-up cells."""
    results = _reground_and_play(shared_dir, "sample", tmp_path)
    assert len(results) == len(official_rows(shared_dir, SOURCE, "sample"))
    continued = next(r for r in results if r.task_id.endswith(".32437664.12"))
    cells = json.loads(Path(continued.notebook).read_text())["cells"]
    roles = [c["metadata"].get("medgym", {}).get("role") for c in cells if c["cell_type"] == "code"]
    assert roles[:2] == ["setup", "setup"] and "amp_data" in "".join(cells[2]["source"] + cells[3]["source"])


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the train split: ~3 min of re-grounding, then ~46 oracle episodes
def test_official_train_rows_reground_and_the_oracle_passes_them(shared_dir, tmp_path):
    _reground_and_play(shared_dir, "train", tmp_path)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[mg.Task]:
    """A generated suite of the 18 built-in tasks and the first 12 analyses of the cohorts' plan."""
    out = tmp_path_factory.mktemp("biodsbench-generated")
    generate_suite(out, "biodsbench", n=30, seed=1)
    return [t for t in mg.load_tasks("biodsbench", path=out) if ".gen." in t.id]


def test_generated_analyses_ground_over_templates_and_cohorts(generated):
    assert len(generated) == 12 and len({t.category for t in generated}) == 10
    assert all(t.generated is not None and t.generated.seed == 1 for t in generated)
    assert len({(t.question, t.data_dir) for t in generated}) == 12
    total = sum(len(analyses(c)) for c in COHORTS)
    assert total >= 598, total  # BioDSBench's share of a 72,413-task mix, with the 18 built-in ones


def test_oracle_passes_generated_analyses_and_a_wrong_value_fails(generated, tmp_path):
    picked = [
        next(t for t in generated if t.category == c) for c in ("gene_by_group", "km_medians", "cna_share")
    ]
    config = mg.EnvConfig(sandbox="zygote")  # forked kernels; the suite's own runs are in bubblewrap
    oracle = mg.run_episodes(picked, lambda _t: mg.OracleAgent(), tmp_path / "oracle", config=config)
    assert [(r.passed, r.reward) for r in oracle] == [(True, 1.0)] * 3
    cna = picked[2]
    wrong = mg.run_episodes(
        [cna], lambda _t: _Cells(["share = share + 0.01"], reference=True), tmp_path / "w", config=config
    )
    assert not wrong[0].passed and wrong[0].reward == 0.5
