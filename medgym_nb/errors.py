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
    "SandboxUnavailableError",
    "ServerDrainingError",
    "ServiceError",
    "SessionCapacityError",
    "SessionError",
    "SessionGoneError",
    "SessionNotFoundError",
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


class ServiceError(MedgymError):
    """A service a family's episodes use (an embedded server, or the user's own) could not start or did not answer."""


class SessionError(MedgymError):
    """A request to ``medgym serve`` about a session that cannot be served; subclasses say why."""


class SessionNotFoundError(SessionError):
    """No session has this id on the server (HTTP 404): open one with ``POST /sessions``."""


class SessionGoneError(SessionError):
    """The session was closed, reaped after idling or drained at shutdown (HTTP 410); open a new one."""


class SessionCapacityError(SessionError):
    """The server holds as many sessions as it may (HTTP 429); retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, retry_after)
        self.message, self.retry_after = message, retry_after

    def __str__(self) -> str:
        return self.message


class ServerDrainingError(SessionError):
    """The server is shutting down (HTTP 503): it finishes what runs and opens nothing new."""
