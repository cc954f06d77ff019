"""Connect one episode's kernel to its family's service: open the episode's tenant, start the relay in the
kernel, and say where the agent finds it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ..config import EnvConfig
from ..errors import MedgymError
from ..family.base import TaskFamily
from ..kernel.session import KernelSession
from ..tasks.model import Task
from .base import ServiceTenant, relay_code

__all__ = ["open_episode_service"]


async def open_episode_service(
    family: TaskFamily, task: Task, kernel: KernelSession, workdir: Path, config: EnvConfig
) -> tuple[ServiceTenant, str]:
    """The tenant (the caller owns it and closes it) and what the agent is told of it: where to find the URL,
    not the URL itself, whose port differs from episode to episode (a seeded reset shows the same text)."""
    url = config.service_urls.get(family.service_name)
    tenant = await asyncio.to_thread(family.open_service, task, workdir, url)
    try:
        code, expression = relay_code(tenant)
        ok, value = await kernel.run_hidden(code, expression, timeout=config.cell_timeout)
        if not ok:
            raise MedgymError(f"could not connect the episode's kernel to its service: {value}")
    except BaseException:
        await asyncio.to_thread(tenant.close)
        raise
    return tenant, (
        f"\n\nThe {tenant.label} of this episode is reachable from your code at the URL in the environment "
        f"variable {tenant.env_var}."
    )
