"""Our exception types: one class per failure mode, so callers never match on message strings.

Every class pickles with its fields (``__reduce__``), so errors cross process and Ray boundaries intact.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DeadKernelError",
    "EpisodeFinishedError",
    "GraderError",
    "KernelStartError",
    "MedgymError",
    "SandboxUnavailableError",
    "ServiceError",
    "TaskFileError",
    "TrajectoryError",
    "UnknownFamilyError",
    "UnknownSourceError",
    "UnknownTaskError",
]


class MedgymError(Exception):
    """Base of every error medgym-nb raises on purpose; the CLI turns these into one line and exit 2."""

    def __reduce__(self):  # type: ignore[override]
        return (self.__class__, self.args)


class UnknownSourceError(MedgymError):
    """A task source name that no suite or importer knows."""


class UnknownFamilyError(MedgymError):
    """A task family that no installed plug-in provides."""


class ConfigError(MedgymError):
    """An environment setting with a wrong name or value; the message names the setting."""


class UnknownTaskError(MedgymError):
    """A task id that the catalog does not contain."""


class TaskFileError(MedgymError):
    """A task file that is missing, unreadable or malformed; the message names the file and the line."""


class KernelStartError(MedgymError):
    """A kernel that could not be started or never became ready."""


class DeadKernelError(MedgymError):
    """The kernel process died while we were talking to it."""


class GraderError(MedgymError):
    """The grader itself failed: an infrastructure fault, never an agent failure (never scored as 0)."""


class TrajectoryError(MedgymError):
    """A notebook that is not a readable medgym trajectory."""


class EpisodeFinishedError(MedgymError):
    """``step`` was called on an episode that has already terminated or been truncated; call ``reset``."""


class SandboxUnavailableError(MedgymError):
    """The sandbox that was asked for cannot run on this machine; the message says how to get it."""


class ServiceError(MedgymError):
    """A service a family's episodes use (e.g. the embedded FHIR server) could not start or did not answer."""
