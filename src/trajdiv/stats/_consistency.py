"""Consistency of repeated runs: coefficients of variation and the HAL reliability metrics."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = [
    "cv_pct",
    "jensen_shannon",
    "mean_pairwise_jsd",
    "outcome_consistency",
    "resource_consistency",
]


def cv_pct(values: Sequence[float | None]) -> float | None:
    """Coefficient of variation in percent: sample sd (ddof=1) / mean * 100.

    None when fewer than two values are known or the mean is 0 ("Consistency Amplifies",
    arXiv 2603.25764).

    Examples
    --------
    >>> round(cv_pct([10, 12, 14]), 3)
    16.667
    """
    xs = np.array([v for v in values if v is not None], dtype=np.float64)
    if len(xs) < 2 or xs.mean() == 0:
        return None
    return float(xs.std(ddof=1) / xs.mean() * 100.0)


def outcome_consistency(p: float) -> float:
    """HAL outcome consistency of a task: (2p - 1)^2 (1 when all runs agree, 0 at p = 0.5)."""
    return (2.0 * p - 1.0) ** 2


def resource_consistency(values: Sequence[float | None]) -> float | None:
    """HAL resource consistency: exp(-CV), CV as a fraction (None when CV is undefined)."""
    cv = cv_pct(values)
    return None if cv is None else math.exp(-cv / 100.0)


def jensen_shannon(a: Counter[str], b: Counter[str]) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) of two count distributions."""
    keys = sorted(set(a) | set(b))
    pa = np.array([a[k] for k in keys], dtype=np.float64)
    pb = np.array([b[k] for k in keys], dtype=np.float64)
    if pa.sum() == 0 or pb.sum() == 0:
        return 0.0 if pa.sum() == pb.sum() else 1.0
    pa, pb = pa / pa.sum(), pb / pb.sum()
    m = (pa + pb) / 2

    def kl(p: np.ndarray, q: np.ndarray) -> float:
        mask = p > 0
        return float((p[mask] * np.log2(p[mask] / q[mask])).sum())

    return 0.5 * kl(pa, m) + 0.5 * kl(pb, m)


def mean_pairwise_jsd(counts: Sequence[Counter[str]]) -> float | None:
    """Mean Jensen-Shannon divergence over the pairs of runs' action-count distributions."""
    n = len(counts)
    if n < 2:
        return None
    vals = [jensen_shannon(counts[i], counts[j]) for i in range(n) for j in range(i + 1, n)]
    return float(np.mean(vals))
