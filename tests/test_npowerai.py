"""N-PowerAI: the power formulas against published values, the question parser on the official rows and on
generated ones, the grader's number rules, and oracle episodes in sandboxed kernels graded by papermill.

The official answers of four of the twelve official templates disagree with their own question text: they
use a constant of the template's textbook example (``npower.labels``; see
``test_stated_disagreements_are_exactly_the_label_templates``). ``solve`` reproduces the labels by default and
answers from the stated numbers with ``convention="stated"``; both are measured here.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
from statsmodels.stats.power import FTestAnovaPower, GofChisquarePower, TTestIndPower, TTestPower

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.families.npowerai.family import NpowerPayload, answer_spec
from medgym_nb.grading.comparators import compare
from medgym_nb.npower import (
    DESIGNS,
    LABEL_TEMPLATES,
    PowerQuestion,
    as_labelled,
    formulas,
    label_template,
    parse_question,
    solve,
)
from tests.official import SPLIT_FILES, official_rows

SOURCE = "npowerai"
F = formulas


def _payload(task: mg.Task) -> NpowerPayload:
    assert isinstance(task.payload, NpowerPayload)
    return task.payload


def _agrees(official: float, ours: float, target: str) -> bool:
    return ours == official if target == "size" else abs(ours - official) < 1e-6


# ---- formulas ----


def test_sizes_match_published_values():
    # G*Power / Cohen (1988): d = 0.5, two-sided 0.05, power 0.8
    assert F.two_sample_t(0.5, power=0.8) == 64
    assert F.one_sample_t(0.5, power=0.8) == 34 == F.paired_t(0.5, power=0.8)
    assert F.one_sample_t(0.5, power=0.8, sides=1) == 27
    # one-way ANOVA, f = 0.25, 4 groups: total 180 (45 per group); chi-square w = 0.3, df = 1: 88
    assert F.anova_oneway(0.25, 4, power=0.8) == 45
    assert F.chisq_independence(0.3, 1, power=0.8) == 88
    # Rosner, Fundamentals of Biostatistics (the vitamin A / retinitis pigmentosa example): HR 0.7, failure
    # probabilities 0.3707 and 0.4890, 80 % power: 294 per group by Freedman's formula
    assert F.cox_ph(0.7, (0.3707 + 0.4890) / 2, power=0.8) == 294
    assert F.cox_ph(0.7, (0.3707 + 0.4890) / 2, n=294) == pytest.approx(0.8011, abs=1e-4)
    # Schoenfeld: HR 0.5 needs 66 events, 33 per group when everyone has the event
    assert F.cox_ph(0.5, 1.0, power=0.8, method="schoenfeld") == 33


def test_powers_agree_with_statsmodels():
    assert F.two_sample_t(0.5, n=64) == pytest.approx(TTestIndPower().power(0.5, 64, 0.05), abs=1e-9)
    assert F.one_sample_t(0.3, n=50, sides=1) == pytest.approx(
        TTestPower().power(0.3, 50, 0.05, alternative="larger"), abs=1e-9
    )
    assert F.anova_oneway(0.25, 4, n=30) == pytest.approx(
        FTestAnovaPower().power(0.25, 120, 0.05, 4), abs=1e-9
    )
    assert F.chisq_independence(0.2, 4, n=200) == pytest.approx(
        GofChisquarePower().power(0.2, 200, 0.05, n_bins=5), abs=1e-9
    )
    # where statsmodels' noncentral t gives nan, ours stays a probability
    assert F.one_sample_t(2.74, n=37) == 1.0 and math.isnan(TTestPower().power(2.74, 37, 0.05))
    # a size is the smallest n reaching the power
    n = F.two_sample_t(0.4, power=0.9, alpha=0.01)
    assert F.two_sample_t(0.4, n=n, alpha=0.01) >= 0.9 > F.two_sample_t(0.4, n=n - 1, alpha=0.01)


def test_effect_sizes_and_domain_errors():
    assert F.cohens_d(10, 15, 17) == pytest.approx(10 / math.sqrt((15**2 + 17**2) / 2))
    assert F.cohens_f([1, 2, 3], 1) == pytest.approx(1.0)  # SD of the means with the n - 1 divisor
    assert F.cohens_w([[0.5, 0.5], [0.5, 0.5]]) == 0.0
    assert F.cohens_w([[1, 0], [0, 1]]) == pytest.approx(1.0)
    for bad in (
        lambda: F.one_sample_t(0, power=0.8),
        lambda: F.two_sample_t(0.5, power=0.8, n=10),
        lambda: F.two_sample_t(0.5, power=1.2),
        lambda: F.cox_ph(1.0, 0.5, power=0.8),
        lambda: F.anova_oneway(0.2, 1, power=0.8),
        lambda: F.two_sample_t(1e-9, power=0.8),
    ):
        with pytest.raises(ValueError):
            bad()


# ---- the parser on official rows ----


def test_every_sample_row_is_reproduced(shared_dir):
    rows = official_rows(shared_dir, SOURCE, "sample")
    reproduced = stated = 0
    for row in rows:
        question = parse_question(row["question"])
        assert DESIGNS[question.design] == row["task_type"] and question.target == row["estimate_target"]
        reproduced += _agrees(row["answer"], solve(row["question"]), row["estimate_target"])
        stated += _agrees(row["answer"], solve(row["question"], convention="stated"), row["estimate_target"])
    print(
        f"\nnpowerai sample: solve reproduces {reproduced}/{len(rows)} official answers ({stated} as stated)"
    )
    assert reproduced == len(rows) == 24
    assert stated == 15  # the other 9 come from the four templates whose labels use a constant


@pytest.fixture(scope="module")
def train(shared_dir) -> list[tuple[dict, PowerQuestion]]:
    """The official train rows, each with its parameters (parsed once)."""
    return [(row, parse_question(row["question"])) for row in official_rows(shared_dir, SOURCE, "train")]


def test_train_split_share(train):
    per_template: dict[tuple[str, str], list[bool]] = {}
    for row, question in train:
        assert DESIGNS[question.design] == row["task_type"] and question.target == row["estimate_target"]
        ok = _agrees(row["answer"], as_labelled(question, row["question"]).answer(), row["estimate_target"])
        per_template.setdefault((row["task_type"], row["estimate_target"]), []).append(ok)
    share = sum(sum(v) for v in per_template.values()) / len(train)
    print(f"\nnpowerai train: solve reproduces {share:.1%} of {len(train)} official answers")
    for (design, target), oks in sorted(per_template.items()):
        print(f"  {sum(oks):3d}/{len(oks):3d}  {design}, {target}")
    assert len(train) == 865 and share >= 0.95


def test_stated_disagreements_are_exactly_the_label_templates(train):
    """Answered from the stated numbers, a row disagrees with its label only in the four templates whose labels
    use a constant of the textbook example — and there, in most rows (so the constant is the template's, not
    a coincidence of a few rows)."""
    disagree: Counter[tuple[str, str]] = Counter()
    rows: Counter[tuple[str, str]] = Counter()
    for row, question in train:
        key = (question.design, question.target)
        rows[key] += 1
        disagree[key] += not _agrees(row["answer"], question.answer(), question.target)
    print(f"\nnpowerai train: disagreements when answered as stated: {dict(disagree)}")
    labelled = {(t.design, t.target) for t in LABEL_TEMPLATES}
    assert {key for key, n in disagree.items() if n} == labelled
    assert all(disagree[key] >= rows[key] * 0.9 for key in labelled)
    assert all(
        label_template(question, row["question"])
        for row, question in train
        if (question.design, question.target) in labelled
    )


# ---- the parser's wording and errors ----


def test_parser_reads_general_wording():
    q = parse_question(
        "Two independent groups will be compared. The mean difference is expected to be 5 with standard "
        "deviations of 10 and 12 in the two groups. With a total of 1,000 subjects, what is the power of a "
        "two-tailed test at α = 1%?"
    )
    assert (q.design, q.target, q.alpha, q.sides, q.n, q.size_unit) == (
        "two_sample_t",
        "power",
        0.01,
        2,
        1000,
        "total",
    )
    assert q.values == {"difference": 5.0, "sds": [10.0, 12.0]}
    assert q.answer() == pytest.approx(F.two_sample_t(F.cohens_d(5, 10, 12), n=500, alpha=0.01))
    q = parse_question(
        "A paired study measures patients before and after treatment; the mean change is 4 with a standard "
        "deviation of 8. What total sample size is needed for 90% power to detect a reduction?"
    )
    assert (q.design, q.target, q.power, q.alpha, q.sides) == ("paired_t", "size", 0.9, 0.05, 1)
    assert q.assumed == [
        "significance level 0.05 (not stated)",
        "one-sided test (a change in one direction is to be detected)",
    ]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "Two independent groups will be compared; the expected difference in means is 6 with a common SD of "
            "15. Calculate the required sample size per arm for a power of 0.9 at a significance level (α) of "
            "0.05, two-sided.",
            lambda: F.two_sample_t(0.4, power=0.9),
        ),
        (
            "A researcher compares the mean of a sample with the population mean of 50; she expects a mean of 53 "
            "and a standard deviation of 9. With 40 participants, what is the statistical power of a two-tailed "
            "test at p < 0.05?",
            lambda: F.one_sample_t(3 / 9, n=40),
        ),
        (
            "A one-way ANOVA compares three diets with expected means of 10, 12 and 15 and a common standard "
            "deviation of 6. What is the minimum number of subjects per group needed for 80% power at "
            "alpha = 0.05?",
            lambda: F.anova_oneway(F.cohens_f([10, 12, 15], 6), 3, power=0.8),
        ),
        (
            "A trial uses a Cox proportional hazards model; the hazard ratio is 0.6 and the probability of an "
            "event is 0.4. How many patients are required in each group for 90% power, two-sided alpha 0.05?",
            lambda: F.cox_ph(0.6, 0.4, power=0.9),
        ),
    ],
)
def test_paraphrases_are_read(question, expected):
    assert solve(question) == pytest.approx(expected(), abs=1e-12)


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("What is the power of the study?", "found no study design"),
        (
            "A one-sample study compares a mean with the population mean of 100. The investigators expect a "
            "mean of 105. How many participants are needed for 80% power?",
            "found no standard deviation",
        ),
        (
            "A one-sample study compares a mean with the population mean of 100. They expect a mean of 105 "
            "with a standard deviation of 10. How many participants are needed?",
            "found no target power",
        ),
        (
            "A one-sample study compares a mean with the population mean of 100. They expect a mean of 105 "
            "with a standard deviation of 10. Please think about it.",
            "found no question asking for a power or a sample size",
        ),
        (
            "A one-sample study compares a mean with the population mean of 100. They expect a mean of 105 "
            "with a standard deviation of 10, in 20 patients or 30 patients. What is the power?",
            "several sample sizes stated",
        ),
        (
            "The hazard ratio is assumed to be 0.7 and the study has 100 patients in each group. What is the "
            "power?",
            "found no event probabilities",
        ),
        (
            "A one-sample study compares a mean with the population mean of 100. They expect a mean of 100 "
            "with a standard deviation of 10. How many participants are needed for 80% power?",
            "effect size d must be a finite non-zero number",
        ),
    ],
)
def test_parser_errors_name_what_is_missing(question, missing):
    with pytest.raises(mg.npower.PowerQuestionError, match=missing):
        solve(question)


def test_an_overlong_question_is_refused():
    with pytest.raises(mg.npower.PowerQuestionError, match="characters long"):
        solve("the means for each group " * 1000 + "what is the power?")


# ---- the suite ----


@pytest.fixture(scope="module")
def suite() -> list[mg.Task]:
    return mg.load_tasks(SOURCE)


def test_suite_is_read_back_by_the_parser(suite):
    counts = Counter(t.category for t in suite)
    assert len(suite) == 120 and len(counts) == 12 and set(counts.values()) == {10}
    assert Counter(t.split for t in suite) == {"train": 80, "test": 40}
    assert len({t.question for t in suite}) == 120
    for task in suite:
        p = _payload(task)
        assert task.answer == p.formula_answer and _agrees(task.answer, solve(task.question), p.target)
        assert isinstance(task.answer, int) if p.target == "size" else 0 < task.answer < 1
        assert str(task.answer) not in task.prompt().replace(task.question, "")
        assert "medgym" not in "".join(task.solution)  # the oracle's cells are self-contained (scipy only)


# ---- grading ----


def test_grader_number_rules():
    size, power = answer_spec("size"), answer_spec("power")
    assert compare(size, 42, 42).passed and compare(size, 42, "42").passed and compare(size, 42, 42.0).passed
    for wrong in (43, 41, 42.5, "42 or 43", [42, 43], None, "forty-two"):
        assert not compare(size, 42, wrong).passed, wrong
    assert compare(power, 0.8, 0.8099).passed and compare(power, 0.8, 0.7901).passed
    for wrong in (0.8101, 0.7899, 80, [0.8, 0.5], "0.8 or 0.9"):
        assert not compare(power, 0.8, wrong).passed, wrong


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ({"task_type": "One-sample t-test", "estimate_target": "size", "answer": 4}, "no question text"),
        (
            {"task_type": "Bayesian t-test", "estimate_target": "size", "question": "q?", "answer": 4},
            "task_type",
        ),
        (
            {"task_type": "One-way ANOVA", "estimate_target": "n", "question": "q?", "answer": 4},
            "estimate_target",
        ),
        (
            {"task_type": "One-way ANOVA", "estimate_target": "size", "question": "q?", "answer": True},
            "not a number",
        ),
        (
            {"task_type": "One-way ANOVA", "estimate_target": "size", "question": "q?", "answer": 4.5},
            "integer",
        ),
    ],
)
def test_malformed_official_rows_are_named(row, error, tmp_path):
    path = tmp_path / SOURCE / "test_tasks.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(mg.TaskFileError, match=rf"test_tasks.jsonl:1: .*{error}"):
        mg.load_tasks(SOURCE, path=tmp_path)


def test_an_unreadable_official_question_is_kept_without_a_solution(tmp_path):
    path = tmp_path / "test_tasks.jsonl"
    row = {
        "task_type": "One-way ANOVA",
        "estimate_target": "power",
        "question": "What is the power?",
        "answer": 0.5,
    }
    path.write_text(json.dumps(row) + "\n")
    [task] = mg.load_tasks(SOURCE, path=path)
    assert (
        task.answer == 0.5
        and not task.solution
        and "found no study design" in (_payload(task).parse_error or "")
    )


# ---- episodes: sandboxed kernels, papermill grading ----


def _one_per_design(tasks: list[mg.Task], first: str) -> list[mg.Task]:
    """One task per design, the targets alternating from ``first``."""
    targets = ["size", "power"] if first == "size" else ["power", "size"]
    return [
        next(t for t in tasks if t.category == f"{design}_{targets[i % 2]}")
        for i, design in enumerate(DESIGNS)
    ]


def test_oracle_passes_every_design_in_sandboxed_kernels(suite, tmp_path):
    tasks = _one_per_design([t for t in suite if t.split == "test"], "size")
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path)
    assert [(r.passed, r.reward) for r in results] == [(True, 1.0)] * 6


@pytest.mark.slow
def test_oracle_passes_the_whole_test_split(suite, tmp_path):
    tasks = [t for t in suite if t.split == "test"]
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path)
    assert len(tasks) == 40 and sum(r.passed for r in results) == len(tasks)


def test_episode_kernels_start_with_the_power_libraries_imported(suite, tmp_path):
    """The family's ``KernelNeeds.preload`` reaches its zygote template: scipy's distributions and statsmodels'
    power solvers are imported there once, not by every episode's first answer (~0.5 s each)."""
    probe = (
        "import sys; print(sorted(m for m in ('scipy.stats', 'statsmodels.stats.power') if m in sys.modules))"
    )
    with mg.Env(out_dir=tmp_path, sandbox="zygote") as env:
        env.reset(suite[0])
        obs, *_ = env.step({"action": "execute", "params": {"code": probe}})
    assert obs.env_message.strip() == "['scipy.stats', 'statsmodels.stats.power']"


