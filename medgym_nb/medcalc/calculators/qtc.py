"""Corrected QT interval by the five formulas MedCalc-Bench asks for; RR = 60 / heart rate in seconds."""

from __future__ import annotations

from ..common import HEART_RATE, QT
from ..entities import Entities
from ..registry import register
from ..spec import Calculator

__all__: list[str] = []


def _calculator(id: int, name: str, formula: str) -> Calculator:
    return Calculator(
        id=id,
        name=name,
        inputs=(HEART_RATE, QT),
        answer="number",
        tolerance="relative_5pct",
        question=(
            f"Using the {formula} Formula for corrected QT interval, what is the patient's corrected QT interval "
            "in terms of msec?"
        ),
    )


def _rr_and_qt(ents: Entities) -> tuple[float, float, float]:
    heart_rate = ents.number("Heart Rate or Pulse")
    return heart_rate, 60 / heart_rate, ents.number("QT interval")


@register(_calculator(11, "QTc Bazett Calculator", "Bazett"))
def bazett(ents: Entities) -> float:
    """Bazett HC. Heart 1920;7:353: QTc = QT / √RR."""
    _, rr, qt = _rr_and_qt(ents)
    return qt / rr**0.5


@register(_calculator(56, "QTc Fridericia Calculator", "Fridericia"))
def fridericia(ents: Entities) -> float:
    """Fridericia LS. Acta Med Scand 1920;53:469: QTc = QT / RR^(1/3)."""
    _, rr, qt = _rr_and_qt(ents)
    return qt / rr ** (1 / 3)


@register(_calculator(57, "QTc Framingham Calculator", "Framingham"))
def framingham(ents: Entities) -> float:
    """Sagie A et al. Am J Cardiol 1992;70:797: QTc = QT + 154 × (1 − RR)."""
    _, rr, qt = _rr_and_qt(ents)
    return qt + 154 * (1 - rr)


@register(_calculator(58, "QTc Hodges Calculator", "Hodges"))
def hodges(ents: Entities) -> float:
    """Hodges M et al. J Am Coll Cardiol 1983;1:694: QTc = QT + 1.75 × (heart rate − 60)."""
    heart_rate, _, qt = _rr_and_qt(ents)
    return qt + 1.75 * (heart_rate - 60)


@register(_calculator(59, "QTc Rautaharju Calculator", "Rautaharju"))
def rautaharju(ents: Entities) -> float:
    """Rautaharju PM et al. Can J Cardiol 1993;9:1021: QTc = QT × (120 + heart rate) / 180."""
    heart_rate, _, qt = _rr_and_qt(ents)
    return qt * (120 + heart_rate) / 180
