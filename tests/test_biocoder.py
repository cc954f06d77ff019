"""BioCoder: functions spliced into hidden programs, run in sandboxed kernels of the family's own environment.

Real components throughout: the kernel environment is a real venv built from PyPI (once; kept in
``$MEDGYM_ENVS``, default ``~/.cache/medgym/envs``, across test sessions, because the suite's cache is a fresh
directory per session), programs run in real bubblewrap kernels, graders through papermill.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb._loop import run_sync
from medgym_nb.agents import ScriptedAgent
from medgym_nb.config import EnvConfig
from medgym_nb.errors import KernelEnvironmentError, TaskFileError
from medgym_nb.families.biocoder.family import BIOCODER_ENV, BiocoderPayload, grade_function, with_references
from medgym_nb.families.biocoder.generated import TEMPLATES, instances
from medgym_nb.families.biocoder.programs import run_programs, splice
from medgym_nb.families.biocoder.signatures import STUBS, decorator_lines, stub_function
from medgym_nb.family.registry import get_family
from medgym_nb.kernel.bwrap import bwrap_status
from medgym_nb.kernel.choice import SANDBOXES
from medgym_nb.kernel.environments import KernelEnvironment, ensure_environment
from medgym_nb.kernel.pool import KernelPool
from medgym_nb.tasks import spread_over_categories
from tests.sandboxes import sandboxes

SOURCE = "biocoder"
SAMPLE = "test_tasks.sample.jsonl"

pytestmark = pytest.mark.skipif(not bwrap_status()[0], reason=f"needs bubblewrap: {bwrap_status()[1]}")


@pytest.fixture(scope="session")
def environment() -> Path:
    """BioCoder's kernel environment, built on first use (minutes; then reused from the persistent cache that
    conftest's ``medgym_home`` points ``$MEDGYM_ENVS`` at)."""
    return ensure_environment(BIOCODER_ENV)


@pytest.fixture(scope="module")
def suite(environment: Path) -> list[mg.Task]:
    return mg.load_tasks(SOURCE)


@pytest.fixture(scope="module")
def samples(environment: Path, shared_dir: Path) -> list[mg.Task]:
    path = shared_dir / SOURCE / SAMPLE
    if not path.is_file():
        pytest.skip(f"the official biocoder sample is not in ../shared ({path})")
    return mg.load_tasks(SOURCE, path=path)


def _payload(task: mg.Task) -> BiocoderPayload:
    assert isinstance(task.payload, BiocoderPayload)
    return task.payload


def _run(programs: list[str], timeout: float = 30.0) -> list:
    return run_sync(run_programs(programs, environment=BIOCODER_ENV, sandbox="bwrap", timeout=timeout))


@pytest.mark.timeout(1800)
def test_environment_is_built_once_with_the_pinned_versions(environment):
    python = environment / "bin" / "python"
    probe = "import numpy, scipy, skimage, sklearn, pysam, Bio, centrosome; print(numpy.__version__, numpy.asfarray([1]))"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split()[0] == "1.26.4"
    marker = json.loads((environment / "medgym-environment.json").read_text())
    print(f"biocoder environment: built in {marker['build_seconds']} s at {environment}")
    t0 = time.monotonic()
    assert ensure_environment(BIOCODER_ENV) == environment  # cached: no second build
    assert time.monotonic() - t0 < 1.0
    leftovers = [p for p in environment.parent.glob(f".{BIOCODER_ENV.key}.*") if p.is_dir()]
    assert not leftovers  # no temporary build left behind


def test_a_failed_build_names_the_package_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDGYM_ENVS", str(tmp_path))
    monkeypatch.setenv("UV_OFFLINE", "1")  # offline: the wheel is looked for in uv's cache only
    broken = KernelEnvironment(name="broken", requirements=("numpy==0.0.1",))
    with pytest.raises(KernelEnvironmentError) as caught:
        ensure_environment(broken)
    assert caught.value.package == "numpy==0.0.1" and "broken" in str(caught.value)
    assert not broken.is_built() and [p.name for p in tmp_path.iterdir()] == [f".{broken.key}.lock"]


