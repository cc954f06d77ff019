"""The template ("zygote") process: imports the kernel's stack once, then forks one kernel per request.

Runs inside one bubblewrap sandbox (no network, read-only system, the scratch root and the task data bound
in) as root of that sandbox with only CAP_SETUID/CAP_SETGID. A forked child becomes a kernel of its own:
new session, the episode's rlimits, an unprivileged uid of its own (so its files are private to it, its
process limit is real and it cannot signal another episode), no new privileges, then ipykernel on the
connection file it was given. Copy-on-write makes the child's numpy/pandas/IPython imports free, and the
IPython shell, built once here before any fork, is handed to each child's kernel.

Command line: ``zygote_main.py [EXTRA_MODULE ...] <mark>``. The kernel stack (``PRELOAD``) must import; each
extra module (numpy, pandas, the libraries a family declares) is pre-imported when the environment the
template runs in has it, and skipped when it does not (the kernel itself reports a missing package to the
family that needs it). A template runs in medgym's own environment or in a kernel environment of a family's,
with that environment's Python.

Protocol (stdin/stdout, one JSON object per line): the zygote says ``{"ready": true}`` once imported; each
request ``{"connection_file", "startup_code", "cwd", "uid", "rlimits": {name: value}, "env": {...}}`` is
answered with ``{"pid": <pid in the sandbox>}`` or ``{"error": "..."}``; the child runs ``startup_code`` (if
any) unseen once its kernel is initialised, before it serves. The zygote exits when stdin closes. It never
starts a thread: a fork copies only the calling thread, so a thread would leave children with half-held locks.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

PRELOAD = (
    "sqlite3",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",  # pulls in debugpy: half of IPKernelApp.initialize's time when left to the kernel
)
KERNEL_INIT = (  # what IPKernelApp.initialize and a first cell import; each child would import them again
    "faulthandler",
    "pdb",
    "importlib.resources.readers",
    "tornado.platform.asyncio",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
)
KERNEL_CONFIG = {"HistoryManager": {"hist_file": ":memory:"}}  # no sqlite history file per fresh HOME
PR_SET_NO_NEW_PRIVS = 38


def _preload(extra: list[str]) -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # OpenBLAS would start threads at import
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name in PRELOAD:
        __import__(name)
    for name in (*KERNEL_INIT, *extra):  # best effort: IPython's layout and the environment's packages vary
        try:
            __import__(name)
        except ImportError:
            continue


def _freeze() -> None:
    """Ready to fork: nothing pre-built may have started a thread (a child would inherit its locks, held)."""
    gc.freeze()  # the collector would otherwise touch (and so copy) every pre-built object in each child
    if threading.active_count() != 1:
        raise RuntimeError(
            f"pre-importing or building the shell started {threading.active_count() - 1} thread(s): "
            "cannot fork safely"
        )


def _configured_app_class() -> type:
    """ipykernel's application, configured directly rather than from a command line: building the parser of
    every configurable class's options is ~4 ms of each kernel's start, for no option."""
    from ipykernel.kernelapp import IPKernelApp

    class ConfiguredKernelApp(IPKernelApp):  # type: ignore[misc]
        def parse_command_line(self, argv: list[str] | None = None) -> None:
            return None

    return ConfiguredKernelApp


def _kernel_app() -> Callable[[str], Any]:
    """A configured (``_configured_app_class``), uninitialised kernel application per connection file, whose
    kernel adopts a shell the template built."""
    from ipykernel.ipkernel import IPythonKernel
    from traitlets.config import Config

    config = Config(KERNEL_CONFIG)
    _build_shell(config)

    class ForkedKernel(IPythonKernel):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)  # its shell_class.instance(...) hands it the template's shell
            _adopt_shell(self)

    app_class: Any = _configured_app_class()
    return lambda connection_file: app_class.instance(
        config=config, connection_file=connection_file, kernel_class=ForkedKernel
    )


def _build_shell(config: Any) -> None:
    """Build the kernel's IPython shell once, in the template: its magics, formatters, prefilters, completer
    and history were ~5 ms of every kernel's start, and they are the same in every kernel until its first cell.
    It is the process's shell singleton, so each child's kernel is handed this one (copy-on-write), untouched:
    no cell has run in it. What depends on the child (its directories, its environment, its kernel) is set by
    ``_adopt_shell`` in the child. It touches no file here (its history is in memory, its profile is the
    child's) and starts no thread."""
    from ipykernel.compiler import XCachingCompiler
    from ipykernel.zmqshell import ZMQInteractiveShell
    from IPython.core.profiledir import ProfileDir

    ZMQInteractiveShell.instance(  # "/": a directory that exists (the shell would make it), the child's replaces it
        config=config, ipython_dir="/", profile_dir=ProfileDir(), compiler_class=XCachingCompiler
    )


def _adopt_shell(kernel: Any) -> None:
    """In the child: make the template's shell this kernel's, as if the kernel had built it (ipykernel's
    ``IPythonKernel.__init__`` passes the kernel, its profile directory and itself as parent)."""
    shell = kernel.shell
    shell.parent = kernel
    shell.kernel = kernel
    shell.log = kernel.log
    shell.ipython_dir = kernel.parent.ipython_dir
    shell.profile_dir = kernel.profile_dir
    shell.init_environment()  # the child's environment replaced the template's
    cwd = os.getcwd()
    shell.starting_dir = cwd
    shell.history_manager.dir_hist[:] = [cwd]  # _dh
    shell.init_pushd_popd_magic()  # the home directory


def _become_kernel(request: dict, kernel_app: Callable[[str], Any]) -> None:
    """In the child: isolate, drop privileges, run the kernel; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote ignores it to auto-reap; kernels wait
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 1024)
        for name, value in request["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (value, value))
        uid = int(request["uid"])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # all capabilities go with root
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        os.umask(0o077)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()  # every child would otherwise draw the zygote's random stream
        app = kernel_app(request["connection_file"])
        app.initialize([])
        if request.get("startup_code"):  # unseen, before the first request: one round trip fewer per kernel
            app.shell.run_cell(request["startup_code"], store_history=False, silent=True).raise_error()
        app.start()
        code = 0
    finally:
        os._exit(code)


def main() -> None:
    try:
        _preload(sys.argv[1:-1])
        kernel_app = _kernel_app()
        _freeze()
    except Exception as exc:  # reported to the driver, which raises KernelStartError with it
        sys.stdout.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        sys.stdout.flush()
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            pid = os.fork()
        except (ValueError, OSError) as exc:
            out.write(json.dumps({"error": str(exc)}) + "\n")
            out.flush()
            continue
        if pid == 0:
            _become_kernel(request, kernel_app)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
