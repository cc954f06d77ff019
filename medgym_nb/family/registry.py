"""The family registry, in the manner of papermill's engines and jupyter_client's provisioners: plug-ins from
the ``medgym_nb.families`` entry point and ``register_family`` at run time. Built-in families come in through
the same entry point as any other.

Entry points load lazily: ``get_family(name)`` loads only the entry point of that name (as jupyter_client
loads only the provisioner a kernelspec names); listing families, or finding a source's owner, loads them all.
A lookup that misses reads the entry points again, so a plug-in installed while a process runs (a notebook, a
long-lived worker) is found without a restart.
"""

from __future__ import annotations

import difflib
import threading
from importlib.metadata import EntryPoint, entry_points

from pydantic import BaseModel

from ..errors import MedgymError, UnknownFamilyError, UnknownSourceError
from ..tasks.model import use_payload_models
from .base import TaskFamily

__all__ = [
    "ENTRY_POINT_GROUP",
    "family_for_source",
    "get_family",
    "list_families",
    "register_family",
    "unregister_family",
]

ENTRY_POINT_GROUP = "medgym_nb.families"

_families: dict[str, TaskFamily] = {}
_loaded: dict[str, str] = {}  # entry point already read ("name = value") -> the family it gave
_lock = threading.RLock()


def _instance(family: TaskFamily | type[TaskFamily]) -> TaskFamily:
    instance = family() if isinstance(family, type) else family
    if not isinstance(instance, TaskFamily) or not getattr(instance, "name", None):
        raise MedgymError(f"{family!r} is not a TaskFamily with a name")
    return instance


def register_family(family: TaskFamily | type[TaskFamily], *, replace: bool = False) -> TaskFamily:
    """Add a family (an instance or a class); a second family with the same name or source is an error
    unless ``replace``."""
    instance = _instance(family)
    with _lock:
        _load_entry_points()
        _add(instance, replace=replace)
    return instance


def _add(instance: TaskFamily, *, replace: bool) -> None:
    old = _families.get(instance.name)
    if old is not None and not replace and type(old) is not type(instance):
        raise MedgymError(
            f"a task family named {instance.name!r} is already registered ({type(old).__name__})"
        )
    for other in _families.values():
        clash = set(other.sources) & set(instance.sources)
        if other.name != instance.name and clash and not replace:
            raise MedgymError(
                f"family {instance.name!r} claims source(s) {', '.join(sorted(clash))} of family {other.name!r}"
            )
    _families[instance.name] = instance


def unregister_family(name: str) -> None:
    """Remove a family (tests and notebooks that registered one at run time clean up with this)."""
    with _lock:
        _families.pop(name, None)
        for key in [k for k, family in _loaded.items() if family == name]:
            del _loaded[key]  # an entry point's family may be found again


def _load(ep: EntryPoint) -> None:
    """Register the family of one entry point, unless it was read already."""
    key = f"{ep.name} = {ep.value}"
    if key in _loaded:
        return
    try:
        instance = _instance(ep.load())
    except Exception as exc:
        raise MedgymError(f"the task family plug-in {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
    _loaded[key] = instance.name
    if instance.name not in _families:
        _add(instance, replace=False)


_all_read = False


def _load_entry_points(again: bool = False) -> None:
    """Register every entry point not read yet (once; new ones too when ``again``)."""
    global _all_read
    if _all_read and not again:
        return
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _load(ep)
    _all_read = True


def list_families() -> list[TaskFamily]:
    """Every registered family, by name."""
    with _lock:
        _load_entry_points()
        return [_families[name] for name in sorted(_families)]


def get_family(name: str) -> TaskFamily:
    """The family called ``name``, loading its entry point only; ``UnknownFamilyError`` with a suggestion."""
    with _lock:
        if name not in _families:
            for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
                _load(ep)
        if name not in _families:  # registered under another entry point name, or installed since
            _load_entry_points(again=True)
        found = _families.get(name)
    if found is None:
        known = sorted(_families)
        hint = difflib.get_close_matches(name, known, n=1)
        maybe = f" Did you mean {hint[0]!r}?" if hint else ""
        raise UnknownFamilyError(
            f"no task family {name!r} is installed.{maybe} Installed: {', '.join(known) or 'none'}; a family "
            f"is a plug-in under the {ENTRY_POINT_GROUP!r} entry point"
        )
    return found


def family_for_source(source: str) -> TaskFamily:
    """The family that owns ``source``; ``UnknownSourceError`` with a suggestion otherwise."""
    owners = [f for f in list_families() if source in f.sources]
    if not owners:
        with _lock:
            _load_entry_points(again=True)
        owners = [f for f in list_families() if source in f.sources]
    if owners:
        return owners[0]
    known = sorted({s for f in list_families() for s in f.sources})
    hint = difflib.get_close_matches(source, known, n=1)
    maybe = f" Did you mean {hint[0]!r}?" if hint else ""
    raise UnknownSourceError(f"unknown task source {source!r}.{maybe} Known: {', '.join(known)}")


def _payload_model(family: str) -> type[BaseModel] | None:
    return get_family(family).payload_model


use_payload_models(_payload_model)
