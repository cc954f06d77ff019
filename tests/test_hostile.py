"""The hostile-code suite: untrusted agent code in a real bubblewrap episode.

Every case runs as agent code in its own sandboxed episode. For each: the agent gets a clear observation,
the notebook is saved and valid, the host (this test process, a planted secret, a loopback server) is
unaffected, and afterwards no process of the episode remains. Every case is bounded so that a broken
sandbox fails the test instead of harming the machine.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

import medgym_nb as mg
from medgym_nb.kernel import session
from medgym_nb.kernel.docker import LABEL, OWNER_LABEL, docker_client
from medgym_nb.kernel.limits import SandboxLimits
from medgym_nb.kernel.provisioners import UID_BASE, UID_SPAN

from .sandboxes import sandboxes

bwrap_only = sandboxes("bwrap", "zygote")
both = sandboxes("bwrap", "zygote", "docker")

LIMITS = SandboxLimits(memory_mb=2048, processes=128, file_size_mb=64, tmp_size_mb=64, cpu_seconds=120)
SECRET_ENV = "MEDGYM_TEST_HOST_SECRET"


def sandbox_processes(uid_wanted: int | None = None) -> list[int]:
    """Processes running under a sandbox uid (as root every sandboxed kernel gets one of its own), or under
    ``uid_wanted`` only — so that other runs on the same machine do not count."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        uid = int(status.split("Uid:")[1].split()[0])
        if uid == uid_wanted if uid_wanted is not None else UID_BASE <= uid < UID_BASE + UID_SPAN:
            pids.append(int(proc.name))
    return pids


