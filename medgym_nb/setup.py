"""``medgym setup``: everything installed families need before their episodes run, done once.

What a family needs is declared, not scripted: its built-in suites (their synthetic data), its kernel
environment (``KernelNeeds.environment``) and its own ``setup_steps`` (e.g. a service's packages). Each step is
idempotent and quick when already done, so running setup again costs little. ``data=False`` and
``environments=False`` leave the suites and kernel environments to be built on first use (the tests build them
into a private cache of their own).
"""

from __future__ import annotations

from functools import partial

from .family import SetupStep, TaskFamily, get_family, list_families
from .kernel.environments import ensure_environment
from .tasks.catalog import load_tasks

__all__ = ["setup_plan"]


def _family_steps(family: TaskFamily, *, data: bool, environments: bool) -> list[SetupStep]:
    steps = list(family.setup_steps())
    environment = family.kernel.environment
    if environment is not None and environments:
        steps.append(
            SetupStep(
                f"build the {environment.name} kernel environment", partial(ensure_environment, environment)
            )
        )
    if data:
        steps += [
            SetupStep(f"build the {source} suite", partial(load_tasks, source))
            for source in family.suite_sources
        ]
    return steps


def setup_plan(
    names: list[str] | None = None, *, data: bool = True, environments: bool = True
) -> list[tuple[str, SetupStep]]:
    """(family name, step) for every step the named families (all installed ones by default) need."""
    chosen = [get_family(n) for n in names] if names else list_families()
    return [
        (family.name, step)
        for family in chosen
        for step in _family_steps(family, data=data, environments=environments)
    ]
