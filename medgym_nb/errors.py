"""Our exception types: one class per failure mode, so callers never match on message strings.

Every class pickles with its fields (``__reduce__``), so errors cross process and Ray boundaries intact.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DeadKernelError",
    "EpisodeFinishedError",
    "GraderError",
    "KernelEnvironmentError",
    "KernelStartError",
    "MedgymError",
    "PowerQuestionError",
    "PredictionFileError",
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


class NoGeneratorError(MedgymError):
    """A source whose family cannot generate tasks at scale (``medgym tasks generate``)."""


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


class KernelEnvironmentError(MedgymError):
    """A family's kernel environment could not be built; ``package`` names the requirement at fault, if known."""

    def __init__(self, message: str, package: str | None = None) -> None:
        super().__init__(message, package)
        self.message, self.package = message, package

    def __str__(self) -> str:
        return self.message


class PredictionFileError(MedgymError):
    """A predictions file an episode wrote that cannot be scored; the message says what is wrong with it."""


class PowerQuestionError(MedgymError, ValueError):
    """A power-analysis question that cannot be answered: its wording does not give a parameter the design
    needs (the message names it), or the values it gives are outside the formulas' domain."""


class ServiceError(MedgymError):
    """A service a family's episodes use (an embedded server, or the user's own) could not start or did not answer."""