@dataclass
class Host:
    """What a case may try to reach on the host side."""

    secret_file: Path
    port: int
    hits: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory):
    secret = tmp_path_factory.mktemp("host") / "secret.txt"
    secret.write_text("host secret")
    os.environ[SECRET_ENV] = "do-not-leak"
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    state = Host(secret, server.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            state.hits.append("connected")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield state
    stop.set()
    thread.join(2)
    server.close()
    os.environ.pop(SECRET_ENV, None)


def play(sandbox: str, task: mg.Task, out: Path, *actions: dict, cell_timeout: float = 10) -> list[dict]:
    """Run ``actions`` in a fresh sandboxed episode; return the observations, check the aftermath."""
    observations = []
    with mg.Env(sandbox=sandbox, limits=LIMITS, cell_timeout=cell_timeout, out_dir=out, max_turns=50) as env:
        env.reset(task)
        uid = env.kernel.km.provisioner.uid
        for action in actions:
            obs, _r, terminated, truncated, _i = env.step(action)
            observations.append(obs)
            if terminated or truncated:
                break
    notebook = out / task.source / task.id / "episode.ipynb"
    nbformat.validate(nbformat.read(notebook, as_version=4))
    deadline = time.monotonic() + 10
    while sandbox_processes(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not sandbox_processes(uid), "a process of the episode outlived it"
    if sandbox == "docker":  # this process's containers: another test worker may have one running now
        ours = {"label": [LABEL, f"{OWNER_LABEL}={os.getpid()}"]}
        assert not docker_client().containers.list(all=True, filters=ours), "a container remains"
    return observations


def code(src: str, timeout: float | None = None) -> dict:
    params: dict = {"code": src}
    if timeout is not None:
        params["timeout"] = timeout
    return {"action": "execute", "params": params}


@pytest.fixture
def task(test_tasks):
    return test_tasks[0]


@pytest.fixture
def short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell that outlives its interrupt burns a core until the grace ends and the kernel is killed: 1 s
    instead of the 3 s a real run allows is enough to show it."""
    monkeypatch.setattr(session, "INTERRUPT_GRACE_S", 1.0)


@both
def test_infinite_loop(task, tmp_path, sandbox):
    obs = play(sandbox, task, tmp_path, code("k = 5"), code("while True: pass", 1), code("print(k)"))
    assert obs[1].type == "timeout" and obs[2].env_message.strip() == "5"


@bwrap_only
def test_infinite_loop_ignoring_sigint(task, tmp_path, sandbox, short_grace):
    src = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    obs = play(sandbox, task, tmp_path, code(src, 2))  # room to ignore SIGINT before it comes, under load
    assert obs[0].type == "timeout" and "kernel was killed" in obs[0].env_message


@bwrap_only
def test_c_level_busy_loop(task, tmp_path, sandbox, short_grace):
    obs = play(sandbox, task, tmp_path, code("import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')", 1))
    assert obs[0].type == "timeout"


@both
def test_bounded_fork_storm_stops_at_the_process_limit(task, tmp_path, sandbox):
    src = (
        "import os, time\npids = []\ntry:\n    for _ in range(2000):\n        pid = os.fork()\n"
        "        if pid == 0:\n            time.sleep(60)\n            os._exit(0)\n        pids.append(pid)\n"
        "except OSError as e:\n    print('stopped at', len(pids), type(e).__name__)"
    )
    obs = play(sandbox, task, tmp_path, code(src, 20))
    assert "stopped at" in obs[0].env_message
    assert int(obs[0].env_message.split("stopped at")[1].split()[0]) < LIMITS.processes


@bwrap_only
def test_thread_storm_is_bounded(task, tmp_path, sandbox):
    src = (
        "import threading, time\nts = []\ntry:\n    for _ in range(5000):\n"
        "        t = threading.Thread(target=time.sleep, args=(2,)); t.start(); ts.append(t)\n"
        "except RuntimeError as e:\n    print('threads stopped at', len(ts))"
    )
    obs = play(sandbox, task, tmp_path, code(src, 20))
    assert "threads stopped at" in obs[0].env_message


@both
def test_memory_bomb(task, tmp_path, sandbox):
    obs = play(sandbox, task, tmp_path, code("x = bytearray(64 * 1024**3)"), code("print('still here')"))
    assert "MemoryError" in obs[0].env_message and "still here" in obs[1].env_message


@bwrap_only
def test_memory_grows_until_the_limit(task, tmp_path, sandbox):
    src = "chunks = []\ntry:\n    while True:\n        chunks.append(bytearray(100 * 1024**2))\nexcept MemoryError:\n    n = len(chunks); del chunks\n    print('stopped after', n)"
    obs = play(sandbox, task, tmp_path, code(src, 90))  # roomy: allocation is slow on a loaded machine
    assert "stopped after" in obs[0].env_message
    assert int(obs[0].env_message.split()[-1]) * 100 < LIMITS.memory_mb


@both
def test_huge_file(task, tmp_path, sandbox):
    src = "with open('big.bin', 'wb') as f:\n    for _ in range(1000):\n        f.write(b'x' * 1024**2)"
    obs = play(sandbox, task, tmp_path, code(src, 20))
    assert "File too large" in obs[0].env_message


@bwrap_only
def test_printing_hundreds_of_megabytes(task, tmp_path, sandbox):
    obs = play(
        sandbox,
        task,
        tmp_path,
        code("for _ in range(200):\n    print('y' * 1_000_000)", 60),
        code("print('ok')"),
    )
    assert obs[0].type == "code_execution" and "truncated" in obs[0].env_message
    assert len(obs[0].env_message) < 20_000 and obs[1].env_message.strip() == "ok"


@both
def test_a_gigabyte_of_output_leaves_the_kernel_alive_and_small(task, tmp_path, sandbox):
    """The kernel drops a cell's output past its cap, and IPython keeps no copy: a gigabyte printed costs
    the kernel little memory (IPython 9 would keep it all, and the kernel died of its memory limit)."""
    peak = "print(int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) // 1024)"
    obs = play(
        sandbox,
        task,
        tmp_path,
        code("for _ in range(1000):\n    print('y' * 1_000_000)", 60),
        code(peak),
    )
    assert obs[0].type == "code_execution" and "the kernel dropped the rest" in obs[0].env_message
    assert int(obs[1].env_message.strip()) < 512  # MiB of resident memory at its peak


@both
def test_os_exit(task, tmp_path, sandbox):
    obs = play(sandbox, task, tmp_path, code("import os\nos._exit(3)"))
    assert obs[0].type == "kernel_died"


@bwrap_only
def test_killing_the_sandbox_init(task, tmp_path, sandbox):
    obs = play(
        sandbox,
        task,
        tmp_path,
        code("import os, signal\nprint(os.getppid())\nos.kill(os.getppid(), signal.SIGKILL)"),
        code("print('after')"),
    )
    assert obs[0].type in {"code_execution", "kernel_died", "error"}


@both
def test_host_pids_are_invisible(task, tmp_path, sandbox):
    src = f"import os\ntry:\n    os.kill({os.getpid()}, 0)\n    print('VISIBLE')\nexcept ProcessLookupError:\n    print('invisible')\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]))"
    obs = play(sandbox, task, tmp_path, code(src))
    lines = obs[0].env_message.split()
    assert lines[0] == "invisible" and int(lines[1]) < 10


@both
def test_host_secret_file_is_unreadable(task, tmp_path, host, sandbox):
    obs = play(sandbox, task, tmp_path, code(f"print(open({str(host.secret_file)!r}).read())"))
    assert "FileNotFoundError" in obs[0].env_message and "host secret" not in obs[0].env_message


@both
def test_host_environment_is_scrubbed(task, tmp_path, host, sandbox):
    obs = play(
        sandbox, task, tmp_path, code(f"import os\nprint(os.environ.get({SECRET_ENV!r}), sorted(os.environ))")
    )
    assert "do-not-leak" not in obs[0].env_message and obs[0].env_message.startswith("None")


@both
def test_numeric_thread_pools_are_capped(task, tmp_path, sandbox):
    """Concurrent kernels must not each start a BLAS/OpenMP thread per core: one each, as the limits say."""
    probe = (
        "import numpy, os\nfrom threadpoolctl import threadpool_info\n"
        "print(os.environ['OMP_NUM_THREADS'], sorted({p['num_threads'] for p in threadpool_info()}))"
    )
    obs = play(sandbox, task, tmp_path, code(probe))
    assert obs[0].env_message.strip() == f"{LIMITS.threads} [{LIMITS.threads}]"


@both
def test_host_home_is_invisible(task, tmp_path, sandbox):
    host_only = set(os.listdir("/root")) - {".pyenv", ".bashrc", ".profile"}
    obs = play(sandbox, task, tmp_path, code("import os\nprint(sorted(os.listdir('/root')))"))
    seen = obs[0].env_message
    assert not [name for name in host_only if repr(name) in seen]


@both
def test_writing_outside_the_work_dir(task, tmp_path, sandbox):
    import sys

    targets = ["/etc/medgym-evil", "/usr/medgym-evil", os.path.join(sys.prefix, "medgym-evil"), "data/evil"]
    src = f"import os\nfor p in {targets!r}:\n    try:\n        open(p, 'w').write('x'); print('WROTE', p)\n    except OSError as e:\n        print('refused', type(e).__name__)"
    obs = play(sandbox, task, tmp_path, code(src))
    assert "WROTE" not in obs[0].env_message and obs[0].env_message.count("refused") == len(targets)
    assert not any(Path(p).exists() for p in targets[:3])


@both
def test_connecting_to_a_host_loopback_server(task, tmp_path, host, sandbox):
    src = f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {host.port}), timeout=2); print('CONNECTED')\nexcept OSError as e:\n    print('blocked', e.errno)"
    obs = play(sandbox, task, tmp_path, code(src))
    assert "blocked" in obs[0].env_message and not host.hits


@both
def test_only_loopback_interface(task, tmp_path, sandbox):
    obs = play(sandbox, task, tmp_path, code("import socket\nprint(socket.if_nameindex())"))
    assert obs[0].env_message.strip() == "[(1, 'lo')]"


@both
def test_outbound_network(task, tmp_path, sandbox):
    # a documentation address (TEST-NET-1): never routed; the sandbox has no route at all
    src = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=2); print('CONNECTED')\nexcept OSError as e:\n    print('blocked', e.errno)"
    obs = play(sandbox, task, tmp_path, code(src))
    assert "blocked" in obs[0].env_message


@both
def test_daemon_does_not_outlive_the_episode(task, tmp_path, sandbox):
    src = (
        "import os, subprocess\nsubprocess.Popen(['sleep', '300'], start_new_session=True,"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        import time; time.sleep(300)\n    os._exit(0)\n"
        "print('daemons started')"
    )
    obs = play(sandbox, task, tmp_path, code(src))  # play() asserts that nothing of the episode remains
    assert "daemons started" in obs[0].env_message


@bwrap_only
def test_filling_tmp(task, tmp_path, sandbox):
    src = (
        "n = 0\ntry:\n    while True:\n        with open(f'/tmp/fill{n}', 'wb') as f:\n"
        "            f.write(b'x' * 16 * 1024**2)\n        n += 1\nexcept OSError as e:\n    print('full after', n, e.errno)"
    )
    obs = play(sandbox, task, tmp_path, code(src, 30))
    assert "full after" in obs[0].env_message
    assert int(obs[0].env_message.split()[2]) * 16 <= LIMITS.tmp_size_mb


@both
def test_tampering_with_grader_inputs(task, tmp_path, sandbox):

    grader = mg.get_family("ehrsql").grader_notebook()
    cache = os.environ["MEDGYM_HOME"]
    src = (
        f"import os\nfor p in [{str(grader)!r}, {cache!r}]:\n    print(p, os.path.exists(p))\n"
        "try:\n    open('data/mimic_iii.db', 'ab').write(b'x')\nexcept OSError as e:\n    print('db refused', type(e).__name__)"
    )
    before = grader.read_bytes()
    obs = play(
        sandbox,
        task,
        tmp_path,
        code(src),
        {"action": "validate_code", "params": {"code": "\n".join(task.solution)}},
    )
    text = obs[0].env_message
    assert text.count(" False") == 2 and "db refused" in text
    assert grader.read_bytes() == before and obs[1].passed


@both
def test_privilege_escalation(task, tmp_path, sandbox):
    src = "import os\ntry:\n    os.setuid(0); print('ROOT')\nexcept PermissionError:\n    print('denied', os.getuid())"
    obs = play(
        sandbox,
        task,
        tmp_path,
        code(src),
        {"action": "terminal", "params": {"cmd": "mount -t tmpfs none /mnt 2>&1; echo rc=$?"}},
    )
    assert obs[0].env_message.startswith("denied") and "rc=0" not in obs[1].env_message


# A wheel the agent writes itself: pip installs it without a network (in a writable environment it would land).
WHEEL = """import zipfile
files = {
    "evilpkg/__init__.py": "X = 1\\n",
    "evilpkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: evilpkg\\nVersion: 1.0\\n",
    "evilpkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: hand\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    "evilpkg-1.0.dist-info/RECORD": "",
}
with zipfile.ZipFile("evilpkg-1.0-py3-none-any.whl", "w") as wheel:
    for name, text in files.items():
        wheel.writestr(name, text)
"""


@bwrap_only
def test_pip_install_cannot_change_the_shared_environment(task, tmp_path, sandbox):
    import sys

    site = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
    before = sorted(os.listdir(site))
    obs = play(
        sandbox,
        task,
        tmp_path,
        code(WHEEL),
        {
            "action": "terminal",
            "params": {
                "cmd": f"{sys.prefix}/bin/python -m pip install --no-input --no-index --no-user "
                "--no-color evilpkg-1.0-py3-none-any.whl 2>&1 | grep -v '^\\s*$' | tail -3"
            },
        },
        cell_timeout=60,
    )
    assert obs[0].type == "code_execution" and obs[1].type == "cmd_result"
    # pip got as far as writing into the shared environment, and the sandbox refused the write
    assert "Installing collected packages: evilpkg" in obs[1].env_message, obs[1].env_message
    assert "Read-only file system" in obs[1].env_message, obs[1].env_message
    assert sorted(os.listdir(site)) == before


@both
def test_terminal_runs_inside_the_sandbox(task, tmp_path, sandbox):
    obs = play(
        sandbox,
        task,
        tmp_path,
        {"action": "terminal", "params": {"cmd": "hostname; id -u; ls /proc | grep -c '^[0-9]'"}},
    )
    out = obs[0].env_message.split()
    assert out[0] == "sandbox" and int(out[1]) >= UID_BASE


@bwrap_only
def test_deep_recursion_crash(task, tmp_path, sandbox):
    """Recursion in C with the limit lifted (the repr of a million nested lists) overflows the kernel's C stack:
    the kernel dies of SIGSEGV in a second or two and the episode records it. (Deep Python recursion only grows
    frames on the heap until the memory limit, which test_memory_grows_until_the_limit already covers.)"""
    src = "import sys\nsys.setrecursionlimit(10**7)\nnested = []\nfor _ in range(10**6):\n    nested = [nested]\nrepr(nested)"
    obs = play(sandbox, task, tmp_path, code(src, 20))
    assert obs[0].type == "kernel_died"


@bwrap_only
def test_binary_garbage_output(task, tmp_path, sandbox):
    obs = play(
        sandbox,
        task,
        tmp_path,
        code(
            "import os, sys\nsys.stdout.buffer.write(os.urandom(100_000)); sys.stdout.flush()\nprint('\\x1b[2J\\x00end')"
        ),
        code("print('fine')"),
    )
    assert obs[1].env_message.strip() == "fine"


@bwrap_only
def test_other_episodes_are_unaffected(task, tmp_path, test_tasks, sandbox):
    """A hostile episode followed by a normal one: the oracle still passes."""
    play(sandbox, task, tmp_path / "a", code("import os\nos._exit(1)"))
    results = mg.run_episodes(
        [test_tasks[1]], lambda _t: mg.OracleAgent(), tmp_path / "b", config=mg.EnvConfig(sandbox=sandbox)
    )
    assert results[0].passed
