"""One episode's view of a service: a unix socket the episode's kernel reaches, and the host's own client.

A sandbox has no network (bubblewrap's private ``lo``, a zygote's shared private ``lo``, docker's
``network_mode: none``). What it can reach is a file: the tenant's unix socket, made in the episode's work
directory, which every sandbox binds at the same path. ``relay.py`` runs in the kernel and serves that socket
on ``127.0.0.1:<port>`` there, so ordinary HTTP clients (``requests``) work; nothing else is reachable.
"""

from __future__ import annotations

import http.client
import json
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ServiceError

__all__ = ["ServiceTenant", "SocketTenant", "UnixHttpClient", "relay_code"]

SOCKET_NAME = ".medgym-service.sock"
"""The tenant's socket in the episode's work directory (0700, the kernel's uid: no other kernel sees it)."""


class UnixHttpClient:
    """HTTP/1.1 over a unix socket, one connection per request: the host's client of a tenant.
    ``content_type``: what a request body is sent as (a service may want its own JSON media type)."""

    def __init__(self, path: Path, timeout: float = 30.0, content_type: str = "application/json") -> None:
        self.path, self.timeout, self.content_type = path, timeout, content_type

    def request(self, method: str, target: str, body: Any = None) -> tuple[int, Any]:
        """(status, the decoded JSON body, or the text when it is not JSON); ``ServiceError`` when unreachable."""
        conn = http.client.HTTPConnection("localhost", timeout=self.timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
            conn.sock = sock
            data = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": self.content_type} if data is not None else {}
            conn.request(method, target, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read().decode()
        except OSError as exc:
            raise ServiceError(f"the service at {self.path} did not answer {method} {target}: {exc}") from exc
        finally:
            conn.close()
            sock.close()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw


class ServiceTenant(ABC):
    """A service as one episode sees it. ``socket``: where the kernel's relay connects; ``prefix``: the URL
    path the service lives under (e.g. ``/api/``); ``env_var``: the kernel environment variable given the
    base URL; ``label``: how the agent is told of it; ``content_type``: the media type of request bodies. Owned
    by the env, which closes it when the episode ends."""

    socket: Path
    prefix: str
    env_var: str
    label: str
    content_type: str = "application/json"
    opened_at: datetime
    """When the tenant opened: what the service holds from later is the episode's doing."""

    @property
    def client(self) -> UnixHttpClient:
        return UnixHttpClient(self.socket, content_type=self.content_type)

    @abstractmethod
    def close(self) -> None:
        """Drop the tenant (its writes with it, when the service keeps them per tenant); idempotent."""


class SocketTenant(ServiceTenant):
    """A tenant whose teardown is a callable (the service's own ``drop``)."""

    def __init__(
        self,
        socket_path: Path,
        *,
        prefix: str,
        env_var: str,
        label: str,
        opened_at: datetime,
        drop: Callable[[], None],
        content_type: str = "application/json",
    ) -> None:
        self.socket, self.prefix, self.env_var, self.label = socket_path, prefix, env_var, label
        self.content_type = content_type
        self.opened_at = opened_at
        self._drop: Callable[[], None] | None = drop

    def close(self) -> None:
        drop, self._drop = self._drop, None
        if drop is not None:
            drop()


def relay_code(tenant: ServiceTenant) -> tuple[str, str]:
    """(code, expression) for ``KernelSession.run_hidden``: start the relay in the kernel, set ``env_var``,
    and evaluate to the base URL. The relay's names stay out of the agent's namespace."""
    source = (Path(__file__).with_name("relay.py")).read_text()
    code = (
        "def __medgym_relay():\n"
        "    scope = {'__name__': '__medgym_relay__'}\n"
        f"    exec(compile({source!r}, '<medgym-relay>', 'exec'), scope)\n"
        f"    port = scope['start']({str(tenant.socket)!r})\n"
        f"    __import__('os').environ[{tenant.env_var!r}] = 'http://127.0.0.1:%d{tenant.prefix}' % port\n"
        "__medgym_relay()\n"
        "del __medgym_relay"
    )
    return code, f"__import__('os').environ[{tenant.env_var!r}]"
