"""The EHRSQL family: question answering over an EHR database (MedAgentGym's mimic_iii, eicu, treqs sources)."""

from .family import EhrsqlFamily

__all__ = ["EhrsqlFamily"]
