"""The prediction family's own error."""

from __future__ import annotations

from medgym_nb.errors import MedgymError

__all__ = ["PredictionFileError"]


class PredictionFileError(MedgymError):
    """A predictions file an episode wrote that cannot be scored; the message says what is wrong with it."""
