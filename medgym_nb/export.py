"""Training data from trajectories: SFT chat JSONL, DPO preference pairs, MedAgentGym's history files.

The conversation of an episode is rebuilt from its notebook: the system prompt the agent was given (as
recorded; built by ``medgym_nb.prompt`` for notebooks without one), the task as the first user message, then
per turn the assistant's action and the observation. A turn the agent took by a native tool call stays one:
an assistant message with ``tool_calls`` (parallel calls of one reply together) and a ``tool`` message per
result, and the record gets a ``tools`` column (the task's tool schemas, as a JSON string), which is how TRL's
SFT trainer reads tool-calling data. Other turns are assistant messages holding the JSON action.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

from ._atomic import write_text_atomic
from .layout import trajectory_notebooks
from .prompt import system_prompt
from .tools import tools
from .trajectory import Episode, ToolCall, Turn, read_episode

__all__ = ["episode_messages", "export_run"]

Format = Literal["sft", "dpo", "medagentgym"]


def uses_tool_calls(ep: Episode) -> bool:
    return any(turn.tool_call is not None for turn in ep.turns)


def _tool_call(call: ToolCall) -> dict[str, Any]:
    try:
        arguments: Any = json.loads(call.arguments)
    except json.JSONDecodeError:
        arguments = call.arguments  # as the model wrote it
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments}}


def _turn_messages(turn: Turn, messages: list[dict[str, Any]]) -> None:
    call = turn.tool_call
    if call is None:
        action: dict[str, Any] = {"action": turn.action, "params": turn.params}
        if turn.message:
            action["message"] = turn.message
        messages.append({"role": "assistant", "content": json.dumps(action, ensure_ascii=False)})
        messages.append({"role": "user", "content": turn.observation})
        return
    if call.index == 0:
        messages.append({"role": "assistant", "content": turn.message, "tool_calls": []})
    reply = next(m for m in reversed(messages) if m["role"] == "assistant")
    reply["tool_calls"].append(_tool_call(call))
    messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": turn.observation})


def episode_messages(ep: Episode) -> list[dict[str, Any]]:
    """The episode as OpenAI chat messages."""
    prompt = ep.system_prompt or system_prompt(ep.task, tool_calls=uses_tool_calls(ep))
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": prompt},
        {"role": "user", "content": ep.task.prompt()},
    ]
    for turn in ep.turns:
        _turn_messages(turn, messages)
    return messages


def _record(ep: Episode, *others: Episode) -> dict[str, Any]:
    """``tools`` for episodes in the tool-call form (any of them, for a pair)."""
    return {"tools": json.dumps(tools(ep.task))} if any(map(uses_tool_calls, (ep, *others))) else {}


def _episodes(root: Path) -> list[Episode]:
    return [read_episode(p) for p in trajectory_notebooks(root)]


def export_run(root: str | Path, out: str | Path, fmt: Format) -> int:
    """Write the export of run ``root`` to ``out`` (a file for sft/dpo, a folder for medagentgym); returns records."""
    root, out = Path(root), Path(out)
    episodes = _episodes(root)
    if fmt == "sft":
        lines = [
            json.dumps(
                {"messages": episode_messages(ep), **_record(ep), "task_id": ep.task.id, "reward": ep.reward},
                ensure_ascii=False,
            )
            for ep in episodes
            if ep.passed
        ]
        write_text_atomic(out, "".join(line + "\n" for line in lines))
        return len(lines)
    if fmt == "dpo":
        by_task: dict[str, list[Episode]] = defaultdict(list)
        for ep in episodes:
            by_task[ep.task.id].append(ep)
        pairs = []
        for task_id, group in sorted(by_task.items()):
            good = [e for e in group if e.passed]
            bad = [e for e in group if not e.passed]
            for chosen, rejected in zip(good, bad, strict=False):
                prompt = episode_messages(chosen)[:2]
                pairs.append(
                    json.dumps(
                        {
                            "task_id": task_id,
                            "prompt": prompt,
                            "chosen": episode_messages(chosen)[2:],
                            "rejected": episode_messages(rejected)[2:],
                            **_record(chosen, rejected),
                        },
                        ensure_ascii=False,
                    )
                )
        write_text_atomic(out, "".join(line + "\n" for line in pairs))
        return len(pairs)
    if fmt == "medagentgym":
        return _export_medagentgym(episodes, out)
    raise ValueError(f"unknown export format {fmt!r}")


def _export_medagentgym(episodes: list[Episode], out: Path) -> int:
    """What MedAgentGym's ``main.py``/``rollout.py`` write, so its analysis scripts read our runs.

    ``history_<idx>.json`` (``history_<idx>_<rollout>.json`` for rollouts) is a JSON list: the chat messages,
    then ``{"result": "success", "score": reward}`` or ``{"result": "failure"}``. ``idx`` numbers the
    (agent, task) pairs in run order, so runs of several agents exported together do not collide;
    ``task_ids.json`` maps it back to our task ids and agents.
    """
    index: dict[tuple[str, str | None, str], int] = {}
    for ep in episodes:
        index.setdefault((ep.agent, ep.model, ep.task.id), len(index))
    for ep in episodes:
        idx = index[(ep.agent, ep.model, ep.task.id)]
        name = f"history_{idx}.json" if ep.rollout is None else f"history_{idx}_{ep.rollout}.json"
        verdict: dict[str, Any] = (
            {"result": "success", "score": ep.reward} if ep.passed else {"result": "failure"}
        )
        history = [*episode_messages(ep), verdict]
        write_text_atomic(out / name, json.dumps(history, ensure_ascii=False, indent=1))
    mapping = {
        str(i): {"task_id": task, "agent": agent, "model": model} for (agent, model, task), i in index.items()
    }
    write_text_atomic(out / "task_ids.json", json.dumps(mapping, indent=1))
    return len(episodes)
