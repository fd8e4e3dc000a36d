"""Paired comparison of two configurations on the tasks they share."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trajdiv.stats._outcome import Z95

__all__ = ["PairedDiff", "mcnemar_exact", "paired_difference", "sign_flip_p"]


def sign_flip_p(d: Sequence[float] | npt.NDArray[np.float64], *, n_perm: int = 20000, seed: int = 0) -> float:
    """Two-sided p-value of mean(d) = 0 by flipping the signs of the per-task differences.

    Exact (all 2^T sign patterns) for T <= 16, otherwise ``n_perm`` seeded random patterns.
    """
    arr = np.asarray(d, dtype=np.float64)
    t = len(arr)
    obs = abs(arr.mean())
    if t == 0 or np.all(arr == 0):
        return 1.0
    if t <= 16:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=t)))
        stats = np.abs(signs @ arr / t)
        return float(np.mean(stats >= obs - 1e-12))
    rng = np.random.default_rng(seed)
    signs = rng.choice((1.0, -1.0), size=(n_perm, t))
    stats = np.abs(signs @ arr / t)
    return float((1 + (stats >= obs - 1e-12).sum()) / (n_perm + 1))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value from the discordant counts b and c."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return float(min(1.0, 2 * tail))


@dataclass(frozen=True, slots=True)
class PairedDiff:
    """Difference in pass@1 of A minus B over shared tasks."""

    diff: float
    se: float | None
    ci95: tuple[float, float] | None
    p_value: float
    method: str
    n_tasks: int


def paired_difference(
    pa: Sequence[float], pb: Sequence[float], single_run: bool = False, seed: int = 0
) -> PairedDiff:
    """Task-clustered paired difference: d_i = p_A,i - p_B,i, SE = sd(d) / sqrt(T); the 95%
    interval is mean +- 1.96 SE clipped to [-1, 1].

    p-value: paired sign-flip permutation over tasks, or the exact McNemar test when each
    configuration has one run per task (``single_run``).
    """
    a = np.asarray(pa, dtype=np.float64)
    b = np.asarray(pb, dtype=np.float64)
    d = a - b
    t = len(d)
    if t == 0:
        raise ValueError("the two configurations share no task")
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(t)) if t > 1 else None
    # a difference of two success rates cannot leave [-1, 1]
    ci = (max(-1.0, mean - Z95 * se), min(1.0, mean + Z95 * se)) if se is not None else None
    if single_run:
        bb = int(((a == 1) & (b == 0)).sum())
        cc = int(((a == 0) & (b == 1)).sum())
        return PairedDiff(mean, se, ci, mcnemar_exact(bb, cc), "exact McNemar test", t)
    p = sign_flip_p(d, seed=seed)
    method = "paired sign-flip permutation over tasks" + (" (exact)" if t <= 16 else "")
    return PairedDiff(mean, se, ci, p, method, t)
