"""The 55 calculators, grouped by clinical domain; importing this package registers them all."""

from . import (
    body,
    cardiology,
    comorbidity,
    critical,
    drugs,
    electrolytes,
    hepatology,
    infection,
    obstetrics,
    qtc,
    renal,
    thrombosis,
)

__all__ = [
    "body",
    "cardiology",
    "comorbidity",
    "critical",
    "drugs",
    "electrolytes",
    "hepatology",
    "infection",
    "obstetrics",
    "qtc",
    "renal",
    "thrombosis",
]