@sandboxes("bwrap", "zygote", "local")
def test_pool_never_hands_a_kernel_of_one_environment_to_another(environment, sandbox):
    probe = "import os, sys, numpy; print(sys.executable, numpy.__version__, os.access(sys.prefix, os.W_OK))"

    async def run() -> list[tuple[str, str]]:
        pool = KernelPool(SANDBOXES[sandbox], size=1)
        try:
            seen = []
            for env_dir in (None, environment, environment, None):
                lease = await pool.acquire(None, env_dir)
                try:
                    printed = (await lease.kernel.execute(probe, timeout=60)).stdout.strip()
                    seen.append((printed, lease.kernel.sandbox))
                finally:
                    await lease.release()
            return seen
        finally:
            await pool.close()

    own, env1, env2, own2 = run_sync(run())
    writable = str(sandbox == "local")  # a sandbox binds the environment read-only
    assert env1[0] == env2[0] == f"{environment}/bin/python 1.26.4 {writable}"
    assert own[0] == own2[0] and not own[0].startswith(str(environment))
    # a zygote forks a kernel environment's kernels from a template of that environment's own Python
    assert env1[1] == env2[1] == sandbox and own[1] == own2[1]


def test_suite_has_forty_functions_over_the_categories(suite):
    counts = Counter(t.category for t in suite)
    assert len(suite) >= 40 and set(counts) >= {
        "sequence",
        "kmers",
        "gc_content",
        "alignment",
        "parsing",
        "intervals",
        "statistics",
    }
    assert all(t.answer and "<<insert solution here>>" in _payload(t).program for t in suite)
    prompt = suite[0].prompt()
    assert (
        _payload(suite[0]).signature in prompt and "def main" not in prompt and suite[0].answer not in prompt
    )


def test_every_official_sample_reference_passes(samples, shared_dir):
    rows = [
        json.loads(line) for line in (shared_dir / SOURCE / SAMPLE).read_text().splitlines() if line.strip()
    ]
    assert len(samples) == len(rows) == 10 and all(t.answer for t in samples)


def test_no_stub_passes_any_task(suite, samples):
    """A function returning None or its first argument fails every suite task and every official sample."""
    tasks = suite + samples
    programs = [
        splice(
            _payload(t).program,
            stub_function(_payload(t).signature, _payload(t).function, stub),
            _payload(t).function,
            decorator_lines(_payload(t).signature),
        )
        for t in tasks
        for stub in STUBS
    ]
    half = len(programs) // 2 // 2 * 2  # two kernels, one per core

    async def both() -> list:
        parts = await asyncio.gather(
            *(
                run_programs(part, environment=BIOCODER_ENV, sandbox="bwrap", timeout=20)
                for part in (programs[:half], programs[half:])
            )
        )
        return parts[0] + parts[1]

    runs = run_sync(both())
    passing = [
        t.id for n, t in enumerate(tasks) for r in runs[2 * n : 2 * n + 2] if r.ok and r.stdout == t.answer
    ]
    print(
        f"biocoder stubs: {len(programs)} stub runs over {len(tasks)} tasks ({len(samples)} official), "
        f"{len(passing)} pass"
    )
    assert not passing


def test_the_same_function_in_a_program_that_prints_nothing_fails(suite):
    task = suite[0]
    silent = task.model_copy(
        update={"payload": _payload(task).model_copy(update={"program": "<<insert solution here>>\n"})}
    )
    data = json.loads(silent.model_dump_json())
    assert grade_function(json.loads(task.model_dump_json()), task.solution[0], sandbox="bwrap").passed
    grade = grade_function(data, task.solution[0], sandbox="bwrap")
    assert not grade.passed and grade.score == 0.0


