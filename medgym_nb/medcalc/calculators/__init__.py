"""The 55 calculators, grouped by clinical domain; importing this package registers them all."""

from . import body, cardiology, electrolytes, qtc, renal, thrombosis

__all__ = ["body", "cardiology", "electrolytes", "qtc", "renal", "thrombosis"]
