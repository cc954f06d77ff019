"""Kernels forked from a pre-imported template (sandbox="zygote"): fresh, isolated from each other, fast.

The hostile-code suite runs every case in this sandbox too (tests/test_hostile.py); these are the
properties that only a forking sandbox could get wrong.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import papermill
import pytest

import medgym_nb as mg
from medgym_nb.kernel.bwrap import bwrap_status
from medgym_nb.kernel.limits import SandboxLimits
from medgym_nb.kernel.zygote import Zygote

pytestmark = pytest.mark.skipif(
    not (bwrap_status()[0] and os.geteuid() == 0),
    reason="the zygote sandbox forks kernels under uids of their own: it needs bubblewrap and root",
)


def run(env: mg.Env, code: str) -> str:
    obs, *_ = env.step({"action": "execute", "params": {"code": code}})
    return obs.env_message


PROBE = (
    "import os, sys, json, numpy\n"
    "parent = open(f'/proc/{os.getppid()}/cmdline', 'rb').read()\n"
    "print(json.dumps({'uid': os.getuid(), 'cwd': os.getcwd(), 'home': os.environ['HOME'],\n"
    "    'forked': b'medgym-kernel-template' in parent, 'pandas_loaded': 'pandas' in sys.modules,\n"
    "    'random': numpy.random.rand(), 'data': sorted(os.listdir('data'))}))"
)


def test_each_episode_gets_a_fresh_forked_kernel_of_its_own(test_tasks, tmp_path):
    seen = []
    with mg.Env(sandbox="zygote", pool_size=1, out_dir=tmp_path) as env:
        assert env.sandbox == "zygote"
        for task in test_tasks[:3]:
            env.reset(task)
            assert "NameError" in run(env, "print(leftover)")  # nothing from the previous episode
            run(env, "leftover = 1")
            assert run(env, "print(leftover + 1)").strip() == "2"  # stateful within the episode
            seen.append(json.loads(run(env, PROBE)))
            env.step({"action": "validate_code", "params": {"code": "\n".join(task.solution)}})
    assert all(s["forked"] and s["pandas_loaded"] for s in seen)  # pre-imported, copy-on-write
    assert all(s["data"] == ["mimic_iii.db"] and s["cwd"] == s["home"] for s in seen)
    assert len({s["uid"] for s in seen}) == 3 and all(s["uid"] != 0 for s in seen)
    assert len({s["random"] for s in seen}) == 3  # each child reseeded, not the template's stream
    episodes = [mg.read_episode(p) for p in sorted(tmp_path.glob("mimic_iii/*/episode.ipynb"))]
    assert [e.passed for e in episodes] == [True] * 3
    assert {e.sandbox for e in episodes} == {"zygote"}


SHELL_PROBE = (
    "import os, json\nfrom IPython.display import display\nip = get_ipython()\ndisplay('shown')\n"
    "print(json.dumps({'kernel': ip.parent is ip.kernel and ip.log is ip.kernel.log,\n"
    "    'profile': ip.profile_dir.location.startswith(os.environ['HOME'] + '/'), 'profile_name': ip.profile,\n"
    "    'dirs': [ip.starting_dir == os.getcwd(), ip.home_dir == os.environ['HOME']], 'pager': os.environ['PAGER'],\n"
    "    'history': [line for _, _, line in ip.history_manager.get_range()][:1], 'count': ip.execution_count}))"
)


def test_a_forked_kernel_adopts_the_template_shell_as_its_own(test_tasks):
    """The template builds the IPython shell once; each forked kernel gets it with the child's kernel, profile
    directory, home and environment, and no trace of another kernel: it answers as a bubblewrap kernel's does."""
    seen = {}
    for sandbox in ("zygote", "bwrap"):
        with mg.Env(sandbox=sandbox, pool_size=1) as env:
            for episode, task in enumerate(test_tasks[:2]):
                env.reset(task)
                run(env, f"episode = {episode}")
                shown = run(env, SHELL_PROBE)
                assert "shown" in shown
                seen[sandbox, episode] = json.loads(shown.splitlines()[-1])
    expected = {
        "kernel": True,
        "profile": True,
        "profile_name": "default",
        "dirs": [True, True],
        "pager": "cat",
        "count": 3,
    }
    for (sandbox, episode), facts in seen.items():
        assert facts == {**expected, "history": [f"episode = {episode}"]}, (sandbox, facts)


