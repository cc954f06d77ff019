"""Parametrisations whose whole matrix runs in ``make test-all``: the default set keeps a few representative
values (a SQL source, a code source with its own kernel environment, a service-backed or prediction source)
and marks the rest ``slow``, so every capability keeps an end-to-end test in ``make test``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest


def slow_except(values: Iterable[Any], keep: Iterable[Any]) -> list[Any]:
    """``values`` as pytest params: those in ``keep`` as they are, the others marked ``slow`` (a tuple is the
    values of several argument names)."""
    values, kept = list(values), set(keep)
    missing = kept.difference(values)
    if missing:
        raise ValueError(f"kept values {sorted(map(str, missing))} are not among the parameters")
    return [
        v if v in kept else pytest.param(*(v if isinstance(v, tuple) else (v,)), marks=pytest.mark.slow)
        for v in values
    ]
