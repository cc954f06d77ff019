"""An LLM agent over any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, OpenAI, proxies).

MedAgentGym-style: a system prompt lists the task's permitted actions; each reply should hold one JSON action.
A reply with no action is not a crash: it goes to the environment as an invalid action, whose error
observation is the model's feedback. 429s, 5xx, timeouts and dropped connections are retried with
exponential backoff (honouring ``Retry-After``); other HTTP errors raise ``LLMError``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
from pydantic import BaseModel, Field

from ..actions import ACTIONS
from ..errors import MedgymError
from ..family.registry import get_family
from ..observations import Observation
from ..tasks.model import Task
from .parsing import parse_reply

__all__ = ["LLMAgent", "LLMConfig", "LLMError", "system_prompt"]


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
    extra_body: dict[str, Any] = Field(default_factory=dict)


def system_prompt(task: Task) -> str:
    family = get_family(task.family)
    lines = []
    for name in family.actions:
        spec = ACTIONS[name]
        usage = (
            family.info_help if name == "request_info" and family.info_help else f"{spec.usage}: {spec.help}"
        )
        lines.append(f"- {name} {usage}")
    return (
        "You are a biomedical data scientist working in a stateful Jupyter kernel. Solve the task by acting "
        "step by step. Each reply must contain exactly one action as JSON:\n"
        '{"action": NAME, "params": {...}}\nAvailable actions:\n' + "\n".join(lines)
    )


class LLMAgent:
    """One episode's conversation with the model; make a new agent per episode."""

    name = "llm"

    def __init__(self, config: LLMConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.model: str | None = config.model
        self._client = client
        self.messages: list[dict[str, str]] = []
        self.usage = {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
            "requests": 0,
            "retries": 0,
        }

    async def start(self, task: Task, observation: Observation) -> None:
        self.messages = [
            {"role": "system", "content": system_prompt(task)},
            {"role": "user", "content": observation.env_message},
        ]

    async def act(self, observation: Observation) -> dict[str, Any] | None:
        if self.messages[-1]["role"] == "assistant":
            self.messages.append({"role": "user", "content": observation.env_message})
        budget = self.config.token_budget
        if budget is not None and self.usage["total_tokens"] >= budget:
            return None
        reply, usage = await self._complete()
        self.messages.append({"role": "assistant", "content": reply})
        action = parse_reply(reply) or {"action": None, "params": {}}  # the env explains what is wrong
        return {**action, "message": reply, "usage": usage}

    async def _complete(self) -> tuple[str, dict[str, int]]:
        cfg = self.config
        body: dict[str, Any] = {
            "model": cfg.model,
            "messages": self.messages,
            "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens,
            **cfg.extra_body,
        }
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

    def _read(self, payload: dict[str, Any]) -> tuple[str, dict[str, int]]:
        try:
            content = payload["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"malformed chat-completions response: {str(payload)[:300]}") from exc
        usage = {k: int(v) for k, v in (payload.get("usage") or {}).items() if isinstance(v, int)}
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            self.usage[key] += usage.get(key, 0)
        self.usage["requests"] += 1
        return content, usage
