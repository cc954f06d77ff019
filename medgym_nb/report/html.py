"""A self-contained HTML report (plots inlined as PNG) of one run, or two side by side."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .summary import RunSummary

__all__ = ["render_html"]


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _source_plot(runs: list[RunSummary], names: list[str]) -> str:
    """Success per source (one bar per source and run, however many categories it has), on a 0-100 % axis
    with each bar labelled passed/episodes: a 100 % of 3 episodes reads differently from one of 300."""
    sources = sorted({s for run in runs for s in run.success_by("source")})
    fig = Figure(figsize=(7, 0.4 * len(sources) * len(runs) + 1.2))
    ax = fig.subplots()
    height = 0.8 / len(runs)
    for i, (run, name) in enumerate(zip(runs, names, strict=True)):
        by = run.success_by("source")
        counts = [by.get(s, (0, 0)) for s in sources]
        ys = [y + i * height for y in range(len(sources))]
        bars = ax.barh(ys, [ok / n if n else 0.0 for ok, n in counts], height=height, label=name)
        ax.bar_label(
            bars, [f"{ok}/{n}" if n else "not in this run" for ok, n in counts], padding=3, fontsize=8
        )
    ax.set_yticks([y + 0.4 - height / 2 for y in range(len(sources))], sources)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.15)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0 %", "25 %", "50 %", "75 %", "100 %"])
    ax.set_xlabel("episodes passed (share of the source's episodes)")
    if len(runs) > 1:
        ax.legend(loc="lower right")
    return _png(fig)


def _turns_plot(run: RunSummary) -> str:
    """Turns per episode, one bin per turn count, from 0, passed and failed stacked."""
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    passed = [r.turns for r in run.rows if r.passed]
    failed = [r.turns for r in run.rows if not r.passed]
    top = max([r.turns for r in run.rows] + [1])
    ax.hist(
        [passed, failed], bins=[b - 0.5 for b in range(top + 2)], stacked=True, label=["passed", "failed"]
    )
    ax.set_xlim(-0.5, top + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("turns per episode")
    ax.set_ylabel("episodes")
    ax.legend()
    return _png(fig)


def _duration_plot(run: RunSummary) -> str:
    """Episode wall time in seconds; a log axis (said on the label) when the longest is 50x the median."""
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    durations = sorted(max(r.duration, 0.0) for r in run.rows) or [0.0]
    median = durations[len(durations) // 2]
    if median > 0 and durations[-1] > 50 * median:
        low = max(durations[0], 1e-3)
        bins = list(np.geomspace(low, durations[-1], 30))
        ax.hist([max(d, low) for d in durations], bins=bins)
        ax.set_xscale("log")
        ax.set_xlabel("episode duration (s, log scale)")
    else:
        ax.hist(durations, bins=30, range=(0, max(durations[-1], 1e-3)))
        ax.set_xlim(0, None)
        ax.set_xlabel("episode duration (s)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("episodes")
    return _png(fig)


def _failure_plot(run: RunSummary) -> str:
    """Failed episodes by kind, counted from zero, most common first."""
    counts = run.failures.most_common()
    fig = Figure(figsize=(6, 0.35 * max(len(counts), 1) + 1.2))
    ax = fig.subplots()
    bars = ax.barh([k for k, _ in counts] or ["(no failures)"], [v for _, v in counts] or [0])
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max([v for _, v in counts] + [1]) * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
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


def _by_source(run: RunSummary) -> str:
    """One row per source with its categories folded underneath (a click unfolds them)."""
    rows = []
    for source, (ok, n) in run.success_by("source").items():
        cats = "".join(
            f"<tr><td>{html.escape(c)}</td><td>{cn}</td><td>{cok}</td><td>{cok / cn:.0%}</td></tr>"
            for c, (cok, cn) in run.categories_of(source).items()
        )
        rows.append(
            f"<tr><td><details><summary>{html.escape(source)}</summary><table>"
            f"<tr><th>category</th><th>episodes</th><th>passed</th><th>success</th></tr>{cats}</table>"
            f"</details></td><td>{n}</td><td>{ok}</td><td>{ok / n:.0%}</td></tr>"
        )
    head = "<tr><th>source (click for categories)</th><th>episodes</th><th>passed</th><th>success</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _excluded(run: RunSummary) -> str:
    """The tasks the run's families left out, with why (``excluded.jsonl``, written by ``medgym run``)."""
    if not run.excluded:
        return "<p>No task of the run's sources was excluded by its family.</p>"
    rows = [[e.source, e.task_id or e.where, e.reason] for e in run.excluded]
    return _table(["source", "task / row", "reason"], rows)


def _section(run: RunSummary, name: str) -> str:
    sandboxes = ", ".join(f"{k} ({v})" for k, v in run.sandboxes.most_common()) or "-"
    parts = [
        f"<h2>{html.escape(name)}: {html.escape(run.root)}</h2>",
        f"<p>{len(run.rows)} episodes, success {run.success_rate:.1%}, tokens {run.tokens}, "
        f"sandbox {html.escape(sandboxes)}"
        + (f", {len(run.unreadable)} unreadable notebook(s)" if run.unreadable else "")
        + "</p>",
        "<h3>by source</h3>" + _by_source(run),
    ]
    rows = [[k, n, ok, f"{ok / n:.0%}"] for k, (ok, n) in run.success_by("agent").items()]
    parts.append("<h3>by agent</h3>" + _table(["agent", "episodes", "passed", "success"], rows))
    parts.append("<h3>failures</h3>" + _failure_plot(run))
    parts.append(_table(["failure", "episodes"], [[k, v] for k, v in run.failures.most_common()]))
    parts.append("<h3>turns</h3>" + _turns_plot(run))
    parts.append("<h3>duration</h3>" + _duration_plot(run))
    parts.append("<h3>tasks excluded</h3>" + _excluded(run))
    parts.append(_kept_files(run))
    return "\n".join(parts)


def render_html(run: RunSummary, compare: RunSummary | None = None) -> str:
    """The report of ``run`` (and ``compare`` beside it): per source first, categories folded in."""
    runs = [run] + ([compare] if compare else [])
    names = ["run", "compared run"][: len(runs)]
    body = [f"<h1>medgym report</h1><h2>success by source</h2>{_source_plot(runs, names)}"]
    body += [_section(r, n) for r, n in zip(runs, names, strict=True)]
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}"
        "summary{cursor:pointer}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>medgym report</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>"
    )
