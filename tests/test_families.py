"""Task families as plug-ins: the registry, and a family that exists only in this test package.

``tests/plugins`` holds ``medgym_toy`` with its ``.dist-info`` (an entry point under ``medgym_nb.families``):
putting that folder on the path is exactly how an installed package is found. The family has a state-based
grader (a probe in the episode's own kernel), a file-output grader (a kept ``predictions.csv``) and a grader
that runs the agent's code in a sandboxed kernel, and runs end to end through the unchanged env, runner and
CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import nbformat
import pytest

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.families.ehrsql.family import EhrsqlFamily
from medgym_nb.family import KernelNeeds
from medgym_nb.family.registry import ENTRY_POINT_GROUP
from medgym_nb.grading.batch import grade_directory
from tests.marks import slow_except

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> list[mg.Task]:
    """The toy family, installed through its entry point (for this process and its kernels' processes)."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(PLUGINS), os.environ.get("PYTHONPATH")]))
    )
    tasks = mg.load_tasks("toy_stats")
    yield tasks
    mg.unregister_family("toy_stats")


def test_builtin_family_comes_through_the_entry_point():
    assert "ehrsql" in {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    family = mg.get_family("ehrsql")
    assert set(family.sources) == {"mimic_iii", "eicu", "treqs"} and "mimic_iii" in mg.list_sources()
    assert mg.get_family(mg.load_tasks("mimic_iii")[0].family) is family


def test_unknown_family_and_source_say_what_exists():
    with pytest.raises(mg.UnknownFamilyError, match="Did you mean 'ehrsql'"):
        mg.get_family("ehrsq")
    with pytest.raises(mg.UnknownSourceError, match="Did you mean 'mimic_iii'"):
        mg.load_tasks("mimic_ii")
    with pytest.raises(mg.UnknownSourceError, match="Known: "):
        mg.load_tasks("no_such_source")


def test_a_family_cannot_claim_another_familys_source():
    class Thief(EhrsqlFamily):
        name = "thief"

    with pytest.raises(mg.MedgymError, match="claims source"):
        mg.register_family(Thief)
    assert "thief" not in {f.name for f in mg.list_families()}


def test_kernel_needs_are_checked_not_ignored(test_tasks):
    class Needy(EhrsqlFamily):
        name = "needy"
        sources = ()
        kernel = mg.KernelNeeds(packages=("pandas", "no_such_package_xyz"))

    class Networked(Needy):
        name = "networked"
        kernel = mg.KernelNeeds(network="service")

    mg.register_family(Needy)
    mg.register_family(Networked)
    try:
        with mg.Env() as env:
            with pytest.raises(mg.MedgymError, match=r"lacks: \['no_such_package_xyz'\]"):
                env.reset(test_tasks[0].model_copy(update={"family": "needy"}))
            with pytest.raises(mg.MedgymError, match="declares no service"):
                env.reset(test_tasks[0].model_copy(update={"family": "networked"}))
            obs, _ = env.reset(test_tasks[0])  # the env is still usable
            assert obs.type == "task"
    finally:
        mg.unregister_family("needy")
        mg.unregister_family("networked")


def test_tasks_of_old_notebooks_still_validate():
    """Tasks recorded before families existed (grader/answer_spec/actions fields) read as EHRSQL tasks."""
    old = {
        "id": "x",
        "source": "mimic_iii",
        "category": "c",
        "question": "q",
        "answer": [1],
        "answer_spec": {"kind": "list", "ordered": True},
        "actions": ["execute"],
        "solution": ["print([1])"],
        "grader": "ehrsql",
    }
    task = mg.Task.model_validate(old)
    assert task.family == "ehrsql" and task.payload.answer_spec.ordered


def test_plugin_family_oracle_passes_and_wrong_answers_score_zero(toy, tmp_path):
    assert {t.category for t in toy} == {"state", "file", "code", "sequence"}
    assert mg.get_family(toy[0].family).actions == ("execute", "submit")
    results = mg.run_episodes(toy, lambda _t: mg.OracleAgent(), tmp_path / "oracle")
    assert [(r.passed, r.reward) for r in results] == [(True, 1.0)] * 4
    state_ep = mg.read_episode(results[0].notebook)
    assert state_ep.grading["state"] == {"value": pytest.approx(toy[0].answer)}
    folder = Path(results[1].notebook).parent
    assert (folder / "files" / "predictions.csv").is_file() and (folder / "grade.ipynb").is_file()
    plans = {
        "toy_stats.mean": [
            {"action": "execute", "params": {"code": "mean_x = 0.0\nprint('correct: 1.0 PASSED')"}},
            {"action": "submit", "params": {"answer": "done"}},
        ],
        "toy_stats.labels": [
            {"action": "execute", "params": {"code": toy[1].solution[0]}},
            {
                "action": "execute",
                "params": {
                    "code": "df.assign(prediction=(df['x'] <= 5.0).astype(int))[['id', 'prediction']]"
                    ".to_csv('predictions.csv', index=False)"
                },
            },
            {"action": "submit", "params": {"answer": "done"}},
        ],
        "toy_stats.double": [{"action": "submit", "params": {"answer": "def double(x):\n    return x"}}],
        "toy_stats.sequence": [
            {"action": "submit", "params": {"answer": -1.0}},
            {"action": "submit", "params": {"answer": -1}},
        ],
    }

    class Wrong(ScriptedAgent):
        name = "wrong"

        def plan(self, task):
            return plans[task.id]

    bad = mg.run_episodes(toy, lambda _t: Wrong(), tmp_path / "wrong")
    assert [(r.passed, r.reward) for r in bad] == [(False, 0.0)] * 4
    assert "incorrect" in mg.read_episode(bad[0].notebook).grade.message


def test_plugin_family_state_probe_is_unseen_and_regrades_offline(toy, tmp_path):
    """The probe leaves nothing in the agent's history; ``medgym grade`` re-grades from the recorded context."""
    with mg.Env(out_dir=tmp_path) as env:
        env.reset(toy[0])
        env.step({"action": "execute", "params": {"code": toy[0].solution[0]}})
        env.step({"action": "execute", "params": {"code": toy[0].solution[1]}})
        *_, info = env.step({"action": "submit", "params": {"answer": "done"}})
    nb = nbformat.read(info["notebook"], as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2]
    assert "__medgym_state__" not in json.dumps([c.source for c in nb.cells])
    records = grade_directory(tmp_path, force=True)
    assert [(r.status, r.passed) for r in records] == [("graded", True)]


def test_cli_runs_a_plugin_family_unchanged(toy, tmp_path):
    exe = Path(sys.executable).with_name("medgym")
    env = {**os.environ, "COLUMNS": "160"}
    listed = subprocess.run(  # two families, not every one: listing counts tasks, so it builds their data
        [str(exe), "families", "-f", "toy_stats", "--family", "medcalcbench"],
        capture_output=True,
        text=True,
        env={**env, "MEDGYM_HOME": str(tmp_path / "home")},  # neither suite built yet
        timeout=300,
    )
    assert listed.returncode == 0, listed.stderr
    assert "toy_stats" in listed.stdout and "state (1)" in listed.stdout and "medcalcbench" in listed.stdout
    assert "npowerai" not in listed.stdout
    assert "2/2" in listed.stderr  # both suites built together, behind one progress bar
    unknown = subprocess.run(
        [str(exe), "families", "-f", "toy_stat"], capture_output=True, text=True, env=env, timeout=300
    )
    assert unknown.returncode != 0 and "Did you mean 'toy_stats'" in unknown.stdout + unknown.stderr
    args = [str(exe), "run", "--source", "toy_stats", "--agent", "oracle", "--split", "test"]
    done = subprocess.run(
        [*args, "--out", str(tmp_path / "run")], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    index = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(index) == 4 and all(r["passed"] for r in index)


def test_agent_code_a_grader_runs_stays_in_the_sandbox(toy, tmp_path):
    """A submission that tries to write on the host when the grader runs it: the write never lands."""
    from medgym_nb.kernel.bwrap import bwrap_status

    if not bwrap_status()[0]:
        pytest.skip(f"bubblewrap unavailable: {bwrap_status()[1]}")
    marker = tmp_path / "escaped"
    hostile = f"open({str(marker)!r}, 'w').write('x')\ndef double(x):\n    return 2 * x"
    with mg.Env() as env:
        env.reset(toy[2])
        obs, reward, terminated, *_ = env.step({"action": "submit", "params": {"answer": hostile}})
    assert terminated and reward == 0.0 and "error" in obs.env_message
    assert not marker.exists()


def test_a_grader_runs_agent_code_under_the_episodes_limits(toy):
    """The grading context carries the episode's sandbox limits: code the grader runs for the agent gets the
    same file-size limit as the agent's own kernel, not the defaults."""
    writes = "open('big', 'wb').write(b'0' * 3_000_000)\ndef double(x):\n    return 2 * x"
    submit = {"action": "submit", "params": {"answer": writes}}
    with mg.Env() as env:
        env.reset(toy[2])
        assert env.step(submit)[1] == 1.0  # a 3 MB file is within the default limits
    small = mg.SandboxLimits(file_size_mb=1)
    with mg.Env(limits=small) as env:
        env.reset(toy[2])
        obs, reward, terminated, *_ = env.step(submit)
        assert env.context.limits == small
    assert terminated and reward == 0.0 and "error" in obs.env_message


def test_a_follow_up_question_is_graded_on_its_own_and_reuses_kernel_state(toy, tmp_path):
    """Multi-part tasks: each answer is graded once, the next question follows; one wrong answer of two
    costs exactly half the reward, the notebook shows the question where it was asked, and both the
    offline re-grade and a replay agree."""
    from medgym_nb.replay import replay_notebook

    task = toy[3]
    with mg.Env(out_dir=tmp_path / "run") as env:
        env.reset(task)
        env.step({"action": "execute", "params": {"code": task.solution[0]}})
        env.step({"action": "execute", "params": {"code": task.solution[1]}})
        obs, reward, terminated, *_ = env.step({"action": "submit", "params": {"answer": task.answer[0]}})
        assert obs.type == "next_question" and obs.passed and not terminated and reward == 0.0
        assert "half of that largest value" in obs.env_message
        obs, *_ = env.step({"action": "execute", "params": {"code": "print(top)"}})  # state of the first part
        assert float(obs.env_message) == task.answer[0]
        obs, reward, terminated, _, info = env.step(
            {"action": "submit", "params": {"answer": task.answer[1] + 1}}
        )
    assert terminated and reward == 0.5 and obs.type == "grade" and "1 of 2 questions" in obs.env_message
    episode = mg.read_episode(info["notebook"])
    assert episode.reward == 0.5 and episode.grade.subscores == {"q1": 1.0, "q2": 0.0}
    nb = nbformat.read(info["notebook"], as_version=4)
    roles = [c.metadata.get("medgym", {}).get("role") for c in nb.cells]
    assert roles.index("question") == 4  # after the task, three actions and the first answer
    folder = Path(info["notebook"]).parent
    assert (folder / "grade.q1.ipynb").is_file() and (folder / "grade.q2.ipynb").is_file()
    [record] = grade_directory(tmp_path / "run", force=True)
    assert (record.status, record.score, record.passed) == ("graded", 0.5, False)
    report = replay_notebook(info["notebook"], tmp_path / "replay")
    assert report.reproduced and mg.read_episode(report.replayed).reward == 0.5


@pytest.mark.parametrize(
    "name",
    slow_except(
        sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)),
        # the three heaviest (biodsbench, ehrsql, prediction: 13-24 s each) run in make test-all
        {"biocoder", "ehr_seqsql", "ehrcon", "medagentbench", "medcalcbench", "npowerai"},
    ),
)
def test_every_installed_family_passes_the_conformance_check(name, shared_dir, tmp_path):
    """``mg.check_family`` on each installed family, with the official sample rows: the oracle passes, wrong
    answers, printed verdicts, a crashing agent and an empty episode score 0, a replay reproduces."""
    report = mg.check_family(name, official=shared_dir, sample=1, sandbox="zygote", out_dir=tmp_path)
    print(f"{name}: " + "; ".join(f"{c.name}: {c.detail}" for c in report.checks))
    print(f"{name}: {len(report.excluded)} excluded: {[e.reason[:80] for e in report.excluded[:3]]}")
    assert report.failures() == []
    assert {c.name for c in report.checks} >= {
        "interface",
        "oracle passes",
        "wrong answer scores 0",
        "printed verdict scores 0",
        "crashing agent scores 0",
        "empty episode scores 0",
        "replay reproduces",
    }