def test_concurrent_episodes_cannot_see_each_other(test_tasks):
    with mg.Env(sandbox="zygote") as a, mg.Env(sandbox="zygote") as b:
        a.reset(test_tasks[0])
        b.reset(test_tasks[1])
        run(a, "open('notes.txt', 'w').write('private'); open('/tmp/shared.txt', 'w').write('mine')")
        where = run(a, "import os; print(os.getcwd())").strip()
        spy = (
            f"import os\nfor p in [{where!r}, {where + '/notes.txt'!r}, '/tmp/shared.txt']:\n"
            "    try:\n        print(p, open(p).read() if p.endswith('.txt') else os.listdir(p))\n"
            "    except OSError as e:\n        print(p, type(e).__name__)"
        )
        seen = run(b, spy)
        assert "private" not in seen and "mine" not in seen
        assert seen.count("PermissionError") == 3, seen
        pid_of_a = run(a, "import os; print(os.getpid())").strip()
        assert "PermissionError" in run(b, f"import os, signal\nos.kill({pid_of_a}, signal.SIGKILL)")
        assert run(a, "print('alive')").strip() == "alive"


def test_files_left_in_tmp_are_gone_for_the_next_episode(test_tasks):
    with mg.Env(sandbox="zygote", pool_size=1) as env:
        env.reset(test_tasks[0])
        run(
            env, "import os; os.makedirs('/tmp/d/e'); open('/tmp/d/e/f', 'w').write('x'); open('/tmp/g', 'w')"
        )
        env.reset(test_tasks[1])
        left = run(env, "import os; print(sorted(os.listdir('/tmp')))")
        assert "'d'" not in left and "'g'" not in left and "medgym-scratch-" in left  # only the bound root


