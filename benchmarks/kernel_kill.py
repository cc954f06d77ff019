"""What killing an episode's kernel costs the driver: ours against jupyter_client's stock kill, same process.

Run: .venv/bin/python benchmarks/kernel_kill.py [--kernels 30] [--sandbox zygote]

An episode's kernel is never reused, so the pool kills it (``KernelSession.shutdown(now=True)``), thousands of
times in a long run, on the driver's event loop. Each round starts ``--kernels`` kernels from one pool, runs a
cell in each, then kills them one by one and prints the driver's CPU (this process, every thread) and the wall
time per kill. The stock round does what jupyter_client does unchanged: its client's ``stop_channels`` (which
opens the stdin channel it asks about) and an interrupt before the kill.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from jupyter_client import AsyncKernelClient, AsyncKernelManager

from medgym_nb._loop import run_sync
from medgym_nb.kernel.choice import choose_sandbox
from medgym_nb.kernel.pool import KernelLease, KernelPool


async def _stock_kill(lease: KernelLease) -> None:
    ks = lease.kernel
    assert ks.km is not None and ks.kc is not None
    AsyncKernelClient.stop_channels(ks.kc)
    ks.kc = None
    await AsyncKernelManager.shutdown_kernel(ks.km, now=True)  # not ours: it interrupts, then kills


async def kill_round(pool: KernelPool, n: int, stock: bool) -> tuple[float, float]:
    """(driver CPU ms, wall ms) per kill of ``n`` started kernels that each ran one cell."""
    leases = []
    for _ in range(n):
        lease = await pool.acquire({})
        await lease.kernel.execute("x = 1")
        leases.append(lease)
    await asyncio.sleep(1)  # the pool's refill settles before the timing
    cpu, wall = time.process_time(), time.perf_counter()
    for lease in leases:
        await (_stock_kill(lease) if stock else lease.kernel.shutdown(now=True))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    for lease in leases:
        await lease.release()  # already dead: removes the work dirs
    return 1000 * cpu / n, 1000 * wall / n


async def main(n: int, sandbox: str, repeats: int) -> None:
    _name, kernel_name = choose_sandbox(sandbox)
    pool = KernelPool(kernel_name)
    try:
        await kill_round(pool, 2, stock=False)  # warm-up: the template
        for _ in range(repeats):
            for stock in (True, False):
                cpu, wall = await kill_round(pool, n, stock)
                label = "jupyter_client" if stock else "ours"
                print(f"{label:>15}: {cpu:5.2f} ms of driver CPU, {wall:5.1f} ms wall per kill")
    finally:
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernels", type=int, default=30)
    parser.add_argument("--sandbox", default="zygote")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    run_sync(main(args.kernels, args.sandbox, args.repeats))
