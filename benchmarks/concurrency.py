"""Concurrent sandboxed kernels: how many zygote kernels fit in a memory budget, and what sets the limit.

Run: .venv/bin/python benchmarks/concurrency.py [--kernels 200] [--budget-gib 24] [--data mimic_iii]

Starts ``--kernels`` kernels the way the pool does (zygote sandbox, a private work directory each, the task
data of one suite bound into the template), all held at once, each with one executed cell (so it is a live,
used kernel, not a bare fork). Memory is proportional set size (PSS) of the template's whole tree: pages the
kernels share copy-on-write with the template are split among them, which is what the machine really
spends. Prints the per-kernel cost, the kernels that fit in ``--budget-gib``, and the other limits that
apply to one driver process (open files: each kernel's client holds ZMQ sockets; sandbox uids; the pid
limit); the lowest of them is the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time
from pathlib import Path

from _common import tree_pss_kb

import medgym_nb as mg
from medgym_nb.kernel import zygote
from medgym_nb.kernel.pool import KernelLease, KernelPool
from medgym_nb.kernel.provisioners import UID_SPAN


def fds_open() -> int:
    return len(os.listdir("/proc/self/fd"))


async def hold(n: int, data: dict[str, str], step: int) -> list[tuple[int, float, int]]:
    """Start ``n`` kernels, keep them all; (kernels, MiB of PSS per kernel, fds) every ``step`` kernels."""
    pool = KernelPool("medgym-zygote")
    leases: list[KernelLease] = []
    rows = []
    try:
        first = await pool.acquire(data)
        leases.append(first)
        await first.kernel.execute("x = 1")
        template = next(iter(zygote._zygotes.values()))
        base_kb = tree_pss_kb(template.proc.pid)  # the template's sandbox and one kernel
        while len(leases) < n:
            batch = await asyncio.gather(*(pool.acquire(data) for _ in range(min(8, n - len(leases)))))
            await asyncio.gather(*(lease.kernel.execute("x = 1") for lease in batch))
            leases += batch
            if len(leases) // step != (len(leases) - len(batch)) // step or len(leases) == n:
                total_kb = tree_pss_kb(template.proc.pid)
                per_kernel = (total_kb - base_kb) / (len(leases) - 1) / 1024  # marginal
                rows.append((len(leases), per_kernel, fds_open()))
                print(
                    f"{len(leases):>7} {per_kernel:>12.1f} {total_kb / 1024:>10.0f} {fds_open():>7}",
                    flush=True,
                )
        print(f"the template's sandbox with its first kernel: {base_kb / 1024:.0f} MiB")
    finally:
        await asyncio.gather(*(lease.release() for lease in leases), return_exceptions=True)
        await pool.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernels", type=int, default=200)
    parser.add_argument("--budget-gib", type=float, default=24.0)
    parser.add_argument("--data", default="mimic_iii", help="the source whose task data the kernels get")
    parser.add_argument("--step", type=int, default=40)
    args = parser.parse_args()
    data = mg.load_tasks(args.data)[0].data_mounts()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a driver holding many kernels raises it
    fds_before = fds_open()
    print(f"{'kernels':>7} {'MiB/kernel':>12} {'total MiB':>10} {'fds':>7}")
    t0 = time.perf_counter()
    rows = asyncio.run(hold(args.kernels, data, args.step))
    held, per_kernel, fds = rows[-1]
    print(f"started and held {held} kernels in {time.perf_counter() - t0:.1f} s")
    fds_per_kernel = (fds - fds_before) / held
    limits = {
        f"memory ({args.budget_gib:g} GiB / {per_kernel:.1f} MiB PSS per kernel)": int(
            args.budget_gib * 1024 / per_kernel
        ),
        f"open files (RLIMIT_NOFILE {hard} / {fds_per_kernel:.1f} per kernel)": int(hard / fds_per_kernel),
        "sandbox uids (UID_SPAN)": UID_SPAN,
        "pids (kernel.pid_max / ~2 per kernel)": int(Path("/proc/sys/kernel/pid_max").read_text()) // 2,
    }
    for what, n in limits.items():
        print(f"limit by {what}: {n}")
    what, n = min(limits.items(), key=lambda kv: kv[1])
    print(f"concurrent zygote kernels on {args.budget_gib:g} GiB: {n} (set by {what.split(' (')[0]})")


if __name__ == "__main__":
    main()
