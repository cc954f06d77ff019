"""First run: `make demo` on a fresh clone with a fresh cache, timed step by step (issue 24, goal 4).

Run: .venv/bin/python benchmarks/first_run.py [--repo .] [--keep]
Clones the repository's HEAD into a temporary folder, points ``$MEDGYM_HOME`` at an empty folder there (so the
suites' data and BioCoder's kernel environment are built as on a first run; the package caches, uv's and npm's,
stay warm), and runs what ``make demo`` runs, one step at a time: the install (venv, uv, medgym), the families'
set-up (npm), the suites' data (``medgym tasks list --source families``, which builds what ``medgym run`` would),
then each command of the demo's recipe as ``make -n demo`` prints it. Prints each step's seconds, the load
average (the machine is shared), and ends with ``first run X s``. Every step's output goes to a log file.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def timed(what: str, cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    t0 = time.monotonic()
    with log.open("a") as out:
        out.write(f"\n$ {shlex.join(cmd)}\n")
        out.flush()
        subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    seconds = time.monotonic() - t0
    print(f"{seconds:7.1f} s  {what}", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Keep the clone and its cache afterwards (the log is always kept).",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="medgym-first-run-"))
    clone, log = root / "clone", root / "first_run.log"
    env = {**os.environ, "MEDGYM_HOME": str(root / "home")}
    env.pop("MEDGYM_ENVS", None)
    subprocess.run(["git", "clone", "-q", str(args.repo), str(clone)], check=True)
    print(f"fresh clone {clone}, MEDGYM_HOME={env['MEDGYM_HOME']}, log {log}")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    bin_ = clone / ".venv" / "bin"
    steps = [
        ("install (venv, uv, medgym and its kernel libraries)", ["make", "-s", ".venv/.installed-run"]),
        ("families' set-up (npm packages)", ["make", "-s", ".venv/.families-installed"]),
        (
            "suites' data, in parallel (BioCoder's environment with its suite)",
            [str(bin_ / "medgym"), "tasks", "list", "--source", "families", "--limit", "1"],
        ),
    ]
    total = sum(timed(what, cmd, clone, env, log) for what, cmd in steps)
    recipe = subprocess.run(
        ["make", "-s", "-n", "demo"], cwd=clone, env=env, capture_output=True, text=True, check=True
    )
    for line in recipe.stdout.splitlines():
        if not line.startswith(".venv/bin/"):  # the system-deps checks make prints too; they ran above
            continue
        cmd = shlex.split(line)
        total += timed(" ".join(cmd[1:3]), cmd, clone, env, log)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"first run {total:.0f} s")
    if not args.keep:  # the log stays
        shutil.rmtree(clone, ignore_errors=True)
        shutil.rmtree(root / "home", ignore_errors=True)


if __name__ == "__main__":
    main()
