"""``medgym serve`` under load, on loopback only: how many sessions (each with its own zygote kernel) the
server holds at once, their memory, and a step's latency over HTTP vs the same steps through ``AsyncEnv``
in-process (p50/p95; the difference is the server's overhead). Then SIGTERM, and a count of the notebooks
the drain wrote (one per session: nothing lost).

Bounded: at most --sessions sessions, --steps timed steps, and --deadline seconds for opening sessions.
Run: .venv/bin/python benchmarks/serve.py [--sessions 200] [--steps 300] [--deadline 600]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import med, p95, tree_pss_kb

import medgym_nb as mg

SOURCE = "medcalcbench"  # no data mounts and no service: the kernel, not the task, is what is measured
MAX_TURNS = 100_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _action(i: int) -> dict:
    return {"action": "execute", "params": {"code": f"x = {i}"}}


async def _open(http: httpx.AsyncClient, task_id: str) -> str:
    sid = (await http.post("/sessions")).raise_for_status().json()["session_id"]
    (await http.post(f"/sessions/{sid}/reset", json={"task_id": task_id})).raise_for_status()
    return sid


async def hold_sessions(http: httpx.AsyncClient, task_id: str, n: int, deadline: float) -> list[str]:
    """Open and reset up to ``n`` sessions, 8 at a time, until ``deadline`` (monotonic seconds)."""
    held: list[str] = []
    while len(held) < n and time.monotonic() < deadline:
        batch = min(8, n - len(held))
        results = await asyncio.gather(*(_open(http, task_id) for _ in range(batch)), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        held += [r for r in results if isinstance(r, str)]
        if failures:
            print(f"  stopped at {len(held)} sessions: {failures[0]!r}")
            break
        if len(held) % 40 == 0:
            print(f"  {len(held)} sessions held")
    return held


async def paired_steps(
    http: httpx.AsyncClient, sid: str, task: mg.Task, steps: int
) -> tuple[list[float], list[float]]:
    """The same steps over the server and through an in-process ``AsyncEnv``, alternating in blocks of 10 so
    that the machine's load (shared cores) weighs on both alike."""
    remote: list[float] = []
    local: list[float] = []
    async with mg.AsyncEnv(sandbox="zygote", max_turns=MAX_TURNS) as env:
        await env.reset(task)
        await env.step(_action(-1))  # warm-up, both sides
        await http.post(f"/sessions/{sid}/step", json={"action": _action(-1)})
        for i in range(steps):
            t0 = time.perf_counter()
            if (i // 10) % 2:
                await env.step(_action(i))
                local.append(time.perf_counter() - t0)
            else:
                (await http.post(f"/sessions/{sid}/step", json={"action": _action(i)})).raise_for_status()
                remote.append(time.perf_counter() - t0)
    return remote, local


async def one_step_each(http: httpx.AsyncClient, sids: list[str]) -> tuple[int, float]:
    """Every held session steps once, all at once: how many answered, and the wall time."""
    t0 = time.perf_counter()
    answers = await asyncio.gather(
        *(http.post(f"/sessions/{sid}/step", json={"action": _action(0)}) for sid in sids),
        return_exceptions=True,
    )
    ok = sum(1 for a in answers if isinstance(a, httpx.Response) and a.status_code == 200)
    return ok, time.perf_counter() - t0


async def main(args: argparse.Namespace) -> None:
    task = mg.load_tasks(SOURCE, split="test")[0]
    port = _free_port()
    out = Path(tempfile.mkdtemp(prefix="medgym-serve-bench-"))
    command = [
        str(Path(sys.executable).with_name("medgym")),
        "serve",
        *("--port", str(port), "--sandbox", "zygote", "--out", str(out), "--log-level", "warning"),
        *("--max-sessions", str(args.sessions), "--idle-timeout", "3600", "--max-turns", str(MAX_TURNS)),
    ]
    server = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(
            base_url=url, timeout=300, limits=httpx.Limits(max_connections=64)
        ) as http:
            for _ in range(300):
                try:
                    (await http.get("/health")).raise_for_status()
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
            print(f"server: {' '.join(command[1:])}")
            base_kb = tree_pss_kb(server.pid)
            t0 = time.monotonic()
            held = await hold_sessions(http, task.id, args.sessions, t0 + args.deadline)
            opened_s = time.monotonic() - t0
            held_kb = tree_pss_kb(server.pid)
            per_session = (held_kb - base_kb) / max(len(held), 1) / 1024
            print(
                f"sessions held: {len(held)} (each reset on its own zygote kernel) in {opened_s:.0f} s; "
                f"server + kernels PSS {held_kb / 1024:.0f} MiB (~{per_session:.1f} MiB per session)"
            )
            ok, wall = await one_step_each(http, held)
            print(f"every held session stepped at once: {ok}/{len(held)} answered in {wall:.1f} s")
            remote, local = await paired_steps(http, held[0], task, args.steps)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(300)
    notebooks = len(list(out.rglob("episode.ipynb")))
    ms = 1000
    print(
        f"step latency, {args.steps} sequential steps split between the two, {len(held)} sessions held (ms):"
    )
    print(f"  server (HTTP, loopback): p50 {med(remote) * ms:.2f}  p95 {p95(remote) * ms:.2f}")
    print(f"  in-process (AsyncEnv):   p50 {med(local) * ms:.2f}  p95 {p95(local) * ms:.2f}")
    print(
        f"  server overhead:         p50 {(med(remote) - med(local)) * ms:.2f}  "
        f"p95 {(p95(remote) - p95(local)) * ms:.2f}"
    )
    print(f"SIGTERM: exit {code}; notebooks written by the drain: {notebooks}/{len(held)} ({out})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds allowed to open sessions")
    asyncio.run(main(parser.parse_args()))
