"""A self-contained HTML report (plots inlined as PNG) of one run, or two side by side."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from .summary import RunSummary

__all__ = ["render_html"]


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _success_plot(runs: list[RunSummary], names: list[str]) -> str:
    categories = sorted({c for run in runs for c in run.success_by("group")})
    fig = Figure(figsize=(7, 0.35 * len(categories) + 1.2))
    ax = fig.subplots()
    height = 0.8 / len(runs)
    for i, (run, name) in enumerate(zip(runs, names, strict=True)):
        by = run.success_by("group")
        rates = [by[c][0] / by[c][1] if c in by else 0.0 for c in categories]
        ax.barh([y + i * height for y in range(len(categories))], rates, height=height, label=name)
    ax.set_yticks([y + 0.4 - height / 2 for y in range(len(categories))], categories)
    ax.set_xlim(0, 1)
    ax.set_xlabel("success rate")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def _turns_plot(run: RunSummary) -> str:
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    passed = [r.turns for r in run.rows if r.passed]
    failed = [r.turns for r in run.rows if not r.passed]
    bins = range(0, max([r.turns for r in run.rows] + [1]) + 2)
    ax.hist([passed, failed], bins=bins, stacked=True, label=["passed", "failed"])
    ax.set_xlabel("turns per episode")
    ax.set_ylabel("episodes")
    ax.legend()
    return _png(fig)


def _failure_plot(run: RunSummary) -> str:
    counts = run.failures.most_common()
    fig = Figure(figsize=(6, 0.35 * max(len(counts), 1) + 1.2))
    ax = fig.subplots()
    ax.barh([k for k, _ in counts] or ["(no failures)"], [v for _, v in counts] or [0])
    ax.set_xlabel("failed episodes")
    return _png(fig)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


_HEAD_LINES = 6
_HEAD_BYTES = 4096


def _head(path: Path) -> str:
    """The first lines of a kept CSV file, for a glance at what the episode wrote."""
    try:
        with path.open("rb") as fh:
            text = fh.read(_HEAD_BYTES).decode(errors="replace")
    except OSError as exc:
        return f"(unreadable: {exc})"
    return "\n".join(text.splitlines()[:_HEAD_LINES])


_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
MAX_EMBEDDED_BYTES = 2_000_000
"""Kept images up to this size are embedded (the report stays one file that shows the figures); larger ones
are only linked."""


def _image(path: Path) -> str:
    """A kept image (a figure the agent saved) inline, or nothing for other files."""
    kind = _IMAGE_TYPES.get(path.suffix.lower())
    try:
        if kind is None or path.stat().st_size > MAX_EMBEDDED_BYTES:
            return ""
        data = base64.b64encode(path.read_bytes()).decode()
    except OSError:
        return ""
    return f"<br><img alt='{html.escape(path.name)}' style='max-width:480px' src='data:{kind};base64,{data}'>"


def _kept_files(run: RunSummary) -> str:
    """Each episode's kept files, linked (relative to the run, where the report is written by default), the
    head of CSV files shown and images embedded, with the grader's message (a predictions file's metrics)."""
    rows = []
    for row in (r for r in run.rows if r.files):
        links = []
        for rel in row.files:
            link = f'<a href="{html.escape(rel)}">{html.escape(Path(rel).name)}</a>'
            if rel.endswith(".csv"):
                link += f"<pre>{html.escape(_head(Path(run.root, rel)))}</pre>"
            link += _image(Path(run.root, rel))
            links.append(link)
        rows.append(
            f"<tr><td>{html.escape(row.task_id)}</td><td>{html.escape(row.grade_message)}</td>"
            f"<td>{'<br>'.join(links)}</td></tr>"
        )
    if not rows:
        return ""
    head = "<tr><th>task</th><th>grade</th><th>kept files</th></tr>"
    return f"<h3>kept files</h3><table>{head}{''.join(rows)}</table>"


def _section(run: RunSummary, name: str) -> str:
    parts = [
        f"<h2>{html.escape(name)}: {run.root}</h2>",
        f"<p>{len(run.rows)} episodes, success {run.success_rate:.1%}, tokens {run.tokens}"
        + (f", {len(run.unreadable)} unreadable notebook(s)" if run.unreadable else "")
        + "</p>",
    ]
    for key in ("source", "agent", "category"):
        rows = [[k, n, ok, f"{ok / n:.0%}"] for k, (ok, n) in run.success_by(key).items()]
        parts.append(f"<h3>by {key}</h3>" + _table([key, "episodes", "passed", "success"], rows))
    parts.append("<h3>turns</h3>" + _turns_plot(run))
    parts.append("<h3>failures</h3>" + _failure_plot(run))
    parts.append(_table(["failure", "episodes"], [[k, v] for k, v in run.failures.most_common()]))
    parts.append(_kept_files(run))
    return "\n".join(parts)


def render_html(run: RunSummary, compare: RunSummary | None = None) -> str:
    runs = [run] + ([compare] if compare else [])
    names = ["run", "compared run"][: len(runs)]
    body = [f"<h1>medgym report</h1><h2>success by category</h2>{_success_plot(runs, names)}"]
    body += [_section(r, n) for r, n in zip(runs, names, strict=True)]
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>medgym report</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>"
    )