def test_an_unstable_or_failing_reference_is_excluded(environment):
    nonce = time.time_ns()

    def task(name: str, main: str) -> mg.Task:
        # a fresh nonce: references are cached by program text, and this test must run them
        program = f"# {nonce}\nimport random\n<<insert solution here>>\n{main}\n"
        return mg.Task(
            id=f"biocoder.x.{name}",
            source=SOURCE,
            family=SOURCE,
            category="x",
            question="q",
            solution=["def f(x):\n    return x * 2\n"],
            payload=BiocoderPayload(program=program, signature="def f(x)", function="f"),
        )

    tasks = [
        task("stable", "print(f(21))"),
        task("random", "print(f(random.random()))"),
        task("sets", "print(f(list({f'read{i}' for i in range(40)})))"),
        task("crash", "print(f(1)); raise SystemExit(3)"),
        task("silent", "f(1)"),
        task("killer", "import os, signal\nprint(f(1))\nos.kill(os.getppid(), signal.SIGKILL)"),
        # after the killer (they run in a new kernel), and together more than one cell may print
        *(task(wide, f"print('y' * 450_000)\nprint(f({n}))") for n, wide in enumerate(["wide", "wider"], 1)),
    ]
    loaded = with_references(tasks, sandbox="bwrap")
    kept, excluded = loaded.tasks, [(e.task_id, e.reason) for e in loaded.excluded]
    assert [t.id for t in kept] == ["biocoder.x.stable", "biocoder.x.wide", "biocoder.x.wider"]
    assert kept[0].answer == "42" and kept[2].answer.endswith("y\n4")
    reasons = dict(excluded)
    assert "differs between two runs" in reasons["biocoder.x.random"]
    assert "exited with 3" in reasons["biocoder.x.crash"]
    assert "biocoder.x.sets" in reasons  # string hashing differs per process: caught by the second run
    assert "prints nothing" in reasons["biocoder.x.silent"]
    assert "killed its runner" in reasons["biocoder.x.killer"]  # and took no other program's result with it


def test_hostile_functions_fail_clearly_without_hanging(suite):
    task = json.loads(suite[0].model_dump_json())
    name = task["payload"]["function"]
    hostile = {
        "loop": f"def {name}(*a):\n    while True:\n        pass\n",
        "flood": f"def {name}(*a):\n    import sys\n    sys.stdout.write('x' * 3_000_000)\n",
        "exit": f"def {name}(*a):\n    import os\n    os._exit(0)\n",
        "kill": f"def {name}(*a):\n    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n",
        "syntax": f"def {name}(*a):\n    return (\n",
        "absent": "def something_else():\n    return 1\n",
    }
    t0 = time.monotonic()
    grades = {k: grade_function(task, code, sandbox="bwrap", timeout=3) for k, code in hostile.items()}
    assert all(not g.passed and g.score == 0 for g in grades.values()), grades
    assert "did not finish within 3 s" in grades["loop"].message
    assert "far more" in grades["flood"].message
    assert "does not parse" in grades["syntax"].message and name in grades["absent"].message
    assert time.monotonic() - t0 < 120


def _oracle_and_wrong(tasks: list[mg.Task], tmp_path: Path) -> None:
    config = EnvConfig(sandbox="bwrap")
    results = mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), tmp_path / "oracle", config=config)
    assert [(r.passed, r.reward) for r in results] == [(True, 1.0)] * len(tasks)

    class Wrong(ScriptedAgent):
        """Submits the reference with its first return value changed: a plausible, wrong function."""

        name = "wrong"

        def plan(self, task):
            code = task.solution[-1].replace("return ", "return 1 + 0 * ", 1)
            code = code if code != task.solution[-1] else code + "\n    raise ValueError\n"
            return [{"action": "submit", "params": {"answer": code}}]

    wrong = mg.run_episodes(tasks, lambda _t: Wrong(), tmp_path / "wrong", config=config)
    assert [(r.passed, r.reward) for r in wrong] == [(False, 0.0)] * len(tasks)


def test_oracle_scores_100_and_wrong_answers_0_end_to_end(suite, samples, tmp_path):
    tasks = spread_over_categories(suite, 3) + samples[:1]
    _oracle_and_wrong(tasks, tmp_path)
    episode = mg.read_episode(next((tmp_path / "oracle").rglob("episode.ipynb")))
    assert episode.grade is not None and episode.grade.passed


@pytest.mark.slow
def test_oracle_scores_100_on_the_whole_suite_and_every_sample(suite, samples, shared_dir, tmp_path):
    loaded = mg.load_task_set(SOURCE, path=shared_dir / SOURCE / SAMPLE)
    results = mg.run_episodes(
        suite + samples, lambda _t: mg.OracleAgent(), tmp_path, config=EnvConfig(sandbox="bwrap")
    )
    official = [r for r in results if r.task_id in {t.id for t in samples}]
    rows = len(loaded.tasks) + len(loaded.excluded)
    print(
        f"biocoder sample: {rows} rows, {len(loaded.tasks)} loaded, {len(loaded.excluded)} excluded "
        f"{[(e.task_id, e.reason[:120]) for e in loaded.excluded]}, oracle passes "
        f"{sum(r.passed for r in official)}/{rows} ({sum(r.passed for r in official) / rows:.0%}) of the file"
    )
    assert all(r.passed for r in results), [r.task_id for r in results if not r.passed]


