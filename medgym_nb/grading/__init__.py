"""Typed comparators and papermill-run grader notebooks; the only layer that runs papermill."""

from .answers import Answer, parse_printed
from .comparators import GRADE_MIME, Grade, compare
from .context import GradingContext
from .notebook import grade_with_papermill, read_grade
from .sandboxed import SandboxRun, run_sandboxed

__all__ = [
    "GRADE_MIME",
    "Answer",
    "Grade",
    "GradingContext",
    "SandboxRun",
    "compare",
    "grade_with_papermill",
    "parse_printed",
    "read_grade",
    "run_sandboxed",
]