def test_wrong_answers_score_zero(suite, tmp_path):
    size = next(t for t in suite if _payload(t).target == "size")
    power = next(t for t in suite if _payload(t).target == "power")

    class OffByALittle(ScriptedAgent):
        name = "off"

        def plan(self, task):
            wrong = task.answer + 1 if isinstance(task.answer, int) else task.answer + 0.02
            return [{"action": "submit", "params": {"answer": wrong}}]

    results = mg.run_episodes([size, power], lambda _t: OffByALittle(), tmp_path)
    assert [(r.passed, r.reward) for r in results] == [(False, 0.0)] * 2


def test_oracle_passes_official_sample_rows_in_sandboxed_kernels(shared_dir, tmp_path):
    """A sample row of each template whose labels use a constant, and two whose labels follow the text."""
    tasks = mg.load_tasks(SOURCE, path=shared_dir / SOURCE / SPLIT_FILES["sample"][1])
    labelled = [f"{t.design}_{t.target}" for t in LABEL_TEMPLATES]
    chosen = [
        next(t for t in tasks if t.category == c) for c in [*labelled, "one_sample_t_power", "chisq_size"]
    ]
    assert sum(not _agrees(t.answer, _payload(t).formula_answer, _payload(t).target) for t in chosen) >= 3
    config = mg.EnvConfig(sandbox="zygote")  # the suite's test above plays its designs in bubblewrap
    results = mg.run_episodes(chosen, lambda _t: mg.OracleAgent(), tmp_path, config=config, concurrency=2)
    assert [(r.passed, r.reward) for r in results] == [(True, 1.0)] * 6


