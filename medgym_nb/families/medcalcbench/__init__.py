"""The MedCalc-Bench family: read a patient note and compute a clinical score, measurement or date."""

from .family import MedcalcbenchFamily

__all__ = ["MedcalcbenchFamily"]
