"""Sandbox selection, and the bubblewrap kernelspec used by other Jupyter tools (papermill)."""

from __future__ import annotations

import warnings

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import medgym_nb as mg
from medgym_nb.kernel import choice as env_module
from medgym_nb.kernel.bwrap import bwrap_status

needs_bwrap = pytest.mark.skipif(not bwrap_status()[0], reason=f"bubblewrap unavailable: {bwrap_status()[1]}")


def test_auto_falls_back_to_local_with_a_loud_warning(monkeypatch):
    monkeypatch.setattr(env_module, "bwrap_status", lambda: (False, "bwrap not found"))
    with pytest.warns(env_module.NoSandboxWarning, match="apt-get install bubblewrap"):
        assert env_module.choose_sandbox("auto") == ("local", "medgym-local")
    with pytest.raises(mg.SandboxUnavailableError, match="bwrap not found"):
        env_module.choose_sandbox("bwrap")


def test_local_must_be_asked_for_and_warns():
    with pytest.warns(env_module.NoSandboxWarning, match="without isolation"):
        assert env_module.choose_sandbox("local")[0] == "local"
    with pytest.raises(mg.MedgymError, match="unknown sandbox 'docker-ish'"):
        env_module.choose_sandbox("docker-ish")


@needs_bwrap
def test_auto_picks_bubblewrap_here_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert env_module.choose_sandbox("auto") == ("bwrap", "medgym-bwrap")


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