@pytest.mark.slow
def test_oracle_on_every_official_sample_row(shared_dir, tmp_path):
    """Every sample row runs, and the oracle passes every one."""
    tasks = mg.load_tasks(SOURCE, path=shared_dir / SOURCE / SPLIT_FILES["sample"][1])
    assert len(tasks) == 24 and all(t.solution for t in tasks)
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path)
    passed = [r.passed for r in results]
    print(f"\nnpowerai sample: oracle passes {sum(passed)}/{len(passed)} sandboxed episodes")
    assert all(passed)


def test_paths(tmp_path: Path):
    """``load_tasks(path=DATA_DIR)`` reads ``DATA_DIR/npowerai/*_tasks.jsonl``."""
    (tmp_path / SOURCE).mkdir()
    row = {
        "task_type": "One-sample t-test",
        "estimate_target": "size",
        "question": "A one-sample study compares a mean with the population mean of 100. They expect a mean of "
        "105 with a standard deviation of 10. How many participants are needed for 80% power with a two-sided "
        "test at a significance level of 0.05?",
        "answer": 34,
    }
    (tmp_path / SOURCE / "test_tasks.jsonl").write_text(json.dumps(row) + "\n")
    [task] = mg.load_tasks(SOURCE, path=tmp_path)
    assert task.split == "test" and task.answer == 34 == _payload(task).formula_answer
