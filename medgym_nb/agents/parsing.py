"""Reading an action out of a model's reply: JSON in fences or bare, text after ``</think>``, code blocks."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["parse_reply"]

_THINK_END = re.compile(r"</think>", re.IGNORECASE)
_FENCE = re.compile(r"```([a-zA-Z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)


def _json_objects(text: str) -> list[Any]:
    """Every top-level JSON object in ``text``, in order."""
    decoder = json.JSONDecoder()
    found, i = [], 0
    while (start := text.find("{", i)) != -1:
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        found.append(obj)
        i = end
    return found


def parse_reply(text: str) -> dict[str, Any] | None:
    """The action in a reply, or None when there is none.

    Order: reasoning before a closing ``</think>`` is dropped; then the first JSON object with an ``action``
    key (inside a fence or not); else the last ```python (or bare ```) code block, taken as ``validate_code``
    (MedAgentGym's agents answer by running code that prints the answer).
    """
    parts = _THINK_END.split(text)
    body = parts[-1] if len(parts) > 1 else text
    for obj in _json_objects(body):
        if isinstance(obj, dict) and isinstance(obj.get("action"), str):
            params = obj.get("params")
            return {"action": obj["action"], "params": params if isinstance(params, dict) else {}}
    blocks = [code for lang, code in _FENCE.findall(body) if lang.lower() in {"", "python", "py"}]
    if blocks:
        return {"action": "validate_code", "params": {"code": blocks[-1].strip()}}
    return None
