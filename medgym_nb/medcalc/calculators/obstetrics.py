"""Pregnancy dating from the last menstrual period: due date (Naegele), conception date, gestational age."""

from __future__ import annotations

import datetime as dt

from ..entities import Entities
from ..registry import register
from ..spec import Calculator, Input

__all__: list[str] = []

DATE_FORMAT = "%m/%d/%Y"
LAST_PERIOD = Input(
    key="Last menstrual date",
    label="first day of the last menstrual period",
    kind="date",
    code_key="menstrual_date",
)
CYCLE_LENGTH = Input(
    key="cycle length",
    label="menstrual cycle length",
    kind="duration",
    unit="days",
    units=("days",),
    low=21,
    high=35,
    required=False,
    default=28.0,
    code_key="cycle_length",
)
CURRENT_DATE = Input(key="Current Date", label="today's date", kind="date", code_key="current_date")


@register(
    Calculator(
        id=13,
        name="Estimated Due Date",
        inputs=(LAST_PERIOD, CYCLE_LENGTH),
        answer="date",
        tolerance="exact",
        question=(
            "Using Naegele's Rule for estimated due date based on the last menstrual period and cycle length, what "
            "is the the patient's estimated due date? Your response should be in the format of M/D/Y (ie 08/31/2023, "
            "07/03/2000) with just the date and not other text. "
        ),
    )
)
def due_date(ents: Entities) -> str:
    """Naegele's rule with the cycle-length adjustment: LMP + 280 days + (cycle length − 28) days."""
    shift = 280 + ents.days("cycle length") - 28
    return (ents.date("Last menstrual date") + dt.timedelta(days=shift)).strftime(DATE_FORMAT)


@register(
    Calculator(
        id=68,
        name="Estimated of Conception",
        inputs=(LAST_PERIOD, CYCLE_LENGTH),
        answer="date",
        tolerance="exact",
        question=(
            "Using the patient's last menstrual period, what is the patient's estimated date of conception? Your "
            "response should be in the format of M/D/Y (ie 08/31/2023, 07/03/2000) with just the date and not "
            "other text."
        ),
    )
)
def conception_date(ents: Entities) -> str:
    """Conception about two weeks after the LMP (LMP + 14 days, as MDCalc's pregnancy dating states it).

    The cycle length is accepted (the files give it) but, as in MDCalc and MedCalc-Bench, not used.
    """
    return (ents.date("Last menstrual date") + dt.timedelta(weeks=2)).strftime(DATE_FORMAT)


@register(
    Calculator(
        id=69,
        name="Estimated Gestational Age",
        inputs=(CURRENT_DATE, LAST_PERIOD),
        answer="weeks_days",
        tolerance="exact",
        question=(
            "Based on the patient's last menstrual period and today's date, what is the patient's estimated "
            "gestational age? Your response should be a tuple containing the number of weeks and the number of "
            "days, e.g. ('4 weeks', '2 days')."
        ),
    )
)
def gestational_age(ents: Entities) -> tuple[str, str]:
    """Gestational age = days since the LMP, as completed weeks and remaining days (ACOG Committee Opinion 700)."""
    days = abs((ents.date("Current Date") - ents.date("Last menstrual date")).days)
    return f"{days // 7} weeks", f"{days % 7} days"
