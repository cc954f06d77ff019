"""Resource limits of a sandboxed kernel, set per episode and recorded in its notebook."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SandboxLimits"]

_MIB = 1024 * 1024


class SandboxLimits(BaseModel):
    """Hard limits (rlimits, plus the size of the sandbox's ``/tmp``).

    Defaults leave room for pandas/numpy/matplotlib work on EHR-sized tables while stopping runaway code:
    ``memory_mb`` is the address-space limit per process (numpy reserves address space generously, so keep it
    well above the data actually used); ``processes`` bounds fork storms; ``cpu_seconds`` is CPU time per
    process over the kernel's whole life (a per-cell wall-clock timeout is separate). ``threads`` caps the
    BLAS/OpenMP thread pools (numpy, scipy, scikit-learn): episodes run side by side, so one each by default
    keeps concurrent kernels from oversubscribing the cores (a model fit slowed twentyfold under load without).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    memory_mb: int = Field(default=4096, ge=256)
    cpu_seconds: int = Field(default=3600, ge=10)
    processes: int = Field(default=256, ge=16)
    file_size_mb: int = Field(default=1024, ge=1)
    open_files: int = Field(default=1024, ge=64)
    tmp_size_mb: int = Field(default=256, ge=16)
    threads: int = Field(default=1, ge=1, le=256)

    def limit_values(self) -> dict[str, int]:
        """Each rlimit (soft = hard), keyed by its name less ``RLIMIT_`` in lower case (prlimit's flags)."""
        return {
            "as": self.memory_mb * _MIB,
            "cpu": self.cpu_seconds,
            "nproc": self.processes,
            "fsize": self.file_size_mb * _MIB,
            "nofile": self.open_files,
        }

    def thread_env(self) -> dict[str, str]:
        """Environment variables that cap the numeric libraries' thread pools at ``threads``."""
        value = str(self.threads)
        return {name: value for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}

    def prlimit_args(self) -> list[str]:
        """Arguments for util-linux ``prlimit``."""
        return [f"--{name}={value}" for name, value in self.limit_values().items()]

    def rlimits(self) -> dict[str, int]:
        """For ``resource.setrlimit``: ``{"RLIMIT_AS": ..., ...}``."""
        return {f"RLIMIT_{name.upper()}": value for name, value in self.limit_values().items()}
