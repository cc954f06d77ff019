"""A background event loop for the sync façades.

The kernel boundary is async (jupyter_client's async manager and client). Scripts, tests and notebooks want a
plain ``env.step(...)``; running ``asyncio.run`` per call would tear down the ZMQ sockets each time, and fails
inside Jupyter where a loop already runs. So every sync façade submits its coroutines to one long-lived loop
in a daemon thread, which owns all sockets.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="medgym-loop", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the shared background loop and wait for its result (exceptions propagate)."""
    loop = _background_loop()
    if threading.get_ident() == getattr(loop, "_thread_id", None):
        raise RuntimeError(
            "run_sync would deadlock: it was called from the medgym loop thread; await instead"
        )
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


def on_background_loop() -> bool:
    """Whether the caller runs on the shared background loop (which lives as long as the process)."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return False
    return running is _loop
