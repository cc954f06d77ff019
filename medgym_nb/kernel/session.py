"""One episode's kernel: start through a kernelspec (and so its provisioner), execute cells, shut down.

Modelled on nbclient's cell loop: each cell races its iopub stream against a deadline, with a liveness poll
about once a second, so a dead kernel becomes a result instead of a hang. Readiness uses our own handshake
instead of ``wait_for_ready`` (which polls every 0.2 s and ends on a 0.2 s drain): a ``kernel_info`` round trip
plus one iopub message, which proves the iopub subscription is live so the first cell's output is not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from queue import Empty
from typing import Any, Literal

import zmq
import zmq.asyncio
from jupyter_client import AsyncKernelClient, AsyncKernelManager
from jupyter_client.kernelspec import NoSuchKernel
from nbformat import NotebookNode
from traitlets import DottedObjectName, Type

from ..errors import DeadKernelError, KernelStartError
from .outputs import (
    OutputCollector,
    OutputLimits,
    kernel_output_cap,
    render_text,
    stdout_of,
    strip_ansi,
    truncate,
)
from .provisioners import IpcLocalProvisioner

__all__ = ["CellResult", "ExecutionError", "KernelSession"]

CellStatus = Literal["ok", "error", "timeout", "dead"]

LIVENESS_POLL_S = 1.0
INTERRUPT_GRACE_S = 3.0


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class ExecutionError:
    ename: str
    evalue: str
    traceback: list[str]

    def text(self) -> str:
        return strip_ansi("\n".join(self.traceback)) or f"{self.ename}: {self.evalue}"


@dataclass
class CellResult:
    """What one executed cell produced.

    ``outputs`` are nbformat outputs (kept up to the notebook cap); ``text`` is the agent's view (capped);
    ``status`` is ``ok``, ``error`` (an exception in the cell), ``timeout`` (interrupted; the kernel lives
    unless ``kernel_alive`` is False) or ``dead`` (the kernel died during the cell).
    """

    code: str
    status: CellStatus
    outputs: list[NotebookNode]
    execution_count: int | None
    duration: float
    text: str
    stdout: str
    error: ExecutionError | None = None
    kernel_alive: bool = True
    timing: dict[str, str] = field(default_factory=dict)


_shared: tuple[int, zmq.asyncio.Context] | None = None


def _zmq_context() -> zmq.asyncio.Context:
    """One ZMQ context for every kernel this process drives (a new one after a fork).

    jupyter_client gives each kernel manager and each client a context of its own: two I/O threads and their
    descriptors per kernel, and a ``term`` at shutdown that blocks the event loop until the sockets' linger
    ends (~20 ms a kernel, during which no other episode moves). A context is thread-safe, so one serves all.
    """
    global _shared
    if _shared is None or _shared[0] != os.getpid():
        context = zmq.asyncio.Context()
        # The client usually connects before the kernel has bound its ipc sockets; ZMQ then retries after
        # RECONNECT_IVL (100 ms by default), most of a forked kernel's start-up time.
        context.setsockopt(zmq.RECONNECT_IVL, 5)
        _shared = (os.getpid(), context)
    return _shared[1]


class _KernelClient(AsyncKernelClient):  # type: ignore[misc]
    """Stops only the channels it started. jupyter_client's ``stop_channels`` asks for all five, and asking
    opens one that was never started: a stdin socket, connected only to be closed, per kernel."""

    def stop_channels(self) -> None:
        channels = (
            self._shell_channel,
            self._iopub_channel,
            self._stdin_channel,
            self._hb_channel,
            self._control_channel,
        )
        for channel in channels:
            if channel is not None and channel.is_alive():
                channel.stop()
        if self._created_context and not self.context.closed:
            self.context.destroy(linger=100)


class _KernelManager(AsyncKernelManager):  # type: ignore[misc]
    """jupyter_client waits for a killed kernel by polling its liveness every 0.1 s; each of our
    provisioners' ``wait`` returns as soon as the process is gone (episode kernels die by the thousand).
    And it interrupts a kernel before it kills it, which wakes the kernel to raise KeyboardInterrupt
    for nothing: a kernel shut down ``now`` (``killing``) is not interrupted."""

    client_class = DottedObjectName(f"{__name__}._KernelClient")
    client_factory = Type(klass=_KernelClient)
    startup_code: str | None = None
    """Code the kernel runs unseen before its first request, where its provisioner can run it there
    (``IpcLocalProvisioner.startup_code_ran``); the session runs it as a hidden cell otherwise."""
    killing = False

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        if self.has_kernel and self.provisioner is not None:
            await self.provisioner.wait()

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
        self.killing = now
        await super().shutdown_kernel(now=now, restart=restart)

    async def _async_interrupt_kernel(self) -> None:
        if not self.killing:
            await super()._async_interrupt_kernel()


class KernelSession:
    """A kernel owned by one episode. Async; use ``async with`` or ``start()``/``shutdown()``."""

    def __init__(
        self,
        kernel_name: str = "medgym-local",
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        limits: OutputLimits | None = None,
        launch_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.kernel_name = kernel_name
        self.cwd = os.fspath(cwd) if cwd is not None else None
        self.env = env
        self.limits = limits or OutputLimits()
        self.launch_kwargs = dict(launch_kwargs or {})
        self.km: _KernelManager | None = None
        self.kc: Any = None
        self.last_error: ExecutionError | None = None

    async def __aenter__(self) -> KernelSession:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    @property
    def sandbox(self) -> str:
        """The sandbox the kernel runs in, as its provisioner launched it (a zygote kernel of a family's own
        kernel environment runs in plain bubblewrap); the kernelspec's name for provisioners not ours."""
        prov = self.km.provisioner if self.km else None
        return str(getattr(prov, "runs_in", self.kernel_name))

    @property
    def pid(self) -> int | None:
        """The pid of the kernel (or of its sandbox launcher) on the host, while it runs."""
        prov = self.km.provisioner if self.km else None
        return getattr(prov, "pid", None)

    async def start(self, timeout: float = 60.0) -> None:
        """Launch the kernel and wait until it answers and its iopub stream is live.

        On any failure or cancellation (a pool shutting down mid-start) whatever was launched is reaped. A
        ``KernelStartError`` quotes the end of the launcher's stderr (our provisioners keep it), which says
        why a kernel died at start.
        """
        km = _KernelManager(kernel_name=self.kernel_name, context=_zmq_context())
        km.shutdown_wait_time = 2.0
        km.startup_code = kernel_output_cap(self.limits.kernel_chars)
        self.km = km
        kw: dict[str, Any] = dict(self.launch_kwargs)
        if self.cwd:
            kw["cwd"] = self.cwd
        if self.env is not None:
            kw["env"] = self.env
        try:
            await km.start_kernel(**kw)
            self.kc = km.client(context=km.context)
            # No stdin (input() is refused: allow_stdin=False) and no heartbeat (liveness is the process's):
            # each would cost file descriptors (the heartbeat a ZMQ context and thread of its own) per
            # kernel, and descriptors, not memory, capped how many kernels one driver could hold.
            self.kc.start_channels(stdin=False, hb=False)
            await self._handshake(timeout)
            if not getattr(km.provisioner, "startup_code_ran", False):
                ok, why = await self.run_hidden(km.startup_code, "None", timeout=timeout)
                if not ok:
                    raise KernelStartError(f"kernel {self.kernel_name!r} refused its output cap: {why}")
        except BaseException as exc:
            log = await self._launch_log() if isinstance(exc, Exception) else ""
            await self.shutdown()
            if isinstance(exc, NoSuchKernel):
                raise KernelStartError(
                    f"no kernelspec named {self.kernel_name!r}; install medgym-nb into this environment "
                    "(pip install -e .) so its kernelspecs land in share/jupyter/kernels"
                ) from exc
            if not isinstance(exc, Exception) or (isinstance(exc, KernelStartError) and not log):
                raise
            reason = (
                str(exc)
                if isinstance(exc, KernelStartError)
                else f"kernel {self.kernel_name!r} failed to start: {exc}"
            )
            if log:
                reason += f"\n--- its launcher's stderr ended with ---\n{log}"
            raise KernelStartError(reason) from exc

    async def _launch_log(self) -> str:
        provisioner = self.km.provisioner if self.km is not None else None
        if not isinstance(provisioner, IpcLocalProvisioner):
            return ""
        with contextlib.suppress(Exception):  # the reason is a bonus; never hide the failure itself
            return await provisioner.launch_log()
        return ""

    async def _handshake(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not await self.is_alive():
                raise KernelStartError(f"kernel {self.kernel_name!r} exited during start-up")
            msg_id = self.kc.kernel_info()
            if not await self._await_shell_reply(msg_id, timeout=1.0):
                continue
            try:
                await self.kc.get_iopub_msg(timeout=0.25)
                return
            except Empty:
                continue
        raise KernelStartError(f"kernel {self.kernel_name!r} did not become ready within {timeout:.0f} s")

    async def _await_shell_reply(self, msg_id: str, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                msg = await self.kc.get_shell_msg(timeout=remaining)
            except Empty:
                return None
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    async def retarget_data(self, data: Mapping[str, str]) -> bool:
        """Before its first cell: serve another task's data where the sandbox allows it (False: it cannot)."""
        provisioner = self.km.provisioner if self.km is not None else None
        if not isinstance(provisioner, IpcLocalProvisioner) or not await provisioner.retarget_data(data):
            return False
        self.launch_kwargs["medgym_data"] = dict(data)
        return True

    async def is_alive(self) -> bool:
        return self.km is not None and await self.km.is_alive()

    async def execute(self, code: str, *, timeout: float = 120.0, store_history: bool = True) -> CellResult:
        """Run one cell. Never raises for what the code does; raises DeadKernelError if the kernel is gone."""
        if self.kc is None or not await self.is_alive():
            raise DeadKernelError("the kernel is not running; start a new session")
        collector = OutputCollector(self.limits)
        started = time.monotonic()
        timing = {"iopub.execute_input": _now()}
        msg_id = self.kc.execute(code, store_history=store_history, allow_stdin=False)
        status: CellStatus = "ok"
        alive = True
        done = await self._collect(msg_id, collector, started + timeout)
        if done is None:
            alive = False
            status = "dead"
        elif not done:
            status = "timeout"
            await self.km.interrupt_kernel()  # type: ignore[union-attr]
            done = await self._collect(msg_id, collector, time.monotonic() + INTERRUPT_GRACE_S)
            if not done:
                alive = False
                await self._kill()
        reply = await self._await_shell_reply(msg_id, timeout=2.0) if alive else None
        timing["shell.execute_reply"] = _now()
        outputs = collector.finish()
        error = _first_error(outputs)
        if status == "ok" and reply is not None and reply["content"].get("status") == "error":
            status = "error"
            error = error or ExecutionError(
                reply["content"].get("ename", ""),
                reply["content"].get("evalue", ""),
                reply["content"].get("traceback", []),
            )
        elif status == "ok" and error is not None:
            status = "error"
        if error is not None:
            self.last_error = error
        count = reply["content"].get("execution_count") if reply else None
        text = render_text(outputs)
        if status == "timeout":
            text += f"\n[medgym: the cell exceeded its {timeout:g} s time limit and was interrupted"
            text += (
                "; the variables defined so far are kept]"
                if alive
                else ("; it ignored the interrupt, so the kernel was killed and its state is lost]")
            )
        elif status == "dead":
            text += "\n[medgym: the kernel died while running this cell; its state is lost]"
        return CellResult(
            code=code,
            status=status,
            outputs=outputs,
            execution_count=count,
            duration=time.monotonic() - started,
            text=truncate(text, self.limits.agent_chars),
            stdout=stdout_of(outputs),
            error=error,
            kernel_alive=alive,
            timing=timing,
        )

    async def _collect(self, msg_id: str, collector: OutputCollector, deadline: float) -> bool | None:
        """Gather iopub output of ``msg_id`` until idle (True), the deadline (False) or kernel death (None)."""
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                msg = await self.kc.get_iopub_msg(timeout=min(remaining, LIVENESS_POLL_S))
            except Empty:
                if not await self.is_alive():
                    return None
                continue
            except ValueError:  # a message with a bad signature or framing: never trusted, dropped
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["header"]["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    return True
                continue
            collector.add(msg)
        return None if not await self.is_alive() else False

    async def run_hidden(self, code: str, expression: str, *, timeout: float) -> tuple[bool, str]:
        """Run ``code`` unseen and return (ok, the ``repr`` of ``expression`` or the error).

        For the environment's own code in an agent's kernel (grading probes, seeding): silent, so it is not
        in the history, takes no execution count and fires none of the cell hooks agent code may have
        registered; the value comes back in the execute reply's ``user_expressions``, not as printed output,
        so nothing the kernel prints can pose as it. Raises ``DeadKernelError`` if the kernel is gone.
        """
        if self.kc is None or not await self.is_alive():
            raise DeadKernelError("the kernel is not running")
        msg_id = self.kc.execute(
            code, silent=True, store_history=False, user_expressions={"value": expression}, allow_stdin=False
        )
        reply = await self._await_shell_reply(msg_id, timeout)
        if reply is None:
            if not await self.is_alive():
                raise DeadKernelError("the kernel died while the environment's code ran")
            await self.interrupt()
            await self._await_shell_reply(msg_id, INTERRUPT_GRACE_S)
            return False, f"timed out after {timeout:g} s"
        content = reply["content"]
        if content.get("status") != "ok":
            return False, f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
        value = content.get("user_expressions", {}).get("value", {})
        if value.get("status") != "ok":
            return False, f"{value.get('ename', 'Error')}: {value.get('evalue', '')}"
        return True, str(value.get("data", {}).get("text/plain", ""))

    async def interrupt(self) -> None:
        if self.km is not None:
            await self.km.interrupt_kernel()

    async def _kill(self) -> None:
        if self.km is not None:
            with contextlib.suppress(Exception):
                await self.km.shutdown_kernel(now=True)

    async def shutdown(self, now: bool = False) -> None:
        """Stop the kernel and reap its process; safe to call twice and on a dead kernel.

        ``now`` kills it without the shutdown handshake (whose exit polling costs ~0.1 s): for kernels whose
        state is thrown away anyway.
        """
        km, kc = self.km, self.kc
        self.kc = None
        if kc is not None:
            kc.stop_channels()
        if km is None:
            return
        self.km = None
        try:
            if not now and await km.is_alive():
                await asyncio.wait_for(km.shutdown_kernel(now=False), timeout=10)
            else:
                await km.shutdown_kernel(now=True)
        except Exception:
            with contextlib.suppress(Exception):
                await km.shutdown_kernel(now=True)


def _first_error(outputs: list[NotebookNode]) -> ExecutionError | None:
    for out in outputs:
        if out.get("output_type") == "error":
            return ExecutionError(out.get("ename", ""), out.get("evalue", ""), list(out.get("traceback", [])))
    return None
