"""The only layer that speaks the Jupyter protocol."""

from .outputs import OutputLimits
from .session import CellResult, ExecutionError, KernelSession

__all__ = ["CellResult", "ExecutionError", "KernelSession", "OutputLimits"]