def test_the_worked_example_plugin_passes_the_conformance_check(toy, tmp_path):
    """docs/architecture.md's worked example (tests/plugins/medgym_toy) passes the checker; a family that
    breaks the contract is told what is wrong."""
    report = mg.check_family("toy_stats", sample=3, sandbox="zygote", out_dir=tmp_path)  # forked kernels
    assert report.passed, report.failures()

    always_passes = tmp_path / "always_passes.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell('task = ""\ncontext = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from medgym_nb.grading.comparators import Grade, publish\n"
            "publish(Grade(score=1.0, passed=True, message='looks right'))"
        ),
    ]
    nbformat.write(notebook, always_passes)

    class Leaky(type(mg.get_family("toy_stats"))):  # type: ignore[misc]
        """A grader that passes whatever it is given, and a misspelt preload: the checker must say so."""

        name = "toy_leaky"
        sources = suite_sources = ("toy_leaky",)
        kernel = KernelNeeds(preload=("json.decoder", "jsonn.decoder", "json.no_such_module"))

        def build_suite(self, source, root, seed):
            tasks = super().build_suite("toy_stats", root, seed)
            return [t.model_copy(update={"source": source, "family": self.name}) for t in tasks]

        def grader_notebook(self):
            return always_passes

    mg.register_family(Leaky)
    try:
        leaky = mg.check_family("toy_leaky", sample=1, sandbox="zygote", out_dir=tmp_path / "leaky")
    finally:
        mg.unregister_family("toy_leaky")
    failed = {c.name for c in leaky.failures()}
    assert {"interface", "wrong answer scores 0", "printed verdict scores 0"} <= failed
    assert "oracle passes" not in failed and "empty episode scores 0" not in failed
    interface = next(c for c in leaky.failures() if c.name == "interface")
    assert "['jsonn.decoder', 'json.no_such_module'] (KernelNeeds.preload)" in interface.detail


def test_setup_does_what_families_declare(tmp_path):
    """``medgym setup`` is built from declarations: a family's own steps, its kernel environment, its suites;
    the flags leave environments and data to first use, and one family's setup builds its suites."""
    from medgym_nb.setup import setup_plan

    plan = {(family, step.what) for family, step in setup_plan()}
    assert ("biocoder", "build the biocoder kernel environment") in plan
    assert any(family == "medagentbench" and "npm ci" in what for family, what in plan)
    assert ("ehrsql", "build the eicu suite") in plan
    installs_only = {family for family, _step in setup_plan(data=False, environments=False)}
    assert installs_only == {"medagentbench"}
    exe = Path(sys.executable).with_name("medgym")
    done = subprocess.run([str(exe), "setup", "npowerai"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "setting up" in done.stderr and "1/1" in done.stderr
