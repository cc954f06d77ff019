"""The only layer that speaks the Jupyter protocol: sessions, provisioners (sandboxes), the pool."""

from .limits import SandboxLimits
from .outputs import OutputLimits
from .pool import KernelLease, KernelPool
from .session import CellResult, ExecutionError, KernelSession

__all__ = [
    "CellResult",
    "ExecutionError",
    "KernelLease",
    "KernelPool",
    "KernelSession",
    "OutputLimits",
    "SandboxLimits",
]