def test_papermill_on_the_zygote_kernelspec_falls_back_to_a_per_kernel_sandbox(tmp_path):
    """papermill picks the kernel's cwd itself: not a directory medgym made, so no fork, plain bwrap."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import os\nprint(os.getuid() != 0, os.path.exists('/proc/1/cmdline'))")
    ]
    src, dst = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    papermill.execute_notebook(
        str(src), str(dst), kernel_name="medgym-zygote", cwd=str(tmp_path), progress_bar=False
    )
    out = nbformat.read(dst, as_version=4).cells[0].outputs[0]["text"]
    assert out.split() == ["True", "True"]
    assert Path(dst).is_file()


@pytest.mark.parametrize("kernel_name", ["medgym-zygote", "medgym-bwrap"])
def test_the_output_cap_is_installed_once_by_the_forked_child_or_by_a_hidden_cell(kernel_name):
    """A forked kernel runs its output cap before it serves (one round trip fewer per episode); a kernel that
    cannot (bubblewrap's) gets it as a hidden cell. Either way it is there once, and it works."""
    from medgym_nb._loop import run_sync
    from medgym_nb.kernel.outputs import OutputLimits
    from medgym_nb.kernel.pool import KernelPool

    async def probe() -> tuple[bool, str, str]:
        pool = KernelPool(kernel_name, output_limits=OutputLimits(notebook_bytes=2000))
        lease = await pool.acquire()
        try:
            kernel = lease.kernel
            hooks = await kernel.execute(
                "print([f.__name__ for f in get_ipython().events.callbacks['pre_execute']])", timeout=60
            )
            flood = await kernel.execute("print('x' * 5000)", timeout=60)
            return kernel.km.provisioner.startup_code_ran, hooks.stdout, flood.stdout
        finally:
            await lease.release()
            await pool.close()

    ran_in_child, hooks, flood = run_sync(probe())
    assert ran_in_child == (kernel_name == "medgym-zygote")
    assert hooks.count("before_each_cell") == 1
    assert flood.count("x") == 1000 and "the kernel dropped the rest" in flood


def test_a_template_that_cannot_start_says_why(tmp_path):
    """A data entry gone by the time the template starts (the provisioner checks each entry, but a file can
    vanish after): bubblewrap's own error is quoted."""
    vanished = tmp_path / "mimic_iii.db"
    zygote = Zygote({"mimic_iii.db": str(vanished)}, SandboxLimits())
    with pytest.raises(mg.KernelStartError, match=f"Can't find source path {vanished}"):
        zygote.wait_ready(timeout=30)
    assert not Path(zygote.log_path).exists()


def test_a_small_per_task_file_is_copied_in_and_the_template_is_shared(test_tasks, tmp_path):
    """A task's own small file must not start a template per task (the large database is the template's),
    nor cost the warm kernel: the pool's ready kernel is pointed at the next task's files (one note per EHRCon
    task), a task with no small file included, and sees only its own, read-only."""
    from medgym_nb.kernel import zygote

    db = test_tasks[0].data_mounts()["mimic_iii.db"]
    seen = []
    with mg.Env(sandbox="zygote", pool_size=1) as env:
        for i, note in enumerate(["note_0.txt", "note_1.txt", None, "note_3.txt"]):
            folder = tmp_path / f"task{i}"
            folder.mkdir()
            (folder / "mimic_iii.db").symlink_to(db)
            files = ["mimic_iii.db"]
            if note:
                (folder / note).write_text(f"note {i}")
                files.append(note)
            task = test_tasks[i].model_copy(update={"data_dir": str(folder), "data_files": files})
            before = set(zygote._zygotes)
            env.reset(task)
            seen.append(run(env, "import os; print(sorted(os.listdir('data')))"))
            if note:
                seen.append(run(env, f"print(open('data/{note}').read()); open('data/{note}', 'w')"))
            seen.append(
                run(
                    env,
                    "import sqlite3; print(sqlite3.connect('data/mimic_iii.db').execute('select 1').fetchone())",
                )
            )
            if i:
                assert set(zygote._zygotes) == before  # the task's kernel came from the same template
            deadline = time.monotonic() + 60  # the pool's refill finished: the next reset has a ready kernel
            while len(env.pool.stats.start_seconds) < i + 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            env.end_episode()
        stats = env.pool.stats
    assert seen[0] == "['mimic_iii.db', 'note_0.txt']\n" and seen[3] == "['mimic_iii.db', 'note_1.txt']\n"
    assert seen[1].startswith("note 0\n") and "PermissionError" in seen[1] and "(1,)" in seen[2]
    assert seen[4].startswith("note 1\n") and "PermissionError" in seen[4]
    assert (
        seen[6] == "['mimic_iii.db']\n"
        and "(1,)" in seen[7]
        and seen[8] == "['mimic_iii.db', 'note_3.txt']\n"
    )
    assert seen[9].startswith("note 3\n") and "(1,)" in seen[10]
    assert (stats.cold, stats.warm) == (1, 3)  # every later task was served by the ready kernel


def test_the_template_pre_imports_what_the_kernel_is_asked_to_preload():
    """A family's declared libraries are imported once in its template (copy-on-write), not per kernel; a
    module the environment lacks is skipped, and the kernel still starts (the family's own check reports it)."""
    from medgym_nb._loop import run_sync
    from medgym_nb.kernel.pool import KernelPool

    probe = "import sys, os; print('wave' in sys.modules, b'medgym-kernel-template' in open(f'/proc/{os.getppid()}/cmdline', 'rb').read())"

    async def loaded(preload: tuple[str, ...]) -> str:
        pool = KernelPool("medgym-zygote")
        try:
            lease = await pool.acquire(None, None, preload)
            try:
                return (await lease.kernel.execute(probe, timeout=60)).stdout.strip()
            finally:
                await lease.release()
        finally:
            await pool.close()

    assert run_sync(loaded(("wave", "no_such_module_medgym"))) == "True True"
    assert run_sync(loaded(())) == "False True"
