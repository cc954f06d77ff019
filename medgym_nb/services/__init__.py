"""Services a family's episodes may reach from their sandboxed kernels (e.g. an EHR server).

The generic part (``base``, ``relay``) knows no particular service: a service opens one tenant per episode on a unix
socket in the episode's work directory; a relay thread in the kernel serves it on ``127.0.0.1`` inside the
sandbox, whose network is otherwise off.
"""

from .base import ServiceTenant, SocketTenant, UnixHttpClient, relay_code

__all__ = ["ServiceTenant", "SocketTenant", "UnixHttpClient", "relay_code"]
