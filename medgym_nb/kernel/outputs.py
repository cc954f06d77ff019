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
