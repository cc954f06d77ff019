"""Deterministic generators of synthetic, schema-faithful data; the only layer that knows table layouts."""

from .cache import cached_build, medgym_home

__all__ = ["cached_build", "medgym_home"]
