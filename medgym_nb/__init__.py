"""medgym-nb: biomedical coding tasks for LLM agents, in per-episode Jupyter kernels, recorded as notebooks.

The public API fits on a page: tasks (``load_tasks``, ``Task``), task families (``TaskFamily``,
``register_family``), the environment (``Env``, ``AsyncEnv``, ``EnvConfig``), agents, the runner,
trajectories and grading. ``mg.medcalc`` (imported on first use) holds the MedCalc-Bench calculators,
``mg.npower`` the N-PowerAI power formulas and question parser, ``mg.runs`` a run as data frames
(``episodes``, ``turns``, ``cells``).
"""

from typing import TYPE_CHECKING

from . import npower
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
    MedcalcInputError,
    MedgymError,
    PowerQuestionError,
    PredictionFileError,
    SandboxUnavailableError,
    ServiceError,
    TaskFileError,
    TrajectoryError,
    UnknownFamilyError,
    UnknownSourceError,
    UnknownTaskError,
)
from .families import KernelNeeds, TaskFamily, families, get_family, register_family, unregister_family
from .grading import Answer, Grade, GradingContext, compare, grade_with_papermill
from .kernel import CellResult, KernelPool, KernelSession, OutputLimits, SandboxLimits
from .kernel.environments import KernelEnvironment
from .ray_backend import run_episodes_ray
from .runner import EpisodeResult, run_episodes, run_episodes_async
from .tasks import AnswerSpec, Task, get_task, list_sources, load_tasks
from .trajectory import Episode, Termination, read_episode

if TYPE_CHECKING:
    from . import medcalc, runs

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``mg.medcalc`` and ``mg.runs`` on first use, so importing medgym_nb builds no calculator registry and
    imports no pandas-heavy run reader."""
    if name in {"medcalc", "runs"}:
        import importlib

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
    "Grade",
    "GraderError",
    "GradingContext",
    "KernelEnvironment",
    "KernelEnvironmentError",
    "KernelNeeds",
    "KernelPool",
    "KernelSession",
    "KernelStartError",
    "MedcalcInputError",
    "MedgymError",
    "OracleAgent",
    "OutputLimits",
    "PowerQuestionError",
    "PredictionFileError",
    "ReplayAgent",
    "SandboxLimits",
    "SandboxUnavailableError",
    "ServiceError",
    "Task",
    "TaskFamily",
    "TaskFileError",
    "Termination",
    "TrajectoryError",
    "UnknownFamilyError",
    "UnknownSourceError",
    "UnknownTaskError",
    "compare",
    "families",
    "get_family",
    "get_task",
    "grade_with_papermill",
    "list_sources",
    "load_tasks",
    "medcalc",
    "npower",
    "read_episode",
    "register_family",
    "run_episodes",
    "run_episodes_async",
    "run_episodes_ray",
    "runs",
    "unregister_family",
]
