"""Runs inside an episode's kernel (sent as source: the sandbox may not see medgym itself): serves the
tenant's unix socket on ``127.0.0.1:<free port>`` of the sandbox's own network namespace.

Zygote kernels share one namespace, so the relay accepts only connections from its own uid (looked up in
``/proc/net/tcp``): a kernel cannot reach another episode's tenant through that kernel's port. Standard
library only; daemon threads, gone with the kernel.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

CHUNK = 65536


def _hex_addr(addr: tuple[str, int]) -> str:
    host, port = addr
    packed = socket.inet_aton(host)
    return f"{int.from_bytes(packed, 'little'):08X}:{port:04X}"


def _peer_uid(conn: socket.socket) -> int | None:
    """The uid owning the client end of ``conn`` (None if it cannot be found)."""
    local, remote = _hex_addr(conn.getpeername()), _hex_addr(conn.getsockname())
    try:
        with open("/proc/net/tcp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                if fields[1] == local and fields[2] == remote:
                    return int(fields[7])
    except OSError:
        return None
    return None


def pump(src: socket.socket, dst: socket.socket, done: list[Any]) -> None:
    """Copy ``src`` to ``dst`` until EOF, then half-close ``dst``; the second pump of a pair closes both."""
    try:
        while True:
            data = src.recv(CHUNK)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    with done[0]:
        done[1] += 1
        last = done[1] == 2
    if last:
        src.close()
        dst.close()


def _serve(listener: socket.socket, path: str) -> None:
    me = os.getuid()
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        if _peer_uid(conn) != me:
            conn.close()
            continue
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(path)
        except OSError:
            conn.close()
            upstream.close()
            continue
        done: list[Any] = [threading.Lock(), 0]
        for a, b in ((conn, upstream), (upstream, conn)):
            threading.Thread(target=pump, args=(a, b, done), daemon=True).start()


def start(path: str) -> int:
    """Listen on a free loopback port, relay each connection to ``path``; returns the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    threading.Thread(target=_serve, args=(listener, path), daemon=True, name="medgym-relay").start()
    port: int = listener.getsockname()[1]
    return port
