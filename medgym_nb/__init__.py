"""medgym-nb: biomedical coding tasks for LLM agents, in per-episode Jupyter kernels, recorded as notebooks.

The public API fits on a page: tasks (``load_tasks``, ``Task``), task families (``TaskFamily``,
``register_family``), the environment (``Env``, ``AsyncEnv``, ``EnvConfig``), agents, the runner,
trajectories and grading. The package's libraries (``mg.<name>`` for a subpackage of ``medgym_nb``) are
imported on first use, so importing ``medgym_nb`` loads no family and no benchmark library.
"""

import importlib
import importlib.util

from .agents import Agent, OracleAgent, ReplayAgent
from .config import EnvConfig
from .env import AsyncEnv, Env
from .errors import (
    ConfigError,
    DeadKernelError,
    EpisodeFinishedError,
    GraderError,
    KernelEnvironmentError,
    KernelStartError,
    MedgymError,
    SandboxUnavailableError,
    ServiceError,
    TaskFileError,
    TrajectoryError,
    UnknownFamilyError,
    UnknownSourceError,
    UnknownTaskError,
)
from .family import KernelNeeds, TaskFamily, get_family, list_families, register_family, unregister_family
from .family.check import FamilyReport, check_family
from .grading import Answer, Grade, GradingContext, compare, grade_with_papermill
from .kernel import CellResult, KernelPool, KernelSession, OutputLimits, SandboxLimits
from .kernel.environments import KernelEnvironment
from .ray_backend import run_episodes_ray
from .runner import EpisodeResult, run_episodes, run_episodes_async
from .tasks import AnswerSpec, Exclusion, Task, TaskSet, get_task, list_sources, load_task_set, load_tasks
from .tools import tools  # mg.tools is the function; the module is medgym_nb.tools
from .trajectory import Episode, Termination, read_episode

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """A library of the package (``mg.<subpackage>``) on first use."""
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Agent",
    "Answer",
    "AnswerSpec",
    "AsyncEnv",
    "CellResult",
    "ConfigError",
    "DeadKernelError",
    "Env",
    "EnvConfig",
    "Episode",
    "EpisodeFinishedError",
    "EpisodeResult",
    "Exclusion",
    "FamilyReport",
    "Grade",
    "GraderError",
    "GradingContext",
    "KernelEnvironment",
    "KernelEnvironmentError",
    "KernelNeeds",
    "KernelPool",
    "KernelSession",
    "KernelStartError",
    "MedgymError",
    "OracleAgent",
    "OutputLimits",
    "ReplayAgent",
    "SandboxLimits",
    "SandboxUnavailableError",
    "ServiceError",
    "Task",
    "TaskFamily",
    "TaskFileError",
    "TaskSet",
    "Termination",
    "TrajectoryError",
    "UnknownFamilyError",
    "UnknownSourceError",
    "UnknownTaskError",
    "check_family",
    "compare",
    "get_family",
    "get_task",
    "grade_with_papermill",
    "list_families",
    "list_sources",
    "load_task_set",
    "load_tasks",
    "read_episode",
    "register_family",
    "run_episodes",
    "run_episodes_async",
    "run_episodes_ray",
    "runs",
    "tools",
    "unregister_family",
]
