"""An LLM agent over any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, OpenAI, proxies).

Two ways to act. MedAgentGym-style (the default): the system prompt lists the task's actions and each reply
should hold one JSON action. With ``tool_calls``: the task's tools (``medgym_nb.tools``) go in the request's
``tools`` field and the model calls them natively; several calls in one reply are played in order, each
answered by a ``tool`` message with its observation. Either way a reply with no action is not a crash: it goes
to the environment as an invalid action, whose error observation is the model's feedback. 429s, 5xx, timeouts
and dropped connections are retried with exponential backoff (honouring ``Retry-After``); other HTTP errors
raise ``LLMError``.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import httpx
from pydantic import BaseModel, Field

from ..errors import MedgymError
from ..observations import Observation
from ..prompt import system_prompt
from ..tasks.model import Task
from ..tools import tools
from .parsing import parse_reply

__all__ = ["LLMAgent", "LLMConfig", "LLMError"]


class LLMError(MedgymError):
    """The endpoint refused the request in a way retrying cannot fix (bad key, unknown model, bad request)."""


class LLMConfig(BaseModel):
    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "default"
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.0
    top_p: float | None = None
    max_tokens: int = 2048
    token_budget: int | None = Field(
        default=None, description="total tokens per episode before the agent stops"
    )
    timeout: float = 120.0
    max_retries: int = 6
    backoff: float = 1.0
    tool_calls: bool = Field(default=False, description="act by native tool calls instead of JSON in text")
    extra_body: dict[str, Any] = Field(default_factory=dict)


class _Reply(BaseModel):
    content: str
    tool_calls: list[dict[str, Any]]
    usage: dict[str, int]


def _call_action(call: dict[str, Any], index: int, message: str) -> dict[str, Any]:
    """A tool call as an action for the env, carrying the call itself for the recorder."""
    function = call.get("function") or {}
    name = function.get("name")
    arguments = function.get("arguments")
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    try:
        params: Any = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        params = raw  # the env says the params are not a JSON object
    return {
        "action": name if isinstance(name, str) else None,
        "params": params,
        "message": message,
        "tool_call": {
            "id": str(call.get("id") or f"call_{index}"),
            "name": str(name),
            "arguments": raw,
            "index": index,
        },
    }


class LLMAgent:
    """One episode's conversation with the model; make a new agent per episode."""

    name = "llm"

    def __init__(self, config: LLMConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.model: str | None = config.model
        self._client = client
        self.messages: list[dict[str, Any]] = []
        self.tools: list[dict[str, Any]] = []
        self._queued: list[dict[str, Any]] = []  # the rest of a reply's parallel tool calls
        self._answering: str | None = None  # the id of the tool call whose observation comes next
        self.usage = {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
            "requests": 0,
            "retries": 0,
        }

    async def start(self, task: Task, observation: Observation) -> None:
        self.tools = tools(task) if self.config.tool_calls else []
        self.messages = [
            {"role": "system", "content": system_prompt(task, tool_calls=self.config.tool_calls)},
            {"role": "user", "content": observation.env_message},
        ]

    def _take(self, observation: Observation) -> None:
        """Put the last action's observation into the conversation: a tool result, or the next user turn."""
        if self._answering is not None:
            self.messages.append(
                {"role": "tool", "tool_call_id": self._answering, "content": observation.env_message}
            )
            self._answering = None
        elif self.messages[-1]["role"] == "assistant":
            self.messages.append({"role": "user", "content": observation.env_message})

    def _next_call(self) -> dict[str, Any]:
        action = self._queued.pop(0)
        self._answering = action["tool_call"]["id"]
        return action

    async def act(self, observation: Observation) -> dict[str, Any] | None:
        self._take(observation)
        if self._queued:
            return self._next_call()
        budget = self.config.token_budget
        if budget is not None and self.usage["total_tokens"] >= budget:
            return None
        reply = await self._complete()
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if self.config.tool_calls and reply.tool_calls:
            message["tool_calls"] = reply.tool_calls
            self.messages.append(message)
            self._queued = [
                _call_action(call, i, reply.content if i == 0 else "")
                for i, call in enumerate(reply.tool_calls)
            ]
            self._queued[0]["usage"] = reply.usage
            return self._next_call()
        self.messages.append(message)
        action = None if self.config.tool_calls else parse_reply(reply.content)
        action = action or {"action": None, "params": {}}  # the env explains what is wrong
        return {**action, "message": reply.content, "usage": reply.usage}

    async def _complete(self) -> _Reply:
        cfg = self.config
        body: dict[str, Any] = {
            "model": cfg.model,
            "messages": self.messages,
            "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens,
            **cfg.extra_body,
        }
        if self.tools:
            body["tools"] = self.tools
        if cfg.top_p is not None:
            body["top_p"] = cfg.top_p
        headers = {}
        if key := os.environ.get(cfg.api_key_env):
            headers["Authorization"] = f"Bearer {key}"
        client = self._client or httpx.AsyncClient(timeout=cfg.timeout)
        try:
            for attempt in range(cfg.max_retries + 1):
                delay = cfg.backoff * 2**attempt
                try:
                    response = await client.post(
                        f"{cfg.base_url.rstrip('/')}/chat/completions",
                        json=body,
                        headers=headers,
                        timeout=cfg.timeout,
                    )
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    if attempt == cfg.max_retries:
                        raise LLMError(
                            f"the endpoint did not answer after {attempt + 1} tries: {exc!r}"
                        ) from exc
                else:
                    if response.status_code == 200:
                        return self._read(response.json())
                    if response.status_code != 429 and response.status_code < 500:
                        raise LLMError(
                            f"the endpoint refused the request: HTTP {response.status_code} "
                            f"{response.text[:300]}"
                        )
                    if attempt == cfg.max_retries:
                        raise LLMError(f"HTTP {response.status_code} after {attempt + 1} tries")
                    delay = max(delay, float(response.headers.get("retry-after", 0) or 0))
                self.usage["retries"] += 1
                await asyncio.sleep(delay)
        finally:
            if self._client is None:
                await client.aclose()
        raise AssertionError("unreachable")

    def _read(self, payload: dict[str, Any]) -> _Reply:
        try:
            message = payload["choices"][0]["message"]
            content = message.get("content") or ""
            calls = [c for c in message.get("tool_calls") or [] if isinstance(c, dict)]
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMError(f"malformed chat-completions response: {str(payload)[:300]}") from exc
        usage = {k: int(v) for k, v in (payload.get("usage") or {}).items() if isinstance(v, int)}
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            self.usage[key] += usage.get(key, 0)
        self.usage["requests"] += 1
        return _Reply(content=content, tool_calls=calls, usage=usage)
