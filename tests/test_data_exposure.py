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
seen["reached"] = sorted(set(reached))
seen["notebooks"] = [os.path.join(w, f) for share in (host_share, os.path.join(sys.prefix, "share", "medgym"))
                     for w, _, fs in os.walk(share) for f in fs if f.endswith(".ipynb")]
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
