"""medgym-nb: biomedical coding tasks for LLM agents, in per-episode Jupyter kernels, recorded as notebooks.

The public API fits on a page: tasks (``load_tasks``, ``Task``), the environment (``Env``, ``AsyncEnv``),
agents, the runner, trajectories and grading.
"""

from .agents import Agent, OracleAgent, ReplayAgent
from .env import AsyncEnv, Env
from .errors import (
    DeadKernelError,
    EpisodeFinishedError,
    GraderError,
    KernelStartError,
    MedgymError,
    SandboxUnavailableError,
    TaskFileError,
    TrajectoryError,
    UnknownSourceError,
    UnknownTaskError,
)
from .grading import Answer, Grade, compare, grade_with_papermill
from .kernel import CellResult, KernelPool, KernelSession, OutputLimits, SandboxLimits
from .ray_backend import run_episodes_ray
from .runner import EpisodeResult, run_episodes, run_episodes_async
from .tasks import AnswerSpec, Task, get_task, list_sources, load_tasks
from .trajectory import Episode, read_episode

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "Answer",
    "AnswerSpec",
    "AsyncEnv",
    "CellResult",
    "DeadKernelError",
    "Env",
    "Episode",
    "EpisodeFinishedError",
    "EpisodeResult",
    "Grade",
    "GraderError",
    "KernelPool",
    "KernelSession",
    "KernelStartError",
    "MedgymError",
    "OracleAgent",
    "OutputLimits",
    "ReplayAgent",
    "SandboxLimits",
    "SandboxUnavailableError",
    "Task",
    "TaskFileError",
    "TrajectoryError",
    "UnknownSourceError",
    "UnknownTaskError",
    "compare",
    "get_task",
    "grade_with_papermill",
    "list_sources",
    "load_tasks",
    "read_episode",
    "run_episodes",
    "run_episodes_async",
    "run_episodes_ray",
]
