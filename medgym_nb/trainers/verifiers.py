"""verifiers adapter: medgym tasks as a ``verifiers.v1`` taskset, so ``vf-eval`` and prime-rl run them.

verifiers (0.4) splits an environment into a taskset (the rows), a harness (the agent loop that talks to the
model) and toolsets (MCP servers the harness calls tools on, one per rollout). Here the taskset's rows are
``select_tasks(source, split)``, each with the tool-call system prompt and the task as its prompt; each
rollout's toolset is a real sandboxed medgym episode (the TRL adapter's per-family tool environment) whose
MCP tools are exactly ``mg.tools(task)``, so every tool call the model makes is one ``env.step``; the
episode's reward and verdict travel back on the rollout's state, and the task's reward is that grade. The
default harness is verifiers' plain chat loop (``null``), so the model sees only the task's tools.

    vf-eval medgym-verifiers --env.taskset.source SOURCE --env.taskset.split test \\
        --model MODEL --client.base-url http://127.0.0.1:8000/v1

(``medgym-verifiers`` is the top-level module verifiers looks the taskset up by; it re-exports this one.)

The toolset runs as ``python -m medgym_nb.trainers.verifiers`` in verifiers' runtime; its settings
(``sandbox``, ``out_dir`` for the recorded notebooks) are ``--env.taskset.task.tools.*``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from typing import Any, cast

import verifiers.v1 as vf
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, TextContent, Tool
from verifiers.v1.harnesses.null import NullHarness

from ..prompt import system_prompt
from ..tasks import get_task, select_tasks
from ..tools import tools
from .trl import MedgymToolEnv, tool_env_class

__all__ = ["MedgymEnv", "MedgymEnvConfig", "MedgymHarness", "MedgymTask", "MedgymTaskset", "MedgymToolset"]


class MedgymState(vf.State):
    """What the rollout's toolset reports after each tool call: the grade so far and whether it is over."""

    reward: float = 0.0
    passed: bool = False
    done: bool = False


class MedgymToolsetConfig(vf.ToolsetConfig):
    sandbox: str | None = None
    """The episode kernels' sandbox (``bwrap``, ``zygote``, ``docker``, ``local``; None: the default)."""
    out_dir: str | None = None
    """Where each rollout's episode is recorded as a notebook (None: not recorded)."""


class MedgymData(vf.TaskData):
    task_id: str
    source: str
    task_file: str | None = None


class MedgymTaskConfig(vf.TaskConfig):
    tools: MedgymToolsetConfig = MedgymToolsetConfig()


class MedgymToolset(vf.Toolset[MedgymToolsetConfig, MedgymState]):
    """One rollout's episode: its tools are the task's (advertised bare, as ``mg.tools`` names them)."""

    TOOL_PREFIX = None

    def __init__(self, config: MedgymToolsetConfig) -> None:
        super().__init__(config)
        self._env: MedgymToolEnv | None = None
        self._tools: list[dict[str, Any]] = []

    async def setup_task(self, task: MedgymData) -> None:
        """Start the episode in a fresh kernel; ended and recorded when the rollout stops the server."""
        options = {k: v for k, v in self.config.model_dump().items() if k in ("sandbox", "out_dir") and v}
        family = get_task(task.task_id, source=task.source, path=task.task_file).family
        env = tool_env_class(family)(agent="verifiers", **options)
        self._exit_stack.callback(env.__exit__)
        self._exit_stack.callback(env.get_reward)  # ends (and records) an unfinished episode first
        await asyncio.to_thread(env.reset, task.task_id, task.source, task.task_file)
        self._env = env
        self._tools = tools(family)

    def register(self, mcp: MCPServer) -> None:
        # The schemas are the task's own (mg.tools), not ones derived from Python signatures.
        server = cast(Any, mcp)
        server.list_tools = self._with_state(self.list_tools)
        server.call_tool = self._with_state(self.call_tool)

    async def list_tools(self) -> list[Tool]:
        return [
            Tool(
                name=t["function"]["name"],
                description=t["function"]["description"],
                input_schema=t["function"]["parameters"],
            )
            for t in self._tools
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> CallToolResult:
        """One ``env.step``: the environment's answer is the tool result; the grade goes on the state."""
        env = self._env
        if env is None or name not in {t["function"]["name"] for t in self._tools}:
            return CallToolResult(
                content=[TextContent(type="text", text=f"Error: no tool {name!r}")], is_error=True
            )
        text = await asyncio.to_thread(getattr(env, name), **(arguments or {}))
        self.state.reward, self.state.passed, self.state.done = env.reward, env.passed, env.done
        return CallToolResult(content=[TextContent(type="text", text=text)])


class MedgymTask(vf.Task[MedgymData, MedgymState, MedgymTaskConfig]):
    """A medgym task: its episode runs in the rollout's toolset; its reward is the episode's grade."""

    @property
    def key(self) -> str:
        return f"{self.data.source}/{self.data.task_id}"

    @classmethod
    def toolsets(cls, config: MedgymTaskConfig) -> list[vf.Toolset]:
        return [MedgymToolset(config.tools)]

    @vf.reward
    async def grade(self, trace: vf.Trace) -> float:
        """The episode's reward: the grade of its answer (1 for a pass, a scored task's score), 0 without one."""
        return cast(MedgymState, trace.state).reward

    @vf.metric
    async def passed(self, trace: vf.Trace) -> float:
        return float(cast(MedgymState, trace.state).passed)

    @vf.stop
    async def episode_over(self, trace: vf.Trace) -> bool:
        """No more turns once the episode has ended (answer graded, or a limit reached)."""
        return cast(MedgymState, trace.state).done


class MedgymTasksetConfig(vf.TasksetConfig):
    source: str = "all"
    """A source, a comma-separated list of them, or ``all``."""
    split: str | None = "test"
    path: str | None = None
    """A task file instead of the built-in suites."""
    limit: int = 0
    """At most this many tasks per source, spread over its categories (0: all)."""
    task: MedgymTaskConfig = MedgymTaskConfig()


class MedgymTaskset(vf.Taskset[MedgymTask, MedgymTasksetConfig]):
    def load(self) -> Iterator[MedgymTask]:
        config = self.config
        for task in select_tasks(config.source, config.split, path=config.path, limit=config.limit):
            yield MedgymTask(
                MedgymData(
                    id=task.id,
                    name=task.id,
                    prompt=task.prompt(),
                    system_prompt=system_prompt(task, tool_calls=True),
                    task_id=task.id,
                    source=task.source,
                    task_file=config.path,
                ),
                config.task,
            )


class MedgymHarness(NullHarness):
    """verifiers' plain chat loop: the model's only tools are the task's (no bash on the host)."""


class MedgymEnvConfig(vf.SingleAgentEnvConfig):
    # The harness only chats and calls the task's tools (code runs in the episode's sandboxed kernel), so it
    # runs on this machine rather than in verifiers' default remote sandbox.
    agent: vf.AgentConfig = vf.AgentConfig(runtime=vf.SubprocessConfig())


class MedgymEnv(vf.Env[MedgymEnvConfig]):
    """One agent on one medgym task per episode, its chat loop local (``--env.agent.runtime.*`` overrides)."""

    async def run(self, task: vf.Task, agents: vf.Agents) -> None:
        await agents.agent.run(task)


if __name__ == "__main__":
    # verifiers points TMPDIR into its runtime's deep work directory; the kernels' IPC sockets live under the
    # temp dir and a Unix socket path must stay under 108 bytes, so the episode uses the system's (and
    # removes what it puts there itself).
    os.environ.pop("TMPDIR", None)
    tempfile.tempdir = None
    MedgymToolset.run()
