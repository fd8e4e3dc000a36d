"""Paired comparison of two configurations on the tasks they share, and families of them.

The test and the interval come from one distribution: the paired t statistic over tasks,
t = mean(d) / SE with d_i = p_A,i - p_B,i and SE = sd(d) / sqrt(T) (tasks as clusters), on
T - 1 degrees of freedom. The interval is mean +- t_(1 - level/2) SE, so it excludes 0 exactly
when the test rejects. SE is floored at 1 / (n T), the difference one run of one task makes,
so that identical outcomes never give a zero-width interval. ``scripts/coverage.py`` shows
coverage of 94-96% at 10 tasks x 5 runs where the sign-flip interval fell to 92%. Comparisons of
one analysis form a family: their p-values are Holm-adjusted, and each interval is taken at the
level Holm grants that comparison, so interval and adjusted p-value still agree.

The sign-flip permutation test (:func:`sign_flip_p`, :func:`sign_flip_interval`) and the exact
McNemar test stay available as functions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trajdiv.stats._interval import t_quantile, t_two_sided_mass

__all__ = [
    "PairedDiff",
    "compare_family",
    "holm",
    "mcnemar_exact",
    "paired_difference",
    "paired_t",
    "sign_flip_interval",
    "sign_flip_p",
    "t_interval",
    "t_test_p",
]

_EXACT_MAX_TASKS = 16
_N_PERM = 20000


def _sign_patterns(t: int, seed: int, n_perm: int = _N_PERM) -> npt.NDArray[np.float64]:
    if t <= _EXACT_MAX_TASKS:
        return np.array(list(itertools.product((1.0, -1.0), repeat=t)))
    rng = np.random.default_rng(seed)
    return rng.choice((1.0, -1.0), size=(n_perm, t))


class _SignFlip:
    """The sign-flip test of H0: mean(d) = delta, for any delta, from one set of patterns."""

    def __init__(self, d: npt.NDArray[np.float64], seed: int) -> None:
        self.d, self.t = d, len(d)
        self.exact = self.t <= _EXACT_MAX_TASKS
        signs = _sign_patterns(self.t, seed)
        self.sd, self.s = signs @ d, signs.sum(axis=1)  # sum s_i d_i and sum s_i per pattern

    def p(self, delta: float) -> float:
        obs = abs(float(self.d.sum()) - delta * self.t)
        stats = np.abs(self.sd - delta * self.s)
        hits = int((stats >= obs - 1e-9).sum())
        if self.exact:
            return hits / len(self.s)
        return (1 + hits) / (len(self.s) + 1)


def sign_flip_p(d: Sequence[float] | npt.NDArray[np.float64], *, seed: int = 0) -> float:
    """Two-sided p-value of mean(d) = 0 by flipping the signs of the per-task differences.

    Exact (all 2^T sign patterns) for T <= 16, otherwise 20,000 seeded random patterns.

    Examples
    --------
    >>> sign_flip_p([0.2, 0.4, 0.2, 0.6])  # all four positive: 2 of 16 patterns as extreme
    0.125
    """
    arr = np.asarray(d, dtype=np.float64)
    if len(arr) == 0 or np.all(arr == 0):
        return 1.0
    return _SignFlip(arr, seed).p(0.0)


def sign_flip_interval(
    d: Sequence[float] | npt.NDArray[np.float64], alpha: float = 0.05, *, seed: int = 0
) -> tuple[float, float]:
    """Every shift delta in [-1, 1] that the sign-flip test does not reject at ``alpha``.

    Found by bisection from the mean (p = 1 there) outwards; the side towards 0 is bisected
    between the mean and 0 when the test rejects 0, so 0 lies outside exactly when
    ``sign_flip_p(d) <= alpha``. Bounds are clipped to [-1, 1], the range of a difference of
    two rates; a test that cannot reject at all (T <= 4 at 0.05) gives [-1, 1].
    """
    arr = np.asarray(d, dtype=np.float64)
    if len(arr) == 0:
        return (-1.0, 1.0)
    test = _SignFlip(arr, seed)
    mean = float(arr.mean())
    p0 = test.p(0.0) if not np.all(arr == 0) else 1.0

    def bound(direction: float) -> float:
        inside = mean
        outside = mean + direction * 2.0
        if (0.0 - mean) * direction > 0 and p0 <= alpha:
            outside = 0.0  # the rejected 0 lies this way: the bound falls between
        elif test.p(outside) > alpha:
            return max(-1.0, min(1.0, outside))
        for _ in range(60):
            mid = (inside + outside) / 2
            if test.p(mid) > alpha:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) < 1e-9:
                break
        return max(-1.0, min(1.0, inside))

    lo, hi = bound(-1.0), bound(1.0)
    if p0 > alpha:  # 0 is accepted; at a jump of the step function bisection can stop beside it
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return lo + 0.0, hi + 0.0  # no negative zero


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value from the discordant counts b and c.

    Examples
    --------
    >>> mcnemar_exact(5, 0)
    0.0625
    """
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return float(min(1.0, 2 * tail))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    Examples
    --------
    >>> [round(p, 6) for p in holm([0.023, 0.031, 0.063])]
    [0.069, 0.069, 0.069]
    >>> [round(p, 6) for p in holm([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]), p_values[i])
        out[i] = running
    return out


