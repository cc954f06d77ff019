"""Task families: one plug-in per kind of problem (see ``base.TaskFamily``), found through the registry."""

from ..tasks.model import OfficialRow
from .base import InfoRequestError, KernelNeeds, SetupStep, TaskFamily
from .registry import (
    ENTRY_POINT_GROUP,
    family_for_source,
    get_family,
    list_families,
    register_family,
    unregister_family,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "InfoRequestError",
    "KernelNeeds",
    "OfficialRow",
    "SetupStep",
    "TaskFamily",
    "family_for_source",
    "get_family",
    "list_families",
    "register_family",
    "unregister_family",
]
