"""The N-PowerAI family: sample size or power for a study design described in prose (MedAgentGym's npowerai)."""

from .family import NpoweraiFamily

__all__ = ["NpoweraiFamily"]