@dataclass(frozen=True, slots=True)
class PairedDiff:
    """Difference in pass@1 of A minus B over shared tasks."""

    diff: float
    se: float | None
    ci95: tuple[float, float]
    """The interval at ``ci_level`` (0.95 for one comparison), clipped to [-1, 1]."""
    p_value: float
    method: str
    n_tasks: int
    ci_level: float = 0.95
    p_adjusted: float | None = None
    """Holm-adjusted p-value within a family of comparisons (None: a single comparison)."""


def paired_t(
    d: Sequence[float] | npt.NDArray[np.float64], runs_per_task: int = 1
) -> tuple[float, float, int]:
    """Mean, standard error (floored at 1 / (n T)) and degrees of freedom of the per-task
    differences ``d``.

    Examples
    --------
    >>> paired_t([0.0] * 10, runs_per_task=5)  # identical outcomes: the floor, not 0
    (0.0, 0.02, 9)
    """
    arr = np.asarray(d, dtype=np.float64)
    t = len(arr)
    sd = float(arr.std(ddof=1)) if t > 1 else 0.0
    return float(arr.mean()), max(sd / math.sqrt(t), 1.0 / (max(runs_per_task, 1) * t)), t - 1


def t_test_p(mean: float, se: float, df: int) -> float:
    """Two-sided p-value of mean = 0 from Student's t with ``df`` degrees of freedom.

    Examples
    --------
    >>> round(t_test_p(2.262157, 1.0, 9), 4)
    0.05
    """
    if df < 1:
        return 1.0
    return max(0.0, 1.0 - t_two_sided_mass(abs(mean) / se, df))


def t_interval(mean: float, se: float, df: int, level: float) -> tuple[float, float]:
    """mean +- t_(1 - (1 - level) / 2, df) se, clipped to [-1, 1] (the range of a difference of
    two rates); [-1, 1] with a single task."""
    if df < 1:
        return (-1.0, 1.0)
    q = t_quantile(1 - (1 - level) / 2, df)
    return max(-1.0, mean - q * se) + 0.0, min(1.0, mean + q * se) + 0.0


def paired_difference(
    pa: Sequence[float],
    pb: Sequence[float],
    single_run: bool = False,
    seed: int = 0,
    alpha: float = 0.05,
    runs_per_task: int | None = None,
) -> PairedDiff:
    """Task-clustered paired difference d_i = p_A,i - p_B,i: mean, SE, the paired t-test over
    tasks and its interval at 1 - ``alpha`` (see the module docstring). ``runs_per_task``
    (default 1 when ``single_run``, else 5) sets the SE floor. ``seed`` is unused (kept for the
    permutation tests' signature).
    """
    a = np.asarray(pa, dtype=np.float64)
    b = np.asarray(pb, dtype=np.float64)
    d = a - b
    t = len(d)
    if t == 0:
        raise ValueError("the two configurations share no task")
    n = runs_per_task or (1 if single_run else 5)
    mean, se, df = paired_t(d, n)
    p = t_test_p(mean, se, df)
    method = f"paired t-test over {t} tasks (task-clustered SE, {df} df)"
    if single_run:
        method += "; one run per task"
    return PairedDiff(
        mean, se if t > 1 else None, t_interval(mean, se, df, 1 - alpha), p, method, t, 1 - alpha
    )


def compare_family(
    rates: Mapping[str, Mapping[str, tuple[float, int]]], alpha: float = 0.05, seed: int = 0
) -> dict[tuple[str, str], PairedDiff]:
    """Every pair of configurations that share a task, Holm-adjusted as one family.

    ``rates[config][task] = (success rate, runs)``. Each interval is taken at the level Holm
    grants the pair, ``alpha * p / p_holm``, so it excludes 0 exactly when the adjusted p-value
    is below ``alpha``.
    """
    pairs: list[tuple[str, str, list[float], list[float], int]] = []
    for a, b in itertools.combinations(sorted(rates), 2):
        shared = sorted(set(rates[a]) & set(rates[b]))
        if shared:
            n = min(min(rates[a][t][1] for t in shared), min(rates[b][t][1] for t in shared))
            pairs.append((a, b, [rates[a][t][0] for t in shared], [rates[b][t][0] for t in shared], n))
    raw = [paired_difference(pa, pb, n == 1, seed, alpha, n) for _, _, pa, pb, n in pairs]
    adjusted = holm([r.p_value for r in raw])
    out = {}
    for (a, b, pa, pb, n), r, p_adj in zip(pairs, raw, adjusted, strict=True):
        level = alpha * r.p_value / p_adj if p_adj > 0 else alpha
        mean, se, df = paired_t(np.asarray(pa) - np.asarray(pb), n)
        ci = t_interval(mean, se, df, 1 - level)
        out[(a, b)] = PairedDiff(r.diff, r.se, ci, r.p_value, r.method, r.n_tasks, 1 - level, p_adj)
    return out
