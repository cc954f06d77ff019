"""What a forked kernel costs from its fork to its exit: the template building the IPython shell once (ours)
against each kernel building its own (stock ipykernel), the same template otherwise.

Run: .venv/bin/python benchmarks/kernel_start.py [--kernels 40] [--rounds 3] [--with MODULE ...]

Each round runs one template process per side, stock first: it pre-imports what a zygote template does
(``zygote_main._preload`` with numpy, pandas and the inline backend), prepares its kernel application, freezes,
then forks ``--kernels`` children one at a time. A child initialises its kernel on an ``ipc`` connection file,
runs one cell and exits; a kernel's cost is the template's CPU for the fork plus the child's whole CPU (user
and system, its exit included: ``wait4``). No sandbox here (no bubblewrap, no uid change): this times ipykernel's start after the fork, which
the sandbox does not change. Prints the medians per round and ``start ratio`` (stock / ours) over all rounds.
``--with`` adds a third side: ours with more modules pre-imported (e.g. ``matplotlib_inline``, which every
template carried until it became a family's to declare), to price what a template's size costs each kernel.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from medgym_nb.kernel import zygote_main
from medgym_nb.kernel.zygote import BASE_PRELOAD

CELL = "total = sum(range(100))\nprint(total)"


def _stock_app() -> Callable[[str], Any]:
    """ipykernel's own start, configured as the template configures it (no command line), its kernel building
    its shell."""
    from traitlets.config import Config

    app_class: Any = zygote_main._configured_app_class()
    return lambda connection_file: app_class.instance(
        config=Config(zygote_main.KERNEL_CONFIG), connection_file=connection_file
    )


def _child(kernel_app: Callable[[str], Any], folder: str) -> None:
    from jupyter_client.connect import write_connection_file

    connection_file, _ = write_connection_file(
        os.path.join(folder, "kernel.json"), transport="ipc", ip=os.path.join(folder, "kernel")
    )
    os.environ.clear()
    os.environ["HOME"] = folder
    os.chdir(folder)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (1, 2):
        os.dup2(null, fd)
    app = kernel_app(connection_file)
    app.initialize([])
    app.shell.run_cell(CELL, store_history=True)
    os._exit(0)


def template(side: str, kernels: int, extra: list[str]) -> None:
    """One template: fork ``kernels`` children and print the median of their whole CPU, in ms."""
    zygote_main._preload([*BASE_PRELOAD, *extra])
    kernel_app = _stock_app() if side == "stock" else zygote_main._kernel_app()
    zygote_main._freeze()
    costs = []
    for _ in range(kernels):
        folder = tempfile.mkdtemp(prefix="medgym-kernel-start-")
        before = time.process_time()
        pid = os.fork()
        if pid == 0:
            _child(kernel_app, folder)
        forking = time.process_time() - before  # the template's side: copying its page tables
        _, status, usage = os.wait4(pid, 0)
        if status != 0:
            raise SystemExit(f"a {side} kernel failed to start (wait status {status})")
        costs.append(1000 * (forking + usage.ru_utime + usage.ru_stime))
        shutil.rmtree(folder)
    print(statistics.median(costs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernels", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--with", dest="extra", nargs="*", default=[], help="modules a third side pre-imports"
    )
    parser.add_argument("--template", choices=("stock", "ours", "ours+"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.template:
        template(args.template, args.kernels, args.extra if args.template == "ours+" else [])
        return
    sides = ("stock", "ours", "ours+") if args.extra else ("stock", "ours")
    medians: dict[str, list[float]] = {side: [] for side in sides}
    print(f"CPU of a forked kernel (the fork, its start, one cell, its exit), median of {args.kernels}; ms")
    for r in range(args.rounds):
        line = []
        for side in sides:
            t0 = time.perf_counter()
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--template",
                    side,
                    "--kernels",
                    str(args.kernels),
                    "--with",
                    *args.extra,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            medians[side].append(float(out.strip().splitlines()[-1]))
            line.append(f"{side} {medians[side][-1]:.1f} ({time.perf_counter() - t0:.0f} s)")
        print(f"  round {r + 1}: " + ", ".join(line))
    stock, ours = statistics.median(medians["stock"]), statistics.median(medians["ours"])
    print(f"stock {stock:.1f}, ours {ours:.1f}")
    if args.extra:
        more = statistics.median(medians["ours+"])
        print(f"ours with {' '.join(args.extra)} pre-imported: {more:.1f} ({more - ours:+.1f} a kernel)")
    print(f"start ratio {stock / ours:.2f} (stock / ours, CPU per kernel)")


if __name__ == "__main__":
    main()