def test_malformed_rows_get_clear_errors(tmp_path):
    folder = tmp_path / SOURCE
    folder.mkdir()
    good = {"idx": "x1", "problem": "p", "solution": "def f():\n    return 1\n", "signature": "def f()"}
    for bad, needle in (
        ({**good, "context": "print(1)\n"}, "<<insert solution here>>"),
        ({**good, "context": "<<insert solution here>>\n", "problem": ""}, "problem"),
        ({**good, "context": "<<insert solution here>>\n", "signature": "f()"}, "no function definition"),
    ):
        (folder / "test_tasks.jsonl").write_text(json.dumps(bad) + "\n")
        with pytest.raises(TaskFileError, match=needle):
            mg.load_tasks(SOURCE, path=tmp_path)


def _rows(tmp_path: Path, rows: list[dict], text: str | None = None) -> Path:
    folder = tmp_path / SOURCE
    folder.mkdir(exist_ok=True)
    path = folder / "test_tasks.jsonl"
    path.write_text(text if text is not None else "".join(json.dumps(r) + "\n" for r in rows))
    return path


_ROW = {
    "problem": "Double it.",
    "solution": "def double(x):\n    return 2 * x\n",
    "signature": "def double(x)",
    "code": "unused",
}


def test_unusual_official_rows_load_and_a_bad_one_is_excluded(environment, tmp_path):
    """Commented or indented placeholders, CRLF line ends, no ``idx``: each loads as the source's text
    replacement would have it; a row without a slot is excluded and the rest still load."""
    main = "print(double(21), double('ab'))\n"
    rows = [
        {**_ROW, "idx": "plain", "context": f"<<insert solution here>>\n{main}"},
        {**_ROW, "idx": "commented", "context": f"# <<insert solution here>>\n{main}"},
        {**_ROW, "idx": "indented", "context": f"if True:\n    # <<insert solution here>>\n    {main}"},
        {
            **_ROW,
            "idx": "crlf",
            "context": f"import os\n<<insert solution here>>\n{main}".replace("\n", "\r\n"),
            "solution": _ROW["solution"].replace("\n", "\r\n"),
        },
        {key: value for key, value in _ROW.items() if key != "code"}
        | {"context": f"<<insert solution here>>\n{main}x = 1\n"},
        {**_ROW, "idx": "noslot", "context": main},
    ]
    loaded = mg.load_task_set(SOURCE, path=_rows(tmp_path, rows))
    ids = sorted(t.id.split(".")[-1] for t in loaded.tasks)
    assert len(ids) == 5 and {"plain", "commented", "indented", "crlf"} <= set(ids)
    assert {t.answer for t in loaded.tasks} == {"42 abab"}
    [bad] = loaded.excluded
    assert bad.where.endswith(":6") and "<<insert solution here>>" in bad.reason
    commented = next(t for t in loaded.tasks if t.id.endswith("commented"))
    assert grade_function(json.loads(commented.model_dump_json()), _ROW["solution"], sandbox="bwrap").passed


def test_a_task_whose_output_does_not_depend_on_the_function_is_excluded(environment, tmp_path):
    def row(idx: str, main: str, solution: str = _ROW["solution"]) -> dict:
        return {**_ROW, "idx": idx, "solution": solution, "context": f"<<insert solution here>>\n{main}\n"}

    rows = [
        row("depends", "print(double(21))"),
        row("constant", "double(21)\nprint('done')"),
        row("truthy", "print(double(3) is None or double(3) > 0)"),
        row("echo", "print(double(7))", "def double(x):\n    return x\n"),
    ]
    loaded = mg.load_task_set(SOURCE, path=_rows(tmp_path, rows))
    assert [t.id.split(".")[-1] for t in loaded.tasks] == ["depends"]
    reasons = {e.task_id.split(".")[-1]: e.reason for e in loaded.excluded if e.task_id}
    assert set(reasons) == {"constant", "truthy", "echo"}
    assert all("does not depend on the function" in r for r in reasons.values())
    assert "returns its first argument" in reasons["echo"] and "returns None" in reasons["constant"]


