"""Which sandboxes can run here, and a parametrisation that skips (with the reason) those that cannot."""

from __future__ import annotations

import os

import pytest

from medgym_nb.kernel.bwrap import bwrap_status
from medgym_nb.kernel.docker import docker_status

STATUS = {
    "bwrap": bwrap_status(),
    # as root, kernels forked from the template; otherwise the provisioner falls back to plain bwrap
    "zygote": (bwrap_status()[0] and os.geteuid() == 0, "needs bubblewrap and root"),
    "docker": docker_status(),
    "local": (True, "ok"),
}


def sandboxes(*names: str, slow: tuple[str, ...] = ()) -> pytest.MarkDecorator:
    """Parametrise a test's ``sandbox`` argument over ``names``, skipping those unavailable here; those in
    ``slow`` run only in ``make test-all`` (where another default test already covers that sandbox)."""
    params = [
        pytest.param(
            n,
            marks=[
                pytest.mark.skipif(not STATUS[n][0], reason=f"{n} sandbox unavailable here: {STATUS[n][1]}"),
                *([pytest.mark.slow] if n in slow else []),
            ],
        )
        for n in names
    ]
    return pytest.mark.parametrize("sandbox", params)
