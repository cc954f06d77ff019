"""Sample size and power for the six N-PowerAI designs, from scipy's noncentral distributions.

This module imports only ``math`` and ``scipy.stats``: the oracle ships its source into the episode's kernel
as a cell, so the answer is computed there by the very code the host uses for ground truth.

Each design has one function: give ``power`` to get the smallest sample size that reaches it (an integer,
the size counted as the docstring says), or ``n`` to get the power. Sizes come from an integer search on the
exact power, so "rounded up" needs no floating-point ``ceil``. Values outside a formula's domain (no effect,
a power not in (alpha, 1)) raise ``ValueError``.
"""

import math
from collections.abc import Callable

from scipy import stats

__all__ = [
    "anova_oneway",
    "chisq_independence",
    "cohens_d",
    "cohens_f",
    "cohens_w",
    "cox_ph",
    "one_sample_t",
    "paired_t",
    "two_sample_t",
]

_MAX_N = 10**8


def _check(alpha: float, sides: int, power: float | None, n: float | None) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if sides not in (1, 2):
        raise ValueError(f"sides must be 1 or 2, got {sides}")
    if (power is None) == (n is None):
        raise ValueError("give exactly one of power (to solve for n) and n (to compute the power)")
    if power is not None and not alpha / sides < power < 1:
        raise ValueError(f"power must be in ({alpha / sides}, 1), got {power}")
    if n is not None and n <= 0:
        raise ValueError(f"n must be positive, got {n}")


def _smallest_n(power_at: Callable[[float], float], target: float, start: int) -> int:
    """The smallest integer n >= start with power_at(n) >= target (power rises with n)."""
    if power_at(start) >= target:
        return start
    low, high = start, start * 2
    while power_at(high) < target:
        low, high = high, high * 2
        if high > _MAX_N:
            raise ValueError(f"no sample size up to {_MAX_N} reaches power {target}: the effect is too small")
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if power_at(mid) >= target else (mid, high)
    return high


def _t_power(nc: float, df: float, alpha: float, sides: int) -> float:
    """Power of a t test with noncentrality ``nc`` (the test is in the effect's direction when one-sided)."""
    nc = abs(nc)
    if sides == 1:
        return float(stats.nct.sf(stats.t.isf(alpha, df), df, nc))
    crit = stats.t.isf(alpha / 2, df)
    # the far tail as sf at -nc: scipy's nct.cdf returns nan deep in its lower tail
    return float(stats.nct.sf(crit, df, nc) + stats.nct.sf(crit, df, -nc))


def _solve(
    power_at: Callable[[float], float], power: float | None, n: float | None, start: int
) -> int | float:
    if power is not None:
        return _smallest_n(power_at, power, start)
    assert n is not None
    return power_at(n)


def _effect(value: float, name: str) -> float:
    if not math.isfinite(value) or value == 0:
        raise ValueError(f"the {name} must be a finite non-zero number, got {value}")
    return abs(value)


def cohens_d(difference: float, *sds: float) -> float:
    """A difference in means over an SD: the root mean square of ``sds`` (the pooled SD of equal groups)."""
    if not sds or min(sds) <= 0:
        raise ValueError("Cohen's d needs at least one positive standard deviation")
    return difference / math.sqrt(sum(s * s for s in sds) / len(sds))


def one_sample_t(
    d: float, *, n: float | None = None, power: float | None = None, alpha: float = 0.05, sides: int = 2
) -> int | float:
    """One-sample t test of a mean against a reference value; ``d`` = (mean − reference) / SD; n subjects."""
    _check(alpha, sides, power, n)
    d = _effect(d, "effect size d")
    return _solve(lambda m: _t_power(d * math.sqrt(m), m - 1, alpha, sides), power, n, 2)


def paired_t(
    d: float, *, n: float | None = None, power: float | None = None, alpha: float = 0.05, sides: int = 2
) -> int | float:
    """Paired t test: a one-sample test on the differences; ``d`` = mean difference / SD of the differences;
    n pairs."""
    return one_sample_t(d, n=n, power=power, alpha=alpha, sides=sides)


def two_sample_t(
    d: float, *, n: float | None = None, power: float | None = None, alpha: float = 0.05, sides: int = 2
) -> int | float:
    """Two independent samples of equal size, pooled-variance t test; ``d`` = difference / pooled SD (the root
    mean square of the two SDs when they differ); n per group."""
    _check(alpha, sides, power, n)
    d = _effect(d, "effect size d")
    return _solve(lambda m: _t_power(d * math.sqrt(m / 2), 2 * m - 2, alpha, sides), power, n, 2)


