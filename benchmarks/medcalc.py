"""MedCalc-Bench calculators: time per ``compute`` call, from a dict and from the files' string form.

Run: .venv/bin/python benchmarks/medcalc.py [--cases 200]
Draws seeded entities for each of the 55 calculators from its spec and reports the median microseconds per call
(over all calculators) and the slowest calculator, so a generator or grader can budget for them.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time

from _common import med, p95

from medgym_nb.medcalc import calculators, compute
from medgym_nb.medcalc.errors import MedcalcInputError
from medgym_nb.medcalc.sampling import sample_entities


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args()
    per_calculator: dict[str, float] = {}
    dict_times: list[float] = []
    string_times: list[float] = []
    for calc in calculators():
        rng = random.Random(calc.id)
        cases = [sample_entities(calc, rng) for _ in range(args.cases)]
        times = []
        for entities in cases:
            for form, bucket in ((entities, dict_times), (repr(entities), string_times)):
                t0 = time.perf_counter()
                with contextlib.suppress(MedcalcInputError):  # e.g. a delta ratio at a bicarbonate of 24
                    compute(calc.id, form)
                elapsed = (time.perf_counter() - t0) * 1e6
                bucket.append(elapsed)
                times.append(elapsed)
        per_calculator[calc.name] = med(times)
    slowest = max(per_calculator, key=per_calculator.__getitem__)
    print(f"calculators: {len(per_calculator)}, cases each: {args.cases}")
    print(f"dict form:   median {med(dict_times):7.1f} µs, p95 {p95(dict_times):7.1f} µs per call")
    print(f"string form: median {med(string_times):7.1f} µs, p95 {p95(string_times):7.1f} µs per call")
    print(f"slowest: {slowest} ({per_calculator[slowest]:.1f} µs median)")


if __name__ == "__main__":
    main()
