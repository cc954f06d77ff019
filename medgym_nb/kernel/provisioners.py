"""Kernel provisioners (jupyter_client plugins): they decide where and how an episode's kernel runs.

Registered under the ``jupyter_client.kernel_provisioners`` entry point and named by the kernelspecs in
``kernels/``, so papermill, nbclient and JupyterLab start the same kernels our environment does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

__all__ = ["IpcLocalProvisioner"]


class IpcLocalProvisioner(LocalProvisioner):  # type: ignore[misc]
    """A local kernel that talks over ZMQ ``ipc`` sockets in a private runtime directory.

    No TCP ports: nothing to race for when many kernels start at once, nothing exposed on the network, and
    the directory is exactly what a sandboxing subclass binds into its sandbox. Kernel managers call
    ``pre_launch`` before every (re)start and ``cleanup`` after every stop; the directory lives until the
    final, non-restart cleanup.
    """

    runtime_dir: str | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        if km is not None:
            if self.runtime_dir is None:
                self.runtime_dir = tempfile.mkdtemp(prefix="medgym-kernel-")
            km.transport = "ipc"
            km.ip = os.path.join(self.runtime_dir, "kernel")
            km.connection_file = os.path.join(self.runtime_dir, "connection.json")
        return await super().pre_launch(**kwargs)

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart and self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None
