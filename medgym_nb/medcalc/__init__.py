"""The 55 MedCalc-Bench calculators as a library: ``compute(calculator, entities)`` gives the official answer.

``calculator`` is the official ``Calculator ID`` or ``Calculator Name``; ``entities`` the official ``Relevant
Entities`` (a dict, or its string form from the files). ``calculators()`` lists them with their inputs and units,
``limits()`` gives the answer range the official file accepts. Each formula is implemented from its published
definition (the source is in its docstring); where MedCalc-Bench's labels or reference code depart from it, the
departure is listed in :mod:`medgym_nb.medcalc.known_errors`.
"""

from .api import calculators, compute, get_calculator, limits
from .errors import MedcalcInputError
from .spec import Calculator, Input

__all__ = ["Calculator", "Input", "MedcalcInputError", "calculators", "compute", "get_calculator", "limits"]
