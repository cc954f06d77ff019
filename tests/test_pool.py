"""The kernel pool: warm kernels, one per episode, refilled; nothing left behind, even if the parent dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.kernel.bwrap import bwrap_status
from medgym_nb.kernel.provisioners import SCRATCH_PREFIX, _remove_stale_scratch_roots, scratch_root

from .conftest import kernel_processes


def test_warm_pool_gives_each_episode_a_fresh_kernel(test_tasks):
    tasks = test_tasks[:4]
    pids = []
    with mg.Env(pool_size=2) as env:
        for i, task in enumerate(tasks):
            env.reset(task)
            if i > 0:  # the previous episode's variable must not leak into this one
                obs, *_ = env.step({"action": "execute", "params": {"code": "print('leak' in dir())"}})
                assert obs.env_message.strip() == "False"
            env.step({"action": "execute", "params": {"code": "leak = 1"}})
            pids.append(env.kernel.pid)
            time.sleep(0.6)  # let the background refill finish, so the next reset is served warm
            env.end_episode()
        stats = env.pool.stats
    assert len(set(pids)) == len(pids)
    assert stats.warm >= 2 and stats.warm + stats.cold == len(tasks)


def test_preimported_kernels_have_pandas_loaded_but_no_names(test_tasks):
    with mg.Env(pool_size=1, preimport=True) as env:
        env.reset(test_tasks[0])
        obs, *_ = env.step(
            {
                "action": "execute",
                "params": {"code": "import sys\nprint('pandas' in sys.modules, 'pandas' in dir())"},
            }
        )
    assert obs.env_message.strip() == "True False"


def test_pool_shutdown_leaves_no_kernel(test_tasks):
    before = {pid for pid, _ in kernel_processes()}
    with mg.Env(pool_size=3) as env:
        env.reset(test_tasks[0])
        time.sleep(1.5)
        assert len([p for p, _ in kernel_processes() if p not in before]) >= 2
    deadline = time.monotonic() + 10
    while [p for p, _ in kernel_processes() if p not in before] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p, _ in kernel_processes() if p not in before]


@pytest.mark.skipif(not bwrap_status()[0], reason=f"bubblewrap unavailable: {bwrap_status()[1]}")
def test_killed_parent_leaves_no_sandboxed_kernel(test_tasks, tmp_path):
    """A driver process that is SIGKILLed (no cleanup at all): its sandboxes die with it."""
    script = textwrap.dedent(
        """
        import time, medgym_nb as mg
        env = mg.Env(sandbox="bwrap", pool_size=2)
        env.reset(mg.load_tasks("mimic_iii", split="test")[0])
        time.sleep(1.5)
        print("ready", flush=True)
        time.sleep(600)
        """
    )
    before = {pid for pid, _ in kernel_processes()}
    driver = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    try:
        assert driver.stdout.readline().strip() == "ready"
        ours = [p for p, _ in kernel_processes() if p not in before]
        assert len(ours) >= 3
    finally:
        os.kill(driver.pid, signal.SIGKILL)  # the process this test started
        driver.wait(10)
    deadline = time.monotonic() + 10
    while [p for p, _ in kernel_processes() if p not in before] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p, _ in kernel_processes() if p not in before]
    left = list(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{driver.pid}-*"))
    assert left  # killed before its exit handlers ran: its scratch root (work dirs) remains
    _remove_stale_scratch_roots()  # what the next process to start a kernel does first
    assert not any(p.exists() for p in left)
    assert Path(scratch_root()).is_dir()  # a live process's root is kept


def test_a_dead_launchers_orphaned_sandbox_is_killed_with_its_scratch_root():
    """A launcher SIGKILLed between starting bwrap and bwrap's own parent-death signal leaves the sandbox
    running under init; the next process to start a kernel kills it while removing the dead root."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    root = Path(tempfile.gettempdir()) / f"{SCRATCH_PREFIX}{dead.pid}-orphantest"
    (root / "medgym-kernel-x").mkdir(parents=True)
    connection = root / "medgym-kernel-x" / "connection.json"
    # an orphan of this test's own making: its shell exits at once, so init becomes its parent
    spawn = subprocess.run(
        [
            "sh",
            "-c",
            f'"{sys.executable}" -c "import time; time.sleep(60)" {connection} >/dev/null 2>&1 & echo $!',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    orphan = int(spawn.stdout.strip())
    assert Path(f"/proc/{orphan}").exists()
    _remove_stale_scratch_roots()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{orphan}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{orphan}").exists() and not root.exists()
