"""Sandbox selection, and the bubblewrap kernelspec used by other Jupyter tools (papermill)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import medgym_nb as mg
from medgym_nb.kernel import KernelSession, choice
from medgym_nb.kernel.bwrap import bwrap_status
from medgym_nb.kernel.provisioners import NOTEBOOK_DIR

from .sandboxes import sandboxes

needs_bwrap = pytest.mark.skipif(not bwrap_status()[0], reason=f"bubblewrap unavailable: {bwrap_status()[1]}")


def test_auto_never_falls_back_to_an_unsandboxed_kernel(monkeypatch):
    """Without bubblewrap ``auto`` takes a Docker engine's container, and without either it fails with both
    reasons: agent code runs unsandboxed only when ``local`` is asked for by name."""
    monkeypatch.setattr(choice, "bwrap_status", lambda: (False, "bwrap not found"))
    monkeypatch.setattr(choice, "docker_status", lambda: (True, ""))
    assert choice.choose_sandbox("auto") == ("docker", "medgym-docker")
    monkeypatch.setattr(choice, "docker_status", lambda: (False, "no engine at DOCKER_HOST"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning-and-carry-on: an error
        with pytest.raises(mg.SandboxUnavailableError, match=r"bwrap not found.*no engine.*sandbox='local'"):
            choice.choose_sandbox("auto")
        with pytest.raises(mg.MedgymError, match="no sandbox works here"):
            mg.Env(sandbox="auto")
    with pytest.raises(mg.SandboxUnavailableError, match="bwrap not found"):
        choice.choose_sandbox("bwrap")


def test_local_must_be_asked_for_and_warns():
    with pytest.warns(choice.NoSandboxWarning, match="without isolation"):
        assert choice.choose_sandbox("local")[0] == "local"
    with pytest.raises(mg.MedgymError, match="unknown sandbox 'docker-ish'"):
        choice.choose_sandbox("docker-ish")


@needs_bwrap
def test_auto_picks_bubblewrap_here_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert choice.choose_sandbox("auto") == ("bwrap", "medgym-bwrap")


@needs_bwrap
def test_papermill_can_run_a_notebook_in_the_sandbox_kernelspec(tmp_path):
    nb = new_notebook(
        cells=[new_code_cell("import socket, os\nprint(socket.gethostname(), os.getuid() != 0)")]
    )
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    papermill.execute_notebook(
        str(src), str(out), kernel_name="medgym-bwrap", progress_bar=False, cwd=str(tmp_path)
    )
    text = nbformat.read(out, as_version=4).cells[0].outputs[0]["text"]
    assert text.strip() == "sandbox True"


LOOK_AROUND = (
    "import json, os\n"
    "try:\n    listing = sorted(os.listdir('.'))\n"
    "except PermissionError:\n    listing = None\n"
    "seen = os.path.exists(os.path.join(HOST, ENTRY))\n"
    "print(json.dumps({'cwd': os.getcwd(), 'listing': listing, 'host_entry_seen': seen}))"
)


def _tmp(tmp_path: Path) -> tuple[Path, str]:
    """``/tmp`` itself, over the sandbox's own ``/tmp``; the test's folder is an entry in it."""
    root = Path(tempfile.gettempdir())
    return root, tmp_path.relative_to(root).parts[0]


def _fresh_dir(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / "hello.txt").write_text("hi")
    return folder, "hello.txt"


def _python_project(tmp_path: Path) -> tuple[Path, str]:
    """The project folder that holds the virtual environment (``.venv``) this Python runs from."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("this Python is not a virtual environment inside a project folder")
    venv = Path(sys.prefix)
    return venv.parent, venv.name


def _home_with_python(tmp_path: Path) -> tuple[Path, str]:
    """A ``$HOME`` that holds the Python installation (pyenv's way)."""
    home, base = Path.home().resolve(), Path(os.path.realpath(sys.base_prefix))
    if home == Path("/") or not base.is_relative_to(home):
        pytest.skip(f"the Python installation ({base}) is not under $HOME ({home})")
    return home, base.relative_to(home).parts[0]


@sandboxes("bwrap", "zygote", "docker")
@pytest.mark.parametrize("where", [_tmp, _fresh_dir, _python_project, _home_with_python])
def test_papermill_runs_in_a_directory_that_holds_the_sandboxes_own_mounts(sandbox, where, tmp_path):
    """A launcher's cwd is shown read-only at a neutral path: it never hides the sandbox's ``/tmp`` or the
    Python environment, and the host path it has outside is not visible."""
    cwd, entry = where(tmp_path)
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(
        new_notebook(cells=[new_code_cell(f"HOST, ENTRY = {str(cwd)!r}, {entry!r}\n{LOOK_AROUND}")]), src
    )
    kernel = choice.SANDBOXES[sandbox]
    papermill.execute_notebook(str(src), str(out), kernel_name=kernel, progress_bar=False, cwd=str(cwd))
    seen = json.loads(nbformat.read(out, as_version=4).cells[0].outputs[0]["text"])
    assert seen["cwd"] == NOTEBOOK_DIR
    if where in (_tmp, _fresh_dir):  # (the Python installation is bound at its own path, by design)
        assert not seen["host_entry_seen"]
    others_may_list = cwd.stat().st_mode & 0o005 == 0o005
    if others_may_list or os.geteuid() != 0:  # as root the kernel runs under a uid of its own
        assert entry in seen["listing"]


@sandboxes("bwrap", "docker", "local")
def test_a_kernel_that_dies_at_start_says_why(sandbox, tmp_path, monkeypatch):
    """A kernelspec whose kernel cannot start: the error quotes what Python printed inside the sandbox."""
    spec = tmp_path / "kernels" / "medgym-broken"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ["python", "-m", "medgym_no_such_kernel", "-f", "{connection_file}"],
                "display_name": "broken",
                "language": "python",
                "interrupt_mode": "message",
                "metadata": {"kernel_provisioner": {"provisioner_name": f"medgym-{sandbox}-provisioner"}},
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    with pytest.raises(mg.KernelStartError, match="No module named medgym_no_such_kernel") as caught:
        asyncio.run(KernelSession("medgym-broken").start(timeout=30))
    assert "exited during start-up" in str(caught.value)