_DECORATED_PROGRAM = """import functools
Weights = list
def on_weighted_array(scale=10):
    def outer(function):
        @functools.wraps(function)
        def inner(values):
            return function([v * scale for v in values])
        return inner
    return outer
class Stats:
    <<insert solution here>>
print(Stats.total([1, 2, 3]), Stats.total([4]))
"""


def test_a_decorated_function_is_graded_with_the_programs_decorator(environment, tmp_path):
    """``@on_weighted_array()`` exists only in the hidden program: the agent is told, the oracle's kernel cell
    does not error, and grading runs the function under the program's own decorator."""
    signature = "@staticmethod\n@on_weighted_array()\ndef total(values)"
    solution = "@staticmethod\n@on_weighted_array()\ndef total(values: Weights) -> Weights:\n    return sum(values)\n"
    row = {
        **_ROW,
        "idx": "decorated",
        "solution": solution,
        "signature": signature,
        "context": _DECORATED_PROGRAM,
    }
    [task] = mg.load_tasks(SOURCE, path=_rows(tmp_path, [row]))
    assert task.answer == "60 40" and "on_weighted_array: defined by the hidden program" in task.question
    data = json.loads(task.model_dump_json())
    bare = "def total(values):\n    return sum(values)\n"  # no decorators: the signature's are spliced
    assert grade_function(data, bare, sandbox="bwrap").passed
    assert not grade_function(
        data, "@staticmethod\ndef total(values):\n    return sum(values)\n", sandbox="bwrap"
    ).passed
    results = mg.run_episodes(
        [task], lambda _t: mg.OracleAgent(), tmp_path / "oracle", config=EnvConfig(sandbox="bwrap")
    )
    assert [(r.passed, r.reward) for r in results] == [(True, 1.0)]


# Generated tasks (``generated.py``): template instances whose reference output is computed in-process.


@pytest.fixture(scope="module")
def generated(environment: Path, tmp_path_factory: pytest.TempPathFactory) -> list[mg.Task]:
    """The first instance of each template and the second of a few, past the built-in suite."""
    family = get_family(SOURCE)
    root = tmp_path_factory.mktemp("biocoder-generated")
    tasks = list(family.generate(SOURCE, 47 + 2 * len(TEMPLATES), 5, root))
    return [t for t in tasks if t.id.startswith(f"{SOURCE}.gen.")]


def test_generated_instances_are_distinct_deterministic_and_cover_every_template(generated, tmp_path):
    assert len(generated) == 2 * len(TEMPLATES)
    assert {t.category for t in generated} == {t.name for t in TEMPLATES}
    assert len({t.question for t in generated}) == len(generated)  # the parameters are in the question
    again = list(get_family(SOURCE).generate(SOURCE, 47 + 2 * len(TEMPLATES), 5, tmp_path))[47:]
    assert [t.model_dump_json() for t in again] == [t.model_dump_json() for t in generated]
    other = [i.function.problem for i in itertools.islice(instances(6), len(TEMPLATES))]
    assert other != [t.question.split("\n\nSignature:")[0] for t in generated[: len(TEMPLATES)]]


def test_generated_answers_are_what_the_sandbox_prints_and_no_stub_passes(generated):
    """The in-process reference output equals the official flow's (two sandboxed runs, and the stub check)."""
    fresh = [t.model_copy(update={"answer": None}) for t in generated]
    kept = with_references(fresh, sandbox="bwrap")
    assert not kept.excluded, kept.excluded
    assert {t.id: t.answer for t in kept.tasks} == {t.id: t.answer for t in generated}


def test_oracle_passes_generated_tasks_and_a_neighbouring_instance_fails(generated, tmp_path):
    """The oracle passes; the reference of the same template with other parameters (same function name,
    a plausible near-miss) fails: each instance's parameters decide its output."""
    picked = spread_over_categories(generated, 3)
    _oracle_and_wrong(picked, tmp_path)
    by_template: dict[str, list[mg.Task]] = {}
    for task in generated:
        by_template.setdefault(task.category, []).append(task)
    grades = [
        grade_function(first.model_dump(), second.solution[-1], sandbox="bwrap")
        for first, second in (by_template[t.category] for t in picked)
    ]
    assert [g.passed for g in grades] == [False] * len(picked), grades
