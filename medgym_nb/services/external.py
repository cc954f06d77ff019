"""A service at a URL the user runs (e.g. ``--service-url NAME=http://127.0.0.1:8080/api/``), made reachable
from a sandbox the same way as an embedded one: a unix socket in the episode's work directory, relayed by a
thread of this process to the URL's host and port. Every episode shares that server and its writes:
isolating them is the server's business.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ServiceError
from .base import SOCKET_NAME, ServiceTenant
from .relay import pump

__all__ = ["UrlTenant"]


class UrlTenant(ServiceTenant):
    """Relays ``directory/.medgym-service.sock`` to ``url``'s host and port (plain HTTP only)."""

    def __init__(self, url: str, directory: Path, *, env_var: str, label: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ServiceError(f"service URL {url!r}: only plain http://host:port/path URLs can be relayed")
        self.address = (parts.hostname, parts.port or 80)
        self.prefix = parts.path.rstrip("/") + "/"
        self.env_var, self.label = env_var, label
        self.opened_at = datetime.now(UTC)
        self.socket = directory / SOCKET_NAME
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.socket))
        os.chmod(self.socket, 0o666)  # noqa: S103 - the kernel's uid connects; the 0700 work dir guards it
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="medgym-url-relay")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            try:
                upstream = socket.create_connection(self.address, timeout=10)
            except OSError:
                conn.close()
                continue
            upstream.settimeout(None)
            done: list[Any] = [threading.Lock(), 0]
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=pump, args=(a, b, done), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=2)
        with contextlib.suppress(OSError):
            self.socket.unlink()
