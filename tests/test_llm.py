"""The LLM agent over real HTTP against a local OpenAI-protocol server; concurrent and resumable runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import medgym_nb as mg
from medgym_nb.agents.llm import LLMAgent, LLMConfig
from medgym_nb.agents.parsing import parse_reply

from .openai_stub import Reply, StubServer, call


def solving_script(task_by_question):
    """Reply 1: connect (JSON after a think block); reply 2: the query as a python code block."""

    def script(body, _n):
        question = body["messages"][1]["content"].split("\n")[0]
        task = task_by_question[question]
        assistant_turns = sum(m["role"] == "assistant" for m in body["messages"])
        if assistant_turns == 0:
            action = {"action": "execute", "params": {"code": task.solution[0]}}
            return Reply(
                f'<think>connect first {{"action": "debug"}}</think>\n```json\n{json.dumps(action)}\n```'
            )
        return Reply(f"Now the query:\n```python\n{task.solution[1]}\n```")

    return script


def config(url, **kw):
    return LLMConfig(**{"base_url": url, "model": "stub-model", "backoff": 0.01, "timeout": 5, **kw})


def submit(answer):
    return json.dumps({"action": "submit", "params": {"answer": answer}})


def test_parse_reply_variants():
    assert parse_reply('{"action": "submit", "params": {"answer": [1]}}')["action"] == "submit"
    assert parse_reply('<think>{"action": "x"}</think>```\nprint(2)\n```') == {
        "action": "validate_code",
        "params": {"code": "print(2)"},
    }
    assert parse_reply("no action here") is None


def test_multi_turn_llm_episode_passes_and_is_recorded(test_tasks, tmp_path):
    tasks = test_tasks[:2]
    with StubServer(solving_script({t.question: t for t in tasks})) as server:
        results = mg.run_episodes(tasks, lambda _t: LLMAgent(config(server.url)), tmp_path)
    assert [r.passed for r in results] == [True, True] and all(r.turns == 2 for r in results)
    assert (
        server.requests[0]["model"] == "stub-model" and server.requests[0]["messages"][0]["role"] == "system"
    )
    nb = nbformat.read(results[0].notebook, as_version=4)
    meta = nb.metadata["medgym"]
    assert meta["agent"] == "llm" and meta["model"] == "stub-model"
    assert meta["usage"]["total_tokens"] == 240 and "validate_code" in meta["system_prompt"]
    messages = [c.source for c in nb.cells if c.metadata.get("medgym", {}).get("role") == "agent_message"]
    assert len(messages) == 2 and "<think>" in messages[0]
    actions = [c for c in nb.cells if c.metadata.get("medgym", {}).get("role") == "action"]
    assert actions[0].metadata["medgym"]["usage"]["completion_tokens"] == 20


def test_malformed_output_becomes_feedback(test_tasks, tmp_path):
    task = test_tasks[0]

    def script(body, n):
        if n == 0:
            return Reply("I am not sure what to do.")
        assert "Invalid action" in body["messages"][-1]["content"]
        return Reply(submit(task.answer))

    with StubServer(script) as server:
        [result] = mg.run_episodes([task], lambda _t: LLMAgent(config(server.url)), tmp_path)
    assert result.passed and result.turns == 2


def test_429_500_and_timeouts_are_retried(test_tasks, tmp_path):
    task = test_tasks[0]
    answer = Reply(submit(task.answer))
    replies = [
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(status=500),
        Reply(status=503),
        Reply(delay=1.5),
        answer,
    ]

    with StubServer(lambda _b, n: replies[n]) as server:
        agent = LLMAgent(config(server.url, timeout=0.5))
        [result] = mg.run_episodes([task], lambda _t: agent, tmp_path)
    assert result.passed and agent.usage["retries"] == 4 and len(server.requests) == 5


def test_refusal_is_an_infrastructure_error_and_is_retried_on_resume(test_tasks, tmp_path):
    task = test_tasks[0]
    with StubServer(lambda _b, _n: Reply(status=401)) as server:
        [result] = mg.run_episodes([task], lambda _t: LLMAgent(config(server.url)), tmp_path)
    assert result.termination == "error" and "HTTP 401" in result.error and not result.passed
    good = Reply(submit(task.answer))
    with StubServer(lambda _b, _n: good) as server:
        [again] = mg.run_episodes([task], lambda _t: LLMAgent(config(server.url)), tmp_path)
    assert again.passed


def test_concurrency_overlaps_episodes(test_tasks, tmp_path):
    tasks = test_tasks[:4]
    answers = {t.question: t.answer for t in tasks}

    def script(body, _n):
        question = body["messages"][1]["content"].split("\n")[0]
        return Reply(submit(answers[question]), delay=0.8)

    with StubServer(script) as server:
        results = mg.run_episodes(
            tasks,
            lambda _t: LLMAgent(config(server.url)),
            tmp_path,
            concurrency=4,
            rollouts=2,
            config=mg.EnvConfig(pool_size=1),
        )
    assert len(results) == 8 and all(r.passed for r in results)
    assert server.peak >= 3
    assert sorted(Path(r.notebook).parent.name for r in results)[:2] == [
        f"{tasks[0].id}.r0",
        f"{tasks[0].id}.r1",
    ]


def test_killed_run_resumes(tmp_path):
    exe = Path(sys.executable).with_name("medgym")
    out = tmp_path / "run"
    args = [str(exe), "run", "--source", "mimic_iii", "--agent", "oracle", "--limit", "8", "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ)
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("*/*/episode.ipynb"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the process this test started
        proc.wait(10)
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/*/episode.ipynb")}
    assert 2 <= len(before) < 8
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    index = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(index) == 8 and all(r["passed"] for r in index)
    assert all(path.stat().st_mtime_ns == t for path, t in before.items())


def test_native_tool_calls_parallel_in_order_recorded_and_exported(test_tasks, tmp_path):
    """--tool-calls: the tools go in the request, parallel calls are answered in order by tool messages, a
    reply without a call gets the error observation, and the SFT export keeps the tool-call form."""
    task = test_tasks[0]

    def script(body, n):
        assert [t["function"]["name"] for t in body["tools"]] == [
            t["function"]["name"] for t in mg.tools(task)
        ]
        messages = body["messages"]
        if n == 0:
            return Reply(
                "I will look first.", [call("execute", code="x = 41"), call("execute", code="print(x + 1)")]
            )
        if n == 1:
            assert [m["role"] for m in messages[-3:]] == ["assistant", "tool", "tool"]
            assert messages[-1]["tool_call_id"] == messages[-3]["tool_calls"][1]["id"]
            assert messages[-1]["content"].strip() == "42"  # the second call ran after the first
            return Reply("Just thinking, no call.")
        if n == 2:
            assert messages[-1]["role"] == "user" and "Invalid action" in messages[-1]["content"]
            return Reply("", [call("execute", code=task.solution[0])])
        return Reply("", [call("validate_code", code=task.solution[1])])

    with StubServer(script) as server:
        [result] = mg.run_episodes(
            [task], lambda _t: LLMAgent(config(server.url, tool_calls=True)), tmp_path / "run"
        )
    assert result.passed and result.turns == 5
    episode = mg.read_episode(result.notebook)
    assert [t.action for t in episode.turns] == ["execute", "execute", "None", "execute", "validate_code"]
    assert [t.tool_call.index if t.tool_call else None for t in episode.turns] == [0, 1, None, 0, 0]
    assert episode.turns[0].params == {"code": "x = 41"} and episode.turns[0].message == "I will look first."
    assert "calling the tools" in episode.system_prompt

    assert mg.export.export_run(tmp_path / "run", tmp_path / "sft.jsonl", "sft") == 1
    record = json.loads((tmp_path / "sft.jsonl").read_text())
    assert json.loads(record["tools"]) == mg.tools(task)
    messages = record["messages"]
    assert messages[0]["content"] == episode.system_prompt
    first = messages[2]
    assert first["role"] == "assistant" and len(first["tool_calls"]) == 2
    assert first["tool_calls"][1]["function"] == {"name": "execute", "arguments": {"code": "print(x + 1)"}}
    assert [m["role"] for m in messages[3:5]] == ["tool", "tool"]
    assert messages[4]["tool_call_id"] == first["tool_calls"][1]["id"]
    assert messages[5]["role"] == "assistant" and "tool_calls" not in messages[5]  # the reply without a call

    # rendered as TRL's SFT trainer renders a row (transformers' chat-template renderer, a Qwen-style template)
    render = pytest.importorskip("transformers.utils.chat_template_utils").render_jinja_template
    rendered, _ = render([messages], tools=json.loads(record["tools"]), chat_template=TOOL_TEMPLATE)
    text = rendered[0]
    assert (
        '"name": "validate_code"' in text and '{"code": "print(x + 1)"}' in text and "<tool_response>" in text
    )


TOOL_TEMPLATE = """{%- for tool in tools %}{{ tool | tojson }}
{% endfor %}{%- for m in messages %}<|{{ m.role }}|>{{ m.content or '' }}
{%- if m.role == 'tool' %}<tool_response>{{ m.content }}</tool_response>{% endif %}
{%- for c in m.tool_calls or [] %}<tool_call>{{ c.function.name }} {{ c.function.arguments | tojson }}</tool_call>
{%- endfor %}
{% endfor %}"""
