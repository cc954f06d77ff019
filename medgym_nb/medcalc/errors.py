"""The MedCalc error type: it lives with the calculators, not in the core error module, which names no family."""

from __future__ import annotations

from ..errors import MedgymError

__all__ = ["MedcalcInputError"]


class MedcalcInputError(MedgymError):
    """Entities a MedCalc-Bench calculator cannot use: malformed, missing, or in a unit it does not know.

    The message names the calculator, the entity key and what would have been accepted.
    """
