"""One episode as an HTML fragment: its outcome and grade, the trajectory's cells with their outputs, the
grader notebooks' verdict cells and the files it kept.

Rendered here rather than with nbconvert (not a dependency) and with our own small markdown reader: the cells
we write use headings, fences, bold and inline code only. Outputs are shown as text and images; HTML outputs
(a data frame's table) are shown through their text form, since agent-made HTML must not run in the viewer.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from ..runs import EpisodeRecord

__all__ = ["render_episode"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FENCE = re.compile(r"^(`{3,})(\w*)\s*$")
_INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])"), r"<em>\1</em>"),
]
_IMAGES = {"image/png", "image/jpeg"}
_GRADE_MIME = "application/vnd.medgym.grade+json"
_CSV_LINES = 8
_CSV_BYTES = 4096
_TEXT_CHARS = 20_000


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def markdown(text: str) -> str:
    """The markdown our notebooks contain (headings, fenced blocks, paragraphs, bold, italics, code)."""
    parts: list[str] = []
    paragraph: list[str] = []
    lines = text.splitlines()

    def flush() -> None:
        if paragraph:
            parts.append("<p>" + "<br>".join(_inline(p) for p in paragraph) + "</p>")
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip() == fence.group(1)), len(lines)
            )
            parts.append(f"<pre>{html.escape(chr(10).join(lines[i + 1 : end]))}</pre>")
            i = end + 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            flush()
            level = min(len(heading.group(1)) + 2, 6)
            parts.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.strip():
            paragraph.append(line)
        else:
            flush()
        i += 1
    flush()
    return "".join(parts)


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value or "")
    return (
        text
        if len(text) <= _TEXT_CHARS
        else text[:_TEXT_CHARS] + f"\n… ({len(text) - _TEXT_CHARS} more chars)"
    )


def _output(out: dict[str, Any]) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        name = html.escape(str(out.get("name", "stdout")))
        return f"<pre class='out {name}'>{html.escape(_ANSI.sub('', _text(out.get('text'))))}</pre>"
    if kind == "error":
        trace = _ANSI.sub("", "\n".join(out.get("traceback", [])))
        head = f"{out.get('ename', '')}: {out.get('evalue', '')}"
        return f"<pre class='out error'>{html.escape(trace or head)}</pre>"
    data = out.get("data", {})
    for mime in _IMAGES:
        if mime in data:
            payload = html.escape(_text(data[mime]).strip())  # base64 unless an agent forged it
            return f"<img class='out' alt='output' src='data:{mime};base64,{payload}'>"
    if _GRADE_MIME in data:
        verdict = json.dumps(data[_GRADE_MIME], indent=2, ensure_ascii=False)
        return f"<pre class='out verdict'>{html.escape(verdict)}</pre>"
    if "text/plain" in data:
        return f"<pre class='out'>{html.escape(_text(data['text/plain']))}</pre>"
    return ""


def _cell(cell: dict[str, Any]) -> str:
    info = cell.get("metadata", {}).get("medgym", {})
    role = str(info.get("role", ""))
    if cell.get("cell_type") == "code":
        badge = ""
        if role == "action":
            usage = info.get("usage") or {}
            badge = (
                f"<div class='badge'>turn {info.get('index', '?')} · <b>{html.escape(str(info.get('action')))}</b>"
                f" → {html.escape(str(info.get('observation_type', '')))} · {float(info.get('duration') or 0):.2f} s"
                + (f" · {usage.get('total_tokens')} tokens" if usage.get("total_tokens") else "")
                + "</div>"
            )
        count = cell.get("execution_count")
        prompt = f"<span class='prompt'>In [{count if count is not None else ' '}]:</span>"
        outputs = "".join(_output(o) for o in cell.get("outputs", []))
        return (
            f"<div class='cell code {html.escape(role)}'>{badge}{prompt}"
            f"<pre class='src'>{html.escape(_text(cell.get('source')))}</pre>{outputs}</div>"
        )
    return f"<div class='cell md {html.escape(role)}'>{markdown(_text(cell.get('source')))}</div>"


def _grader(path: Path) -> str:
    """The grader notebook's cells, the parameter cells (the whole task as JSON) left out; the cells that
    published the verdict or raised are open, the others folded."""
    try:
        nb = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return f"<p class='problem'>{html.escape(path.name)} unreadable: {html.escape(str(exc))}</p>"
    parts = []
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.get("cell_type") != "code" or tags & {"parameters", "injected-parameters"}:
            continue
        outputs = cell.get("outputs", [])
        verdict = any(_GRADE_MIME in o.get("data", {}) or o.get("output_type") == "error" for o in outputs)
        body = _cell(cell)
        parts.append(body if verdict else f"<details><summary>grader cell</summary>{body}</details>")
    return f"<h3>{html.escape(path.name)}</h3>" + "".join(parts)


def _kept(root: Path, run: int, rel: str) -> str:
    href = html.escape(f"files/{run}/{rel}")
    name = html.escape(Path(rel).name)
    link = f"<a href='{href}' target='_blank'>{name}</a>"
    path = root / rel
    if path.suffix.lower() in {".png", ".jpg", ".jpeg", ".svg", ".gif"}:
        return f"<div class='kept'>{link}<br><img alt='{name}' src='{href}'></div>"
    if path.suffix.lower() in {".csv", ".tsv", ".txt", ".json"}:
        try:
            with path.open("rb") as fh:
                head = fh.read(_CSV_BYTES).decode(errors="replace")
        except OSError:
            head = "(unreadable)"
        head = "\n".join(head.splitlines()[:_CSV_LINES])
        return f"<div class='kept'>{link}<pre>{html.escape(head)}</pre></div>"
    return f"<div class='kept'>{link}</div>"


def _summary(ep: EpisodeRecord) -> str:
    facts = [
        ("source", ep.source),
        ("family", ep.family),
        ("category", ep.category),
        ("agent", ep.agent_model),
        ("sandbox", ep.sandbox),
        ("termination", ep.termination),
        ("reward", f"{ep.reward:g}"),
        ("turns", str(ep.turns)),
        ("tokens", str(ep.tokens)),
        ("duration", f"{ep.duration:.2f} s"),
        ("failure", ep.failure or "-"),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    verdict = "passed" if ep.passed else "failed"
    grade = (
        f"<p class='grade {verdict}'><b>{verdict}</b> · {html.escape(ep.grade_message or 'not graded')}</p>"
    )
    subscores = ""
    if ep.subscores:
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:g}</td></tr>" for k, v in ep.subscores.items())
        subscores = f"<table class='subscores'><tr><th>subscore</th><th>value</th></tr>{rows}</table>"
    error = f"<pre class='out error'>{html.escape(ep.error)}</pre>" if ep.error else ""
    return f"<h2 class='task-id'>{html.escape(ep.task_id)}</h2>{grade}{subscores}{error}<dl class='facts'>{dl}</dl>"


def render_episode(root: Path, run: int, ep: EpisodeRecord) -> str:
    """The episode page's HTML (links to kept files are ``files/<run>/<path>``, relative to the viewer)."""
    try:
        nb = json.loads((root / ep.notebook).read_bytes())
        cells = "".join(_cell(c) for c in nb.get("cells", []))
    except (OSError, ValueError) as exc:
        cells = f"<p class='problem'>notebook unreadable: {html.escape(str(exc))}</p>"
    graders = "".join(_grader(root / g) for g in ep.graded_notebooks) or "<p>No grader notebook was kept.</p>"
    files = "".join(_kept(root, run, f) for f in ep.files) or "<p>No files kept.</p>"
    return (
        f"<section class='summary'>{_summary(ep)}</section>"
        f"<section class='trajectory'><h3>trajectory</h3>{cells}</section>"
        f"<section class='graders'><h3>grade</h3>{graders}</section>"
        f"<section class='files'><h3>kept files</h3>{files}</section>"
    )
