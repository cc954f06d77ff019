"""The N-PowerAI library's own error."""

from __future__ import annotations

from ..errors import MedgymError

__all__ = ["PowerQuestionError"]


class PowerQuestionError(MedgymError, ValueError):
    """A power-analysis question that cannot be answered: its wording does not give a parameter the design
    needs (the message names it), or the values it gives are outside the formulas' domain."""
