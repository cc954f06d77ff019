"""The embedded FHIR R4 server: a Node process (``fhir/server.mjs``, Medplum's FHIR router) run by this one.

One server per data file and process, started on first use and stopped at exit (its stdin is our pipe: it
exits when we do, even if we are killed). Each episode gets a tenant: a copy-on-write overlay of the loaded
data on a unix socket of its own, so its writes are seen by nobody else and vanish when it is dropped.
``FhirServer(data, port=0)`` is instead a plain server on ``127.0.0.1`` (what ``--service-url fhir=URL``
points at).
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from medgym_nb.errors import ServiceError
from medgym_nb.services.base import SOCKET_NAME, SocketTenant, UnixHttpClient

__all__ = [
    "FHIR_DIR",
    "FhirServer",
    "close_servers",
    "embedded_server",
    "install_node_packages",
    "node_command",
    "node_status",
]

FHIR_JSON = "application/fhir+json"
FHIR_DIR = Path(__file__).with_name("fhir")
"""The Node project: ``package.json``, ``package-lock.json``, ``server.mjs``; ``node_modules`` from ``make``."""
START_TIMEOUT = 120.0
FHIR_ENV_VAR = "FHIR_BASE"
_ids = itertools.count()


def node_command() -> list[str]:
    """``node server.mjs``, or a ``ServiceError`` saying how to install what is missing."""
    node = shutil.which("node")
    if node is None:
        raise ServiceError("Node.js is not installed: run `make` (it installs Debian's nodejs and npm)")
    if not (FHIR_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        raise ServiceError(
            "the embedded FHIR server's packages are not installed: run `medgym setup medagentbench` (or `make`)"
        )
    return [node, str(FHIR_DIR / "server.mjs")]


def install_node_packages() -> None:
    """``npm ci`` of the server's pinned packages (from the lock file), once per lock file: a stamp in
    ``node_modules`` remembers which lock was installed."""
    stamp = FHIR_DIR / "node_modules" / ".medgym-lock"
    lock = (FHIR_DIR / "package-lock.json").read_text(encoding="utf-8")
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == lock:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise ServiceError("npm is not installed: run `make` (it installs Debian's nodejs and npm)")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=FHIR_DIR,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise ServiceError(f"npm ci of the FHIR server failed: {done.stderr.strip()[-2000:]}")
    stamp.write_text(lock, encoding="utf-8")


def node_status() -> tuple[bool, str]:
    """Whether the embedded server can run here, and if not, what to do about it."""
    try:
        node_command()
    except ServiceError as exc:
        return False, str(exc)
    return True, "ok"


class FhirServer:
    """A running server over ``data`` (a JSON list of FHIR resources). ``port=None``: tenants over a control
    socket; an int: one plain server on ``127.0.0.1:port`` (0: any free port), its URL in ``url``."""

    def __init__(self, data: Path, *, port: int | None = None) -> None:
        self.data = data
        command = node_command()
        self._dir = tempfile.mkdtemp(prefix="medgym-fhir-")
        self.control = Path(self._dir) / "control.sock"
        where = ["--port", str(port)] if port is not None else ["--control", str(self.control)]
        self._log = Path(self._dir) / "server.log"
        with self._log.open("wb") as log:
            self.proc = subprocess.Popen(
                [*command, "--data", str(data), *where, "--managed", "1"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=FHIR_DIR,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NODE_ENV": "production"},
            )
        try:
            self.ready = self._wait_ready()
        except BaseException:
            self.close()
            raise
        self.url = f"http://127.0.0.1:{self.ready['where']}/fhir/" if port is not None else None

    def _wait_ready(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT)
        line = self.proc.stdout.readline().decode() if ready else ""
        try:
            info = json.loads(line)
        except ValueError:
            info = {}
        if not info.get("ready"):
            tail = self._log.read_text(errors="replace")[-2000:] if self._log.exists() else ""
            raise ServiceError(
                f"the embedded FHIR server did not start (got {line.strip()!r})\n{tail}".strip()
            )
        return dict(info)

    @property
    def start_ms(self) -> float:
        return float(self.ready["start_ms"])  # type: ignore[arg-type]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def open_tenant(self, directory: Path) -> SocketTenant:
        """A fresh overlay of the data on ``directory/.medgym-service.sock``; closing it drops the overlay."""
        if not self.alive():
            raise ServiceError("the embedded FHIR server has exited")
        name = f"t{next(_ids)}"
        opened = datetime.now(UTC)
        path = directory / SOCKET_NAME
        control = UnixHttpClient(self.control)
        status, reply = control.request("POST", "/tenants", {"id": name, "socket": str(path)})
        if status != 201:
            raise ServiceError(f"the embedded FHIR server could not open a tenant: {reply}")

        def drop() -> None:
            if self.alive():
                control.request("DELETE", f"/tenants/{name}")

        return SocketTenant(
            path,
            prefix="/fhir/",
            env_var=FHIR_ENV_VAR,
            label="FHIR R4 server",
            opened_at=opened,
            drop=drop,
            content_type=FHIR_JSON,
        )

    def close(self) -> None:
        """Stop the server (closing its stdin ends it); idempotent."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self._dir, ignore_errors=True)


_servers: dict[Path, FhirServer] = {}
_lock = threading.Lock()


def embedded_server(data: Path) -> FhirServer:
    """The tenant server for ``data`` of this process, started on first use (thread-safe)."""
    key = data.resolve()
    with _lock:
        server = _servers.get(key)
        if server is None or not server.alive():
            server = _servers[key] = FhirServer(key)
        return server


@atexit.register
def close_servers() -> None:
    """Stop every embedded server this process started."""
    with _lock:
        for server in _servers.values():
            server.close()
        _servers.clear()
