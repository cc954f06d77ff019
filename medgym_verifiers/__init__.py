"""The medgym taskset under a top-level name, as verifiers looks environments up (``vf-eval medgym-verifiers``:
taskset ids are importable top-level modules exporting their Taskset, Harness and Env via ``__all__``)."""

from medgym_nb.trainers.verifiers import MedgymEnv, MedgymHarness, MedgymTaskset

__all__ = ["MedgymEnv", "MedgymHarness", "MedgymTaskset"]
