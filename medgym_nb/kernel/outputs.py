"""Turn iopub messages into nbformat outputs, and outputs into the text an agent sees.

Two caps, on purpose: the notebook keeps the real output up to ``notebook_bytes`` per cell (so a trajectory
stays openable when agent code prints hundreds of MB), while the agent's view is cut much shorter
(``agent_chars``) with a visible marker, as a terminal would scroll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import output_from_msg

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass(frozen=True)
class OutputLimits:
    """How much output is kept: ``agent_chars`` for the observation, ``notebook_bytes`` for the notebook."""

    agent_chars: int = 16_000
    notebook_bytes: int = 2_000_000

    @property
    def kernel_chars(self) -> int:
        """What a cell may print before the kernel itself drops the rest (``kernel_output_cap``): half the
        notebook's share, so the kernel's note saying so is kept and the agent sees it."""
        return self.notebook_bytes // 2


@dataclass
class OutputCollector:
    """Accumulates the outputs of one cell, merging consecutive stream chunks and enforcing the notebook cap."""

    limits: OutputLimits
    outputs: list[NotebookNode] = field(default_factory=list)
    kept_bytes: int = 0
    dropped_bytes: int = 0

    def add(self, msg: dict[str, Any]) -> None:
        msg_type = msg["header"]["msg_type"]
        if msg_type == "clear_output":
            self.outputs.clear()
            self.kept_bytes = 0
            return
        if msg_type not in {"stream", "execute_result", "display_data", "error"}:
            return
        size = _payload_size(msg)
        if msg_type != "error" and self.kept_bytes + size > self.limits.notebook_bytes:
            room = self.limits.notebook_bytes - self.kept_bytes
            if msg_type == "stream" and room > 0:
                text = msg["content"]["text"][:room]
                self._add_stream(msg["content"]["name"], text)
                self.kept_bytes += len(text)
                size -= len(text)
            self.dropped_bytes += size
            return
        self.kept_bytes += size
        if msg_type == "stream":
            self._add_stream(msg["content"]["name"], msg["content"]["text"])
        else:
            self.outputs.append(output_from_msg(msg))

    def _add_stream(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.get("output_type") == "stream" and last.get("name") == name:
            last["text"] += text
        else:
            self.outputs.append(NotebookNode(output_type="stream", name=name, text=text))

    def finish(self) -> list[NotebookNode]:
        """The outputs, with a stderr marker appended when the notebook cap dropped anything."""
        if self.dropped_bytes:
            note = f"\n[medgym: output truncated, {self.dropped_bytes} bytes dropped from the notebook]\n"
            self._add_stream("stderr", note)
        return self.outputs


def _payload_size(msg: dict[str, Any]) -> int:
    content = msg["content"]
    if msg["header"]["msg_type"] == "stream":
        return len(content.get("text", ""))
    data = content.get("data", {})
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())


def stdout_of(outputs: list[NotebookNode]) -> str:
    """What the cell printed to stdout: the text graded when an agent validates code."""
    return "".join(
        o["text"] for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )


def render_text(outputs: list[NotebookNode]) -> str:
    """A terminal-like rendering of outputs: streams, plain-text results, placeholders for rich media."""
    parts: list[str] = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(out["text"])
        elif kind in {"execute_result", "display_data"}:
            data = out.get("data", {})
            if "text/plain" in data:
                parts.append(data["text/plain"] + "\n")
            others = sorted(k for k in data if k != "text/plain")
            if others:
                parts.append(f"[{kind}: {', '.join(others)}]\n")
        elif kind == "error":
            tb = "\n".join(out.get("traceback", [])) or f"{out['ename']}: {out['evalue']}"
            parts.append(strip_ansi(tb) + "\n")
    return "".join(parts)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to about ``limit`` characters, keeping head and tail (errors are usually at the end)."""
    if len(text) <= limit:
        return text
    head = limit * 3 // 4
    tail = limit - head
    dropped = len(text) - head - tail
    return f"{text[:head]}\n...[medgym: {dropped} characters truncated]...\n{text[-tail:]}"


_CAP = """
def __medgym_cap_output(limit):
    import sys
    from IPython import get_ipython

    class KeepNoOutputs(dict):
        def __contains__(self, key):
            return False

        def __getitem__(self, key):
            return []

        def __setitem__(self, key, value):
            pass

    shell = get_ipython()
    shell.history_manager.outputs = KeepNoOutputs()
    state = {"left": limit, "noted": False}

    def capped(stream):
        write = type(stream).write

        def capped_write(text, *args, **kwargs):
            if state["left"] <= 0:
                if not state["noted"]:
                    state["noted"] = True
                    write(stream, f"\\n[medgym: output truncated: the cell printed more than {limit} characters; the kernel dropped the rest]\\n")
                return len(text)
            kept = text[: state["left"]]
            state["left"] -= len(kept)
            write(stream, kept, *args, **kwargs)
            return len(text)

        return capped_write

    def before_each_cell(*_args):
        # IPython swaps each stream's ``write`` around every cell; this runs inside that, each time
        state["left"], state["noted"] = limit, False
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            stream.write = capped(stream)

    shell.events.register("pre_execute", before_each_cell)


__medgym_cap_output(__LIMIT__)
del __medgym_cap_output
"""


def kernel_output_cap(chars: int) -> str:
    """Code (run unseen in a new kernel) that bounds what printing costs the kernel: each cell's stdout and
    stderr stop at ``chars``, and IPython keeps no copy of them.

    IPython 9 keeps every cell's printed output in its history manager, in memory, for the kernel's life; a
    cell printing hundreds of megabytes then held about 12 bytes of address space per byte printed and died
    of its memory limit (and a chatty episode grows without end). The recorder keeps what the notebook
    needs on the host, so the kernel keeps none; and dropping a cell's excess output where it is printed keeps
    the kernel, and the agent's state, alive. Agent code may undo this; it then hurts only its own episode."""
    return _CAP.replace("__LIMIT__", str(int(chars)))
