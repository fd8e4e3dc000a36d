"""Intervals for a mean over tasks of per-task rates, that hold at 10 tasks and 5 runs.

The task-clustered standard error (Miller 2024) is right about *what* varies: tasks are the
independent units. At small T a normal interval around it fails in two ways: the z quantile
ignores that the SE is itself estimated from T values, and when every run fails (or every run
succeeds) the SE is 0 and the interval collapses to a point. trajdiv's interval fixes both:

- the quantile is Student's t with T - 1 degrees of freedom;
- the interval is a score (Wilson) interval for a proportion observed on an *effective* number
  of independent runs, n_eff = m (1 - m) / SE^2 (Kish's design effect), bounded by the number
  of independent observations the design holds (all N runs for pass@1). When SE = 0 the design
  effect cannot be estimated and n_eff is that bound: all-fail gives [0, 0.093] at 10 x 5.

Away from the bounds this is the t interval m +- t SE shrunk slightly towards 1/2; at the
bounds it is the Wilson interval, asymmetric and never of zero width. ``scripts/coverage.py``
measures its coverage by simulation (README, "Statistics that hold at small samples").
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

__all__ = ["clustered_score_interval", "t_quantile", "t_two_sided_mass", "wilson"]


def t_two_sided_mass(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with integer ``df`` (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2 == 1:
        term, total = math.cos(theta), 0.0
        for j in range(1, (df - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * j) / (2 * j + 1)
        return (2 / math.pi) * (theta + s * total) if df > 1 else (2 / math.pi) * theta
    term, total = 1.0, 0.0
    for j in range(1, df // 2 + 1):
        total += term
        term *= c2 * (2 * j - 1) / (2 * j)
    return s * total


@functools.lru_cache(maxsize=4096)
def t_quantile(p: float, df: int) -> float:
    """Quantile ``p`` (> 0.5) of Student's t with ``df`` degrees of freedom.

    Inverts the exact distribution function (a finite series for integer ``df``) by
    bisection; above 400 degrees of freedom the Cornish-Fisher expansion (Abramowitz & Stegun
    26.7.5) is exact to 1e-10.

    Examples
    --------
    >>> round(t_quantile(0.975, 9), 6), round(t_quantile(0.975, 1), 4)
    (2.262157, 12.7062)
    """
    if not 0.5 < p < 1.0 or df < 1:
        raise ValueError("t_quantile needs 0.5 < p < 1 and df >= 1")
    z = NormalDist().inv_cdf(p)
    if df > 400:
        v = float(df)
        return (
            z
            + (z**3 + z) / (4 * v)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        )
    target = 2 * p - 1
    lo, hi = z, z
    while t_two_sided_mass(hi, df) < target:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_two_sided_mass(mid, df) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * hi:
            break
    return (lo + hi) / 2


def wilson(m: float, n: float, q: float) -> tuple[float, float]:
    """Score interval of a proportion ``m`` observed on ``n`` trials, with quantile ``q``.

    Examples
    --------
    >>> [round(x, 4) for x in wilson(0.0, 50, 1.959964)]
    [0.0, 0.0713]
    """
    q2n = q * q / n
    centre = (m + q2n / 2) / (1 + q2n)
    half = q / (1 + q2n) * math.sqrt(m * (1 - m) / n + q2n / (4 * n))
    lo = 0.0 if m <= 0.0 else max(0.0, centre - half)
    hi = 1.0 if m >= 1.0 else min(1.0, centre + half)
    return lo, hi


def clustered_score_interval(
    values: Sequence[float] | npt.NDArray[np.float64], max_n: float, level: float = 0.95
) -> tuple[float, float] | None:
    """Interval for the mean of per-task rates ``values`` (each in [0, 1]); see the module
    docstring. ``max_n`` bounds the effective sample size (N runs for pass@1). None for fewer
    than two tasks (the spread between tasks cannot be estimated from one).

    Examples
    --------
    >>> clustered_score_interval([0.0] * 10, max_n=50)  # every run failed: not [0, 0]
    (0.0, 0.0928...)
    """
    arr = np.asarray(values, dtype=np.float64)
    t = len(arr)
    if t < 2:
        return None
    m = float(arr.mean())
    var = float(arr.var(ddof=1)) / t
    n_eff = max_n
    if var > 0 and 0.0 < m < 1.0:
        n_eff = min(max(m * (1 - m) / var, 1.0), max_n)
    q = t_quantile(1 - (1 - level) / 2, t - 1)
    return wilson(m, n_eff, q)
