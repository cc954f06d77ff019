"""Agents: the oracle (reference solutions), replay (recorded trajectories), an OpenAI-compatible LLM."""

from .base import Agent, ScriptedAgent
from .llm import LLMAgent, LLMConfig, LLMError
from .oracle import OracleAgent
from .replay import ReplayAgent

__all__ = ["Agent", "LLMAgent", "LLMConfig", "LLMError", "OracleAgent", "ReplayAgent", "ScriptedAgent"]