def cohens_f(means: list[float], sd: float) -> float:
    """Cohen's f of equal-sized groups: the standard deviation of the group means (with the n − 1 divisor,
    the convention of the official N-PowerAI answers) over the common within-group SD."""
    if len(means) < 2 or sd <= 0:
        raise ValueError("Cohen's f needs at least two group means and a positive SD")
    centre = sum(means) / len(means)
    return math.sqrt(sum((m - centre) ** 2 for m in means) / (len(means) - 1)) / sd


def anova_oneway(
    f: float, groups: int, *, n: float | None = None, power: float | None = None, alpha: float = 0.05
) -> int | float:
    """One-way ANOVA F test over ``groups`` equal groups with effect size ``f``; n per group."""
    _check(alpha, 1, power, n)
    if groups < 2:
        raise ValueError(f"an ANOVA needs at least two groups, got {groups}")
    f = _effect(f, "effect size f")

    def power_at(m: float) -> float:
        total, df1 = m * groups, groups - 1
        df2 = total - groups
        return float(stats.ncf.sf(stats.f.isf(alpha, df1, df2), df1, df2, f * f * total))

    return _solve(power_at, power, n, 2)


def cohens_w(table: list[list[float]], weights: list[float] | None = None) -> float:
    """Cohen's w of an r × c table of proportions: row ``i`` holds the distribution of the column variable in
    group ``i`` (normalised to sum 1); groups are weighted by ``weights`` (equal by default)."""
    if len(table) < 2 or any(len(row) != len(table[0]) for row in table) or len(table[0]) < 2:
        raise ValueError(
            "Cohen's w needs at least two groups of at least two categories, all the same length"
        )
    weights = weights or [1.0] * len(table)
    if len(weights) != len(table) or min(weights) <= 0 or min(min(row) for row in table) < 0:
        raise ValueError("group weights must be positive, one per group, and proportions non-negative")
    rows = [[w / sum(weights) * p / sum(row) for p in row] for w, row in zip(weights, table, strict=True)]
    row_tot = [sum(row) for row in rows]
    col_tot = [sum(col) for col in zip(*rows, strict=True)]
    return math.sqrt(
        sum(
            (rows[i][j] - row_tot[i] * col_tot[j]) ** 2 / (row_tot[i] * col_tot[j])
            for i in range(len(rows))
            for j in range(len(col_tot))
            if col_tot[j] > 0
        )
    )


def chisq_independence(
    w: float, df: int, *, n: float | None = None, power: float | None = None, alpha: float = 0.05
) -> int | float:
    """Chi-square test of independence with effect size ``w`` and ``df`` = (r − 1)(c − 1); n in total."""
    _check(alpha, 1, power, n)
    w = _effect(w, "effect size w")
    crit = stats.chi2.isf(alpha, df)
    return _solve(lambda m: float(stats.ncx2.sf(crit, df, w * w * m)), power, n, 2)


def cox_ph(
    hazard_ratio: float,
    event_prob: float,
    *,
    n: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    sides: int = 2,
    method: str = "freedman",
) -> int | float:
    """Cox proportional hazards, two equal groups: n per group, ``event_prob`` the probability that a subject
    has the event (averaged over the two groups).

    The events needed are Freedman's (z_α + z_β)² (1 + HR)² / (1 − HR)² (Rosner's textbook form, which
    reproduces the official answers) or Schoenfeld's 4 (z_α + z_β)² / ln² HR (``method="schoenfeld"``); the
    subjects are events / ``event_prob``. Two-sided power ignores the far tail, as both authors do.
    """
    _check(alpha, sides, power, n)
    if not 0 < event_prob <= 1 or not hazard_ratio > 0 or hazard_ratio == 1:
        raise ValueError("the hazard ratio must be positive and not 1, the event probability in (0, 1]")
    if method == "freedman":
        shift = abs(1 - hazard_ratio) / (1 + hazard_ratio)
    elif method == "schoenfeld":
        shift = abs(math.log(hazard_ratio)) / 2
    else:
        raise ValueError(f"method must be 'freedman' or 'schoenfeld', got {method!r}")
    z_alpha = stats.norm.isf(alpha / sides)
    return _solve(
        lambda m: float(stats.norm.cdf(math.sqrt(2 * m * event_prob) * shift - z_alpha)), power, n, 1
    )
