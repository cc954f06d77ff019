"""KernelSession on real kernels: state, timeouts, interrupts, deaths, outputs and caps."""

from __future__ import annotations

import asyncio
import time

import pytest

from medgym_nb.errors import DeadKernelError
from medgym_nb.kernel import KernelSession, OutputLimits


def run(coro):
    return asyncio.run(coro)


def test_state_persists_and_outputs_are_nbformat():
    async def main():
        async with KernelSession() as ks:
            first = await ks.execute("import math\nx = 41\nprint('set')")
            second = await ks.execute("x + 1")
            err = await ks.execute("1/0")
            return first, second, err

    first, second, err = run(main())
    assert first.status == "ok" and first.stdout == "set\n" and first.execution_count == 1
    assert second.outputs[0]["output_type"] == "execute_result"
    assert second.outputs[0]["data"]["text/plain"] == "42"
    assert second.execution_count == 2
    assert err.status == "error" and err.error.ename == "ZeroDivisionError"
    assert "ZeroDivisionError" in err.text and "\x1b[" not in err.text


def test_rich_outputs_keep_all_mime_types():
    code = (
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "from IPython.display import display, HTML\n"
        "display(HTML('<b>hi</b>'))\nplt.plot([1, 2]); plt.gcf().savefig('/dev/null'); "
        "from IPython.display import Image\nimport io\nbuf = io.BytesIO(); plt.gcf().savefig(buf, format='png')\n"
        "display(Image(buf.getvalue()))"
    )

    async def main():
        async with KernelSession() as ks:
            return await ks.execute(code)

    cell = run(main())
    mimes = {m for o in cell.outputs for m in o.get("data", {})}
    assert {"text/html", "image/png"} <= mimes
    assert "[display_data: image/png]" in cell.text


def test_infinite_loop_times_out_and_state_survives():
    async def main():
        async with KernelSession() as ks:
            await ks.execute("y = 'kept'")
            t0 = time.monotonic()
            loop = await ks.execute("while True:\n    pass", timeout=2)
            elapsed = time.monotonic() - t0
            after = await ks.execute("print(y)")
            return loop, elapsed, after

    loop, elapsed, after = run(main())
    assert loop.status == "timeout" and loop.kernel_alive
    assert elapsed < 2 + 5
    assert "time limit" in loop.text
    assert after.stdout == "kept\n"


def test_loop_ignoring_sigint_gets_the_kernel_killed():
    async def main():
        async with KernelSession() as ks:
            cell = await ks.execute(
                "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                timeout=1,
            )
            alive = await ks.is_alive()
            with pytest.raises(DeadKernelError):
                await ks.execute("1")
            return cell, alive

    cell, alive = run(main())
    assert cell.status == "timeout" and not cell.kernel_alive and not alive
    assert "kernel was killed" in cell.text


def test_os_exit_is_reported_as_dead_kernel():
    async def main():
        async with KernelSession() as ks:
            return await ks.execute("import os\nos._exit(1)")

    cell = run(main())
    assert cell.status == "dead" and not cell.kernel_alive
    assert "kernel died" in cell.text


def test_huge_output_is_capped_for_notebook_and_agent():
    limits = OutputLimits(agent_chars=1000, notebook_bytes=100_000)

    async def main():
        async with KernelSession(limits=limits) as ks:
            printed = await ks.execute("for i in range(50):\n    print('x' * 100_000)")
            shown = await ks.execute(
                "from IPython.display import display\nfor i in range(50):\n    display('x' * 100_000)"
            )
            return printed, shown

    printed, shown = run(main())
    # printed output stops in the kernel itself, at half the notebook's share, and says so
    kept = sum(len(o.get("text", "")) for o in printed.outputs)
    assert kept < 50_000 + 1000 and "the kernel dropped the rest" in printed.outputs[-1]["text"]
    assert len(printed.text) < 1200 and "characters truncated" in printed.text
    # what the kernel does not cap (rich displays) the host does, for the notebook and the agent
    assert sum(len(str(o.get("data", ""))) for o in shown.outputs) < 100_000 + 10_000
    assert "bytes dropped from the notebook" in shown.outputs[-1]["text"]
    assert len(shown.text) < 1200


def test_kernels_share_one_zmq_context_and_leave_nothing_behind():
    """Every kernel this process drives uses one ZMQ context (not two of jupyter_client's per kernel, each with
    its I/O threads, its descriptors and a blocking ``term`` at shutdown): starting and stopping kernels
    leaves no thread or descriptor behind, and two held kernels add only their sockets."""
    import os
    import threading

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    async def cycle(n: int) -> None:
        for _ in range(n):
            async with KernelSession() as ks:
                assert (await ks.execute("1 + 1")).status == "ok"
                client = ks.kc
            assert client._stdin_channel is None  # stopping the channels opened none it had not started

    async def hold_two() -> tuple[int, int, object]:
        async with KernelSession() as a, KernelSession() as b:
            await a.execute("1")
            await b.execute("1")
            assert a.km.context is b.km.context is a.kc.context
            return fds(), threading.active_count(), a.km.context

    def settled() -> tuple[int, int]:
        """The counts once what earlier tests in this worker left winding down (a thread finishing, its
        descriptors closing) has stopped moving them; later such endings can only lower them."""
        last = (fds(), threading.active_count())
        for _ in range(50):
            time.sleep(0.1)
            now = (fds(), threading.active_count())
            if now == last:
                return now
            last = now
        return last

    run(cycle(1))  # the shared context and its I/O thread exist from here on
    before_fds, before_threads = settled()
    run(cycle(4))
    assert fds() <= before_fds and threading.active_count() <= before_threads
    held_fds, held_threads, context = run(hold_two())
    assert held_threads <= before_threads and held_fds - before_fds <= 2 * 12
    assert not context.closed and fds() <= before_fds and threading.active_count() <= before_threads
