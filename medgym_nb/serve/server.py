"""Run the app under uvicorn: refuse an open port without a token, and drain on SIGTERM.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections, lets running requests finish (up to the drain
grace) and closes WebSockets; the table is marked draining first, so a session whose client is cut off then is
recorded as ``interrupted``, and the app's shutdown ends every remaining session the same way.
"""

from __future__ import annotations

import ipaddress
import resource
import socket
from pathlib import Path

import uvicorn

from ..config import EnvConfig
from ..errors import ConfigError
from .app import create_app
from .sessions import SessionLimits, SessionTable

__all__ = ["is_loopback", "serve"]

_FDS_PER_SESSION = 32
"""File descriptors the server holds per session (a kernel's ZeroMQ sockets, its client's, the socket)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _DrainingServer(uvicorn.Server):
    """uvicorn's server, marking the table draining before its connections are closed."""

    def __init__(self, config: uvicorn.Config, table: SessionTable) -> None:
        super().__init__(config)
        self.table = table

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.table.draining = True
        await super().shutdown(sockets)


def serve(
    config: EnvConfig,
    out_dir: str | Path,
    limits: SessionLimits | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve until SIGTERM/SIGINT, then drain (every episode recorded under ``out_dir``)."""
    if not token and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} without a bearer token: anyone who reaches it could run code in "
            "its kernels. Pass --token (or set MEDGYM_SERVE_TOKEN), or bind to 127.0.0.1"
        )
    limits = limits or SessionLimits()
    _raise_fd_limit(limits.max_sessions * _FDS_PER_SESSION)
    app = create_app(config, out_dir, limits, token=token or None)
    server_config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        ws="websockets-sansio",
        timeout_graceful_shutdown=int(limits.drain_grace) or None,
        backlog=max(2048, limits.max_sessions),
    )
    _DrainingServer(server_config, app.state.table).run()


def _raise_fd_limit(wanted: int) -> None:
    """Lift the soft open-files limit toward ``wanted`` (never past the hard one): many sessions, many fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
