"""An episode's kernel sees only the data files its task declares: the answers must be unreachable.

MedAgentGym keeps a task file (every question with its answer) in the folder that holds the database, so a
kernel that saw the whole folder could read the answers. Each sandbox is started the way the pool starts
it, declaring only the database of a folder that also holds a task file, an answer file, a grader
notebook, a program and a sub-folder; from inside, only the database may be found, by any path.
"""

from __future__ import annotations

import asyncio
import glob
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from medgym_nb.errors import KernelStartError
from medgym_nb.kernel import KernelPool, KernelSession
from medgym_nb.kernel.bwrap import bwrap_status
from medgym_nb.kernel.choice import SANDBOXES

from .sandboxes import sandboxes

ANSWER = "the-answer-is-42"
PLANTED = ["train_tasks.jsonl", "answers.json", "grade.ipynb", "hidden_program.py", "cache"]
HOST_SHARE = str(Path(sys.prefix, "share", "medgym"))

# Run inside the kernel. Looks for the planted names by the host folder's path, through data/.. and
# /proc/self/root, and by a walk of the places a host folder could show up (the Python libraries, large
# and mounted for every kernel, are pruned to keep it fast).
PROBE = """
import json, os, sqlite3, sys
host, planted, host_share = {host!r}, {planted!r}, {host_share!r}
seen = {{"listdir": sorted(os.listdir("data"))}}
con = sqlite3.connect("file:data/mimic_iii.db?mode=ro", uri=True)
seen["db"] = con.execute("select answer from probe").fetchall()
direct = [p for name in planted
          for p in (os.path.join(host, name), os.path.join("data", "..", name), os.path.join("data", name),
                    "/proc/self/root" + os.path.join(host, name))]
reached = [p for p in direct if os.path.lexists(p)]
roots = ["/tmp", "/var/tmp", "/home", "/root", "/work", "/srv", "/mnt", "/opt", "/medgym-data", "/notebook",
         os.getcwd(), os.path.dirname(host)]
for root in roots:
    for where, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("site-packages", "__pycache__")]
        reached += [os.path.join(where, n) for n in files + dirs if n in planted]
seen["reached"] = sorted(set(reached))[:20]  # a few say it all (the local kernel sees every pytest dir)
seen["notebooks"] = [os.path.join(w, f) for share in (host_share, os.path.join(sys.prefix, "share", "medgym"))
                     for w, _, fs in os.walk(share) for f in fs if f.endswith(".ipynb")][:20]
print(json.dumps(seen))
"""


@pytest.fixture
def task_folder(tmp_path: Path) -> Path:
    """A MedAgentGym-style task folder: the database beside everything an agent must not see."""
    folder = tmp_path / "mimic_iii"
    folder.mkdir()
    with sqlite3.connect(folder / "mimic_iii.db") as con:
        con.execute("create table probe (answer text)")
        con.execute("insert into probe values ('visible')")
    (folder / "train_tasks.jsonl").write_text(json.dumps({"question": "q", "answer": [ANSWER]}) + "\n")
    (folder / "answers.json").write_text(json.dumps({"t1": ANSWER}))
    (folder / "grade.ipynb").write_text("{}")
    (folder / "hidden_program.py").write_text(f"print({ANSWER!r})\n")
    (folder / "cache").mkdir()
    (folder / "cache" / "answer.txt").write_text(ANSWER)
    return folder


async def _probe(kernel_name: str, data: dict[str, str], code: str) -> str:
    pool = KernelPool(kernel_name)
    try:
        lease = await pool.acquire(data)
        try:
            result = await lease.kernel.execute(code, timeout=60)
        finally:
            await lease.release()
    finally:
        await pool.close()
    assert result.status == "ok", result.text
    return result.stdout


@sandboxes("bwrap", "zygote", "docker", "local")
def test_the_kernel_sees_only_the_declared_database(sandbox: str, task_folder: Path) -> None:
    data = {"mimic_iii.db": str(task_folder / "mimic_iii.db")}
    code = PROBE.format(host=str(task_folder), planted=PLANTED, host_share=HOST_SHARE)
    seen = json.loads(asyncio.run(_probe(SANDBOXES[sandbox], data, code)))
    assert seen["listdir"] == ["mimic_iii.db"]
    assert seen["db"] == [["visible"]]
    if sandbox != "local":  # no isolation there: only the layout is the same
        assert seen["reached"] == []
        assert seen["notebooks"] == []


