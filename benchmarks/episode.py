"""Episode costs: cold kernel start, per-cell round trip, and oracle episode wall time.

Run: .venv/bin/python benchmarks/episode.py [--runs N]
The baseline in the same process is jupyter_client's stock path (start_kernel + wait_for_ready) for the cold
start, and a bare `python -c` subprocess per cell (MedAgentGym's harness) for the round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time

from _common import cell_round_trips, med, p95
from jupyter_client import AsyncKernelManager

import medgym_nb as mg
from medgym_nb.kernel import KernelSession


async def cold_start_ours(n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        ks = KernelSession()
        await ks.start()
        times.append(time.perf_counter() - t0)
        await ks.shutdown()
    return times


async def cold_start_stock(n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        km = AsyncKernelManager(kernel_name="medgym-local")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        times.append(time.perf_counter() - t0)
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
    return times


async def round_trip(n: int) -> list[float]:
    async with KernelSession() as ks:
        return await cell_round_trips(ks, n)


def subprocess_round_trip(n: int) -> list[float]:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"x = {i}"], check=True)
        times.append(time.perf_counter() - t0)
    return times


def oracle_episodes(n: int) -> list[float]:
    tasks = mg.load_tasks("mimic_iii", split="test")[:n]
    times = []
    with tempfile.TemporaryDirectory() as out, mg.Env(out_dir=out, agent="oracle") as env:
        for task in tasks:
            agent = mg.OracleAgent()
            t0 = time.perf_counter()
            env.reset(task)
            for action in agent.plan(task):
                _obs, _r, terminated, truncated, _i = env.step(action)
                if terminated or truncated:
                    break
            times.append(time.perf_counter() - t0)
            assert env.grade is not None and env.grade.passed, task.id
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    n = args.runs
    mg.load_tasks("mimic_iii")  # build the suite outside the timings
    ours = asyncio.run(cold_start_ours(n))
    stock = asyncio.run(cold_start_stock(n))
    rt = asyncio.run(round_trip(n * 10))
    sub = subprocess_round_trip(n)
    ep = oracle_episodes(n)
    rows = [
        ("cold kernel start, ours (handshake)", ours),
        ("cold kernel start, stock wait_for_ready", stock),
        ("cell round trip, warm kernel", rt),
        ("cell round trip, fresh `python -c` (MedAgentGym)", sub),
        ("oracle episode wall time (3 turns + papermill grade)", ep),
    ]
    print(f"{'measure':58} {'median':>10} {'p95':>10}  (n)")
    for name, xs in rows:
        print(f"{name:58} {med(xs) * 1000:8.1f}ms {p95(xs) * 1000:8.1f}ms  ({len(xs)})")
    print(f"ratio: stock start / ours = {med(stock) / med(ours):.2f}x")
    print(f"ratio: subprocess cell / kernel cell = {med(sub) / med(rt):.1f}x")


if __name__ == "__main__":
    main()
