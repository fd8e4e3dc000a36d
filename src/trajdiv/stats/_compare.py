"""Paired comparison of two configurations on the tasks they share, and families of them.

The test is a sign-flip permutation test of the mean per-task difference (exact over all 2^T
sign patterns for T <= 16). Its interval is the *inversion of the same test*: every shift
delta the test would not reject at the level used, so the interval excludes 0 exactly when the
test rejects. With one run per task and configuration, the per-task differences are -1, 0 or
1 and the test is the exact McNemar (sign) test on the discordant tasks. Comparisons of one
analysis form a family: their p-values are Holm-adjusted, and each interval is taken at the
level Holm grants that comparison, so interval and adjusted p-value still agree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "PairedDiff",
    "compare_family",
    "holm",
    "mcnemar_exact",
    "paired_difference",
    "sign_flip_interval",
    "sign_flip_p",
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
    >>> holm([0.023, 0.031, 0.063])
    [0.069, 0.069, 0.069]
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = round(running, 12)
    return out


@dataclass(frozen=True, slots=True)
class PairedDiff:
    """Difference in pass@1 of A minus B over shared tasks."""

    diff: float
    se: float | None
    ci95: tuple[float, float]
    """Inversion of the test at ``ci_level`` (0.95 for one comparison)."""
    p_value: float
    method: str
    n_tasks: int
    ci_level: float = 0.95
    p_adjusted: float | None = None
    """Holm-adjusted p-value within a family of comparisons (None: a single comparison)."""


def paired_difference(
    pa: Sequence[float],
    pb: Sequence[float],
    single_run: bool = False,
    seed: int = 0,
    alpha: float = 0.05,
) -> PairedDiff:
    """Task-clustered paired difference d_i = p_A,i - p_B,i: mean, SE = sd(d) / sqrt(T), the
    sign-flip test (the exact McNemar test when ``single_run``) and its inverted interval.
    """
    a = np.asarray(pa, dtype=np.float64)
    b = np.asarray(pb, dtype=np.float64)
    d = a - b
    t = len(d)
    if t == 0:
        raise ValueError("the two configurations share no task")
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(t)) if t > 1 else None
    p = sign_flip_p(d, seed=seed)
    if single_run:
        method = "exact McNemar test (sign-flip over the discordant tasks)"
    else:
        method = "paired sign-flip permutation over tasks" + (" (exact)" if t <= _EXACT_MAX_TASKS else "")
    return PairedDiff(mean, se, sign_flip_interval(d, alpha, seed=seed), p, method, t, 1 - alpha)


def compare_family(
    rates: Mapping[str, Mapping[str, tuple[float, int]]], alpha: float = 0.05, seed: int = 0
) -> dict[tuple[str, str], PairedDiff]:
    """Every pair of configurations that share a task, Holm-adjusted as one family.

    ``rates[config][task] = (success rate, runs)``. Each interval inverts the test at the level
    Holm grants the pair, ``alpha * p / p_holm``, so it excludes 0 exactly when the adjusted
    p-value is at most ``alpha``.
    """
    pairs: list[tuple[str, str, list[float], list[float], bool]] = []
    for a, b in itertools.combinations(sorted(rates), 2):
        shared = sorted(set(rates[a]) & set(rates[b]))
        if shared:
            single = all(rates[a][t][1] == 1 and rates[b][t][1] == 1 for t in shared)
            pairs.append((a, b, [rates[a][t][0] for t in shared], [rates[b][t][0] for t in shared], single))
    raw = [paired_difference(pa, pb, single, seed, alpha) for _, _, pa, pb, single in pairs]
    adjusted = holm([r.p_value for r in raw])
    out = {}
    for (a, b, pa, pb, _), r, p_adj in zip(pairs, raw, adjusted, strict=True):
        level = alpha * r.p_value / p_adj if p_adj > 0 else alpha
        d = np.asarray(pa) - np.asarray(pb)
        ci = sign_flip_interval(d, level, seed=seed)
        out[(a, b)] = PairedDiff(r.diff, r.se, ci, r.p_value, r.method, r.n_tasks, 1 - level, p_adj)
    return out
