"""The viewer served from this machine: ``http.server`` on 127.0.0.1 only, the page's files from the package,
the index and episode pages built per request from the run directories (so a run being written shows its
new episodes on reload)."""

from __future__ import annotations

import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .data import Runs, episode_script, index_script

__all__ = ["ViewerServer", "static_file"]

HOST = "127.0.0.1"
STATIC = ("index.html", "app.js", "style.css")


def static_file(name: str) -> bytes:
    """One of the page's own files (``STATIC``), from the package."""
    return resources.files(__package__).joinpath("static", name).read_bytes()


def _kept_file(runs: Runs, run: int, rel: str) -> Path | None:
    """A file an episode kept, only if the index lists it (nothing else under the run is served)."""
    if not 0 <= run < len(runs.indices):
        return None
    listed = any(rel in ep.files for ep in runs.indices[run].episodes)
    return runs.dirs[run] / rel if listed else None


class _Handler(BaseHTTPRequestHandler):
    server: ViewerServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a page load is a dozen requests."""

    def _send(
        self, body: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK, *, untrusted: bool = False
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if untrusted:  # a file an agent wrote (an SVG with a script, an HTML page) runs nothing here
            self.send_header(
                "Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
            )
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        runs = self.server.runs
        js = "text/javascript; charset=utf-8"
        if path in {"/", "/index.html"}:
            return self._send(static_file("index.html"), "text/html; charset=utf-8")
        if path.startswith("/static/") and path.removeprefix("/static/") in STATIC:
            name = path.removeprefix("/static/")
            return self._send(static_file(name), mimetypes.guess_type(name)[0] or "application/octet-stream")
        if path == "/data/index.js":
            with self.server.lock:
                runs.refresh()
                return self._send(index_script(runs).encode(), js)
        if path.startswith("/data/episodes/") and path.endswith(".js"):
            run, _, episode_id = path.removeprefix("/data/episodes/").removesuffix(".js").partition("/")
            ep = runs.episode(int(run), episode_id) if run.isdigit() else None
            if ep is not None:
                return self._send(episode_script(runs, int(run), ep).encode(), js)
        if path.startswith("/files/"):
            run, _, rel = path.removeprefix("/files/").partition("/")
            kept = _kept_file(runs, int(run), rel) if run.isdigit() else None
            if kept is not None and kept.is_file():
                kind = mimetypes.guess_type(kept.name)[0] or "application/octet-stream"
                return self._send(kept.read_bytes(), kind, untrusted=True)
        return self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)


class ViewerServer(ThreadingHTTPServer):
    """The viewer of ``dirs`` on ``127.0.0.1:port`` (0 picks a free port); ``start`` serves in a thread."""

    daemon_threads = True

    def __init__(self, dirs: list[Path], port: int = 0) -> None:
        self.runs = Runs(dirs)
        self.lock = threading.Lock()
        super().__init__((HOST, port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def start(self) -> ViewerServer:
        self._thread = threading.Thread(target=self.serve_forever, name="medgym-viewer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()
