"""Agents: the oracle (reference solutions), replay (recorded trajectories)."""

from .base import Agent, ScriptedAgent
from .oracle import OracleAgent
from .replay import ReplayAgent

__all__ = ["Agent", "OracleAgent", "ReplayAgent", "ScriptedAgent"]
