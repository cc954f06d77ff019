"""Sandbox costs, local vs bubblewrap vs zygote (forked) vs docker (when DOCKER_HOST reaches an engine): cold start, warm-pool reset, pool throughput, round trip, memory,
and how many sandboxed kernels this machine held at once.

Run: .venv/bin/python benchmarks/sandbox.py [--runs N] [--max-kernels N]
(with podman: DOCKER_HOST=$(kernels/podman-service.sh start) .venv/bin/python benchmarks/sandbox.py)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time

from _common import cell_round_trips, med, p95, tree_pss_kb

import medgym_nb as mg
from medgym_nb.kernel import KernelSession
from medgym_nb.kernel.bwrap import bwrap_status
from medgym_nb.kernel.choice import SANDBOXES
from medgym_nb.kernel.docker import docker_status
from medgym_nb.kernel.pool import KernelPool
from medgym_nb.kernel.provisioners import PRIVATE_WORKDIR_PREFIX, scratch_root


def host_pid(ks: KernelSession) -> int:
    """The host pid at the root of the kernel's processes (the container's init for docker)."""
    container = getattr(ks.km.provisioner if ks.km else None, "container", None)
    if container is not None:
        container.reload()
        return int(container.attrs["State"]["Pid"])
    assert ks.pid is not None
    return ks.pid


async def cold_start(kernel: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        with tempfile.TemporaryDirectory(prefix=PRIVATE_WORKDIR_PREFIX, dir=scratch_root()) as wd:
            ks = KernelSession(kernel, cwd=wd)
            t0 = time.perf_counter()
            await ks.start()
            times.append(time.perf_counter() - t0)
            await ks.shutdown()
    return times


async def warm_reset(kernel: str, n: int) -> tuple[list[float], float]:
    """Acquire latency from a pool of 2 with time to refill between episodes, and the rate a pool of 2 sustains
    when episodes take no time at all (kernels per second, limited by start cost on this machine)."""
    pool = KernelPool(kernel, size=2)
    lease = await pool.acquire(None)
    await lease.release()
    latencies = []
    for _ in range(n):
        await asyncio.sleep(1.0)
        t0 = time.perf_counter()
        lease = await pool.acquire(None)
        latencies.append(time.perf_counter() - t0)
        await lease.release()
    t0 = time.perf_counter()
    for _ in range(n):
        lease = await pool.acquire(None)
        await lease.release()
    rate = n / (time.perf_counter() - t0)
    await pool.close()
    return latencies, rate


async def round_trip_and_memory(kernel: str, n: int) -> tuple[list[float], int]:
    with tempfile.TemporaryDirectory(prefix=PRIVATE_WORKDIR_PREFIX, dir=scratch_root()) as wd:
        async with KernelSession(kernel, cwd=wd) as ks:
            times = await cell_round_trips(ks, n)
            await asyncio.sleep(0.5)
            return times, tree_pss_kb(host_pid(ks))


async def concurrent_kernels(kernel: str, limit: int) -> int:
    """Start kernels in batches of 8 up to ``limit``, checking all of them answer; the count that did."""
    sessions: list[KernelSession] = []
    dirs: list[tempfile.TemporaryDirectory[str]] = []
    try:
        while len(sessions) < limit:
            batch = []
            for _ in range(min(8, limit - len(sessions))):
                d = tempfile.TemporaryDirectory(prefix=PRIVATE_WORKDIR_PREFIX, dir=scratch_root())
                dirs.append(d)
                batch.append(KernelSession(kernel, cwd=d.name))
            await asyncio.gather(*(ks.start(timeout=120) for ks in batch))
            sessions += batch
            results = await asyncio.gather(*(ks.execute("print(1)", timeout=60) for ks in sessions))
            if not all(r.stdout == "1\n" for r in results):
                break
        return len(sessions)
    finally:
        await asyncio.gather(*(ks.shutdown() for ks in sessions), return_exceptions=True)
        for d in dirs:
            d.cleanup()


async def main(runs: int, max_kernels: int) -> None:
    mg.load_tasks("mimic_iii")
    bwrap_ok = bwrap_status()[0]
    sandboxes = ["local"] + [
        n
        for n, ok in (
            ("bwrap", bwrap_ok),
            ("zygote", bwrap_ok and os.geteuid() == 0),
            ("docker", docker_status()[0]),
        )
        if ok
    ]
    rows: dict[str, dict[str, str]] = {}
    for name in sandboxes:
        kernel = SANDBOXES[name]
        cold = await cold_start(kernel, runs)
        warm, rate = await warm_reset(kernel, runs)
        rt, rss = await round_trip_and_memory(kernel, runs * 10)
        held = await concurrent_kernels(kernel, max_kernels)
        rows[name] = {
            "cold start median / p95": f"{med(cold) * 1e3:.0f} / {p95(cold) * 1e3:.0f} ms",
            "reset from warm pool median / p95": f"{med(warm) * 1e3:.1f} / {p95(warm) * 1e3:.1f} ms",
            "fresh kernels/s a pool of 2 sustains": f"{rate:.1f}",
            "cell round trip median / p95": f"{med(rt) * 1e3:.1f} / {p95(rt) * 1e3:.1f} ms",
            "memory per idle kernel (PSS, process tree)": f"{rss / 1024:.0f} MiB",
            f"concurrent kernels held (capped at {max_kernels})": str(held),
        }
    names = list(rows)
    width = max(len(k) for k in rows[names[0]])
    print(f"{'measure':{width}}  " + "  ".join(f"{n:>22}" for n in names))
    for key in rows[names[0]]:
        print(f"{key:{width}}  " + "  ".join(f"{rows[n][key]:>22}" for n in names))
    for name, (ok, why) in (("bwrap", bwrap_status()), ("docker", docker_status())):
        if not ok:
            print(f"{name} column missing: {why}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--max-kernels", type=int, default=48)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.max_kernels))
