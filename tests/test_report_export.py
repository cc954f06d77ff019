"""Reports and training exports over real episodes: a mixed run with passes and each kind of failure."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

import medgym_nb as mg
from medgym_nb.agents import ScriptedAgent
from medgym_nb.export import export_run
from medgym_nb.report import render_html, summarise_run


class Plan(ScriptedAgent):
    name = "scripted"

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def plan(self, task):
        return list(self.steps)


def ex(code):
    return {"action": "execute", "params": {"code": code}}


FAILING = {
    "exception:KeyError": [ex("{}['missing']"), {"action": "submit", "params": {"answer": []}}],
    "stuck_in_loop": [ex("1 + 1")] * 4,
    "timeout": [{"action": "execute", "params": {"code": "while True: pass", "timeout": 1}}],
    "kernel_died": [ex("import os; os._exit(1)")],
    "wrong_answer": [{"action": "submit", "params": {"answer": ["nope"]}}],
}


@pytest.fixture(scope="module")
def mixed_run(test_tasks, tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    tasks = test_tasks[:5]
    config = mg.EnvConfig(sandbox="zygote")  # forked kernels: the report reads the episodes, not the sandbox
    mg.run_episodes(tasks, lambda _t: mg.OracleAgent(), root / "oracle", config=config)
    failing = dict(zip([t.id for t in tasks], FAILING.values(), strict=True))
    mg.run_episodes(tasks, lambda t: Plan(failing[t.id]), root / "scripted", config=config)
    return root, tasks


def test_failure_taxonomy(mixed_run):
    root, tasks = mixed_run
    summary = summarise_run(root / "scripted")
    by_task = {r.task_id: r.failure for r in summary.rows}
    assert [by_task[t.id] for t in tasks] == list(FAILING)
    whole = summarise_run(root)
    assert whole.success_rate == 0.5 and whole.success_by("agent") == {"oracle": (5, 5), "scripted": (0, 5)}


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[bytes] = []

    def handle_starttag(self, tag, attrs):
        src = dict(attrs).get("src", "")
        if tag == "img" and src.startswith("data:image/png;base64,"):
            self.images.append(base64.b64decode(src.split(",", 1)[1]))


def test_html_report_renders_with_plots(mixed_run):
    root, _ = mixed_run
    page = render_html(summarise_run(root / "oracle"), summarise_run(root / "scripted"))
    parser = _Images()
    parser.feed(page)
    assert len(parser.images) == 7 and all(img.startswith(b"\x89PNG\r\n\x1a\n") for img in parser.images)
    assert "stuck_in_loop" in page and "kernel_died" in page and page.startswith("<!DOCTYPE html>")


def _check_chat(messages):
    assert [m["role"] for m in messages[:2]] == ["system", "user"]
    rest = [m["role"] for m in messages[2:]]
    assert rest == ["assistant", "user"] * (len(rest) // 2)
    for m in messages[2::2]:
        action = json.loads(m["content"])
        assert set(action) >= {"action", "params"}


def test_exports_validate(mixed_run, tmp_path):
    root, tasks = mixed_run
    assert export_run(root, tmp_path / "sft.jsonl", "sft") == 5
    for line in (tmp_path / "sft.jsonl").read_text().splitlines():
        record = json.loads(line)
        _check_chat(record["messages"])
        assert record["reward"] == 1.0
    assert export_run(root, tmp_path / "dpo.jsonl", "dpo") == 5
    for line in (tmp_path / "dpo.jsonl").read_text().splitlines():
        pair = json.loads(line)
        assert pair["task_id"] in {t.id for t in tasks} and pair["chosen"] != pair["rejected"]
        _check_chat(pair["prompt"] + pair["chosen"])
        _check_chat(pair["prompt"] + pair["rejected"])
    assert export_run(root, tmp_path / "mag", "medagentgym") == 10
    files = sorted(Path(tmp_path / "mag").glob("history_*.json"))
    assert len(files) == 10
    for f in files:
        *messages, verdict = json.loads(f.read_text())
        _check_chat(messages)
        assert verdict == {"result": "success", "score": 1.0} or verdict == {"result": "failure"}


def test_report_and_export_cli(mixed_run, tmp_path):
    import subprocess
    import sys

    root, _ = mixed_run
    exe = Path(sys.executable).with_name("medgym")
    done = subprocess.run(
        [
            str(exe),
            "report",
            str(root / "oracle"),
            "--compare",
            str(root / "scripted"),
            "--html",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "100%" in done.stdout and "stuck_in_loop" in done.stdout and (tmp_path / "r.html").is_file()
    bad = subprocess.run([str(exe), "export", str(root), "--format", "xml"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error:")
