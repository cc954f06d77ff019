"""``kernels/podman-service.sh``: runs on one machine share its podman service, and the first to end leaves it
to the others (``make test`` passes its pid to ``start`` and ``stop``).

The script's ``stop`` runs for real on a private service directory (``MEDGYM_PODMAN_DIR``); a ``sleep`` this
test starts stands in for the service, so no podman is needed and the machine's own service is not touched.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "kernels" / "podman-service.sh"


def _stop(folder: Path, *pid: int) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), "stop", *map(str, pid)],
        env={**os.environ, "MEDGYM_PODMAN_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


def test_a_run_stops_the_shared_service_only_when_no_other_live_run_uses_it(tmp_path):
    service, mine, other, gone = (subprocess.Popen(["sleep", "60"]) for _ in range(4))
    try:
        gone.kill()
        gone.wait()
        (tmp_path / "service.pid").write_text(str(service.pid))
        users = tmp_path / "users"
        users.mkdir()
        for run in (mine, other, gone):
            (users / str(run.pid)).touch()

        _stop(tmp_path, mine.pid)  # another run still uses it
        assert service.poll() is None
        assert sorted(p.name for p in users.iterdir()) == sorted([str(other.pid), str(gone.pid)])

        other.kill()
        other.wait()
        _stop(tmp_path, mine.pid)  # the last live user: the service goes, and so do the dead runs' records
        assert service.wait(timeout=10) is not None
        assert not (tmp_path / "service.pid").exists() and list(users.iterdir()) == []
    finally:
        for process in (service, mine, other, gone):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_stop_without_a_pid_stops_the_service(tmp_path):
    service, other = subprocess.Popen(["sleep", "60"]), subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "service.pid").write_text(str(service.pid))
        (tmp_path / "users").mkdir()
        (tmp_path / "users" / str(other.pid)).touch()
        _stop(tmp_path)  # by hand: whoever else is recorded, as before
        assert service.wait(timeout=10) is not None
    finally:
        for process in (service, other):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_a_service_started_by_hand_outlives_the_runs_that_used_it(tmp_path):
    """``start`` without a pid (a person, as the README shows) records a user no run's ``stop`` removes; a
    ``stop`` without a pid still ends it, and clears the records."""
    service, mine = subprocess.Popen(["sleep", "60"]), subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "service.pid").write_text(str(service.pid))
        users = tmp_path / "users"
        users.mkdir()
        (users / "by-hand").touch()  # what the script's start records without a pid
        (users / str(mine.pid)).touch()

        _stop(tmp_path, mine.pid)  # the run ends: the service stays for whoever started it by hand
        assert service.poll() is None
        assert [p.name for p in users.iterdir()] == ["by-hand"]

        _stop(tmp_path)
        assert service.wait(timeout=10) is not None
        assert list(users.iterdir()) == []
    finally:
        for process in (service, mine):
            if process.poll() is None:
                process.kill()
                process.wait()
