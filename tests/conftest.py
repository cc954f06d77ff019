from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "medagentgym"


PERSISTENT_ENVS = Path.home() / ".cache" / "medgym" / "envs"


@pytest.fixture(scope="session", autouse=True)
def medgym_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache for the whole session, so tests build the synthetic suite from scratch like CI; shared
    by the session's xdist workers (builds are locked, so each is made once).

    Families' kernel environments are the exception: pinned venvs from PyPI (minutes to build) and the
    program runs cached beside them, keyed by content, live in ``$MEDGYM_ENVS`` (default
    ``~/.cache/medgym/envs``) across sessions, as a user's do. Every worker uses them, whichever tests it runs.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's directory, above each worker's own
    home = root / "medgym-home"
    home.mkdir(exist_ok=True)
    old = {name: os.environ.get(name) for name in ("MEDGYM_HOME", "MEDGYM_ENVS")}
    os.environ["MEDGYM_HOME"] = str(home)
    os.environ.setdefault("MEDGYM_ENVS", str(PERSISTENT_ENVS))
    yield home
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(
            f"the official MedAgentGym sample is not beside this checkout ({SHARED}); it is in ../shared"
        )
    return SHARED


@pytest.fixture(scope="session")
def test_tasks(medgym_home: Path):
    import medgym_nb as mg

    return mg.load_tasks("mimic_iii", split="test")


def _parents() -> dict[int, int]:
    parents = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            parents[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def kernel_processes() -> list[tuple[int, str]]:
    """Live processes that run one of our kernels (their connection file sits in a medgym-kernel- dir, or they
    were forked from a kernel template) and
    descend from this test process or were orphaned to init — not those of another run on this machine."""
    parents = _parents()
    me = os.getpid()

    def ours(pid: int) -> bool:
        if parents.get(pid) == 1:  # orphaned: its launcher died, so it may well have been ours
            return True
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
        return False  # another session's (every chain ends at init; only orphans are counted)

    found = []
    for pid in parents:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        forked = "medgym-kernel-template" in cmd  # a template, or a kernel forked from one
        if (forked or ("medgym-kernel-" in cmd and "ipykernel" in cmd)) and ours(pid):
            found.append((pid, cmd))
    return found


@pytest.fixture(scope="session", autouse=True)
def no_kernel_left_behind():
    before = {pid for pid, _ in kernel_processes()}
    yield
    import time

    from medgym_nb.grading.sandboxed import close_warm_pools
    from medgym_nb.kernel.zygote import close_templates

    close_warm_pools()  # graders' spare kernels, kept as long as their process, as templates are
    close_templates()  # templates live as long as their process; kernels forked from one must be gone

    deadline = time.monotonic() + 10
    while (left := [p for p in kernel_processes() if p[0] not in before]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"kernel processes left after the suite: {left}"


@pytest.fixture(scope="session", autouse=True)
def no_container_left_behind():
    yield
    from medgym_nb.kernel.docker import LABEL, OWNER_LABEL, docker_client, docker_status

    if docker_status()[0]:
        mine = [LABEL, f"{OWNER_LABEL}={os.getpid()}"]  # not another worker's, still running
        left = docker_client().containers.list(all=True, filters={"label": mine})
        assert not left, f"containers left after the suite: {[c.name for c in left]}"