@pytest.mark.skipif(not glob.glob(f"{HOST_SHARE}/**/*.ipynb", recursive=True), reason="no installed grader")
@sandboxes("bwrap", "zygote")
def test_installed_grader_notebooks_are_masked(sandbox: str) -> None:
    code = f"import os; print(os.path.isdir({HOST_SHARE!r}), os.listdir({HOST_SHARE!r}))"
    assert asyncio.run(_probe(SANDBOXES[sandbox], {}, code)).split() == ["True", "[]"]


@pytest.mark.parametrize("name", ["../answers.json", "..", ".", "", "cache/answer.txt", "/etc/passwd"])
def test_a_data_name_must_be_a_plain_file_name(name: str, task_folder: Path) -> None:
    data = {name: str(task_folder / "answers.json")}
    with pytest.raises(KernelStartError, match="not a plain file name"):
        asyncio.run(_probe("medgym-local", data, "pass"))


def test_a_missing_or_relative_data_path_fails_the_launch(task_folder: Path) -> None:
    with pytest.raises(KernelStartError, match="does not exist"):
        asyncio.run(_probe("medgym-local", {"gone.db": str(task_folder / "gone.db")}, "pass"))
    with pytest.raises(KernelStartError, match="not an absolute path"):
        asyncio.run(_probe("medgym-local", {"mimic_iii.db": "mimic_iii.db"}, "pass"))


@sandboxes("bwrap")
def test_data_needs_a_work_directory_medgym_made(sandbox: str, task_folder: Path) -> None:
    session = KernelSession(
        SANDBOXES[sandbox],
        cwd=task_folder,
        launch_kwargs={"medgym_data": {"mimic_iii.db": str(task_folder / "mimic_iii.db")}},
    )
    with pytest.raises(KernelStartError, match="work directory medgym made"):
        asyncio.run(session.start())


PACKAGE_PROBE = """
import importlib, json, os
seen = {"listing": sorted(os.listdir(PACKAGE)) if os.path.isdir(PACKAGE) else None, "ipykernel": True}
try:
    importlib.import_module("medgym_nb.npower")
    seen["imported"] = True
except ImportError:
    seen["imported"] = False
print(json.dumps(seen))
"""


@sandboxes("bwrap")
def test_medgym_nb_itself_is_masked_where_a_bound_environment_holds_it(
    sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed non-editable (``pip install .``, a wheel), medgym_nb sits in the site-packages every sandbox
    binds: its suites' generators and solvers must not be importable by agent code. Here the checkout that
    holds it is bound the way site-packages is, and the package's directory must come up empty."""
    from medgym_nb.kernel import bwrap

    checkout = str(Path(bwrap.PACKAGE_DIR).parent)
    bound = bwrap._python_dirs()
    monkeypatch.setattr(bwrap, "_python_dirs", lambda: [*bound, checkout])
    code = f"PACKAGE = {bwrap.PACKAGE_DIR!r}\n{PACKAGE_PROBE}"
    seen = json.loads(asyncio.run(_probe(SANDBOXES[sandbox], {}, code)))
    assert seen == {"listing": [], "ipykernel": True, "imported": False}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_wheel_install_keeps_medgym_nb_out_of_its_kernels(tmp_path: Path) -> None:
    """The real thing: medgym_nb built as a wheel and installed into a fresh virtualenv (a few minutes: every
    dependency comes from pip's cache); a bubblewrap kernel started from there cannot import it."""
    import subprocess

    if not bwrap_status()[0]:
        pytest.skip(f"bubblewrap unavailable: {bwrap_status()[1]}")
    root = Path(__file__).resolve().parents[1]
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(root)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    wheel = next((tmp_path / "dist").glob("medgym_nb-*.whl"))
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=800)
    script = (
        "import asyncio, json, medgym_nb\n"
        "from medgym_nb.kernel import KernelPool\n"
        "from medgym_nb.kernel.bwrap import PACKAGE_DIR\n"
        "async def main():\n"
        "    pool = KernelPool('medgym-bwrap')\n"
        "    lease = await pool.acquire({})\n"
        f"    cell = await lease.kernel.execute('PACKAGE = %r\\n' % PACKAGE_DIR + {PACKAGE_PROBE!r}, timeout=60)\n"
        "    await lease.release(); await pool.close()\n"
        "    print(cell.stdout)\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "listing": [],
        "ipykernel": True,
        "imported": False,
    }
