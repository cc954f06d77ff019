"""The prediction family (EHRSHOT, MIMIC-Extract): the agent trains a model and writes a predictions file.

Real components throughout: synthetic data built by the generators, episodes in the bubblewrap sandbox
where the oracle trains the logistic baseline in the kernel, the file kept with the episode and graded by
papermill against the hidden test labels, then re-graded offline from the kept file. Files written by a
majority-class "model", with text, NaN, missing ids or wrong columns, and no file at all, score 0 or fail
with a message saying why.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.families.prediction import ehrshot, mimic_extract
from medgym_nb.families.prediction.family import PredictionPayload, pass_threshold
from medgym_nb.families.prediction.grade import grade_predictions, majority_accuracy
from medgym_nb.families.prediction.split import HiddenLabels
from medgym_nb.family import OfficialRow
from medgym_nb.grading.batch import grade_directory
from medgym_nb.report import render_html, summarise_run
from medgym_nb.tasks.generate import generate_suite, rebuild_suite
from medgym_nb.tasks.official import read_task_file
from tests.official import official_rows
from tests.plays import play_each

EHRSHOT_FILE = ("medagentgym", "ehrshot", "task.jsonl")
MIMIC_SAMPLE = ("medagentgym", "mimic_extract", "train_tasks.sample.jsonl")
MIMIC_TRAIN = ("medagentgym-train", "mimic_extract", "train_tasks.jsonl")


def _shared_file(shared_dir: Path, parts: tuple[str, str, str]) -> Path:
    path = shared_dir.parent.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"the official file is not in ../shared ({path})")
    return path


def _payload(task: mg.Task) -> PredictionPayload:
    assert isinstance(task.payload, PredictionPayload)
    return task.payload


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() if p.is_file() else b"" for p in sorted(folder.iterdir())}


# ---- data ----


def test_ehrshot_data_is_deterministic_with_missing_values_imbalance_and_hidden_test_labels(tmp_path):
    first = ehrshot.build_task(tmp_path / "a", "new_lupus", 0)
    again = ehrshot.build_task(tmp_path / "b", "new_lupus", 0)
    other = ehrshot.build_task(tmp_path / "c", "new_lupus", 1)
    assert first == again and _files(tmp_path / "a") == _files(tmp_path / "b")
    assert first.labels != other.labels and _files(tmp_path / "a") != _files(tmp_path / "c")
    train, test = pd.read_csv(tmp_path / "a" / "train.csv"), pd.read_csv(tmp_path / "a" / "test.csv")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["test.csv", "train.csv", "val.csv"]
    assert "label" not in test.columns and test["patient_id"].tolist() == first.patient_ids
    assert train["label"].dtype == bool and 0.05 < train["label"].mean() < 0.2  # a rare diagnosis
    features = train.filter(like="feature_")
    assert features.shape[1] == ehrshot.N_FEATURES and 0.05 < features.isna().mean().mean() < 0.2
    assert not set(train["patient_id"]) & set(test["patient_id"])


def test_chexpert_labels_are_finding_bit_masks(tmp_path):
    hidden = ehrshot.build_task(tmp_path, "chexpert", 0)
    masks = set(pd.read_csv(tmp_path / "train.csv")["label"]) | set(hidden.labels)
    support = 2 ** ehrshot.CHEXPERT_FINDINGS.index("Support Devices")
    assert support == 8192 and support in masks and all(0 <= m < 2**14 for m in masks)
    assert hidden.kind == "multilabel" and 5 <= len(masks) <= 40


def test_mimic_extract_series_are_hourly_sparse_and_labelled_for_train_and_val_only(tmp_path):
    hidden = mimic_extract.build_folder(tmp_path, "mortality_los", 0)
    assert set(hidden) == {"mort_hosp", "mort_icu", "los_3", "los_7"}
    again = tmp_path / "again"
    assert mimic_extract.build_folder(again, "mortality_los", 0) == hidden
    assert _files(again) == {n: b for n, b in _files(tmp_path).items() if n != "again"}
    names = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert "labels_test.csv" not in names and {"labels_train.csv", "vitals_labs_test.csv"} <= set(names)
    series = pd.read_csv(tmp_path / "vitals_labs_train.csv")
    assert series.groupby("patient_id")["hours_in"].apply(list).map(lambda h: h == list(range(24))).all()
    assert series["heart rate"].isna().mean() < 0.2 < 0.7 < series["lactate"].isna().mean()
    labels = pd.read_csv(tmp_path / "labels_train.csv")
    assert (labels["mort_icu"] <= labels["mort_hosp"]).all() and (labels["los_7"] <= labels["los_3"]).all()
    assert 0.05 < labels["mort_hosp"].mean() < 0.25
    test_ids = pd.read_csv(tmp_path / "static_test.csv")["patient_id"].tolist()
    assert hidden["mort_hosp"].patient_ids == test_ids


def test_pass_threshold_sits_between_majority_and_baseline():
    assert pass_threshold(0.9, 0.7) == pytest.approx(0.88)
    assert pass_threshold(0.94, 0.9) == pytest.approx(0.92)  # half the gain when it is small
    with pytest.raises(ValueError, match="barely beats"):
        pass_threshold(0.905, 0.9)


# ---- grading files (no kernel) ----


HIDDEN = HiddenLabels(kind="binary", classes=[0, 1], patient_ids=[11, 12, 13, 14], labels=[1, 0, 0, 1])


def _write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "predictions-x.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def test_a_good_file_scores_accuracy_auroc_and_auprc(tmp_path):
    text = "patient_id,prediction,probability\n14,True,0.9\n13,false,0.2\n12,0,0.8\n11,1,0.7\n"
    grade = grade_predictions(_write(tmp_path, text), "predictions-x.csv", HIDDEN, 0.75)
    assert grade.passed and grade.score == 1.0
    assert grade.subscores == {"accuracy": 1.0, "auroc": 0.75, "auprc": pytest.approx(0.8333, abs=1e-3)}
    wrong = "patient_id,prediction\n11,True\n12,True\n13,False\n14,False\n"
    half = grade_predictions(_write(tmp_path, wrong), "predictions-x.csv", HIDDEN, 0.75)
    assert (half.score, half.passed) == (0.5, False) and "failed" in half.message
    bad_probs = "patient_id,prediction,probability\n11,1,2\n12,0,0\n13,0,0\n14,1,1\n"
    noted = grade_predictions(_write(tmp_path, bad_probs), "predictions-x.csv", HIDDEN, 0.75)
    assert noted.score == 1.0 and "probabilities ignored" in noted.message and "auroc" not in noted.subscores


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("id,label\n11,1\n12,0\n13,0\n14,1\n", "no column patient_id or prediction"),
        ("patient_id,prediction\n11,1\n12,0\n", "2 of 4 test patients have no prediction"),
        ("patient_id,prediction\n11,1\n12,\n13,0\n14,1\n", "1 prediction(s) are not True/False"),
        ("patient_id,prediction\n11,1\n12,nan\n13,0\n14,1\n", "are not True/False"),
        ("patient_id,prediction\n11,yes please\n12,0\n13,0\n14,1\n", "'yes please'"),
        ("patient_id,prediction\n11,1\n11,1\n12,0\n13,0\n14,1\n", "more than once: 11"),
        ("patient_id,prediction\nabc,1\n12,0\n13,0\n14,1\n", "not integers: 'abc'"),
        ("patient_id,prediction\n11,1\n12,0\n13,0\n14,1\n99,1\n", "not test patients: 99"),
        ("", "not a readable CSV file"),
        (b"\xff\xfe\x00garbage\x00", "not a readable CSV file"),
    ],
)
def test_a_malformed_file_scores_zero_with_a_clear_message(tmp_path, text, says):
    grade = grade_predictions(_write(tmp_path, text), "predictions-x.csv", HIDDEN, 0.5)
    assert (grade.score, grade.passed) == (0.0, False)
    assert grade.message.startswith("predictions-x.csv cannot be scored: ") and says in grade.message


def test_no_file_and_multiclass_labels():
    missing = grade_predictions(None, "predictions-x.csv", HIDDEN, 0.5)
    assert (missing.score, missing.passed) == (0.0, False) and "no predictions file" in missing.message
    hidden = HiddenLabels(kind="multiclass", classes=[0, 1, 2, 3], patient_ids=[1, 2], labels=[3, 0])
    assert majority_accuracy(hidden) == 0.5


# ---- official rows ----


def test_official_rows_import_with_their_descriptions_unchanged(shared_dir):
    path = _shared_file(shared_dir, EHRSHOT_FILE)
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    tasks = read_task_file(path, "ehrshot").tasks
    assert [_payload(t).task_name for t in tasks] == [r["task_name"] for r in rows]
    assert {r["task_name"] for r in rows} == set(ehrshot.TASKS)
    assert [t.question for t in tasks] == [r["task_description"] for r in rows]
    assert {t.category for t in tasks} == {"operational", "lab", "diagnosis", "chexpert"}
    for split in ("sample", "train"):
        mimic = official_rows(shared_dir, "mimic_extract", split)
        assert {r["task_name"] for r in mimic} <= set(mimic_extract.TASKS)
    origin = OfficialRow(source="ehrshot", where="task.jsonl:1", folder=path.parent, split="test", line=1)
    family = mg.get_family("prediction")
    with pytest.raises(mg.TaskFileError, match=r"task\.jsonl:1: unknown ehrshot task 'guo_mortality'"):
        family.read_official_row({"task_name": "guo_mortality", "task_description": "Predict."}, origin)
    with pytest.raises(mg.TaskFileError, match="needs task_name and task_description"):
        family.read_official_row({"task_name": "guo_los"}, origin)


# ---- episodes in the sandbox ----


class _Writes(ScriptedAgent):
    """Writes a file by code in the kernel, then has it graded with ``validate_code``; would try again."""

    name = "writes"

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code

    def plan(self, task):
        step = {"action": "validate_code", "params": {"code": self.code.format(out=_payload(task).output)}}
        return [step, step]


MAJORITY = (
    "import glob, pandas as pd\n"
    "folder = sorted(glob.glob('data/*'))[0]\n"
    "train = pd.read_csv(folder + '/train.csv')\n"
    "test = pd.read_csv(folder + '/test.csv')\n"
    "pd.DataFrame({{'patient_id': test.patient_id, 'prediction': train.label.mode()[0]}}).to_csv('{out}', index=False)\n"
    "train.label.value_counts().plot.bar().figure.savefig('labels.png')\n"
    "print('majority file written')"
)
TEXT = (
    "import glob, pandas as pd\n"
    "test = pd.read_csv(sorted(glob.glob('data/*'))[0] + '/test.csv')\n"
    "pd.DataFrame({{'patient_id': test.patient_id, 'prediction': 'maybe'}}).to_csv('{out}', index=False)\n"
    "print('written')"
)


@pytest.fixture(scope="module")
def official(shared_dir, tmp_path_factory) -> dict[str, mg.Task]:
    """One EHRSHOT row (guo_los) and the MIMIC-Extract sample rows, loaded as a user would."""
    rows = [json.loads(line) for line in _shared_file(shared_dir, EHRSHOT_FILE).read_text().splitlines()]
    data = tmp_path_factory.mktemp("official")
    (data / "ehrshot").mkdir()
    (data / "ehrshot" / "task.jsonl").write_text(json.dumps(rows[0]) + "\n")
    ehr = mg.load_tasks("ehrshot", path=data)
    mimic = mg.load_tasks("mimic_extract", path=_shared_file(shared_dir, MIMIC_SAMPLE))
    return {"guo_los": ehr[0], **{_payload(t).task_name: t for t in mimic}}


@pytest.fixture(scope="module")
def episodes(official, tmp_path_factory):
    """Oracle on an EHRSHOT and a MIMIC-Extract task; a majority-class file, a text file and no file."""
    out = tmp_path_factory.mktemp("prediction-run")
    plays = [
        (official["guo_los"], mg.OracleAgent()),
        (official["mort_hosp"], mg.OracleAgent()),
        (official["guo_los"], _Writes(MAJORITY)),
        (official["guo_los"], _Writes(TEXT)),
        (official["los_3"], _Writes("print('I trained nothing')")),
    ]
    results = play_each(plays, out)
    return out, plays, results


def test_oracle_passes_an_ehrshot_and_a_mimic_extract_task_in_the_sandbox(episodes):
    _out, plays, results = episodes
    for (task, _agent), result in list(zip(plays, results, strict=True))[:2]:
        payload = _payload(task)
        assert result.passed and result.reward == pytest.approx(payload.baseline)
        assert payload.majority + 0.01 < payload.threshold <= result.reward
        episode = mg.read_episode(result.notebook)
        assert episode.sandbox == "bwrap" or episode.sandbox.startswith("zygote")
        kept = Path(result.notebook).parent / "files" / payload.output
        assert len(pd.read_csv(kept)) == len(payload.hidden.patient_ids)
        assert "auroc" in episode.grade.subscores
        mounted = {p.name for p in Path(task.data_dir or "", payload.folder).iterdir()}
        assert not {"labels_test.csv", "payloads.json"} & mounted  # test labels stay on the host
        assert mounted <= {"train.csv", "val.csv", "test.csv"} or "labels_train.csv" in mounted


def test_majority_text_and_missing_files_fail_with_clear_messages(episodes):
    _out, plays, results = episodes
    majority, text, nothing = results[2:]
    payload = _payload(plays[2][0])
    assert not majority.passed and majority.reward == pytest.approx(payload.majority)
    graded = mg.read_episode(majority.notebook)
    assert "failed: the pass threshold" in graded.grade.message
    # the grade told the test accuracy, so it ended the episode: no second try to fit the hidden labels
    assert (len(graded.turns), graded.termination) == (1, mg.Termination.SUBMITTED)
    assert (text.passed, text.reward) == (False, 0.0)
    assert "'maybe'" in mg.read_episode(text.notebook).grade.message
    assert (nothing.passed, nothing.reward) == (False, 0.0)
    assert "no predictions file" in mg.read_episode(nothing.notebook).grade.message


def test_offline_regrade_from_kept_files_and_report_shows_them(episodes):
    out, _plays, results = episodes
    first = out / "0"
    records = grade_directory(first, force=True)
    assert [(r.status, r.score) for r in records] == [("graded", results[0].reward)]
    kept = next(first.rglob("files/predictions-guo_los.csv"))
    kept.write_text("patient_id,prediction\n1,True\n")  # tampered after the run: the re-grade sees it
    assert "cannot be scored" in grade_directory(first, force=True)[0].message
    run = summarise_run(out / "2")  # the majority agent's, which also saved a figure
    assert [Path(f).name for f in run.rows[0].files] == ["labels.png", "predictions-guo_los.csv"]
    assert all((out / "2" / f).is_file() for f in run.rows[0].files)
    page = render_html(run)
    assert "kept files" in page and "predictions-guo_los.csv</a><pre>patient_id,prediction" in page
    assert 'labels.png">labels.png</a>' in page


# ---- everything (slow) ----


@pytest.mark.slow
@pytest.mark.parametrize("source", ["ehrshot", "mimic_extract"])
def test_oracle_passes_every_task_and_majority_files_fail(source, tmp_path):
    tasks = mg.load_tasks(source)
    assert len(tasks) == (15 if source == "ehrshot" else 6)
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path)
    for task, result in zip(tasks, results, strict=True):
        payload = _payload(task)
        print(
            f"{task.id}: oracle {result.reward:.3f}, threshold {payload.threshold:.3f}, majority {payload.majority:.3f}"
        )
        assert result.passed and result.reward >= payload.threshold > payload.majority


@pytest.mark.slow
def test_every_official_row_loads_on_its_data(shared_dir):
    ehr = mg.load_tasks("ehrshot", path=_shared_file(shared_dir, EHRSHOT_FILE).parent.parent)
    mimic = mg.load_tasks("mimic_extract", path=_shared_file(shared_dir, MIMIC_TRAIN))
    for task in ehr + mimic:
        payload = _payload(task)
        assert payload.hidden is not None and payload.threshold > payload.majority
        assert Path(task.data_dir or "", payload.folder).is_dir()
    assert np.mean([_payload(t).baseline - _payload(t).majority for t in ehr]) > 0.1


# ---- generated tasks (medgym tasks generate) ----

GENERATED = "ehrshot,mimic_extract"
ALL_ROWS = (
    "import pandas as pd\n"
    "test = pd.read_csv('data/ehrshot/test.csv')\n"
    "pd.DataFrame({{'patient_id': test.patient_id, 'prediction': False}}).to_csv('{out}', index=False)\n"
    "print('every test row, not the cohort')"
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prediction-generated")
    generate_suite(out, GENERATED, n=24, seed=2)
    return out


def test_generated_tasks_vary_cohort_outcome_window_and_features_over_shared_pools(generated):
    for source in GENERATED.split(","):
        tasks = mg.load_tasks(source, path=generated)
        payloads = [_payload(t) for t in tasks]
        assert len({(t.question, t.context) for t in tasks}) == len(tasks) >= 7
        assert len({t.data_dir for t in tasks}) == 1  # one pool shared, not a folder per task
        assert len({t.category for t in tasks}) >= 5 and len({p.where for p in payloads}) >= 3
        assert len({(p.label, tuple(p.features), p.hours) for p in payloads}) >= 5
        for task, payload in zip(tasks, payloads, strict=True):
            assert payload.hidden is not None and task.generated is not None
            assert payload.majority < payload.threshold <= payload.baseline - 0.005
            folder = Path(task.data_dir or "", payload.folder)
            test = pd.read_csv(folder / ("test.csv" if source == "ehrshot" else "static_test.csv"))
            cohort = test.query(payload.where) if payload.where else test
            assert cohort["patient_id"].tolist() == payload.hidden.patient_ids  # the cohort's test rows only
            assert payload.label not in test.columns  # test labels stay on the host


def test_generated_tasks_rebuild_byte_identical(generated, tmp_path):
    rebuild_suite(generated / "manifest.json", tmp_path / "again")
    assert (tmp_path / "again" / "tasks.jsonl").read_bytes() == (generated / "tasks.jsonl").read_bytes()
    for pool in ("ehrshot/ehrshot/train.csv", "mimic_extract/mortality_los/vitals_labs_test.csv"):
        assert (tmp_path / "again" / "data" / pool).read_bytes() == (generated / "data" / pool).read_bytes()


def test_oracle_passes_generated_tasks_and_a_file_for_the_wrong_rows_fails(generated, tmp_path):
    """The oracle passes an EHRSHOT and a MIMIC-Extract task; a file for every test row, not just the
    cohort's, fails."""
    ehr = [t for t in mg.load_tasks("ehrshot", path=generated) if _payload(t).where]
    right = [ehr[0], mg.load_tasks("mimic_extract", path=generated)[0]]
    wrong = next(t for t in ehr[1:] if _payload(t).hidden.kind == "binary")
    results = mg.run_episodes(
        [*right, wrong],
        lambda t: _Writes(ALL_ROWS) if t is wrong else mg.OracleAgent(),
        tmp_path,
        concurrency=3,
    )
    for task, result in zip(right, results[:2], strict=True):
        assert result.passed and result.reward == pytest.approx(_payload(task).baseline, abs=1e-4), task.id
    assert not results[2].passed and results[2].reward == 0.0
    assert "not test patients" in mg.read_episode(results[2].notebook).grade.message
